// The UTF-8 decoder the package carries (js/utf8.js; WeChat on iOS has no
// TextDecoder), one decode at a time in JavaScriptCore without JIT, best of
// many: ASCII JSON, a storage key, a record with CJK text, an 8 KB chunk.
//
//   JSC_useJIT=false jsc bench/utf8-decode.js -- js/utf8.js
//   git show <rev>:js/utf8.js > /tmp/utf8-before.js
//   JSC_useJIT=false jsc bench/utf8-decode.js -- /tmp/utf8-before.js
var file = arguments[0] || 'js/utf8.js';
var codec = new Function(readFile(file).replace(/^export /gm, '') + '\nreturn { Utf8Decoder: Utf8Decoder };')();
var decoder = new codec.Utf8Decoder('utf-8', { ignoreBOM: true, fatal: true });
function bytes(s) {
  var u = unescape(encodeURIComponent(s)), b = new Uint8Array(u.length);
  for (var i = 0; i < u.length; i++) b[i] = u.charCodeAt(i);
  return b;
}
var record = '[60000000123,1717400000123,"text","peer_0",0,0,{"text":"第123条消息: see you at the east gate at 7:30, bring water"}]';
var inputs = {
  'ASCII JSON, 136 B': bytes('{"v":3,"n":12,"p":[],"d":null,"c":[{"i":"single:a1b2c3d4e5f60718293a4b5c:peer_0","l":[1,2,"text","peer_0",0,0,{"text":"hello"}],"u":3}]}'),
  'a key, 42 B': bytes('jimc:a1b2c3d4e5f60718293a4b5c:wx_alice:c12'),
  'a record with CJK text': bytes(record),
  'a chunk of 50 such records': bytes('{"c":"single:x:y","r":[' + new Array(50).fill(record).join(',') + ']}')
};
for (var name in inputs) {
  var b = inputs[name], n = b.length > 1000 ? 200 : 5000, best = 1e9;
  for (var round = 0; round < 5; round++) {
    var t = preciseTime();
    for (var i = 0; i < n; i++) decoder.decode(b);
    best = Math.min(best, (preciseTime() - t) * 1e6 / n);
  }
  print(file + ': ' + name + ' (' + b.length + ' bytes): ' + best.toFixed(1) + ' us');
}
