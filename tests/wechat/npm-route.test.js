// The npm route, as WeChat DevTools does it, with WeChat's own build tools
// (miniprogram-ci, offline): `npm pack` of pkg/ installed into a scratch
// mini-program, DevTools' "build npm" (packNpm), then its static analysis
// (analyseCode) and the compiled upload (getCompiledResult, `es6: true`). Checks what the
// README's npm section promises: `require('jim-cache')` resolves, the glue is
// in the code graph, the .wasm.br is at the documented package path, and
// packOptions.ignore keeps the unused .wasm out of the upload.
// miniprogram-ci keeps a file watcher and a compiler alive, so the work runs
// in a child process of its own (`node npm-route.test.js --work`), which
// prints its findings as JSON and exits; the test asserts on them.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
const TOOLS = path.join(ROOT, 'tools', 'node_modules');
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
  const ci = require(path.join(TOOLS, 'miniprogram-ci'));
  const key = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' });
  fs.writeFileSync(path.join(WORK, 'private.key'), key);
  return new ci.Project({
    appid: 'touristappid', type: 'miniProgram', projectPath: WORK, privateKeyPath: path.join(WORK, 'private.key'),
    ignores: ['node_modules/**/*', '*.tgz', 'private.key'],
    // Offline, the project's attributes cannot be fetched: the CI's defaults.
    attr: async () => JSON.parse(JSON.stringify(ci.DefaultProjectAttr)),
  });
}

async function work() {
  const ci = require(path.join(TOOLS, 'miniprogram-ci'));
  const project = scratchProject();
  await ci.packNpm(project, { reporter: () => {} });
  const npmDir = path.join(WORK, 'miniprogram_npm', 'jim-cache');
  const copied = fs.readdirSync(npmDir).sort();
  const analysis = await ci.analyseCode(project);
  const unresolved = analysis.modules.flatMap((m) => (m.deps || []).filter((d) => d.error).map((d) => m.path + ': ' + d.error));
  const inGraph = analysis.files.filter((f) => f.moduleId !== undefined).map((f) => f.path.replace(/\\/g, '/'));
  // What phones run: the upload compiled with DevTools' "ES6 to ES5" on and
  // off, unpacked into build/compiled/es6-<on|off>/ for the package suites.
  let uploaded = [];
  for (const es6 of [true, false]) {
    const zip = path.join(WORK, 'upload-es6-' + es6 + '.zip');
    await ci.getCompiledResult({ project, desc: 'npm route test', setting: { es6, minify: true }, onProgressUpdate: () => {} }, zip);
    const out = path.join(ROOT, 'build', 'compiled', 'es6-' + (es6 ? 'on' : 'off'));
    fs.rmSync(out, { recursive: true, force: true });
    const names = execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); z.extractall(sys.argv[2]); print("\\n".join(z.namelist()))', zip, out], { encoding: 'utf8' });
    if (es6) uploaded = names.split('\n').filter((f) => f.includes('jim-cache'));
  }
  return { copied, unresolved, inGraph, uploaded };
}

if (process.argv.includes('--work')) {
  work().then(
    (r) => { process.stdout.write('RESULT ' + JSON.stringify(r) + '\n'); process.exit(0); },
    (e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); },
  );
} else {
  test('npm route: after packNpm, require("jim-cache") resolves and the glue is in the code graph', () => {
    const out = execFileSync(process.execPath, [__filename, '--work'], { encoding: 'utf8', timeout: 240000 });
    const r = JSON.parse(out.split('\n').find((l) => l.startsWith('RESULT ')).slice(7));
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
