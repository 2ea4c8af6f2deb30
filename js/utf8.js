// UTF-8 TextEncoder/TextDecoder for runtimes that have none.
//
// WeChat's logic layer on devices has no TextEncoder/TextDecoder (DevTools
// does, which hides the bug), and wasm-bindgen's glue needs both at load
// time: `new TextDecoder('utf-8', {ignoreBOM: true, fatal: true})`, then
// `decode()` for every Rust -> JS string, and `encodeInto` for JS -> Rust.
// These two classes implement exactly that surface. They are small and
// written for the iOS case (JavaScriptCore without JIT): ASCII runs are
// copied in blocks, other code points are decoded one by one.

var BLOCK = 4096;

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
  while (i < n) {
    var b = bytes[i], cp = -1, need = 0;
    if (b < 0x80) { cp = b; need = 0; }
    else if (b >= 0xc2 && b < 0xe0) { cp = b & 0x1f; need = 1; }
    else if (b >= 0xe0 && b < 0xf0) { cp = b & 0x0f; need = 2; }
    else if (b >= 0xf0 && b < 0xf5) { cp = b & 0x07; need = 3; }
    var j = i + 1;
    for (var k = 0; k < need && cp >= 0; k++, j++) {
      var c = bytes[j];
      if (j >= n || (c & 0xc0) !== 0x80) { cp = -1; break; }
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if (cp >= 0 && ((need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)))) cp = -1;
    if (cp < 0) {
      if (this.fatal) throw new TypeError('The encoded data was not valid utf-8');
      cp = 0xfffd;
      j = i + 1;
    }
    i = j;
    if (cp > 0xffff) {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else {
      units.push(cp);
    }
    if (units.length >= BLOCK) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
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
