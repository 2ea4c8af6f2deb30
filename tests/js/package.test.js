// Runs the shared suite (suite.js) in Node against the built pkg/, set up
// like a WeChat device: no TextEncoder/TextDecoder, no WebAssembly global,
// and a WXWebAssembly that only accepts a package path (.wasm or .wasm.br).
'use strict';
const { test } = require('node:test');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.join(__dirname, '..', '..');
const PKG = path.resolve(process.env.JIM_CACHE_PKG || path.join(ROOT, 'pkg'));
const realWebAssembly = globalThis.WebAssembly;
const wxCalls = [];

delete globalThis.TextEncoder;
delete globalThis.TextDecoder;
delete globalThis.WebAssembly;
globalThis.WXWebAssembly = {
  instantiate(packagePath, imports) {
    if (typeof packagePath !== 'string') return Promise.reject(new TypeError('WXWebAssembly.instantiate takes a package path only'));
    wxCalls.push(packagePath);
    let bytes = fs.readFileSync(path.join(PKG, packagePath.replace(/^\/+/, '')));
    if (packagePath.endsWith('.br')) bytes = zlib.brotliDecompressSync(bytes);
    return realWebAssembly.instantiate(bytes, imports);
  },
};

const { openCache } = require(path.join(PKG, 'jim_cache.js'));
const FakeWx = require('./fake-wx.js');
const { defineSuite } = require('./suite.js');
const fixtures = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'jmessage-examples.json'), 'utf8'));

function freshGlue() {
  const file = require.resolve(path.join(PKG, 'jim_cache.js'));
  delete require.cache[file];
  return require(file);
}

const conformance = {
  cases: JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'conformance', 'cases.json'), 'utf8')),
  expected: JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'conformance', 'expected.json'), 'utf8')),
};

defineSuite(test, { openCache, FakeWx, fixtures, wasmPath: '/jim_cache_bg.wasm.br', wxCalls, freshGlue, conformance });
