// Soak: stream many messages over many conversations through the package
// under the default budget, with duplicates, retractions, reopens and storage
// faults; check the storage invariants and that nothing acknowledged is lost
// (except by eviction) every few hundred calls; report peak wasm memory.
//
//   node tests/js/soak.js                                   # the long run: 200,000 messages, 500 conversations
//   node tests/js/soak.js --messages 20000 --conversations 100   # the short run the test command uses
'use strict';
const fs = require('fs');
const path = require('path');
const FakeWx = require('./fake-wx.js');
const { checkStorage } = require('./check-storage.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf('--' + name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const TOTAL = opt('messages', 200000), CONVS = opt('conversations', 500), SEED = opt('seed', 7);
const PKG = path.join(__dirname, '..', '..', 'pkg');
const { openCache } = require(path.join(PKG, 'jim_cache.js'));
const wasm = fs.readFileSync(path.join(PKG, 'jim_cache_bg.wasm'));
const ACCOUNT = { appkey: 'a1b2c3d4e5f60718293a4b5c', username: 'wx_alice' };

let state = SEED;
const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (n) => Math.floor(rand() * n);

function message(id, time, conv) {
  const text = '消息 ' + id + ' ' + 'lorem ipsum '.repeat(1 + pick(8));
  if (conv % 5 === 0) {
    const gid = 100000 + conv;
    return { msg_id: id, ctime_ms: time, msg_type: 4, from_gid: gid, content: { target_type: 'group', target_id: String(gid), from_id: 'member' + pick(9), msg_type: 'text', msg_body: { text } } };
  }
  const peer = 'peer' + conv;
  const out = pick(4) === 0;
  return { msg_id: id, ctime_ms: time, msg_type: 3, content: { target_type: 'single', target_id: out ? peer : ACCOUNT.username, from_id: out ? ACCOUNT.username : peer, from_appkey: ACCOUNT.appkey, msg_type: 'text', msg_body: { text } } };
}
const convId = (m) => (m.msg_type === 4 ? 'group:' + m.from_gid : 'single:' + ACCOUNT.appkey + ':' + (m.content.from_id === ACCOUNT.username ? m.content.target_id : m.content.from_id));

(async () => {
  const start = Date.now();
  const wx = new FakeWx();
  wx.setStorageSync('app-data', 'x'.repeat(300000)); // the rest of the app
  let cache = await openCache(Object.assign({ storage: wx, wasm }, ACCOUNT));
  const acked = new Map();
  const retracted = new Set();
  const sent = [];
  let nextId = 70000000000, time = 1717400000000;
  let calls = 0, reopens = 0, faults = 0, evicted = 0, duplicates = 0, peakMemory = 0, checks = 0;
  function check() {
    const budget = cache.stats().budgetBytes;
    const snap = checkStorage(wx, Object.assign({ budgetBytes: budget }, ACCOUNT));
    const floors = new Map(snap.index ? snap.index.c.map((c) => [c.i, c.f]) : []);
    for (const [id, m] of acked) {
      const got = snap.messages.get(id);
      if (got) {
        if (got.conv !== m.conv) throw new Error(`message ${id} misfiled`);
        if (retracted.has(id) && !got.retracted) throw new Error(`retraction of ${id} lost`);
        continue;
      }
      const f = floors.get(m.conv);
      if (!f || m.time > f[0] || (m.time === f[0] && id > f[1])) throw new Error(`acknowledged ${id} of ${m.conv} lost (floor ${f})`);
    }
    peakMemory = Math.max(peakMemory, cache.stats().wasmMemoryBytes);
    checks++;
  }
  while (nextId - 70000000000 < TOTAL) {
    const roll = rand();
    let call, payload, batch = [];
    if (roll < 0.1 && sent.length) {
      batch = sent[pick(sent.length)]; // roaming repeats an earlier batch
      payload = { messages: batch };
    } else if (roll < 0.15 && acked.size) {
      const ids = Array.from(acked.keys());
      const id = ids[pick(ids.length)], m = acked.get(id);
      const ev = m.conv.startsWith('group:') ? { event_type: 55, type: 1, from_gid: Number(m.conv.slice(6)), from_username: 'x', msg_ids: [id] }
        : { event_type: 55, type: 0, from_username: m.conv.split(':')[2], from_appkey: ACCOUNT.appkey, msg_ids: [id] };
      call = () => { cache.applyEvent(ev); retracted.add(id); };
    } else {
      const n = 1 + pick(roll < 0.3 ? 40 : 3);
      for (let i = 0; i < n; i++) batch.push(message(nextId++, (time += 1 + pick(2000)), pick(CONVS)));
      payload = { messages: batch };
      sent.push(batch);
      if (sent.length > 200) sent.shift();
    }
    if (!call) call = () => {
      const r = cache.cacheMsg(payload, 'realtime');
      evicted += r.evicted; duplicates += r.duplicates;
      for (const m of batch) acked.set(m.msg_id, { conv: convId(m), time: m.ctime_ms });
    };
    if (rand() < 0.02) {
      wx.failures = [['setStorageSync:fail write DB data fail', 'setStorageSync:fail:quota reached'][pick(2)]];
      try { call(); } catch (e) { if (e.name !== 'JimCacheError') throw e; faults++; }
      wx.failures = [];
    } else {
      call();
    }
    calls++;
    if (calls % 500 === 0) {
      cache.close();
      cache = await openCache(Object.assign({ storage: wx, wasm }, ACCOUNT));
      reopens++;
    }
    if (calls % 250 === 0) check();
  }
  check();
  const s = cache.stats();
  const result = { messages: nextId - 70000000000, conversations: CONVS, calls, reopens, faults, duplicates, evicted, checks,
    storedMessages: s.messages, bytes: s.bytes, budgetBytes: s.budgetBytes, peakWasmMemoryBytes: peakMemory, seconds: (Date.now() - start) / 1000 };
  console.log('soak: ' + JSON.stringify(result));
})().catch((e) => { console.error('soak FAILED: ' + (e && e.stack || e)); process.exit(1); });
