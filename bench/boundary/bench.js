// Runs in Node (`node bench/boundary/bench.js`) and in JavaScriptCore
// (`JSC_useJIT=false jsc bench/boundary/bench.js`) from the repository root.
var isNode = typeof process !== 'undefined' && process.versions && process.versions.node;
var read = isNode ? function (p) { return require('fs').readFileSync(p); } : function (p) { return readFile(p, 'binary'); };
var src = isNode ? require('fs').readFileSync('build/boundary/boundary.js', 'utf8') : readFile('build/boundary/boundary.js');
var now = isNode ? function () { return Number(process.hrtime.bigint()) / 1e6; } : function () { return preciseTime() * 1000; };
var out = isNode ? console.log : print;
var m = { exports: {} };
new Function('module', 'exports', 'require', src)(m, m.exports, undefined);
var b = m.exports;
var inst = new WebAssembly.Instance(new WebAssembly.Module(read('build/boundary/boundary_bg.wasm')), { './boundary_bench_bg.js': b.bg });
b.bg.__wbg_set_wasm(inst.exports);

function median(f, rounds) {
  var xs = [];
  for (var r = 0; r < rounds; r++) { var t = now(); f(); xs.push(now() - t); }
  xs.sort(function (a, c) { return a - c; });
  return xs[rounds >> 1];
}
var msgs = [];
for (var i = 0; i < 2000; i++) msgs.push({ msg_id: 60000000000 + i, ctime_ms: 1717400000000 + i, from_id: 'peer' + (i % 20), target_id: 'wx_alice', msg_type: 'text' });
function slotsOf(list) {
  var table = [], index = new Map(), slots = [];
  function put(s) { var k = index.get(s); if (k === undefined) { index.set(s, k = -table.push(s)); } slots.push(k); }
  for (var i = 0; i < list.length; i++) { var x = list[i]; slots.push(x.msg_id, x.ctime_ms); put(x.from_id); put(x.target_id); put(x.msg_type); }
  return { slots: slots, table: JSON.stringify(table) };
}
var R = 9, res = {};
res.page20 = {
  json: median(function () { JSON.parse(b.page_json(20)); }, R * 5),
  serde_wasm_bindgen: median(function () { b.page_swb(20); }, R * 5),
  gloo_utils: median(function () { b.page_gloo(20); }, R * 5)
};
res.batch2000 = {
  slots: median(function () { var s = slotsOf(msgs); b.batch_slots(s.slots, s.table); }, R),
  json: median(function () { b.batch_json(JSON.stringify(msgs)); }, R),
  serde_wasm_bindgen: median(function () { b.batch_swb(msgs); }, R),
  gloo_utils: median(function () { b.batch_gloo(msgs); }, R)
};
out('RESULT ' + JSON.stringify(res));
