// A/B of one package against another in JavaScriptCore without JIT, in one
// process per package, best and median of five rounds: how each step of
// docs/BENCHMARKS.md ("What changed") was measured before it was kept, where
// the full benchmark's noise on a shared VM hides a 10-20% change.
//
//   scripts/build-pkg.sh /tmp/before          # at the commit before the change
//   JSC_useJIT=false jsc bench/ab-jsc.js -- /tmp/before
//   JSC_useJIT=false jsc bench/ab-jsc.js -- pkg
//
// Per round: a login sync of 20 conversations x 100 messages into an empty
// cache, the same sync again (all duplicates), and the same sync from a new
// cache over the same storage (a restart). The UTF-8 decoder has its own:
// bench/utf8-decode.js.
load('tests/js/fake-wx.js');
var dir = arguments[0] || 'pkg';
var realWebAssembly = WebAssembly;
var wasmBytes = readFile(dir + '/jim_cache_bg.wasm', 'binary');
var WXWebAssembly = { instantiate: function (p, imports) { return realWebAssembly.instantiate(wasmBytes, imports); } };
delete globalThis.WebAssembly;
var m = { exports: {} };
new Function('module', 'exports', 'require', readFile(dir + '/jim_cache.js'))(m, m.exports, undefined);
var pkg = m.exports;

var APPKEY = 'a1b2c3d4e5f60718293a4b5c', ME = 'wx_alice', T0 = 1717400000000, nextId = 60000000000;
function msg(peer, time, gid) {
  var id = nextId++;
  var text = '第' + id % 1000 + '条消息: see you at the east gate at 7:30, bring water';
  var content = { version: 1, target_type: gid ? 'group' : 'single', target_id: gid ? String(gid) : ME, from_id: peer, from_platform: 'web', create_time: time - 100, msg_type: 'text', msg_body: { text: text } };
  return gid ? { msg_id: id, ctime_ms: time, msg_type: 4, from_gid: gid, key: gid, msg_level: 'normal', need_receipt: false, content: content }
    : { msg_id: id, ctime_ms: time, msg_type: 3, from_username: peer, from_appkey: APPKEY, key: 1, msg_level: 'normal', need_receipt: false, content: content };
}
function syncPayload(convs, per) {
  var entries = [];
  for (var c = 0; c < convs; c++) {
    var group = c % 2 === 1, msgs = [];
    for (var j = 0; j < per; j++) msgs.push(msg(group ? 'member_' + (j % 7) : 'peer_' + c, T0 + j * 1000 + c, group ? 1000 + c : 0));
    entries.push(group ? { msg_type: 4, from_gid: 1000 + c, key: 1000 + c, msgs: msgs } : { msg_type: 3, from_username: 'peer_' + c, from_appkey: APPKEY, msgs: msgs });
  }
  return entries;
}
function ms(f) { var a = preciseTime(); f(); return (preciseTime() - a) * 1000; }
function summary(xs) {
  xs.sort(function (a, b) { return a - b; });
  return 'best ' + xs[0].toFixed(1) + ' median ' + xs[xs.length >> 1].toFixed(1) + ' ms';
}

(async function () {
  var first = [], again = [], restart = [];
  for (var r = 0; r < 5; r++) {
    var wx = new FakeWx({ totalLimit: 64 << 20, keyLimit: 16 << 20 });
    var opts = { storage: wx, appkey: APPKEY, username: ME, wasmPath: '/jim_cache_bg.wasm' };
    var c = await pkg.openCache(opts), sync = syncPayload(20, 100);
    gc();
    first.push(ms(function () { c.cacheMsg(sync, 'history'); }));
    again.push(ms(function () { c.cacheMsg(sync, 'history'); }));
    c.close();
    var d = await pkg.openCache(opts);
    gc();
    restart.push(ms(function () { d.cacheMsg(sync, 'history'); }));
    d.close();
  }
  print(dir + ': first sync ' + summary(first) + ' | again ' + summary(again) + ' | after a restart ' + summary(restart));
})().catch(function (e) { print('ERROR ' + e + '\n' + e.stack); });
