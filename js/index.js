// jim-cache: a persistent JMessage message cache for WeChat mini-programs.
//
// This file is the whole hand-written API; the work happens in Rust (see
// src/). It loads the wasm module once, through WXWebAssembly inside WeChat
// (it only takes a package path) or WebAssembly elsewhere (Node tests), and
// wraps the core in a small class that takes and returns plain objects.
// The build bundles it with wasm-bindgen's glue into one CommonJS file.

import * as bg from '../build/bg/jim_cache_bg.js';
import { wxStorage } from './wx-storage.js';
import { Known, hasState, isObject, plainMessage } from './known.js';

var loading = null;
var memory = null; // the instance's memory, for stats().wasmMemoryBytes
// This process's token: local echoes still 'sending' under another one were
// sent by a process that died, and show 'failed' (src/echo.rs).
var SESSION = Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);

function fail(code, message) {
  var e = new Error(code + ': ' + message);
  e.name = 'JimCacheError';
  e.code = code;
  return e;
}

// Instantiates the module once per process; a failed load can be retried.
function load(options) {
  if (loading) return loading;
  var imports = { './jim_cache_bg.js': bg };
  var started;
  try {
    if (typeof WXWebAssembly !== 'undefined') {
      if (typeof options.wasmPath !== 'string' || !options.wasmPath) {
        throw fail('BAD_ARGUMENT', 'wasmPath is required in WeChat: the package path of jim_cache_bg.wasm(.br), e.g. "/miniprogram_npm/jim-cache/jim_cache_bg.wasm.br"');
      }
      started = WXWebAssembly.instantiate(options.wasmPath, imports);
    } else if (typeof WebAssembly !== 'undefined') {
      if (!options.wasm) throw fail('BAD_ARGUMENT', 'outside WeChat pass the module bytes (or a WebAssembly.Module) as options.wasm');
      started = WebAssembly.instantiate(options.wasm, imports);
    } else {
      throw fail('BAD_ARGUMENT', 'this runtime has neither WXWebAssembly nor WebAssembly');
    }
  } catch (e) {
    return Promise.reject(e);
  }
  loading = Promise.resolve(started).then(function (result) {
    var instance = result.instance || result;
    bg.__wbg_set_wasm(instance.exports);
    memory = instance.exports.memory;
    if (typeof instance.exports.__wbindgen_start === 'function') instance.exports.__wbindgen_start();
    return instance;
  });
  loading.catch(function () { loading = null; });
  return loading;
}

function toJson(value, what) {
  var text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw fail('BAD_PAYLOAD', what + ' cannot be serialised: ' + (e && e.message));
  }
  if (text === undefined) throw fail('BAD_PAYLOAD', what + ' is ' + (typeof value) + ', not a payload');
  return text;
}

// A call into wasm. Our errors pass through; a trap (a bug) leaves the
// instance unusable, so the module is dropped and must be opened again.
function call(cache, fn) {
  if (!cache._inner) throw fail('CLOSED', 'this cache was closed or broken; call openCache again');
  try {
    // Another handle of this account committed: catch up first.
    if (cache._storage.stale()) cache._inner.refresh();
    return fn(cache._inner);
  } catch (e) {
    if (e && e.name === 'JimCacheError') throw e;
    cache._inner = null;
    loading = null;
    throw fail('INTERNAL', 'the cache stopped after an internal error: ' + (e && e.message));
  }
}

function Cache(inner, storage) {
  this._inner = inner;
  this._storage = storage;
  this._known = new Known(); // see known.js
  // What opening found and repaired: {reset, rebuilt, orphansRemoved, chunksDropped, messagesDropped}.
  this.openReport = JSON.parse(inner.openReport());
}

// ---- the compact batch (src/compact.rs) ---------------------------------
// On iOS both this file and the wasm module are interpreted, and a string
// crosses into the module through an interpreted UTF-8 loop, while a
// Float64Array is copied in natively. So the fields the core reads are
// picked here by property reads and handed over as numbers, by position:
// safe integers as themselves, null/missing as NaN, anything else as -(i+1)
// for value i of one small JSON table (each distinct string once). What is
// not a plain message or sync entry travels as it was, and the core decides
// it exactly as it would have in the whole payload. Bodies stay here: the
// core asks for the bodies of the messages it stores (bodiesOf), so the
// duplicates of a re-sync never cross. Copies of messages the core has said
// it holds are not packed at all (known.js).

function Packer() {
  this.contents = []; // by body number
  this.messages = []; // by body number
  this.entries = []; // by body number: the message's sync entry, or null
  this.slots = [];
  this.values = [];
  this.strings = new Map();
}

Packer.prototype.put = function (v) {
  var i;
  if (v === null || v === undefined) i = NaN;
  else if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) i = v;
  else if (typeof v === 'string') {
    i = this.strings.get(v);
    if (i === undefined) { this.strings.set(v, i = -this.values.push(v)); }
  } else i = -this.values.push(v);
  this.slots.push(i);
};

function readMessage(m, entry, owner, p) {
  if (!plainMessage(m)) { p.slots.push(1, entry); p.put(m); return; }
  var c = m.content;
  p.messages.push(m);
  p.entries.push(owner);
  p.slots.push(0, entry, p.contents.push(c) - 1);
  p.put(m.msg_id); p.put(m.ctime_ms); p.put(m.msg_type); p.put(m.from_gid); p.put(m.key); p.put(m.from_username); p.put(m.from_appkey);
  p.put(c.target_type); p.put(c.target_id); p.put(c.target_appkey); p.put(c.from_id); p.put(c.from_appkey); p.put(c.create_time);
  p.put(c.msg_type); p.put(c.from_name); p.put(c.target_name);
}

// The JSON text of [msg_body, at_list] of each numbered message.
function bodiesOf(contents, numbers) {
  var pairs = [];
  for (var i = 0; i < numbers.length; i++) {
    var c = contents[numbers[i]];
    pairs.push(c ? [c.msg_body, c.at_list] : [null, null]);
  }
  return toJson(pairs, 'a message body');
}

// `data` as the compact batch ({slots, table, packer}), or null for the shapes
// left to the core's reader of the whole payload (one entry or message, or no
// batch). Messages `known` holds are left out and counted (`skipped`).
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
    p.put(e.msg_type); p.put(e.from_gid); p.put(e.key); p.put(e.from_username); p.put(e.from_appkey); p.put(e.unread_msg_count); p.put(e.receipt_msgs);
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
  return { slots: p.slots, table: toJson(p.values, 'data'), packer: p, skipped: skipped, idle: idle };
}

// What the core reports for a call whose every message is a known copy and
// whose entries carry no state: `duplicates` of them, nothing else.
function duplicatesOnly(n) {
  return { added: 0, duplicates: n, rejected: 0, retracted: 0, evicted: 0, ignored: 0, receipts: 0, updated: 0, pending: 0, conversations: [], reasons: [] };
}

// data: exactly what onSyncConversation ('history') or onMsgReceive ('realtime') received.
Cache.prototype.cacheMsg = function (data, mode) {
  mode = String(mode);
  var known = this._known;
  for (;;) {
    call(this, function (c) { known.sync(c.epoch()); }); // after a refresh, if one was due
    // Read here, not inside call(): a throwing getter in the payload is the
    // caller's error, not the module's.
    var compact = compactBatch(data, known), epoch = known.epoch;
    var text = compact === null ? toJson(data, 'data') : null;
    var report = call(this, function (c) {
      if (compact === null) return JSON.parse(c.cacheMsg(text, mode));
      // Something reading the payload changed the cache: read it again.
      if (compact.skipped && c.epoch() !== epoch) return null;
      if (compact.idle && (mode === 'history' || mode === 'realtime')) return duplicatesOnly(compact.skipped);
      var p = compact.packer;
      var r = JSON.parse(c.cacheCompact(compact.slots, compact.table, mode, function (numbers) { return bodiesOf(p.contents, numbers); }));
      known.learn(c.knownItems(), c.epoch(), p.messages, p.entries);
      r.duplicates += compact.skipped;
      return r;
    });
    if (report !== null) return report;
  }
};

// The two arguments of a send's onSuccess(data, msg); with the localId of
// its echo (addPending), the stored message replaces the echo.
Cache.prototype.cacheSent = function (data, msg, localId) {
  var d = toJson(data, 'data'), m = toJson(msg, 'msg');
  return JSON.parse(call(this, function (c) {
    return localId == null ? c.cacheSent(d, m) : c.cacheSentEcho(d, m, String(localId));
  }));
};

// ---- local echoes (src/echo.rs) -------------------------------------------

// Shows a message being sent at once, and keeps it across restarts.
Cache.prototype.addPending = function (conversationId, echo) {
  if (!isObject(echo)) throw fail('BAD_ARGUMENT', 'addPending(conversationId, { type, body, localId? })');
  var body;
  try { body = JSON.stringify(echo.body); } catch (e) { body = undefined; }
  if (typeof body !== 'string') throw fail('BAD_ARGUMENT', 'addPending: body must be a JSON object');
  var localId = echo.localId == null ? undefined : String(echo.localId);
  var now = Date.now();
  return JSON.parse(call(this, function (c) { return c.addPending(String(conversationId), String(echo.type), body, localId, now); }));
};

Cache.prototype.sendFailed = function (localId, reason) {
  var why = reason == null ? undefined : String(reason);
  return call(this, function (c) { return c.sendFailed(String(localId), why); });
};

Cache.prototype.discardPending = function (localId) {
  return call(this, function (c) { return c.discardPending(String(localId)); });
};

// Echoes, sending and failed, oldest first: for a retry UI.
Cache.prototype.pending = function (conversationId) {
  var id = conversationId == null ? undefined : String(conversationId);
  return JSON.parse(call(this, function (c) { return c.pending(id); }));
};

// ---- search -----------------------------------------------------------------
// The core plans (which chunks, newest first); the scan is here, because on
// iOS the engine's own toLowerCase/indexOf/JSON.parse are native while the
// core is interpreted: a chunk whose stored text does not contain the
// needle is skipped without being parsed. What is searched: a text's
// `text`, a file's or video's `fname`, a location's `label`; retracted
// messages have no body, echoes are not stored in chunks.

function searchedField(r) {
  var b = r[6];
  if (r[5] || !b) return null;
  switch (r[2]) {
    case 'text': return b.text;
    case 'file': case 'video': return b.fname;
    case 'location': return b.label;
    default: return null;
  }
}

// A stored record ([id, time, type, from, out, retracted, body, fromName?,
// unreadCount?], src/record.rs) as messages() returns it.
function recordView(r) {
  var v = { id: r[0], type: r[2], body: r[6], time: r[1], from: r[3], out: r[4] === 1 };
  if (r[5] === 1) v.retracted = true;
  if (r[7] != null) v.fromName = r[7];
  if (r[8] != null) v.unreadCount = r[8];
  return v;
}

function newer(a, b) { return a.time > b.time || (a.time === b.time && a.id > b.id); }

// A `before` cursor ("<time>-<id>", checked by the core) as {time, id}, or null.
function cursorPos(cursor) {
  if (!cursor) return null;
  var at = cursor.split('-');
  return { time: Number(at[0]), id: Number(at[1]) };
}

// options.limit of a page (default 20).
function pageLimit(options) {
  var limit = options && options.limit !== undefined ? options.limit : 20;
  if (typeof limit !== 'number' || limit !== Math.floor(limit) || limit < 1 || limit > 1000) {
    throw fail('BAD_ARGUMENT', 'limit must be an integer from 1 to 1000, got ' + limit);
  }
  return limit;
}

Cache.prototype.search = function (text, options) {
  var limit = pageLimit(options);
  if (typeof text !== 'string') throw fail('BAD_ARGUMENT', 'search text must be a string');
  var conv = options && options.conversation != null ? String(options.conversation) : undefined;
  var cursor = options && options.before != null ? String(options.before) : undefined;
  var plan = JSON.parse(call(this, function (c) { return c.searchPlan(text, conv, cursor); }));
  var before = cursorPos(cursor);
  var needle = text.toLowerCase();
  var raw = JSON.stringify(needle).slice(1, -1); // as it appears inside stored JSON
  var storage = this._storage, hits = [], waiting = [];
  // One more hit than asked: then `before` is null exactly on the last page.
  for (var i = 0; i < plan.length && hits.length <= limit; i++) {
    var value;
    try { value = storage.peek(plan[i][0]); } catch (e) { throw fail('STORAGE_IO', 'search could not read the cache: ' + e); }
    if (value && value.toLowerCase().indexOf(raw) >= 0) {
      var records = JSON.parse(value).r;
      for (var j = 0; j < records.length; j++) {
        var r = records[j], field = searchedField(r);
        if (typeof field !== 'string' || field.toLowerCase().indexOf(needle) < 0) continue;
        var hit = { conversation: plan[i][1], time: r[1], id: r[0], r: r };
        if (!before || newer(before, hit)) waiting.push(hit);
      }
      waiting.sort(function (a, b) { return newer(a, b) ? -1 : 1; });
    }
    // Later chunks hold nothing newer than the next one's newest record.
    var next = plan[i + 1] ? { time: plan[i + 1][2], id: plan[i + 1][3] } : null;
    while (waiting.length && hits.length <= limit && (!next || newer(waiting[0], next))) hits.push(waiting.shift());
  }
  var more = hits.length > limit;
  hits.length = Math.min(hits.length, limit);
  var last = hits[hits.length - 1];
  return {
    hits: hits.map(function (h) { return { conversation: h.conversation, record: recordView(h.r) }; }),
    before: more ? last.time + '-' + last.id : null
  };
};

// A call that takes one SDK object as JSON and returns a report.
function reportOf(cache, data, what, method) {
  var text = toJson(data, what);
  return JSON.parse(call(cache, function (c) { return c[method](text); }));
}

// One event (onEventNotification) or an array (onSyncEvent).
Cache.prototype.applyEvent = function (eventOrEvents) {
  return reportOf(this, eventOrEvents, 'event', 'applyEvent');
};

// onMsgReceiptChange's object or onSyncMsgReceipt's array: read receipts of your own messages.
Cache.prototype.applyReceipts = function (data) {
  return reportOf(this, data, 'receipts', 'applyReceipts');
};

// onMutiUnreadMsgUpdate's object: the conversation was read on another device.
Cache.prototype.applyUnread = function (data) {
  return reportOf(this, data, 'unread update', 'applyUnread');
};

// getConversation()'s onSuccess data: names, avatars and unread counts.
Cache.prototype.applyConversations = function (data) {
  return reportOf(this, data, 'conversations', 'applyConversations');
};

Cache.prototype.conversations = function () {
  return JSON.parse(call(this, function (c) { return c.conversations(); }));
};

// A page read here from the chunks the core names (their JSON.parse is
// native; the core's is interpreted): null when one is missing or does not
// check out, and the core reads the page instead (and forgets a damaged chunk).
function pageFromChunks(storage, id, plan, limit, cursor) {
  var at = cursorPos(cursor);
  var out = [];
  for (var i = 0; i < plan.chunks.length && out.length <= limit; i++) {
    var value, chunk;
    try { value = storage.peek(plan.chunks[i].key); chunk = value && JSON.parse(value); } catch (e) { return null; }
    if (!chunk || chunk.c !== id || !Array.isArray(chunk.r) || chunk.r.length !== plan.chunks[i].count) return null;
    for (var j = chunk.r.length - 1; j >= 0 && out.length <= limit; j--) {
      var r = chunk.r[j];
      if (!at || r[1] < at.time || (r[1] === at.time && r[0] < at.id)) out.push(r);
    }
  }
  var more = out.length > limit;
  out.length = Math.min(out.length, limit);
  out.reverse();
  var messages = out.map(recordView);
  return { messages: plan.echoes ? messages.concat(plan.echoes) : messages, before: more ? out[0][1] + '-' + out[0][0] : null };
}

// Newest page first; pass the returned `before` for the next older page.
Cache.prototype.messages = function (id, options) {
  var limit = pageLimit(options);
  var before = options && options.before != null ? String(options.before) : undefined;
  id = String(id);
  var plan = JSON.parse(call(this, function (c) { return c.pagePlan(id, limit, before); }));
  return pageFromChunks(this._storage, id, plan, limit, before) ||
    JSON.parse(call(this, function (c) { return c.messages(id, limit, before); }));
};

Cache.prototype.markRead = function (id) {
  return call(this, function (c) { return c.markRead(String(id)); });
};

Cache.prototype.remove = function (id) {
  return call(this, function (c) { return c.remove(String(id)); });
};

Cache.prototype.clear = function () {
  call(this, function (c) { c.clear(); });
};

Cache.prototype.stats = function () {
  var s = JSON.parse(call(this, function (c) { return c.stats(); }));
  // Linear memory of the wasm instance (shared by every cache of this process).
  s.wasmMemoryBytes = memory ? memory.buffer.byteLength : 0;
  return s;
};

// Frees the wasm-side object (WeChat may lack FinalizationRegistry).
Cache.prototype.close = function () {
  if (this._inner) this._inner.free();
  this._inner = null;
};

var OPTION_NAMES = ['storage', 'appkey', 'username', 'wasmPath', 'wasm', 'prefix', 'budgetBytes', 'keyLimitBytes', 'maxMessagesPerConversation', 'chunkBytes'];

export function openCache(options) {
  if (!options || typeof options !== 'object') return Promise.reject(fail('BAD_ARGUMENT', 'openCache needs an options object'));
  for (var k in options) {
    if (OPTION_NAMES.indexOf(k) < 0) return Promise.reject(fail('BAD_ARGUMENT', 'unknown option ' + k));
  }
  var storage;
  try {
    storage = wxStorage(options.storage);
  } catch (e) {
    return Promise.reject(fail('BAD_ARGUMENT', e.message));
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
  if (typeof config.appkey !== 'string' || typeof config.username !== 'string') {
    return Promise.reject(fail('BAD_ARGUMENT', 'appkey and username must be strings'));
  }
  var text = JSON.stringify(config);
  return load(options).then(function () {
    return new Cache(new bg.JimCache(storage, text), storage);
  });
}

// Replaced by the build with the crate version.
export var version = __JIM_CACHE_VERSION__;
