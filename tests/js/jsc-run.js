// Runs the shared suite (suite.js) under JavaScriptCore, the engine of
// WeChat on iOS. Start it from the repository root with the JIT off:
//
//   JSC_useJIT=false jsc tests/js/jsc-run.js
//
// jsc has no require and no TextEncoder/TextDecoder, like the mini-program
// logic layer. WebAssembly is hidden behind a WXWebAssembly that only takes a
// package path. Prints one line per test and "jsc: N passed, N failed".
//
//   JSC_useJIT=false jsc tests/js/jsc-run.js -- build/compiled/es6-on/miniprogram_npm/jim-cache/jim_cache.js
//
// runs it on another copy of the glue: what WeChat's compiler makes of it
// (the module itself is always pkg/'s: compiling leaves it as it is).
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
// The compiled glue requires @babel/runtime helpers by relative path: a
// minimal require resolves those the same way.
function loadModule(file, cache) {
  if (cache[file]) return cache[file].exports;
  var m = cache[file] = { exports: {} };
  var dir = file.slice(0, file.lastIndexOf('/') + 1);
  function require(spec) {
    if (spec.charAt(0) !== '.') throw new Error('jsc-run: cannot require ' + spec);
    var parts = (dir + spec).split('/'), out = [];
    for (var p of parts) { if (p === '..') out.pop(); else if (p !== '.') out.push(p); }
    var target = out.join('/');
    return loadModule(/\.js$/.test(target) ? target : target + '.js', cache);
  }
  new Function('module', 'exports', 'require', readFile(file))(m, m.exports, require);
  return m.exports;
}
var gluePath = (typeof arguments !== 'undefined' && arguments[0]) || 'pkg/jim_cache.js';
var jimCache = loadModule(gluePath, {});
print('jsc: glue ' + gluePath);
var fixtures = JSON.parse(readFile('tests/fixtures/jmessage-examples.json'));

var tests = [];
defineSuite(function (name, fn) { tests.push({ name: name, fn: fn }); },
  { openCache: jimCache.openCache, FakeWx: FakeWx, fixtures: fixtures, wasmPath: '/jim_cache_bg.wasm', wxCalls: wxCalls,
    freshGlue: function () { return loadModule(gluePath, {}); },
    conformance: { cases: JSON.parse(readFile('tests/conformance/cases.json')), expected: JSON.parse(readFile('tests/conformance/expected.json')) } });

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
