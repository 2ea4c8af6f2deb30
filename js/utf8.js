// UTF-8 TextEncoder/TextDecoder for runtimes that have none.
//
// WeChat's logic layer on devices has no TextEncoder/TextDecoder (DevTools
// does, which hides the bug), and wasm-bindgen's glue needs both at load
// time: `new TextDecoder('utf-8', {ignoreBOM: true, fatal: true})`, then
// `decode()` for every Rust -> JS string, and `encodeInto` for JS -> Rust.
// These two classes implement exactly that surface. Decoding, the heavy
// direction (every chunk the cache writes), hands the work to the engine's
// own native UTF-8 code through escape/decodeURIComponent where that is
// faster: 6-8x faster than a JS loop in JavaScriptCore without JIT (the iOS
// case), where every loop iteration is interpreted. A WHATWG-exact loop does
// the rest: invalid input, engines without `escape`, and V8. Encoding is a plain loop: measured, the native
// route (encodeURIComponent/unescape) gains nothing without a JIT, because
// the bytes must still be copied out one by one, and loses 4x with one.

var BLOCK = 4096;
// V8 (Android, DevTools) runs the plain loop 1.7x faster than the native
// route; JavaScriptCore without JIT (iOS) runs it 6-8x slower. V8 is told
// apart by its stack-trace format ("    at f (file:1:2)").
var nativeUri = typeof escape === 'function' && !/\n\s+at /.test(String(new Error().stack));

// Bytes as a "binary string" (one char per byte), built in native blocks.
function binaryString(bytes, from) {
  var s = '';
  for (var i = from; i < bytes.length; i += BLOCK) s += String.fromCharCode.apply(null, bytes.subarray(i, i + BLOCK));
  return s;
}

function Utf8Decoder(label, options) {
  label = label === undefined ? 'utf-8' : String(label).toLowerCase();
  if (label !== 'utf-8' && label !== 'utf8') throw new RangeError('Utf8Decoder supports utf-8 only, not ' + label);
  this.encoding = 'utf-8';
  this.fatal = !!(options && options.fatal);
  this.ignoreBOM = !!(options && options.ignoreBOM);
}

Utf8Decoder.prototype.decode = function (input) {
  if (input === undefined || input === null) return '';
  var bytes = input instanceof Uint8Array ? input
    : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    : new Uint8Array(input);
  var n = bytes.length, i = 0, out = '', units = [];
  if (!this.ignoreBOM && n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  if (nativeUri) {
    try {
      return decodeURIComponent(escape(binaryString(bytes, i)));
    } catch (e) {
      // Invalid UTF-8: decodeURIComponent refuses it; the loop below
      // throws (fatal) or substitutes U+FFFD, as TextDecoder does.
    }
  }
  // The WHATWG decoder: each maximal invalid subpart becomes one U+FFFD.
  var fatal = this.fatal, needed = 0, seen = 0, cp = 0, lower = 0x80, upper = 0xbf;
  function bad() {
    if (fatal) throw new TypeError('The encoded data was not valid utf-8');
    units.push(0xfffd);
  }
  for (; i < n; i++) {
    var b = bytes[i];
    if (needed === 0) {
      if (b <= 0x7f) units.push(b);
      else if (b >= 0xc2 && b <= 0xdf) { needed = 1; cp = b & 0x1f; }
      else if (b >= 0xe0 && b <= 0xef) { lower = b === 0xe0 ? 0xa0 : 0x80; upper = b === 0xed ? 0x9f : 0xbf; needed = 2; cp = b & 0x0f; }
      else if (b >= 0xf0 && b <= 0xf4) { lower = b === 0xf0 ? 0x90 : 0x80; upper = b === 0xf4 ? 0x8f : 0xbf; needed = 3; cp = b & 0x07; }
      else bad();
    } else if (b < lower || b > upper) {
      needed = seen = cp = 0; lower = 0x80; upper = 0xbf;
      bad();
      i--; // this byte starts afresh
    } else {
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (b & 0x3f);
      if (++seen === needed) {
        if (cp > 0xffff) { cp -= 0x10000; units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff)); }
        else units.push(cp);
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
  this.encoding = 'utf-8';
}

// Writes `str` into `view` as far as whole characters fit.
Utf8Encoder.prototype.encodeInto = function (str, view) {
  var read = 0, written = 0, n = str.length, cap = view.length;
  while (read < n) {
    var c = str.charCodeAt(read), size = 1, units = 1;
    // A run of ASCII, the usual case (keys, JSON, numbers): one test per
    // character (20-30% fewer interpreted steps in JSC without JIT).
    while (c < 0x80 && written < cap) {
      view[written++] = c;
      if (++read === n) return { read: read, written: written };
      c = str.charCodeAt(read);
    }
    if (c >= 0xd800 && c <= 0xdbff && read + 1 < n) {
      var d = str.charCodeAt(read + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); units = 2; }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    if (c >= 0x10000) size = 4; else if (c >= 0x800) size = 3; else if (c >= 0x80) size = 2;
    if (written + size > cap) break;
    if (size === 1) view[written++] = c;
    else if (size === 2) { view[written++] = 0xc0 | (c >> 6); view[written++] = 0x80 | (c & 0x3f); }
    else if (size === 3) { view[written++] = 0xe0 | (c >> 12); view[written++] = 0x80 | ((c >> 6) & 0x3f); view[written++] = 0x80 | (c & 0x3f); }
    else { view[written++] = 0xf0 | (c >> 18); view[written++] = 0x80 | ((c >> 12) & 0x3f); view[written++] = 0x80 | ((c >> 6) & 0x3f); view[written++] = 0x80 | (c & 0x3f); }
    read += units;
  }
  return { read: read, written: written };
};

Utf8Encoder.prototype.encode = function (str) {
  str = str === undefined ? '' : String(str);
  var buf = new Uint8Array(str.length * 3);
  var r = this.encodeInto(str, buf);
  return buf.slice(0, r.written);
};

export { Utf8Decoder, Utf8Encoder };
