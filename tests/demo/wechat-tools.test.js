// The demo through WeChat's own build tools (miniprogram-ci, offline; see
// tests/wechat/ci.js), after scripts/build-demo.sh copied pkg/ into it:
// DevTools' quality scan passes every check, and the compiled upload has the
// pages and the .wasm.br the demo loads, not the .wasm it excludes.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { ROOT, ci, project, compiled, childResult, runChild } = require('../wechat/ci.js');

const DEMO = path.join(ROOT, 'miniprogram-demo');

async function work() {
  const proj = project(DEMO, ['node_modules/**/*']);
  const quality = (await ci().checkCodeQuality(proj)).map((x) => ({ name: x.name, success: x.success, text: x.text }));
  const files = await compiled(proj, { es6: true, minify: true, minifyWXML: true, minifyWXSS: true }, path.join(ROOT, 'build', 'compiled', 'demo'));
  return { quality, files };
}

if (process.argv.includes('--work')) {
  runChild(work);
} else {
  test('the demo passes DevTools\' quality scan and compiles for upload', () => {
    const r = childResult(__filename);
    const failing = r.quality.filter((q) => !q.success);
    assert.deepStrictEqual(failing, [], 'checkCodeQuality findings');
    assert.ok(r.quality.length >= 10, 'the scan ran its checks: ' + r.quality.map((q) => q.name));
    for (const f of ['app.js', 'pages/index/index.js', 'pages/chat/chat.js', 'libs/jim-cache/jim_cache.js', 'libs/jim-cache/jim_cache_bg.wasm.br']) {
      assert.ok(r.files.includes(f), f + ' in the upload: ' + r.files.join(', '));
    }
    assert.ok(!r.files.includes('libs/jim-cache/jim_cache_bg.wasm'), 'the excluded .wasm stays out');
  });
}
