var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// js/index.js
var index_exports = {};
__export(index_exports, {
  openCache: () => openCache,
  version: () => version
});
module.exports = __toCommonJS(index_exports);

// js/utf8.js
var BLOCK = 4096;
var nativeUri = typeof escape === "function" && !/\n\s+at /.test(String(new Error().stack));
function binaryString(bytes, from) {
  var s = "";
  for (var i = from; i < bytes.length; i += BLOCK) s += String.fromCharCode.apply(null, bytes.subarray(i, i + BLOCK));
  return s;
}
function Utf8Decoder(label, options) {
  label = label === void 0 ? "utf-8" : String(label).toLowerCase();
  if (label !== "utf-8" && label !== "utf8") throw new RangeError("Utf8Decoder supports utf-8 only, not " + label);
  this.encoding = "utf-8";
  this.fatal = !!(options && options.fatal);
  this.ignoreBOM = !!(options && options.ignoreBOM);
}
Utf8Decoder.prototype.decode = function(input) {
  if (input === void 0 || input === null) return "";
  var bytes = input instanceof Uint8Array ? input : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  var n = bytes.length, i = 0, out = "", units = [];
  if (!this.ignoreBOM && n >= 3 && bytes[0] === 239 && bytes[1] === 187 && bytes[2] === 191) i = 3;
  if (nativeUri) {
    try {
      return decodeURIComponent(escape(binaryString(bytes, i)));
    } catch (e) {
    }
  }
  var fatal = this.fatal, needed = 0, seen = 0, cp = 0, lower = 128, upper = 191;
  function bad() {
    if (fatal) throw new TypeError("The encoded data was not valid utf-8");
    units.push(65533);
  }
  for (; i < n; i++) {
    var b = bytes[i];
    if (needed === 0) {
      if (b <= 127) units.push(b);
      else if (b >= 194 && b <= 223) {
        needed = 1;
        cp = b & 31;
      } else if (b >= 224 && b <= 239) {
        lower = b === 224 ? 160 : 128;
        upper = b === 237 ? 159 : 191;
        needed = 2;
        cp = b & 15;
      } else if (b >= 240 && b <= 244) {
        lower = b === 240 ? 144 : 128;
        upper = b === 244 ? 143 : 191;
        needed = 3;
        cp = b & 7;
      } else bad();
    } else if (b < lower || b > upper) {
      needed = seen = cp = 0;
      lower = 128;
      upper = 191;
      bad();
      i--;
    } else {
      lower = 128;
      upper = 191;
      cp = cp << 6 | b & 63;
      if (++seen === needed) {
        if (cp > 65535) {
          cp -= 65536;
          units.push(55296 | cp >> 10, 56320 | cp & 1023);
        } else units.push(cp);
        needed = seen = cp = 0;
      }
    }
    if (units.length >= BLOCK) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (needed) bad();
  return out + String.fromCharCode.apply(null, units);
};
function Utf8Encoder() {
  this.encoding = "utf-8";
}
Utf8Encoder.prototype.encodeInto = function(str, view) {
  var read = 0, written = 0, n = str.length, cap = view.length;
  while (read < n) {
    var c = str.charCodeAt(read), size = 1, units = 1;
    while (c < 128 && written < cap) {
      view[written++] = c;
      if (++read === n) return { read, written };
      c = str.charCodeAt(read);
    }
    if (c >= 55296 && c <= 56319 && read + 1 < n) {
      var d = str.charCodeAt(read + 1);
      if (d >= 56320 && d <= 57343) {
        c = 65536 + (c - 55296 << 10) + (d - 56320);
        units = 2;
      }
    }
    if (c >= 55296 && c <= 57343) c = 65533;
    if (c >= 65536) size = 4;
    else if (c >= 2048) size = 3;
    else if (c >= 128) size = 2;
    if (written + size > cap) break;
    if (size === 1) view[written++] = c;
    else if (size === 2) {
      view[written++] = 192 | c >> 6;
      view[written++] = 128 | c & 63;
    } else if (size === 3) {
      view[written++] = 224 | c >> 12;
      view[written++] = 128 | c >> 6 & 63;
      view[written++] = 128 | c & 63;
    } else {
      view[written++] = 240 | c >> 18;
      view[written++] = 128 | c >> 12 & 63;
      view[written++] = 128 | c >> 6 & 63;
      view[written++] = 128 | c & 63;
    }
    read += units;
  }
  return { read, written };
};
Utf8Encoder.prototype.encode = function(str) {
  str = str === void 0 ? "" : String(str);
  var buf = new Uint8Array(str.length * 3);
  var r = this.encodeInto(str, buf);
  return buf.slice(0, r.written);
};

// js/text-shim.js
var g = typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : typeof global !== "undefined" ? global : {};
var NativeDecoder = typeof g.TextDecoder === "function" ? g.TextDecoder : null;
var NativeEncoder = typeof g.TextEncoder === "function" ? g.TextEncoder : null;
var TextDecoder = NativeDecoder || Utf8Decoder;
var TextEncoder = NativeEncoder || Utf8Encoder;

// build/bg/jim_cache_bg.js
var jim_cache_bg_exports = {};
__export(jim_cache_bg_exports, {
  JimCache: () => JimCache,
  __wbg___wbindgen_is_function_1f9d30630b8b1d3d: () => __wbg___wbindgen_is_function_1f9d30630b8b1d3d,
  __wbg___wbindgen_is_null_e343b7d08827ba72: () => __wbg___wbindgen_is_null_e343b7d08827ba72,
  __wbg___wbindgen_is_undefined_8865fb403f8fe9d8: () => __wbg___wbindgen_is_undefined_8865fb403f8fe9d8,
  __wbg___wbindgen_string_get_0380ccaa2f57f0d9: () => __wbg___wbindgen_string_get_0380ccaa2f57f0d9,
  __wbg___wbindgen_throw_41e9ee4f547fc59a: () => __wbg___wbindgen_throw_41e9ee4f547fc59a,
  __wbg_call_187d372bd5fdd4aa: () => __wbg_call_187d372bd5fdd4aa,
  __wbg_getDirectory_6d1ec3b282a3bc2e: () => __wbg_getDirectory_6d1ec3b282a3bc2e,
  __wbg_getPositions_e8ed3a69770bebf7: () => __wbg_getPositions_e8ed3a69770bebf7,
  __wbg_get_31af05bd4842a84f: () => __wbg_get_31af05bd4842a84f,
  __wbg_get_df0edf3c5e8dad9e: () => __wbg_get_df0edf3c5e8dad9e,
  __wbg_instanceof_Float64Array_8a59377f9eec1b8b: () => __wbg_instanceof_Float64Array_8a59377f9eec1b8b,
  __wbg_keySuffixes_f3b921b303cd7265: () => __wbg_keySuffixes_f3b921b303cd7265,
  __wbg_keys_24641d5a8888bee1: () => __wbg_keys_24641d5a8888bee1,
  __wbg_length_b5f0008bbf60cf59: () => __wbg_length_b5f0008bbf60cf59,
  __wbg_new_343a093a3c2ffb4e: () => __wbg_new_343a093a3c2ffb4e,
  __wbg_new_from_slice_37a3c3a194266cb8: () => __wbg_new_from_slice_37a3c3a194266cb8,
  __wbg_prototypesetcall_d49a4fab5ca427bc: () => __wbg_prototypesetcall_d49a4fab5ca427bc,
  __wbg_remove_b20afee15d07fe4b: () => __wbg_remove_b20afee15d07fe4b,
  __wbg_setAppended_4507ec3f816e8a60: () => __wbg_setAppended_4507ec3f816e8a60,
  __wbg_setIndex_6f2493aa9de50cd0: () => __wbg_setIndex_6f2493aa9de50cd0,
  __wbg_set_1266e9b6c94e53a9: () => __wbg_set_1266e9b6c94e53a9,
  __wbg_set_145a351398b48c65: () => __wbg_set_145a351398b48c65,
  __wbg_set_name_2c630595dc90a7aa: () => __wbg_set_name_2c630595dc90a7aa,
  __wbg_set_wasm: () => __wbg_set_wasm,
  __wbg_usage_11df6cdba4d8fdb8: () => __wbg_usage_11df6cdba4d8fdb8,
  __wbindgen_generic_0000000000000001: () => __wbindgen_generic_0000000000000001,
  __wbindgen_object_drop_ref: () => __wbindgen_object_drop_ref
});
var JimCache = class {
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    JimCacheFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm.__wbg_jimcache_free(ptr, 0);
  }
  /**
   * Stores a local echo; returns it (JSON).
   * @param {string} id
   * @param {string} kind
   * @param {string} body
   * @param {string | null | undefined} local_id
   * @param {number} now
   * @returns {string}
   */
  addPending(id, kind, body, local_id, now) {
    let deferred6_0;
    let deferred6_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      const ptr1 = passStringToWasm0(kind, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      const ptr2 = passStringToWasm0(body, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len2 = WASM_VECTOR_LEN;
      var ptr3 = isLikeNone(local_id) ? 0 : passStringToWasm0(local_id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len3 = WASM_VECTOR_LEN;
      wasm.jimcache_addPending(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, now);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr5 = r0;
      var len5 = r1;
      if (r3) {
        ptr5 = 0;
        len5 = 0;
        throw takeObject(r2);
      }
      deferred6_0 = ptr5;
      deferred6_1 = len5;
      return getStringFromWasm0(ptr5, len5);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred6_0, deferred6_1, 1);
    }
  }
  /**
   * `getConversation()`'s onSuccess data (JSON).
   * @param {string} data
   * @returns {string}
   */
  applyConversations(data) {
    let deferred3_0;
    let deferred3_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(data, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_applyConversations(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr2 = r0;
      var len2 = r1;
      if (r3) {
        ptr2 = 0;
        len2 = 0;
        throw takeObject(r2);
      }
      deferred3_0 = ptr2;
      deferred3_1 = len2;
      return getStringFromWasm0(ptr2, len2);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
    }
  }
  /**
   * One event or an array of events (JSON).
   * @param {string} events
   * @returns {string}
   */
  applyEvent(events) {
    let deferred3_0;
    let deferred3_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(events, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_applyEvent(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr2 = r0;
      var len2 = r1;
      if (r3) {
        ptr2 = 0;
        len2 = 0;
        throw takeObject(r2);
      }
      deferred3_0 = ptr2;
      deferred3_1 = len2;
      return getStringFromWasm0(ptr2, len2);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
    }
  }
  /**
   * `onMsgReceiptChange`'s object or `onSyncMsgReceipt`'s array (JSON).
   * @param {string} data
   * @returns {string}
   */
  applyReceipts(data) {
    let deferred3_0;
    let deferred3_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(data, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_applyReceipts(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr2 = r0;
      var len2 = r1;
      if (r3) {
        ptr2 = 0;
        len2 = 0;
        throw takeObject(r2);
      }
      deferred3_0 = ptr2;
      deferred3_1 = len2;
      return getStringFromWasm0(ptr2, len2);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
    }
  }
  /**
   * `onMutiUnreadMsgUpdate`'s object (JSON).
   * @param {string} data
   * @returns {string}
   */
  applyUnread(data) {
    let deferred3_0;
    let deferred3_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(data, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_applyUnread(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr2 = r0;
      var len2 = r1;
      if (r3) {
        ptr2 = 0;
        len2 = 0;
        throw takeObject(r2);
      }
      deferred3_0 = ptr2;
      deferred3_1 = len2;
      return getStringFromWasm0(ptr2, len2);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
    }
  }
  /**
   * The same for a compact batch the glue read from the payload (see
   * `compact`).
   * `bodies(numbers)` returns the JSON text of those messages'
   * `[msg_body, at_list]` pairs; the core calls it at most once, for the
   * messages it stores.
   * @param {Float64Array} slots
   * @param {string} table
   * @param {string} mode
   * @param {Function} bodies
   * @returns {string}
   */
  cacheCompact(slots, table, mode, bodies) {
    let deferred5_0;
    let deferred5_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passArrayF64ToWasm0(slots, wasm.__wbindgen_malloc);
      const len0 = WASM_VECTOR_LEN;
      const ptr1 = passStringToWasm0(table, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      const ptr2 = passStringToWasm0(mode, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len2 = WASM_VECTOR_LEN;
      wasm.jimcache_cacheCompact(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1, ptr2, len2, addBorrowedObject(bodies));
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr4 = r0;
      var len4 = r1;
      if (r3) {
        ptr4 = 0;
        len4 = 0;
        throw takeObject(r2);
      }
      deferred5_0 = ptr4;
      deferred5_1 = len4;
      return getStringFromWasm0(ptr4, len4);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      heap[stack_pointer++] = void 0;
      wasm.__wbindgen_free(deferred5_0, deferred5_1, 1);
    }
  }
  /**
   * `data` (JSON) as an SDK callback received it; `mode` is `history` or
   * `realtime`. Returns the report (JSON).
   * @param {string} data
   * @param {string} mode
   * @returns {string}
   */
  cacheMsg(data, mode) {
    let deferred4_0;
    let deferred4_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(data, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      const ptr1 = passStringToWasm0(mode, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      wasm.jimcache_cacheMsg(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr3 = r0;
      var len3 = r1;
      if (r3) {
        ptr3 = 0;
        len3 = 0;
        throw takeObject(r2);
      }
      deferred4_0 = ptr3;
      deferred4_1 = len3;
      return getStringFromWasm0(ptr3, len3);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred4_0, deferred4_1, 1);
    }
  }
  /**
   * A send's `onSuccess(data, msg)` (JSON each) replacing the echo `localId`.
   * @param {string} data
   * @param {string} msg
   * @param {string} local_id
   * @returns {string}
   */
  cacheSentEcho(data, msg, local_id) {
    let deferred5_0;
    let deferred5_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(data, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      const ptr1 = passStringToWasm0(msg, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      const ptr2 = passStringToWasm0(local_id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len2 = WASM_VECTOR_LEN;
      wasm.jimcache_cacheSentEcho(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1, ptr2, len2);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr4 = r0;
      var len4 = r1;
      if (r3) {
        ptr4 = 0;
        len4 = 0;
        throw takeObject(r2);
      }
      deferred5_0 = ptr4;
      deferred5_1 = len4;
      return getStringFromWasm0(ptr4, len4);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred5_0, deferred5_1, 1);
    }
  }
  /**
   * A send's `onSuccess(data, msg)`, both as JSON.
   * @param {string} data
   * @param {string} msg
   * @returns {string}
   */
  cacheSent(data, msg) {
    let deferred4_0;
    let deferred4_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(data, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      const ptr1 = passStringToWasm0(msg, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      wasm.jimcache_cacheSent(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr3 = r0;
      var len3 = r1;
      if (r3) {
        ptr3 = 0;
        len3 = 0;
        throw takeObject(r2);
      }
      deferred4_0 = ptr3;
      deferred4_1 = len3;
      return getStringFromWasm0(ptr3, len3);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred4_0, deferred4_1, 1);
    }
  }
  clear() {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      wasm.jimcache_clear(retptr, this.__wbg_ptr);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      if (r1) {
        throw takeObject(r0);
      }
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * The conversation list (JSON), most recent first.
   * @returns {string}
   */
  conversations() {
    let deferred1_0;
    let deferred1_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      wasm.jimcache_conversations(retptr, this.__wbg_ptr);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      deferred1_0 = r0;
      deferred1_1 = r1;
      return getStringFromWasm0(r0, r1);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
  }
  /**
   * @param {string} local_id
   * @returns {boolean}
   */
  discardPending(local_id) {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(local_id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_discardPending(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      if (r2) {
        throw takeObject(r1);
      }
      return r0 !== 0;
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * `Cache::epoch` (below 2^53 for any realistic lifetime).
   * @returns {number}
   */
  epoch() {
    const ret = wasm.jimcache_epoch(this.__wbg_ptr);
    return ret;
  }
  /**
   * `Cache::known_items`: body numbers of the last compact call.
   * @returns {Uint32Array}
   */
  knownItems() {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      wasm.jimcache_knownItems(retptr, this.__wbg_ptr);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var v1 = getArrayU32FromWasm0(r0, r1).slice();
      wasm.__wbindgen_free(r0, r1 * 4, 4);
      return v1;
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * @param {string} id
   * @returns {boolean}
   */
  markRead(id) {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_markRead(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      if (r2) {
        throw takeObject(r1);
      }
      return r0 !== 0;
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * A page of `id` (JSON `{messages, before}`).
   * @param {string} id
   * @param {number} limit
   * @param {string | null} [before]
   * @returns {string}
   */
  messages(id, limit, before) {
    let deferred4_0;
    let deferred4_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      var ptr1 = isLikeNone(before) ? 0 : passStringToWasm0(before, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len1 = WASM_VECTOR_LEN;
      wasm.jimcache_messages(retptr, this.__wbg_ptr, ptr0, len0, limit, ptr1, len1);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr3 = r0;
      var len3 = r1;
      if (r3) {
        ptr3 = 0;
        len3 = 0;
        throw takeObject(r2);
      }
      deferred4_0 = ptr3;
      deferred4_1 = len3;
      return getStringFromWasm0(ptr3, len3);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred4_0, deferred4_1, 1);
    }
  }
  /**
   * Opens the cache of `options.appkey`/`options.username` on `storage`.
   * @param {any} storage
   * @param {string} options
   */
  constructor(storage, options) {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(options, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_new(retptr, addHeapObject(storage), ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      if (r2) {
        throw takeObject(r1);
      }
      this.__wbg_ptr = r0;
      JimCacheFinalization.register(this, this.__wbg_ptr, this);
      return this;
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * What opening found and repaired (JSON).
   * @returns {string}
   */
  openReport() {
    let deferred1_0;
    let deferred1_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      wasm.jimcache_openReport(retptr, this.__wbg_ptr);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      deferred1_0 = r0;
      deferred1_1 = r1;
      return getStringFromWasm0(r0, r1);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
  }
  /**
   * What the glue reads a page of `id` from itself (JSON `{chunks: [{key,
   * count}], echoes}`; see `Cache::page_plan`).
   * @param {string} id
   * @param {number} limit
   * @param {string | null} [before]
   * @returns {string}
   */
  pagePlan(id, limit, before) {
    let deferred4_0;
    let deferred4_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      var ptr1 = isLikeNone(before) ? 0 : passStringToWasm0(before, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len1 = WASM_VECTOR_LEN;
      wasm.jimcache_pagePlan(retptr, this.__wbg_ptr, ptr0, len0, limit, ptr1, len1);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr3 = r0;
      var len3 = r1;
      if (r3) {
        ptr3 = 0;
        len3 = 0;
        throw takeObject(r2);
      }
      deferred4_0 = ptr3;
      deferred4_1 = len3;
      return getStringFromWasm0(ptr3, len3);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred4_0, deferred4_1, 1);
    }
  }
  /**
   * Echoes of `id` (or all), oldest first (JSON).
   * @param {string | null} [id]
   * @returns {string}
   */
  pending(id) {
    let deferred3_0;
    let deferred3_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      var ptr0 = isLikeNone(id) ? 0 : passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len0 = WASM_VECTOR_LEN;
      wasm.jimcache_pending(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr2 = r0;
      var len2 = r1;
      if (r3) {
        ptr2 = 0;
        len2 = 0;
        throw takeObject(r2);
      }
      deferred3_0 = ptr2;
      deferred3_1 = len2;
      return getStringFromWasm0(ptr2, len2);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
    }
  }
  /**
   * Reloads from storage (another handle of this account committed).
   */
  refresh() {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      wasm.jimcache_refresh(retptr, this.__wbg_ptr);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      if (r1) {
        throw takeObject(r0);
      }
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * @param {string} id
   * @returns {boolean}
   */
  remove(id) {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      wasm.jimcache_remove(retptr, this.__wbg_ptr, ptr0, len0);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      if (r2) {
        throw takeObject(r1);
      }
      return r0 !== 0;
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * The chunks `search` reads, newest first (JSON `[[key, conv, time, id], ...]`).
   * @param {string} text
   * @param {string | null} [id]
   * @param {string | null} [before]
   * @returns {string}
   */
  searchPlan(text, id, before) {
    let deferred5_0;
    let deferred5_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(text, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      var ptr1 = isLikeNone(id) ? 0 : passStringToWasm0(id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len1 = WASM_VECTOR_LEN;
      var ptr2 = isLikeNone(before) ? 0 : passStringToWasm0(before, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len2 = WASM_VECTOR_LEN;
      wasm.jimcache_searchPlan(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1, ptr2, len2);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      var r3 = getDataViewMemory0().getInt32(retptr + 4 * 3, true);
      var ptr4 = r0;
      var len4 = r1;
      if (r3) {
        ptr4 = 0;
        len4 = 0;
        throw takeObject(r2);
      }
      deferred5_0 = ptr4;
      deferred5_1 = len4;
      return getStringFromWasm0(ptr4, len4);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred5_0, deferred5_1, 1);
    }
  }
  /**
   * @param {string} local_id
   * @param {string | null} [reason]
   * @returns {boolean}
   */
  sendFailed(local_id, reason) {
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      const ptr0 = passStringToWasm0(local_id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len0 = WASM_VECTOR_LEN;
      var ptr1 = isLikeNone(reason) ? 0 : passStringToWasm0(reason, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len1 = WASM_VECTOR_LEN;
      wasm.jimcache_sendFailed(retptr, this.__wbg_ptr, ptr0, len0, ptr1, len1);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      var r2 = getDataViewMemory0().getInt32(retptr + 4 * 2, true);
      if (r2) {
        throw takeObject(r1);
      }
      return r0 !== 0;
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  /**
   * Storage use (JSON).
   * @returns {string}
   */
  stats() {
    let deferred1_0;
    let deferred1_1;
    try {
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      wasm.jimcache_stats(retptr, this.__wbg_ptr);
      var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
      var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
      deferred1_0 = r0;
      deferred1_1 = r1;
      return getStringFromWasm0(r0, r1);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
      wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
  }
};
if (Symbol.dispose) JimCache.prototype[Symbol.dispose] = JimCache.prototype.free;
function __wbg___wbindgen_is_function_1f9d30630b8b1d3d(arg0) {
  const ret = typeof getObject(arg0) === "function";
  return ret;
}
function __wbg___wbindgen_is_null_e343b7d08827ba72(arg0) {
  const ret = getObject(arg0) === null;
  return ret;
}
function __wbg___wbindgen_is_undefined_8865fb403f8fe9d8(arg0) {
  const ret = getObject(arg0) === void 0;
  return ret;
}
function __wbg___wbindgen_string_get_0380ccaa2f57f0d9(arg0, arg1) {
  const obj = getObject(arg1);
  const ret = typeof obj === "string" ? obj : void 0;
  var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
  var len1 = WASM_VECTOR_LEN;
  getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
  getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
}
function __wbg___wbindgen_throw_41e9ee4f547fc59a(arg0, arg1) {
  throw new Error(getStringFromWasm0(arg0, arg1));
}
function __wbg_call_187d372bd5fdd4aa() {
  return handleError(function(arg0, arg1, arg2) {
    const ret = getObject(arg0).call(getObject(arg1), getObject(arg2));
    return addHeapObject(ret);
  }, arguments);
}
function __wbg_getDirectory_6d1ec3b282a3bc2e() {
  return handleError(function(arg0, arg1, arg2) {
    const ret = getObject(arg0).getDirectory(getStringFromWasm0(arg1, arg2));
    return addHeapObject(ret);
  }, arguments);
}
function __wbg_getPositions_e8ed3a69770bebf7() {
  return handleError(function(arg0, arg1, arg2) {
    const ret = getObject(arg0).getPositions(getStringFromWasm0(arg1, arg2));
    return addHeapObject(ret);
  }, arguments);
}
function __wbg_get_31af05bd4842a84f() {
  return handleError(function(arg0, arg1) {
    const ret = Reflect.get(getObject(arg0), getObject(arg1));
    return addHeapObject(ret);
  }, arguments);
}
function __wbg_get_df0edf3c5e8dad9e() {
  return handleError(function(arg0, arg1, arg2, arg3) {
    const ret = getObject(arg1).get(getStringFromWasm0(arg2, arg3));
    var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    var len1 = WASM_VECTOR_LEN;
    getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
    getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
  }, arguments);
}
function __wbg_instanceof_Float64Array_8a59377f9eec1b8b(arg0) {
  let result;
  try {
    result = getObject(arg0) instanceof Float64Array;
  } catch (_) {
    result = false;
  }
  const ret = result;
  return ret;
}
function __wbg_keySuffixes_f3b921b303cd7265() {
  return handleError(function(arg0, arg1, arg2, arg3) {
    const ret = getObject(arg1).keySuffixes(getStringFromWasm0(arg2, arg3));
    var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    var len1 = WASM_VECTOR_LEN;
    getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
    getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
  }, arguments);
}
function __wbg_keys_24641d5a8888bee1() {
  return handleError(function(arg0, arg1, arg2, arg3) {
    const ret = getObject(arg1).keys(getStringFromWasm0(arg2, arg3));
    const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    const len1 = WASM_VECTOR_LEN;
    getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
    getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
  }, arguments);
}
function __wbg_length_b5f0008bbf60cf59(arg0) {
  const ret = getObject(arg0).length;
  return ret;
}
function __wbg_new_343a093a3c2ffb4e(arg0, arg1) {
  const ret = new Error(getStringFromWasm0(arg0, arg1));
  return addHeapObject(ret);
}
function __wbg_new_from_slice_37a3c3a194266cb8(arg0, arg1) {
  const ret = new Uint32Array(getArrayU32FromWasm0(arg0, arg1));
  return addHeapObject(ret);
}
function __wbg_prototypesetcall_d49a4fab5ca427bc(arg0, arg1, arg2) {
  Float64Array.prototype.set.call(getArrayF64FromWasm0(arg0, arg1), getObject(arg2));
}
function __wbg_remove_b20afee15d07fe4b() {
  return handleError(function(arg0, arg1, arg2) {
    getObject(arg0).remove(getStringFromWasm0(arg1, arg2));
  }, arguments);
}
function __wbg_setAppended_4507ec3f816e8a60() {
  return handleError(function(arg0, arg1, arg2, arg3, arg4, arg5, arg6) {
    getObject(arg0).setAppended(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4), getStringFromWasm0(arg5, arg6));
  }, arguments);
}
function __wbg_setIndex_6f2493aa9de50cd0() {
  return handleError(function(arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11) {
    getObject(arg0).setIndex(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4), getStringFromWasm0(arg5, arg6), arg7 !== 0, getArrayF64FromWasm0(arg8, arg9), getStringFromWasm0(arg10, arg11));
  }, arguments);
}
function __wbg_set_1266e9b6c94e53a9() {
  return handleError(function(arg0, arg1, arg2, arg3, arg4) {
    getObject(arg0).set(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
  }, arguments);
}
function __wbg_set_145a351398b48c65() {
  return handleError(function(arg0, arg1, arg2) {
    const ret = Reflect.set(getObject(arg0), getObject(arg1), getObject(arg2));
    return ret;
  }, arguments);
}
function __wbg_set_name_2c630595dc90a7aa(arg0, arg1, arg2) {
  getObject(arg0).name = getStringFromWasm0(arg1, arg2);
}
function __wbg_usage_11df6cdba4d8fdb8() {
  return handleError(function(arg0, arg1) {
    const ret = getObject(arg1).usage();
    var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    var len1 = WASM_VECTOR_LEN;
    getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
    getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
  }, arguments);
}
function __wbindgen_generic_0000000000000001(arg0, arg1) {
  const ret = getStringFromWasm0(arg0, arg1);
  return addHeapObject(ret);
}
function __wbindgen_object_drop_ref(arg0) {
  takeObject(arg0);
}
var JimCacheFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm.__wbg_jimcache_free(ptr, 1));
function addHeapObject(obj) {
  if (heap_next === heap.length) heap.push(heap.length + 1);
  const idx = heap_next;
  heap_next = heap[idx];
  heap[idx] = obj;
  return idx;
}
function addBorrowedObject(obj) {
  if (stack_pointer == 1) throw new Error("out of js stack");
  heap[--stack_pointer] = obj;
  return stack_pointer;
}
function dropObject(idx) {
  if (idx < 1028) return;
  heap[idx] = heap_next;
  heap_next = idx;
}
function getArrayF64FromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return getFloat64ArrayMemory0().subarray(ptr / 8, ptr / 8 + len);
}
function getArrayU32FromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return getUint32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}
var cachedDataViewMemory0 = null;
function getDataViewMemory0() {
  if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || cachedDataViewMemory0.buffer.detached === void 0 && cachedDataViewMemory0.buffer !== wasm.memory.buffer) {
    cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
  }
  return cachedDataViewMemory0;
}
var cachedFloat64ArrayMemory0 = null;
function getFloat64ArrayMemory0() {
  if (cachedFloat64ArrayMemory0 === null || cachedFloat64ArrayMemory0.byteLength === 0) {
    cachedFloat64ArrayMemory0 = new Float64Array(wasm.memory.buffer);
  }
  return cachedFloat64ArrayMemory0;
}
function getStringFromWasm0(ptr, len) {
  return decodeText(ptr >>> 0, len);
}
var cachedUint32ArrayMemory0 = null;
function getUint32ArrayMemory0() {
  if (cachedUint32ArrayMemory0 === null || cachedUint32ArrayMemory0.byteLength === 0) {
    cachedUint32ArrayMemory0 = new Uint32Array(wasm.memory.buffer);
  }
  return cachedUint32ArrayMemory0;
}
var cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
  if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
    cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
  }
  return cachedUint8ArrayMemory0;
}
function getObject(idx) {
  return heap[idx];
}
function handleError(f, args) {
  try {
    return f.apply(this, args);
  } catch (e) {
    wasm.__wbindgen_exn_store(addHeapObject(e));
  }
}
var heap = new Array(1024).fill(void 0);
heap.push(void 0, null, true, false);
var heap_next = heap.length;
function isLikeNone(x) {
  return x === void 0 || x === null;
}
function passArrayF64ToWasm0(arg, malloc) {
  const ptr = malloc(arg.length * 8, 8) >>> 0;
  getFloat64ArrayMemory0().set(arg, ptr / 8);
  WASM_VECTOR_LEN = arg.length;
  return ptr;
}
function passStringToWasm0(arg, malloc, realloc) {
  if (realloc === void 0) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr2 = malloc(buf.length, 1) >>> 0;
    getUint8ArrayMemory0().subarray(ptr2, ptr2 + buf.length).set(buf);
    WASM_VECTOR_LEN = buf.length;
    return ptr2;
  }
  let len = arg.length;
  let ptr = malloc(len, 1) >>> 0;
  const mem = getUint8ArrayMemory0();
  let offset = 0;
  for (; offset < len; offset++) {
    const code = arg.charCodeAt(offset);
    if (code > 127) break;
    mem[ptr + offset] = code;
  }
  if (offset !== len) {
    if (offset !== 0) {
      arg = arg.slice(offset);
    }
    ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
    const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
    const ret = cachedTextEncoder.encodeInto(arg, view);
    offset += ret.written;
    ptr = realloc(ptr, len, offset, 1) >>> 0;
  }
  WASM_VECTOR_LEN = offset;
  return ptr;
}
var stack_pointer = 1024;
function takeObject(idx) {
  const ret = getObject(idx);
  dropObject(idx);
  return ret;
}
var cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
cachedTextDecoder.decode();
var MAX_SAFARI_DECODE_BYTES = 2146435072;
var numBytesDecoded = 0;
function decodeText(ptr, len) {
  numBytesDecoded += len;
  if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
    cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
    cachedTextDecoder.decode();
    numBytesDecoded = len;
  }
  return cachedTextDecoder.decode(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}
var cachedTextEncoder = new TextEncoder();
if (!("encodeInto" in cachedTextEncoder)) {
  cachedTextEncoder.encodeInto = function(arg, view) {
    const buf = cachedTextEncoder.encode(arg);
    view.set(buf);
    return {
      read: arg.length,
      written: buf.length
    };
  };
}
var WASM_VECTOR_LEN = 0;
var wasm;
function __wbg_set_wasm(val) {
  wasm = val;
}

// js/wx-storage.js
var REMEMBERED = 64;
var CLOSE = "]}";
var generations = /* @__PURE__ */ new WeakMap();
function isIndexKey(key) {
  var n = key.length;
  return n > 1 && key.charCodeAt(n - 1) === 105 && key.charCodeAt(n - 2) === 58;
}
function errorText(e) {
  if (e && typeof e === "object") return String(e.errMsg || e.message || e);
  return String(e);
}
function guard(fn) {
  try {
    return fn();
  } catch (e) {
    throw errorText(e);
  }
}
function directoryNumbers(text) {
  var dir;
  try {
    dir = JSON.parse(text);
  } catch (e) {
    return { unreadable: "not JSON" };
  }
  if (!dir || !Array.isArray(dir.c)) return { unreadable: "no conversation list" };
  var ids = [], numbers = [];
  for (var i = 0; i < dir.c.length; i++) {
    var entry = dir.c[i];
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string" || !Array.isArray(entry[1])) {
      return { unreadable: "an entry is not [id, chunks]" };
    }
    ids.push(entry[0]);
    numbers.push(entry[1].length);
    for (var j = 0; j < entry[1].length; j++) {
      var m = entry[1][j];
      if (!Array.isArray(m) || m.length !== 7) return { unreadable: "a chunk is not 7 numbers" };
      for (var k = 0; k < 7; k++) {
        if (typeof m[k] !== "number") return { unreadable: "a chunk field is not a number" };
        numbers.push(m[k]);
      }
    }
  }
  return { ids: JSON.stringify(ids), numbers: new Float64Array(numbers) };
}
var KINDS = { text: 1, image: 1, voice: 1, file: 1, location: 1, video: 1, custom: 1, unknown: 1 };
function whole(x) {
  return typeof x === "number" && x >= 0 && Number.isSafeInteger(x);
}
function readableRecord(x) {
  if (!Array.isArray(x) || x.length < 7 || x.length > 9) return false;
  if (!whole(x[0]) || !whole(x[1]) || KINDS[x[2]] !== 1 || typeof x[3] !== "string") return false;
  if (x[4] !== 0 && x[4] !== 1 || x[5] !== 0 && x[5] !== 1) return false;
  if (x.length > 7 && x[7] !== null && typeof x[7] !== "string") return false;
  return x.length < 9 || x[8] === null || whole(x[8]) && x[8] <= 4294967295;
}
function chunkPositions(text) {
  var chunk;
  try {
    chunk = JSON.parse(text);
  } catch (e) {
    return text;
  }
  if (!chunk || typeof chunk !== "object" || typeof chunk.c !== "string" || !Array.isArray(chunk.r)) return text;
  if (JSON.stringify(chunk) !== text) return text;
  var r = chunk.r, numbers = new Float64Array(2 * r.length);
  for (var i = 0; i < r.length; i++) {
    if (!readableRecord(r[i])) return text;
    numbers[2 * i] = r[i][0];
    numbers[2 * i + 1] = r[i][1];
  }
  return { conv: chunk.c, numbers };
}
function wxStorage(wx) {
  for (var name of ["getStorageSync", "setStorageSync", "removeStorageSync", "getStorageInfoSync"]) {
    if (!wx || typeof wx[name] !== "function") {
      throw new TypeError("storage must have " + name + "() (pass wx, or an object with the same methods)");
    }
  }
  var values = /* @__PURE__ */ new Map();
  var indexEntries = /* @__PURE__ */ new Map();
  if (!generations.has(wx)) generations.set(wx, /* @__PURE__ */ new Map());
  var current = generations.get(wx);
  var seen = /* @__PURE__ */ new Map();
  function generation(key) {
    return current.get(key) || 0;
  }
  function committed(key) {
    current.set(key, generation(key) + 1);
    seen.set(key, generation(key));
  }
  function remember(key, value) {
    values.delete(key);
    values.set(key, value);
    if (values.size > REMEMBERED) values.delete(values.keys().next().value);
  }
  function keysUnder(prefix) {
    var all = wx.getStorageInfoSync().keys || [];
    return all.filter(function(k) {
      return typeof k === "string" && k.indexOf(prefix) === 0;
    });
  }
  function read(key) {
    var v = wx.getStorageSync(key);
    if (v === "" || v === void 0 || v === null) return null;
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  return {
    get: function(key) {
      return guard(function() {
        var v = read(key);
        if (v !== null) remember(key, v);
        if (isIndexKey(key)) seen.set(key, generation(key));
        return v;
      });
    },
    set: function(key, value) {
      var index = isIndexKey(key);
      if (index && seen.has(key) && seen.get(key) !== generation(key)) {
        throw "setStorageSync:fail another handle of this account committed first; nothing was written";
      }
      guard(function() {
        wx.setStorageSync(key, value);
      });
      remember(key, value);
      if (index) committed(key);
    },
    // The index (the commit point): see the core's Storage::set_index. Its
    // entries (one per conversation, ~250 bytes each) are kept, so that a
    // call changing one conversation sends only that entry, and the value is
    // joined here natively instead of in the module.
    setIndex: function(key, head, tail, reset, ops, inserted) {
      var texts = inserted === "" ? [] : inserted.split("\n"), entries;
      if (reset) {
        entries = texts;
      } else {
        if (!indexEntries.has(key)) throw "setStorageSync:fail internal: no index entries to build on";
        entries = indexEntries.get(key).slice();
        for (var i = 0, t = 0; i < ops.length; i += 3) {
          entries.splice.apply(entries, [ops[i], ops[i + 1]].concat(texts.slice(t, t + ops[i + 2])));
          t += ops[i + 2];
        }
      }
      indexEntries.delete(key);
      this.set(key, head + entries.join(",") + tail);
      indexEntries.set(key, entries);
    },
    setAppended: function(key, base, insert) {
      var value = guard(function() {
        var b = values.has(base) ? values.get(base) : read(base);
        if (typeof b !== "string" || b.slice(-CLOSE.length) !== CLOSE) {
          throw "setAppended:fail append base " + base + " is missing or not a chunk";
        }
        var v = b.slice(0, b.length - CLOSE.length) + insert + CLOSE;
        wx.setStorageSync(key, v);
        return v;
      });
      remember(key, value);
    },
    // The directory value (older chunks' metadata) as numbers, parsed with
    // the engine's JSON.parse: on iOS a 30 KB text would cross into wasm
    // through an interpreted loop and be parsed there. Shape (checked by the
    // core): {ids: JSON of the conversation ids, numbers: per conversation
    // its chunk count, then 7 numbers per chunk}; {unreadable: why} for a
    // value that is not a directory; null when missing.
    getDirectory: function(key) {
      var text = this.get(key);
      return text === null ? null : directoryNumbers(text);
    },
    // A chunk value for where its records sit: {conv, numbers: [id, time]
    // per record} or its text (see chunkPositions); null when missing.
    getPositions: function(key) {
      var text = this.get(key);
      return text === null ? null : chunkPositions(text);
    },
    // A value for the glue's own reading (search): from what we hold, else
    // storage, without displacing what we hold. Throws WeChat's error text.
    peek: function(key) {
      return values.has(key) ? values.get(key) : guard(function() {
        return read(key);
      });
    },
    remove: function(key) {
      values.delete(key);
      guard(function() {
        wx.removeStorageSync(key);
      });
      if (isIndexKey(key)) committed(key);
    },
    // Whether another store on `wx` wrote an index this one has read since.
    stale: function() {
      var behind = false;
      seen.forEach(function(g2, key) {
        if (g2 !== generation(key)) behind = true;
      });
      return behind;
    },
    keys: function(prefix) {
      return guard(function() {
        return JSON.stringify(keysUnder(prefix));
      });
    },
    // The same keys without `prefix`, each after a "\n" (on iOS ~500 keys
    // as JSON would cross into the module through an interpreted loop and
    // be parsed there); null when a key holds a line break.
    keySuffixes: function(prefix) {
      return guard(function() {
        var ours = keysUnder(prefix), out = "";
        for (var i = 0; i < ours.length; i++) {
          if (ours[i].indexOf("\n") >= 0) return null;
          out += "\n" + ours[i].slice(prefix.length);
        }
        return out;
      });
    },
    // App-wide use, so the cache leaves room for the rest of the app. WeChat
    // reports "KB" of 1000 units; both numbers are approximate.
    usage: function() {
      try {
        var info = wx.getStorageInfoSync();
        if (typeof info.currentSize !== "number" || typeof info.limitSize !== "number") return null;
        return JSON.stringify([info.currentSize * 1e3, info.limitSize * 1e3]);
      } catch (e) {
        return null;
      }
    }
  };
}

// js/known.js
var KNOWN = 4096;
function Known() {
  this.ids = /* @__PURE__ */ new Map();
  this.entries = /* @__PURE__ */ new Map();
  this.epoch = -1;
}
Known.prototype.sync = function(epoch) {
  if (epoch !== this.epoch) {
    this.ids.clear();
    this.entries.clear();
    this.epoch = epoch;
  }
};
function primitive(v) {
  return v === null || typeof v !== "object";
}
Known.prototype.entryFields = function(e, add) {
  if (e === null) return NO_ENTRY;
  var f = [e.msg_type, e.from_gid, e.key, e.from_username, e.from_appkey];
  if (!f.every(primitive)) return void 0;
  var key = JSON.stringify(f), got = this.entries.get(key);
  if (got === void 0 && add) this.entries.set(key, got = f);
  return got;
};
var NO_ENTRY = [];
Known.prototype.has = function(m, ef) {
  var s = this.ids.get(m.msg_id);
  if (s === void 0) return false;
  var c = m.content;
  return s[0] === m.ctime_ms && s[1] === m.msg_type && s[2] === m.from_gid && s[3] === m.key && s[4] === m.from_username && s[5] === m.from_appkey && s[6] === c.target_type && s[7] === c.target_id && s[8] === c.target_appkey && s[9] === c.from_id && s[10] === c.from_appkey && s[11] === c.create_time && s[12] === c.msg_type && s[13] === c.from_name && s[14] === c.target_name && s[15] === ef;
};
Known.prototype.learn = function(items, epoch, messages, entries) {
  if (epoch !== this.epoch) {
    this.sync(epoch);
    return;
  }
  for (var i = 0; i < items.length; i++) {
    var m = messages[items[i]], ef = m && this.entryFields(entries[items[i]], true);
    if (ef === void 0 || !primitive(m.msg_id)) continue;
    var c = m.content;
    var s = [
      m.ctime_ms,
      m.msg_type,
      m.from_gid,
      m.key,
      m.from_username,
      m.from_appkey,
      c.target_type,
      c.target_id,
      c.target_appkey,
      c.from_id,
      c.from_appkey,
      c.create_time,
      c.msg_type,
      c.from_name,
      c.target_name
    ];
    if (!s.every(primitive)) continue;
    s.push(ef);
    this.ids.delete(m.msg_id);
    this.ids.set(m.msg_id, s);
  }
  while (this.ids.size > KNOWN) this.ids.delete(this.ids.keys().next().value);
  if (this.entries.size > KNOWN) this.sync(-1);
};
Known.prototype.copies = function(list) {
  if (this.ids.size === 0) return null;
  var skip = [], ids = [], any = false;
  for (var n = 0; n < list.length; n++) {
    var it = list[n];
    if (isObject(it) && Array.isArray(it.msgs)) {
      var named = !hasState(it), ef = this.entryFields(it, false);
      for (var j = 0; j < it.msgs.length; j++) {
        var m = it.msgs[j];
        if (!plainMessage(m)) return null;
        var hit = ef !== void 0 && this.has(m, ef);
        if (hit && !named) {
          named = true;
          hit = false;
        }
        skip.push(hit);
        ids.push(m.msg_id);
        any = any || hit;
      }
    } else if (plainMessage(it)) {
      var one = this.has(it, NO_ENTRY);
      skip.push(one);
      ids.push(it.msg_id);
      any = any || one;
    } else {
      return null;
    }
  }
  if (!any) return null;
  var repeated = repeatedIds(ids);
  if (repeated) {
    for (var k = 0; k < skip.length; k++) if (skip[k] && repeated.has(Number(ids[k]))) skip[k] = false;
  }
  return skip;
};
function repeatedIds(ids) {
  var sorted = new Float64Array(ids.length), out = null;
  for (var i = 0; i < ids.length; i++) sorted[i] = Number(ids[i]);
  sorted.sort();
  for (i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) (out || (out = /* @__PURE__ */ new Set())).add(sorted[i]);
  }
  return out;
}
function hasState(entry) {
  return entry.unread_msg_count != null || entry.receipt_msgs != null;
}
function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
function plainMessage(m) {
  return isObject(m) && m.msgs == null && m.messages == null && isObject(m.content);
}

// js/index.js
var loading = null;
var memory = null;
var SESSION = Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
function fail(code, message) {
  var e = new Error(code + ": " + message);
  e.name = "JimCacheError";
  e.code = code;
  return e;
}
function load(options) {
  if (loading) return loading;
  var imports = { "./jim_cache_bg.js": jim_cache_bg_exports };
  var started;
  try {
    if (typeof WXWebAssembly !== "undefined") {
      if (typeof options.wasmPath !== "string" || !options.wasmPath) {
        throw fail("BAD_ARGUMENT", 'wasmPath is required in WeChat: the package path of jim_cache_bg.wasm(.br), e.g. "/miniprogram_npm/jim-cache/jim_cache_bg.wasm.br"');
      }
      started = WXWebAssembly.instantiate(options.wasmPath, imports);
    } else if (typeof WebAssembly !== "undefined") {
      if (!options.wasm) throw fail("BAD_ARGUMENT", "outside WeChat pass the module bytes (or a WebAssembly.Module) as options.wasm");
      started = WebAssembly.instantiate(options.wasm, imports);
    } else {
      throw fail("BAD_ARGUMENT", "this runtime has neither WXWebAssembly nor WebAssembly");
    }
  } catch (e) {
    return Promise.reject(e);
  }
  loading = Promise.resolve(started).then(function(result) {
    var instance = result.instance || result;
    __wbg_set_wasm(instance.exports);
    memory = instance.exports.memory;
    if (typeof instance.exports.__wbindgen_start === "function") instance.exports.__wbindgen_start();
    return instance;
  });
  loading.catch(function() {
    loading = null;
  });
  return loading;
}
function toJson(value, what) {
  var text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw fail("BAD_PAYLOAD", what + " cannot be serialised: " + (e && e.message));
  }
  if (text === void 0) throw fail("BAD_PAYLOAD", what + " is " + typeof value + ", not a payload");
  return text;
}
function call(cache, fn) {
  if (!cache._inner) throw fail("CLOSED", "this cache was closed or broken; call openCache again");
  try {
    if (cache._storage.stale()) cache._inner.refresh();
    return fn(cache._inner);
  } catch (e) {
    if (e && e.name === "JimCacheError") throw e;
    cache._inner = null;
    loading = null;
    throw fail("INTERNAL", "the cache stopped after an internal error: " + (e && e.message));
  }
}
function Cache(inner, storage) {
  this._inner = inner;
  this._storage = storage;
  this._known = new Known();
  this.openReport = JSON.parse(inner.openReport());
}
function Packer() {
  this.contents = [];
  this.messages = [];
  this.entries = [];
  this.slots = [];
  this.values = [];
  this.strings = /* @__PURE__ */ new Map();
}
Packer.prototype.put = function(v) {
  var i;
  if (v === null || v === void 0) i = NaN;
  else if (typeof v === "number" && v >= 0 && Number.isSafeInteger(v)) i = v;
  else if (typeof v === "string") {
    i = this.strings.get(v);
    if (i === void 0) {
      this.strings.set(v, i = -this.values.push(v));
    }
  } else i = -this.values.push(v);
  this.slots.push(i);
};
function readMessage(m, entry, owner, p) {
  if (!plainMessage(m)) {
    p.slots.push(1, entry);
    p.put(m);
    return;
  }
  var c = m.content;
  p.messages.push(m);
  p.entries.push(owner);
  p.slots.push(0, entry, p.contents.push(c) - 1);
  p.put(m.msg_id);
  p.put(m.ctime_ms);
  p.put(m.msg_type);
  p.put(m.from_gid);
  p.put(m.key);
  p.put(m.from_username);
  p.put(m.from_appkey);
  p.put(c.target_type);
  p.put(c.target_id);
  p.put(c.target_appkey);
  p.put(c.from_id);
  p.put(c.from_appkey);
  p.put(c.create_time);
  p.put(c.msg_type);
  p.put(c.from_name);
  p.put(c.target_name);
}
function bodiesOf(contents, numbers) {
  var pairs = [];
  for (var i = 0; i < numbers.length; i++) {
    var c = contents[numbers[i]];
    pairs.push(c ? [c.msg_body, c.at_list] : [null, null]);
  }
  return toJson(pairs, "a message body");
}
function compactBatch(data, known) {
  var list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.messages) ? data.messages : null;
  if (!list) return null;
  var skip = known.copies(list), read = 0, skipped = 0;
  var entries = [], p = new Packer();
  for (var i = 0; i < list.length; i++) {
    if (isObject(list[i]) && Array.isArray(list[i].msgs)) entries.push(list[i]);
  }
  p.slots.push(entries.length);
  for (i = 0; i < entries.length; i++) {
    var e = entries[i];
    p.put(e.msg_type);
    p.put(e.from_gid);
    p.put(e.key);
    p.put(e.from_username);
    p.put(e.from_appkey);
    p.put(e.unread_msg_count);
    p.put(e.receipt_msgs);
  }
  for (var n = 0, k = 0; n < list.length; n++) {
    var it = list[n];
    if (isObject(it) && Array.isArray(it.msgs)) {
      for (var j = 0; j < it.msgs.length; j++) {
        if (skip && skip[read++]) skipped++;
        else readMessage(it.msgs[j], k, it, p);
      }
      k++;
    } else if (skip && skip[read++]) {
      skipped++;
    } else {
      readMessage(it, -1, null, p);
    }
  }
  var idle = skipped > 0 && p.messages.length === 0 && !entries.some(hasState);
  return { slots: p.slots, table: toJson(p.values, "data"), packer: p, skipped, idle };
}
function duplicatesOnly(n) {
  return { added: 0, duplicates: n, rejected: 0, retracted: 0, evicted: 0, ignored: 0, receipts: 0, updated: 0, pending: 0, conversations: [], reasons: [] };
}
Cache.prototype.cacheMsg = function(data, mode) {
  mode = String(mode);
  var known = this._known;
  for (; ; ) {
    call(this, function(c) {
      known.sync(c.epoch());
    });
    var compact = compactBatch(data, known), epoch = known.epoch;
    var text = compact === null ? toJson(data, "data") : null;
    var report = call(this, function(c) {
      if (compact === null) return JSON.parse(c.cacheMsg(text, mode));
      if (compact.skipped && c.epoch() !== epoch) return null;
      if (compact.idle && (mode === "history" || mode === "realtime")) return duplicatesOnly(compact.skipped);
      var p = compact.packer;
      var r = JSON.parse(c.cacheCompact(compact.slots, compact.table, mode, function(numbers) {
        return bodiesOf(p.contents, numbers);
      }));
      known.learn(c.knownItems(), c.epoch(), p.messages, p.entries);
      r.duplicates += compact.skipped;
      return r;
    });
    if (report !== null) return report;
  }
};
Cache.prototype.cacheSent = function(data, msg, localId) {
  var d = toJson(data, "data"), m = toJson(msg, "msg");
  return JSON.parse(call(this, function(c) {
    return localId == null ? c.cacheSent(d, m) : c.cacheSentEcho(d, m, String(localId));
  }));
};
Cache.prototype.addPending = function(conversationId, echo) {
  if (!isObject(echo)) throw fail("BAD_ARGUMENT", "addPending(conversationId, { type, body, localId? })");
  var body;
  try {
    body = JSON.stringify(echo.body);
  } catch (e) {
    body = void 0;
  }
  if (typeof body !== "string") throw fail("BAD_ARGUMENT", "addPending: body must be a JSON object");
  var localId = echo.localId == null ? void 0 : String(echo.localId);
  var now = Date.now();
  return JSON.parse(call(this, function(c) {
    return c.addPending(String(conversationId), String(echo.type), body, localId, now);
  }));
};
Cache.prototype.sendFailed = function(localId, reason) {
  var why = reason == null ? void 0 : String(reason);
  return call(this, function(c) {
    return c.sendFailed(String(localId), why);
  });
};
Cache.prototype.discardPending = function(localId) {
  return call(this, function(c) {
    return c.discardPending(String(localId));
  });
};
Cache.prototype.pending = function(conversationId) {
  var id = conversationId == null ? void 0 : String(conversationId);
  return JSON.parse(call(this, function(c) {
    return c.pending(id);
  }));
};
function searchedField(r) {
  var b = r[6];
  if (r[5] || !b) return null;
  switch (r[2]) {
    case "text":
      return b.text;
    case "file":
    case "video":
      return b.fname;
    case "location":
      return b.label;
    default:
      return null;
  }
}
function recordView(r) {
  var v = { id: r[0], type: r[2], body: r[6], time: r[1], from: r[3], out: r[4] === 1 };
  if (r[5] === 1) v.retracted = true;
  if (r[7] != null) v.fromName = r[7];
  if (r[8] != null) v.unreadCount = r[8];
  return v;
}
function newer(a, b) {
  return a.time > b.time || a.time === b.time && a.id > b.id;
}
function cursorPos(cursor) {
  if (!cursor) return null;
  var at = cursor.split("-");
  return { time: Number(at[0]), id: Number(at[1]) };
}
function pageLimit(options) {
  var limit = options && options.limit !== void 0 ? options.limit : 20;
  if (typeof limit !== "number" || limit !== Math.floor(limit) || limit < 1 || limit > 1e3) {
    throw fail("BAD_ARGUMENT", "limit must be an integer from 1 to 1000, got " + limit);
  }
  return limit;
}
Cache.prototype.search = function(text, options) {
  var limit = pageLimit(options);
  if (typeof text !== "string") throw fail("BAD_ARGUMENT", "search text must be a string");
  var conv = options && options.conversation != null ? String(options.conversation) : void 0;
  var cursor = options && options.before != null ? String(options.before) : void 0;
  var plan = JSON.parse(call(this, function(c) {
    return c.searchPlan(text, conv, cursor);
  }));
  var before = cursorPos(cursor);
  var needle = text.toLowerCase();
  var raw = JSON.stringify(needle).slice(1, -1);
  var storage = this._storage, hits = [], waiting = [];
  for (var i = 0; i < plan.length && hits.length <= limit; i++) {
    var value;
    try {
      value = storage.peek(plan[i][0]);
    } catch (e) {
      throw fail("STORAGE_IO", "search could not read the cache: " + e);
    }
    if (value && value.toLowerCase().indexOf(raw) >= 0) {
      var records = JSON.parse(value).r;
      for (var j = 0; j < records.length; j++) {
        var r = records[j], field = searchedField(r);
        if (typeof field !== "string" || field.toLowerCase().indexOf(needle) < 0) continue;
        var hit = { conversation: plan[i][1], time: r[1], id: r[0], r };
        if (!before || newer(before, hit)) waiting.push(hit);
      }
      waiting.sort(function(a, b) {
        return newer(a, b) ? -1 : 1;
      });
    }
    var next = plan[i + 1] ? { time: plan[i + 1][2], id: plan[i + 1][3] } : null;
    while (waiting.length && hits.length <= limit && (!next || newer(waiting[0], next))) hits.push(waiting.shift());
  }
  var more = hits.length > limit;
  hits.length = Math.min(hits.length, limit);
  var last = hits[hits.length - 1];
  return {
    hits: hits.map(function(h) {
      return { conversation: h.conversation, record: recordView(h.r) };
    }),
    before: more ? last.time + "-" + last.id : null
  };
};
function reportOf(cache, data, what, method) {
  var text = toJson(data, what);
  return JSON.parse(call(cache, function(c) {
    return c[method](text);
  }));
}
Cache.prototype.applyEvent = function(eventOrEvents) {
  return reportOf(this, eventOrEvents, "event", "applyEvent");
};
Cache.prototype.applyReceipts = function(data) {
  return reportOf(this, data, "receipts", "applyReceipts");
};
Cache.prototype.applyUnread = function(data) {
  return reportOf(this, data, "unread update", "applyUnread");
};
Cache.prototype.applyConversations = function(data) {
  return reportOf(this, data, "conversations", "applyConversations");
};
Cache.prototype.conversations = function() {
  return JSON.parse(call(this, function(c) {
    return c.conversations();
  }));
};
function pageFromChunks(storage, id, plan, limit, cursor) {
  var at = cursorPos(cursor);
  var out = [];
  for (var i = 0; i < plan.chunks.length && out.length <= limit; i++) {
    var value, chunk;
    try {
      value = storage.peek(plan.chunks[i].key);
      chunk = value && JSON.parse(value);
    } catch (e) {
      return null;
    }
    if (!chunk || chunk.c !== id || !Array.isArray(chunk.r) || chunk.r.length !== plan.chunks[i].count) return null;
    for (var j = chunk.r.length - 1; j >= 0 && out.length <= limit; j--) {
      var r = chunk.r[j];
      if (!at || r[1] < at.time || r[1] === at.time && r[0] < at.id) out.push(r);
    }
  }
  var more = out.length > limit;
  out.length = Math.min(out.length, limit);
  out.reverse();
  var messages = out.map(recordView);
  return { messages: plan.echoes ? messages.concat(plan.echoes) : messages, before: more ? out[0][1] + "-" + out[0][0] : null };
}
Cache.prototype.messages = function(id, options) {
  var limit = pageLimit(options);
  var before = options && options.before != null ? String(options.before) : void 0;
  id = String(id);
  var plan = JSON.parse(call(this, function(c) {
    return c.pagePlan(id, limit, before);
  }));
  return pageFromChunks(this._storage, id, plan, limit, before) || JSON.parse(call(this, function(c) {
    return c.messages(id, limit, before);
  }));
};
Cache.prototype.markRead = function(id) {
  return call(this, function(c) {
    return c.markRead(String(id));
  });
};
Cache.prototype.remove = function(id) {
  return call(this, function(c) {
    return c.remove(String(id));
  });
};
Cache.prototype.clear = function() {
  call(this, function(c) {
    c.clear();
  });
};
Cache.prototype.stats = function() {
  var s = JSON.parse(call(this, function(c) {
    return c.stats();
  }));
  s.wasmMemoryBytes = memory ? memory.buffer.byteLength : 0;
  return s;
};
Cache.prototype.close = function() {
  if (this._inner) this._inner.free();
  this._inner = null;
};
var OPTION_NAMES = ["storage", "appkey", "username", "wasmPath", "wasm", "prefix", "budgetBytes", "keyLimitBytes", "maxMessagesPerConversation", "chunkBytes"];
function openCache(options) {
  if (!options || typeof options !== "object") return Promise.reject(fail("BAD_ARGUMENT", "openCache needs an options object"));
  for (var k in options) {
    if (OPTION_NAMES.indexOf(k) < 0) return Promise.reject(fail("BAD_ARGUMENT", "unknown option " + k));
  }
  var storage;
  try {
    storage = wxStorage(options.storage);
  } catch (e) {
    return Promise.reject(fail("BAD_ARGUMENT", e.message));
  }
  var config = {
    appkey: options.appkey,
    username: options.username,
    prefix: options.prefix,
    budgetBytes: options.budgetBytes,
    keyLimitBytes: options.keyLimitBytes,
    maxMessagesPerConversation: options.maxMessagesPerConversation,
    chunkBytes: options.chunkBytes,
    session: SESSION
  };
  if (typeof config.appkey !== "string" || typeof config.username !== "string") {
    return Promise.reject(fail("BAD_ARGUMENT", "appkey and username must be strings"));
  }
  var text = JSON.stringify(config);
  return load(options).then(function() {
    return new Cache(new JimCache(storage, text), storage);
  });
}
var version = "0.1.0";
