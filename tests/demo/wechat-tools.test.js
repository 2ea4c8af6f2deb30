// The demo through WeChat's own build tools (miniprogram-ci, offline; see
// tests/wechat/ci.js), after scripts/build-demo.sh copied pkg/ into it:
// DevTools' quality scan passes every check, and the compiled upload has the
// pages and the .wasm.br the demo loads, not the .wasm it excludes; WeChat's
// WXML/WXSS compilers take every page file.
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

if (!process.argv.includes('--work')) {
  // WeChat's WXML and WXSS compilers (miniprogram-compiler, the binaries
  // DevTools uses) on every page file of the demo: no error, no warning.
  test('every .wxml and .wxss of the demo compiles with WeChat\'s wcc and wcsc', () => {
    const fs = require('fs');
    const { spawnSync } = require('child_process');
    const bin = path.join(ROOT, 'tools', 'node_modules', 'miniprogram-compiler', 'bin', 'linux');
    for (const b of ['wcc', 'wcsc']) fs.chmodSync(path.join(bin, b), 0o755); // npm drops the execute bit
    const files = (ext) => {
      const out = [];
      const walk = (d) => fs.readdirSync(path.join(DEMO, d), { withFileTypes: true }).forEach((e) => {
        const rel = d ? d + '/' + e.name : e.name;
        if (e.isDirectory() && e.name !== 'libs' && e.name !== 'node_modules') walk(rel);
        else if (e.name.endsWith(ext)) out.push(rel);
      });
      walk('');
      return out;
    };
    const wxml = files('.wxml'), wxss = files('.wxss');
    assert.ok(wxml.length >= 2 && wxss.length >= 3, 'found ' + wxml + ' ' + wxss);
    const run = (tool, args) => spawnSync(path.join(bin, tool), args, { cwd: DEMO, encoding: 'utf8' });
    const wcc = run('wcc', ['-d', '-cc', '0', ...wxml, '-gn', '$gwx']);
    assert.strictEqual(wcc.status, 0, wcc.stderr);
    assert.strictEqual(wcc.stderr.trim(), '', 'wcc warnings');
    const wcsc = run('wcsc', ['-db', '-pc', String(wxss.length), ...wxss]);
    assert.strictEqual(wcsc.status, 0, wcsc.stderr);
    assert.strictEqual(wcsc.stderr.trim(), '', 'wcsc warnings');
    // The compiler does reject broken markup (so a pass means something).
    const bad = path.join(DEMO, 'pages', 'broken-by-test.wxml');
    fs.writeFileSync(bad, '<view>{{a</view>\n');
    try {
      assert.notStrictEqual(run('wcc', ['-d', '-cc', '0', 'pages/broken-by-test.wxml', '-gn', '$gwx']).status, 0);
    } finally {
      fs.rmSync(bad);
    }
  });
}
