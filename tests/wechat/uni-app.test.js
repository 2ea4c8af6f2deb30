// The uni-app example (examples/uni-app/, Vue 3), as scripts/build-uni-app.sh
// built it for mp-weixin with the uni-app CLI: the glue is bundled from the
// jim-cache npm package, the module sits at the package path the code
// passes to WXWebAssembly, byte for byte pkg/'s, and WeChat's own analysis
// (miniprogram-ci analyseCode, offline) resolves every require of the build.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { ROOT, ci, project, childResult, runChild } = require('./ci.js');

const DIST = path.join(ROOT, 'examples', 'uni-app', 'dist', 'build', 'mp-weixin');

async function work() {
  const analysis = await ci().analyseCode(project(DIST));
  return { unresolved: analysis.modules.flatMap((m) => (m.deps || []).filter((d) => d.error).map((d) => m.path + ': ' + d.error)) };
}

if (process.argv.includes('--work')) {
  runChild(work);
} else {
  test('uni-app example: built for mp-weixin with the glue bundled and the module where it is loaded from', () => {
    assert.ok(fs.existsSync(DIST), 'run scripts/build-uni-app.sh first');
    const js = [];
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.name.endsWith('.js')) js.push(fs.readFileSync(p, 'utf8'));
    });
    walk(DIST);
    const all = js.join('\n');
    assert.ok(all.includes('setAppended') && all.includes('cacheCompact'), 'the jim-cache glue is in the bundle');
    const paths = [...new Set(all.match(/\/static\/jim-cache\/[\w.]+\.wasm(\.br)?/g) || [])];
    assert.deepStrictEqual(paths, ['/static/jim-cache/jim_cache_bg.wasm.br'], 'the wasmPath the code passes');
    const shipped = fs.readFileSync(path.join(DIST, paths[0]));
    assert.ok(shipped.equals(fs.readFileSync(path.join(ROOT, 'pkg', 'jim_cache_bg.wasm.br'))), 'the module is pkg/\'s');
    assert.deepStrictEqual(childResult(__filename).unresolved, [], 'every require of the build resolves');
  });
}
