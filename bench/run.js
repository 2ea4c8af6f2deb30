// Benchmarks: jim-cache against the usual hand-written cacheMsg and a careful
// pure-JS cache, in Node (V8) and in JavaScriptCore with the JIT off.
//
//   node bench/run.js            full run, prints the tables
//   node bench/run.js --write    full run, also rewrites docs/BENCHMARKS.md
//   node bench/run.js --smoke    tiny sizes (CI: it must run and produce numbers)
//   node bench/run.js --node-only  skip JavaScriptCore
//
// The package is loaded as on a device: no TextEncoder/TextDecoder or
// WebAssembly globals, WXWebAssembly with a package path.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const PKG = path.join(ROOT, 'pkg');
const args = new Set(process.argv.slice(2));
const smoke = args.has('--smoke');

const CONFIG = smoke
  ? { histories: [100, 300], rounds: 3, perRound: 10, syncConvs: 4, syncPer: 20, syncRounds: 1, coldRounds: 2, budgetBytes: 256 * 1024 }
  : { histories: [100, 1000, 5000], rounds: 7, perRound: 100, syncConvs: 20, syncPer: 100, syncRounds: 5, coldRounds: 7, budgetBytes: 8 * 1024 * 1024 };
const JSC_CONFIG = smoke
  ? { histories: [100], rounds: 2, perRound: 5, syncConvs: 2, syncPer: 10, syncRounds: 1, coldRounds: 1, budgetBytes: 128 * 1024 }
  : { histories: [100, 1000, 5000], rounds: 5, perRound: 20, syncConvs: 20, syncPer: 100, syncRounds: 3, coldRounds: 3, budgetBytes: 8 * 1024 * 1024 };

const realWebAssembly = globalThis.WebAssembly;
delete globalThis.TextEncoder;
delete globalThis.TextDecoder;
delete globalThis.WebAssembly;
const wasmBytes = zlib.brotliDecompressSync(fs.readFileSync(path.join(PKG, 'jim_cache_bg.wasm.br')));
globalThis.WXWebAssembly = {
  instantiate(p, imports) {
    if (typeof p !== 'string') throw new TypeError('package path only');
    return realWebAssembly.instantiate(wasmBytes, imports);
  },
};

function loadPackage() {
  delete require.cache[require.resolve(path.join(PKG, 'jim_cache.js'))];
  return require(path.join(PKG, 'jim_cache.js'));
}

const FakeWx = require(path.join(ROOT, 'tests', 'js', 'fake-wx.js'));
const { UsualCache, CarefulCache } = require('./impls.js');
const { run } = require('./scenarios.js');
const { performance } = require('perf_hooks');
// A full collection between measured parts (bench/scenarios.js `settle`).
require('v8').setFlagsFromString('--expose-gc');
const fullGc = require('vm').runInNewContext('gc');

const options = (wx, extra) => Object.assign({ storage: wx, appkey: 'a1b2c3d4e5f60718293a4b5c', username: 'wx_alice', wasmPath: '/jim_cache_bg.wasm.br' }, extra || {});
let pkg = loadPackage();
const host = {
  now: () => performance.now(),
  FakeWx, UsualCache, CarefulCache,
  openOurs: (wx, extra) => pkg.openCache(options(wx, extra)),
  // A new module instance (compile + instantiate) and an open: a cold start.
  coldOpen: (wx, extra) => { pkg = loadPackage(); return pkg.openCache(options(wx, extra)); },
  gc: fullGc,
  log: (s) => process.stderr.write('  node: ' + s + '\n'),
};

function runJsc() {
  const out = execFileSync('jsc', [path.join('bench', 'jsc.js'), '--', JSON.stringify(JSC_CONFIG)], {
    cwd: ROOT, env: Object.assign({}, process.env, { JSC_useJIT: 'false' }), encoding: 'utf8', maxBuffer: 64 << 20,
  });
  for (const line of out.split('\n')) if (line.startsWith('  jsc: ')) process.stderr.write(line + '\n');
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error('jsc printed no result:\n' + out);
  return JSON.parse(line.slice(7));
}

const f = (x, d = 3) => (x === undefined ? '–' : Number(x).toFixed(d));
const ratio = (a, b) => (b > 0 ? (a / b) : NaN);

function tables(node, jsc) {
  const lines = [];
  for (const [engine, r] of [['Node (V8)', node], ['JavaScriptCore, JIT off', jsc]]) {
    if (!r) continue;
    const s = r.scenarios;
    lines.push(`### ${engine}`, '');
    lines.push('**1. Realtime, one message per call** (median ms per message; storage bytes written and calls per message)', '');
    lines.push('| stored before | ours ms | usual ms | careful ms | usual / ours | careful / ours | ours bytes | usual bytes | careful bytes | ours calls | usual calls | careful calls |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const n of Object.keys(s.realtime)) {
      const x = s.realtime[n];
      lines.push(`| ${n} | ${f(x.ours.msPerMessage)} | ${f(x.usual.msPerMessage)} | ${f(x.careful.msPerMessage)} | ${f(ratio(x.usual.msPerMessage, x.ours.msPerMessage), 1)}× | ${f(ratio(x.careful.msPerMessage, x.ours.msPerMessage), 1)}× | ${f(x.ours.bytesWrittenPerMessage, 0)} | ${f(x.usual.bytesWrittenPerMessage, 0)} | ${f(x.careful.bytesWrittenPerMessage, 0)} | ${f(x.ours.storageCallsPerMessage, 1)} | ${f(x.usual.storageCallsPerMessage, 1)} | ${f(x.careful.storageCallsPerMessage, 1)} |`);
    }
    const sy = s.sync;
    lines.push('', `**2. Login sync** (${r.config.syncConvs} conversations × ${r.config.syncPer} messages; median ms per call)`, '');
    lines.push('| | ours | usual | careful | usual / ours | careful / ours |', '|---|---|---|---|---|---|');
    lines.push(`| into an empty cache | ${f(sy.ours.firstMs, 1)} | ${f(sy.usual.firstMs, 1)} | ${f(sy.careful.firstMs, 1)} | ${f(ratio(sy.usual.firstMs, sy.ours.firstMs), 1)}× | ${f(ratio(sy.careful.firstMs, sy.ours.firstMs), 1)}× |`);
    lines.push(`| same sync again (all duplicates) | ${f(sy.ours.repeatMs, 1)} | ${f(sy.usual.repeatMs, 1)} | ${f(sy.careful.repeatMs, 1)} | ${f(ratio(sy.usual.repeatMs, sy.ours.repeatMs), 1)}× | ${f(ratio(sy.careful.repeatMs, sy.ours.repeatMs), 1)}× |`);
    lines.push(`| realistic mix (80% repeats, 20% new) | ${f(sy.ours.mixMs, 1)} | ${f(sy.usual.mixMs, 1)} | ${f(sy.careful.mixMs, 1)} | ${f(ratio(sy.usual.mixMs, sy.ours.mixMs), 1)}× | ${f(ratio(sy.careful.mixMs, sy.ours.mixMs), 1)}× |`);
    if (sy.ours.reopenedMs !== undefined) lines.push(`| the mix again after a restart (all duplicates, a new instance) | ${f(sy.ours.reopenedMs, 1)} | ${f(sy.usual.reopenedMs, 1)} | ${f(sy.careful.reopenedMs, 1)} | ${f(ratio(sy.usual.reopenedMs, sy.ours.reopenedMs), 1)}× | ${f(ratio(sy.careful.reopenedMs, sy.ours.reopenedMs), 1)}× |`);
    lines.push(`| storage writes during the repeat (sets / bytes) | ${sy.ours.repeatSets} / ${sy.ours.repeatBytes} | ${sy.usual.repeatSets} / ${sy.usual.repeatBytes} | ${sy.careful.repeatSets} / ${sy.careful.repeatBytes} | | |`);
    const c = s.coldStart, st = s.steady;
    lines.push('', '**3. Cold start** (new module instance + open + first page of the busiest conversation) and **4. steady state at the budget**', '');
    lines.push('| | value |', '|---|---|');
    lines.push(`| cold start, median ms | ${f(c.ms, 1)} (cache of ${c.cacheBytes} bytes, ${c.keys} keys, ${c.messages} messages, ${c.conversations} conversations) |`);
    lines.push(`| at the budget: ms per message | ${f(st.msPerMessage)} (${f(st.evictedPerMessage, 2)} evicted per message, ${f(st.bytesWrittenPerMessage, 0)} bytes written per message) |`);
    lines.push(`| at the budget: cache bytes / budget | ${st.bytes} / ${st.budgetBytes} |`);
    if (st.careful) lines.push(`| careful cache at the same budget: ms per message | ${f(st.careful.msPerMessage)} (${f(st.careful.bytesWrittenPerMessage, 0)} bytes written per message) |`);
    lines.push(`| wasm linear memory, peak | ${st.wasmMemoryBytes} bytes |`, '');
    const se = s.search;
    if (se) {
      lines.push(`**5. Search** over the full cache above (limit 20, median ms)`, '');
      lines.push('| needle | ms | hits |', '|---|---|---|');
      lines.push(`| in no message (every chunk read) | ${f(se.none.ms, 1)} | ${se.none.hits} |`);
      lines.push(`| in 1 message of 1,000 (most chunks read) | ${f(se.rare.ms, 1)} | ${se.rare.hits} |`);
      lines.push(`| in every message (stops early) | ${f(se.early.ms, 1)} | ${se.early.hits} |`, '');
    }
  }
  return lines.join('\n');
}

// The targets of the iOS-speed issue: JavaScriptCore without JIT first
// (the iOS engine), V8 second; ratios against the careful pure-JS cache
// measured in the same process.
function targets(node, jsc, sizes) {
  const yes = (b) => (b ? 'met' : '**missed**');
  const rows = ['| engine | target | measured | |', '|---|---|---|---|'];
  const sizesOf = (r) => Object.keys(r.scenarios.realtime).map(Number).sort((a, b) => a - b);
  if (jsc) {
    const r = jsc.scenarios.realtime, sy = jsc.scenarios.sync;
    for (const n of sizesOf(jsc)) {
      const x = ratio(r[n].ours.msPerMessage, r[n].careful.msPerMessage);
      rows.push(`| JSC | realtime at ${n} stored within 2× of careful | ${f(r[n].ours.msPerMessage)} vs ${f(r[n].careful.msPerMessage)} ms = ${f(x, 1)}× | ${yes(x <= 2)} |`);
    }
    for (const [k, what] of [['firstMs', 'login sync'], ['repeatMs', 'all-duplicate re-sync'], ['mixMs', '80/20 mix'], ['reopenedMs', 'all-duplicate re-sync after a restart']]) {
      const x = ratio(sy.ours[k], sy.careful[k]);
      rows.push(`| JSC | ${what} within 2× of careful | ${f(sy.ours[k], 1)} vs ${f(sy.careful[k], 1)} ms = ${f(x, 0)}× | ${yes(x <= 2)} |`);
    }
    const sj = jsc.scenarios.steady, sc = sj.careful;
    rows.push(sc
      ? `| JSC | a message at a full cache within 2× of careful | ${f(sj.msPerMessage)} vs ${f(sc.msPerMessage)} ms = ${f(ratio(sj.msPerMessage, sc.msPerMessage), 1)}× | ${yes(sj.msPerMessage <= 2 * sc.msPerMessage)} |`
      : `| JSC | a message at a full cache within 2× of careful | ${f(sj.msPerMessage)} ms | — |`);
    const slower = sizesOf(jsc).filter((n) => r[n].ours.msPerMessage >= r[n].usual.msPerMessage);
    const syncSlower = ['firstMs', 'repeatMs', 'mixMs'].filter((k) => sy.ours[k] >= sy.usual[k]);
    rows.push(`| JSC | faster than the usual approach everywhere | slower at ${slower.length ? slower.join(', ') + ' stored' : 'no size'}${syncSlower.length ? '; sync: slower on ' + syncSlower.map((k) => k.replace('Ms', '')).join(', ') : ''} | ${yes(!slower.length && !syncSlower.length)} |`);
    rows.push(`| JSC | cold start of a full cache ≤ 30 ms | ${f(jsc.scenarios.coldStart.ms, 1)} ms (${jsc.scenarios.coldStart.cacheBytes} bytes) | ${yes(jsc.scenarios.coldStart.ms <= 30)} |`);
    if (jsc.scenarios.search) {
      const se = jsc.scenarios.search;
      rows.push(`| JSC | search of a full cache, full scan ≤ 300 ms (issue 12) | ${f(se.none.ms, 1)} ms; early stop ${f(se.early.ms, 1)} ms | ${yes(se.none.ms <= 300)} |`);
    }
  }
  const r = node.scenarios.realtime, sy = node.scenarios.sync, ns = sizesOf(node), hi = ns[ns.length - 1];
  const notFaster = ns.filter((n) => r[n].ours.msPerMessage >= r[n].careful.msPerMessage);
  rows.push(`| V8 | realtime faster than careful at every size | ${ns.map((n) => f(ratio(r[n].careful.msPerMessage, r[n].ours.msPerMessage), 1) + '×').join(' / ')} faster at ${ns.join(' / ')} | ${yes(!notFaster.length)} |`);
  const vsUsual = ratio(r[hi].usual.msPerMessage, r[hi].ours.msPerMessage);
  rows.push(`| V8 | ≥ 50× the usual approach at ${hi} stored | ${f(vsUsual, 1)}× | ${yes(vsUsual >= 50)} |`);
  const syncX = ratio(sy.ours.firstMs, sy.careful.firstMs);
  rows.push(`| V8 | login sync within 1.5× of careful | ${f(sy.ours.firstMs, 1)} vs ${f(sy.careful.firstMs, 1)} ms = ${f(syncX, 1)}× | ${yes(syncX <= 1.5)} |`);
  const bytesAt = r[hi].ours.bytesWrittenPerMessage, full = node.scenarios.steady.bytesWrittenPerMessage;
  rows.push(`| both | bytes written per realtime message ≤ 3 KB at ${hi} stored | ${f(bytesAt, 0)} | ${yes(bytesAt <= 3000)} |`);
  rows.push(`| both | … and at a full cache (${node.scenarios.coldStart.messages} messages, ${node.scenarios.coldStart.conversations} conversations) | ${f(full, 0)} | ${yes(full <= 3000)} |`);
  const repeatSets = sy.ours.repeatSets + (jsc ? jsc.scenarios.sync.ours.repeatSets : 0);
  rows.push(`| both | all-duplicate re-sync writes nothing | ${repeatSets} sets | ${yes(repeatSets === 0)} |`);
  rows.push(`| both | \`.wasm.br\` ≤ 60 KB | ${sizes.br} bytes | ${yes(sizes.br <= 60000)} |`);
  return rows.join('\n');
}

(async () => {
  process.stderr.write(`bench: ${smoke ? 'smoke' : 'full'} run\n`);
  const node = await run(host, CONFIG);
  const jsc = args.has('--node-only') ? null : runJsc();
  const sizes = { wasm: fs.statSync(path.join(PKG, 'jim_cache_bg.wasm')).size, br: fs.statSync(path.join(PKG, 'jim_cache_bg.wasm.br')).size };
  const body = [
    `Machine: ${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, jsc (JavaScriptCore, \`JSC_useJIT=false\`). Package: \`jim_cache_bg.wasm\` ${sizes.wasm} bytes, \`.wasm.br\` ${sizes.br} bytes.`,
    '', '## Targets', '', targets(node, jsc, sizes), '', '## Results', '', tables(node, jsc),
  ].join('\n');
  console.log(body);
  if (args.has('--write') && !smoke) {
    fs.writeFileSync(path.join(ROOT, 'docs', 'bench-results.json'), JSON.stringify({ node, jsc, sizes }, null, 1) + '\n');
    const doc = path.join(ROOT, 'docs', 'BENCHMARKS.md');
    const head = fs.readFileSync(doc, 'utf8').split('<!-- results -->')[0];
    fs.writeFileSync(doc, head + '<!-- results -->\n\n' + body + '\n');
    process.stderr.write('bench: wrote docs/BENCHMARKS.md\n');
  }
})().catch((e) => { console.error(e); process.exit(1); });
