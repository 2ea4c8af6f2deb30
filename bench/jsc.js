// The benchmark scenarios under JavaScriptCore (bench/run.js starts it with
// JSC_useJIT=false). Prints progress lines and one "RESULT {json}" line.
load('tests/js/fake-wx.js');
load('bench/impls.js');
load('bench/scenarios.js');

var cfg = JSON.parse(arguments[0]);
var realWebAssembly = WebAssembly;
var wasmBytes = readFile('pkg/jim_cache_bg.wasm', 'binary');
var WXWebAssembly = {
  instantiate: function (p, imports) { return realWebAssembly.instantiate(wasmBytes, imports); }
};
delete globalThis.WebAssembly;
var source = readFile('pkg/jim_cache.js');
function loadPackage() {
  var m = { exports: {} };
  new Function('module', 'exports', 'require', source)(m, m.exports, undefined);
  return m.exports;
}
var pkg = loadPackage();
function options(wx, extra) {
  var o = { storage: wx, appkey: 'a1b2c3d4e5f60718293a4b5c', username: 'wx_alice', wasmPath: '/jim_cache_bg.wasm' };
  for (var k in extra || {}) o[k] = extra[k];
  return o;
}
var host = {
  now: function () { return preciseTime() * 1000; },
  FakeWx: FakeWx, UsualCache: UsualCache, CarefulCache: CarefulCache,
  openOurs: function (wx, extra) { return pkg.openCache(options(wx, extra)); },
  coldOpen: function (wx, extra) { pkg = loadPackage(); return pkg.openCache(options(wx, extra)); },
  gc: function () { gc(); },
  log: function (s) { print('  jsc: ' + s); }
};
benchScenarios.run(host, cfg).then(function (r) { print('RESULT ' + JSON.stringify(r)); }, function (e) { print('ERROR ' + e + '\n' + e.stack); });
