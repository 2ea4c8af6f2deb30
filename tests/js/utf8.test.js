// The UTF-8 codec the package carries for runtimes without TextEncoder/TextDecoder
// (js/utf8.js), compared with Node's own on tricky inputs, with its native
// fast path (escape/decodeURIComponent) and without it.
'use strict';
const { test } = require('node:test');
const vm = require('vm');
const fs = require('fs');

test('js/utf8.js matches TextEncoder/TextDecoder, fast path and loop', () => {
const src = fs.readFileSync(require('path').join(__dirname, '..', '..', 'js', 'utf8.js'),'utf8').replace('export { Utf8Decoder, Utf8Encoder };','this.D=Utf8Decoder;this.E=Utf8Encoder;');
for (const withUri of [true, false]) {
  const ctx = { Uint8Array, ArrayBuffer, String, RangeError, TypeError };
  if (withUri) { ctx.escape = escape; ctx.unescape = unescape; ctx.decodeURIComponent = decodeURIComponent; ctx.encodeURIComponent = encodeURIComponent; }
  vm.createContext(ctx); vm.runInContext(src, ctx);
  const samples = ['', 'abc', '你好😀', '%41 %%', 'x'.repeat(10000) + '字', '\u0000\u007f\u0080\u07ff\u0800\uffff', '\ud83d\ude00\ud83d', 'a\udc00b', '🀄'.repeat(3000)];
  for (const s of samples) {
    const enc = new TextEncoder().encode(s);
    const view = new Uint8Array(s.length * 3 + 4);
    const r = new ctx.E().encodeInto(s, view);
    if (Buffer.compare(Buffer.from(view.subarray(0, r.written)), Buffer.from(enc)) !== 0 || r.read !== s.length) throw new Error('encode mismatch ' + JSON.stringify(s.slice(0,20)) + ' uri=' + withUri);
    // A view too small: as many whole characters as fit, as TextEncoder does.
    for (const cap of [0, 1, 2, 3, 4, 5, 7, 11]) {
      const want = new Uint8Array(cap), got = new Uint8Array(cap);
      const w = new TextEncoder().encodeInto(s, want), g = new ctx.E().encodeInto(s, got);
      if (w.read !== g.read || w.written !== g.written || Buffer.compare(Buffer.from(want), Buffer.from(got)) !== 0) throw new Error('encodeInto cap ' + cap + ' mismatch on ' + JSON.stringify(s.slice(0, 20)));
    }
    const dec = new ctx.D('utf-8', { fatal: true, ignoreBOM: true }).decode(enc);
    if (dec !== new TextDecoder().decode(enc)) throw new Error('decode mismatch ' + withUri);
  }
  for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe4, 0xbd], [0x61, 0xf4, 0x90, 0x80, 0x80]]) {
    let threw = false; try { new ctx.D('utf-8', { fatal: true }).decode(new Uint8Array(bad)); } catch (e) { threw = e instanceof TypeError || e.name === 'TypeError'; }
    if (!threw) throw new Error('fatal did not throw on ' + bad + ' uri=' + withUri);
    const lax = new ctx.D('utf-8').decode(new Uint8Array(bad));
    if (lax !== new TextDecoder().decode(new Uint8Array(bad))) throw new Error('lax mismatch ' + bad + ': ' + JSON.stringify(lax) + ' vs ' + JSON.stringify(new TextDecoder().decode(new Uint8Array(bad))) + ' uri=' + withUri);
  }
}
});
