// The npm route, as WeChat DevTools does it, with WeChat's own build tools
// (miniprogram-ci, offline; see ci.js): `npm pack` of pkg/ installed into a
// scratch mini-program, DevTools' "build npm" (packNpm), then its static
// analysis (analyseCode) and the compiled upload (getCompiledResult). Checks
// what the README's npm section promises: `require('jim-cache')` resolves,
// the glue is in the code graph, the .wasm.br is at the documented package
// path, and packOptions.ignore keeps the unused .wasm out of the upload.
// The uploads compiled with "ES6 to ES5" on and off are left in
// build/compiled/es6-<on|off>/ for the package suites (scripts/test.sh).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { ROOT, ci, project, compiled, childResult, runChild } = require('./ci.js');

const WORK = path.join(ROOT, 'build', 'npm-route');

// The README's npm section, verbatim where it matters.
const APP_JS = `const { openCache } = require('jim-cache')
App({
  async onLaunch() {
    this.cache = await openCache({ storage: wx, appkey: 'k', username: 'u', wasmPath: '/miniprogram_npm/jim-cache/jim_cache_bg.wasm.br' })
  },
})
`;
const PACK_IGNORE = [{ type: 'file', value: 'miniprogram_npm/jim-cache/jim_cache_bg.wasm' }];

function scratchProject() {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(path.join(WORK, 'pages', 'index'), { recursive: true });
  const tgz = execFileSync('npm', ['pack', path.join(ROOT, 'pkg'), '--pack-destination', WORK, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  fs.writeFileSync(path.join(WORK, 'package.json'), JSON.stringify({ name: 'scratch', private: true, dependencies: { 'jim-cache': 'file:./' + tgz } }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: WORK });
  fs.writeFileSync(path.join(WORK, 'app.js'), APP_JS);
  fs.writeFileSync(path.join(WORK, 'app.json'), JSON.stringify({ pages: ['pages/index/index'] }));
  fs.writeFileSync(path.join(WORK, 'pages', 'index', 'index.js'), 'Page({})\n');
  fs.writeFileSync(path.join(WORK, 'pages', 'index', 'index.wxml'), '<view>{{n}}</view>\n');
  fs.writeFileSync(path.join(WORK, 'project.config.json'), JSON.stringify({
    appid: 'touristappid', compileType: 'miniprogram', libVersion: '3.6.0',
    setting: { es6: true, minified: true, ignoreUploadUnusedFiles: true },
    packOptions: { ignore: PACK_IGNORE },
  }, null, 1));
  return project(WORK, ['node_modules/**/*', '*.tgz', '*.zip']);
}

async function work() {
  const proj = scratchProject();
  await ci().packNpm(proj, { reporter: () => {} });
  const copied = fs.readdirSync(path.join(WORK, 'miniprogram_npm', 'jim-cache')).sort();
  const analysis = await ci().analyseCode(proj);
  const unresolved = analysis.modules.flatMap((m) => (m.deps || []).filter((d) => d.error).map((d) => m.path + ': ' + d.error));
  const inGraph = analysis.files.filter((f) => f.moduleId !== undefined).map((f) => f.path.replace(/\\/g, '/'));
  // What phones run: the upload compiled with DevTools' "ES6 to ES5" on and off.
  let uploaded = [];
  for (const es6 of [true, false]) {
    const names = await compiled(proj, { es6, minify: true }, path.join(ROOT, 'build', 'compiled', 'es6-' + (es6 ? 'on' : 'off')));
    if (es6) uploaded = names.filter((f) => f.includes('jim-cache'));
  }
  return { copied, unresolved, inGraph, uploaded };
}

if (process.argv.includes('--work')) {
  runChild(work);
} else {
  test('npm route: after packNpm, require("jim-cache") resolves and the glue is in the code graph', () => {
    const r = childResult(__filename);
    for (const f of ['index.js', 'jim_cache.js', 'jim_cache_bg.wasm.br']) assert.ok(r.copied.includes(f), 'packNpm copied ' + f + ': ' + r.copied);
    assert.deepStrictEqual(r.unresolved, [], 'every require resolves');
    for (const f of ['miniprogram_npm/jim-cache/index.js', 'miniprogram_npm/jim-cache/jim_cache.js']) {
      assert.ok(r.inGraph.some((p) => p.endsWith(f)), f + ' is in the code graph: ' + r.inGraph.join(', '));
    }
    // The upload holds the .wasm.br the README's wasmPath names, not the unused .wasm.
    assert.ok(r.uploaded.some((f) => f.endsWith('miniprogram_npm/jim-cache/jim_cache_bg.wasm.br')), 'uploaded: ' + r.uploaded);
    assert.ok(!r.uploaded.some((f) => f.endsWith('jim_cache_bg.wasm')), 'packOptions.ignore keeps the .wasm out: ' + r.uploaded);
    assert.ok(r.uploaded.some((f) => /miniprogram_npm\/jim-cache\/(index|jim_cache)\.js$/.test(f)), 'the glue is uploaded: ' + r.uploaded);
  });
}
