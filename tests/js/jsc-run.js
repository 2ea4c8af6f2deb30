// Runs the shared suite (suite.js) under JavaScriptCore, the engine of
// WeChat on iOS. Start it from the repository root with the JIT off:
//
//   JSC_useJIT=false jsc tests/js/jsc-run.js
//
// jsc has no require and no TextEncoder/TextDecoder, like the mini-program
// logic layer. WebAssembly is hidden behind a WXWebAssembly that only takes a
// package path. Prints one line per test and "jsc: N passed, N failed".
load('tests/js/fake-wx.js');
load('tests/js/suite.js');

var realWebAssembly = WebAssembly;
var wxCalls = [];
var WXWebAssembly = {
  instantiate: function (packagePath, imports) {
    if (typeof packagePath !== 'string') return Promise.reject(new TypeError('WXWebAssembly.instantiate takes a package path only'));
    wxCalls.push(packagePath);
    return realWebAssembly.instantiate(readFile('pkg' + packagePath, 'binary'), imports);
  }
};
delete globalThis.WebAssembly;

// The package is CommonJS: evaluate it inside a module function with its own
// `module`, as WeChat's module system does (so nothing leaks into globals).
var pkgModule = { exports: {} };
new Function('module', 'exports', 'require', readFile('pkg/jim_cache.js'))(pkgModule, pkgModule.exports, undefined);
var jimCache = pkgModule.exports;
var fixtures = JSON.parse(readFile('tests/fixtures/jmessage-examples.json'));

var tests = [];
defineSuite(function (name, fn) { tests.push({ name: name, fn: fn }); },
  { openCache: jimCache.openCache, FakeWx: FakeWx, fixtures: fixtures, wasmPath: '/jim_cache_bg.wasm', wxCalls: wxCalls });

(async function () {
  var passed = 0, failed = 0;
  for (var t of tests) {
    var start = Date.now();
    try {
      await t.fn();
      passed++;
      print('ok - ' + t.name + ' (' + (Date.now() - start) + ' ms)');
    } catch (e) {
      failed++;
      print('not ok - ' + t.name + ': ' + (e && e.stack ? e.message + '\n' + e.stack : e));
    }
  }
  // jsc's exit code does not reflect failures: the runner script reads this line.
  print('jsc: ' + passed + ' passed, ' + failed + ' failed');
})();
