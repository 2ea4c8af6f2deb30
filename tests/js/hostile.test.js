// Hostile input and storage faults through the package's JS API (Node, the
// production loading path). Each input gets its documented behaviour (stored,
// rejected with a reason, or a coded error) and never corrupts what is stored.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const FakeWx = require('./fake-wx.js');
const { checkStorage } = require('./check-storage.js');

const PKG = path.join(__dirname, '..', '..', 'pkg');
const { openCache } = require(path.join(PKG, 'jim_cache.js'));
const wasm = fs.readFileSync(path.join(PKG, 'jim_cache_bg.wasm'));
const ACCOUNT = { appkey: 'a1b2c3d4e5f60718293a4b5c', username: 'wx_alice' };
const T0 = 1717400000000;
const open = (wx, extra) => openCache(Object.assign({ storage: wx, wasm }, ACCOUNT, extra || {}));

function msg(id, time, from, body, type) {
  return { msg_id: id, ctime_ms: time, msg_type: 3, from_username: from,
    content: { target_type: 'single', target_id: 'wx_alice', from_id: from, msg_type: type || 'text', msg_body: body === undefined ? { text: 'hi ' + id } : body } };
}

async function seeded() {
  const wx = new FakeWx();
  const cache = await open(wx);
  const seed = [];
  for (let i = 0; i < 30; i++) seed.push(msg(1000 + i, T0 + i, i % 2 ? 'bob' : 'carol'));
  cache.cacheMsg({ messages: seed }, 'realtime');
  return { wx, cache, before: checkStorage(wx, ACCOUNT) };
}

function intact(wx, before) {
  const after = checkStorage(wx, ACCOUNT);
  for (const [id, m] of before.messages) {
    const now = after.messages.get(id);
    assert.ok(now, `message ${id} lost`);
    assert.equal(now.conv, m.conv);
  }
  return after;
}

test('hostile payloads: stored, rejected with a reason, or a coded error', async () => {
  const { wx, cache, before } = await seeded();
  const deep = {}; let d = deep; for (let i = 0; i < 300; i++) { d.x = {}; d = d.x; }
  const shallow = {}; let s = shallow; for (let i = 0; i < 60; i++) { s.x = {}; s = s.x; }
  const cases = [
    // [payload, expected: 'error' | {added, rejected}]
    [null, 'BAD_PAYLOAD'], [42, 'BAD_PAYLOAD'], ['messages', 'BAD_PAYLOAD'], [true, 'BAD_PAYLOAD'],
    [[1, 'x', null, [], {}], { added: 0, rejected: 5 }],
    [{ messages: [{ msg_id: 1 }] }, { added: 0, rejected: 1 }],                           // missing content
    [{ messages: [msg(1.5, T0, 'bob')] }, { added: 0, rejected: 1 }],                    // float id
    [{ messages: [msg(-7, T0, 'bob')] }, { added: 0, rejected: 1 }],                     // negative id
    [{ messages: [msg(2 ** 60, T0, 'bob')] }, { added: 0, rejected: 1 }],                // above 2^53
    [{ messages: [msg('2001', T0 + 100, 'bob')] }, { added: 1, rejected: 0 }],           // numeric string id
    [{ messages: [msg('20x2', T0, 'bob')] }, { added: 0, rejected: 1 }],                 // non-numeric string
    [{ messages: [Object.assign(msg(2002, 0, 'bob'), { ctime_ms: undefined })] }, { added: 0, rejected: 1 }], // no time at all
    [{ messages: [Object.assign(msg(2003, 1717400200, 'bob'))] }, { added: 1, rejected: 0 }], // ctime_ms in seconds
    [{ messages: [msg(2004, T0 + 300, 'bob', shallow, 'custom')] }, { added: 1, rejected: 0 }],     // nested custom body
    [{ messages: [msg(2005, T0 + 400, 'bob', { text: 'x'.repeat(2 * 1024 * 1024) })] }, { added: 0, rejected: 1 }], // 2 MB text
    [{ messages: [msg(2006, T0 + 500, 'bob', { a: 1 }, 'sticker')] }, { added: 1, rejected: 0 }],  // unknown type: kept
    [{ messages: [msg(1001, T0 + 1, 'bob', { text: 'different content, same id' })] }, { added: 0, rejected: 0 }], // duplicate id
    [{ messages: [deep] }, { added: 0, rejected: 1 }],                                    // not a message
    [{ messages: [msg(2007, T0 + 600, 'bob', deep, 'custom')] }, { added: 1, rejected: 0 }], // custom body 300 levels deep: kept as is
  ];
  for (const [payload, expected] of cases) {
    const label = JSON.stringify(payload === undefined ? null : payload).slice(0, 60);
    if (typeof expected === 'string') {
      assert.throws(() => cache.cacheMsg(payload, 'realtime'), (e) => e.name === 'JimCacheError' && e.code === expected, label);
    } else {
      const r = cache.cacheMsg(payload, 'realtime');
      assert.equal(r.added, expected.added, label + ' added');
      assert.equal(r.rejected, expected.rejected, label + ' rejected');
      assert.equal(r.reasons.length, r.rejected);
      r.reasons.forEach((x) => assert.ok(x.reason.length > 8, x.reason));
    }
    intact(wx, before);
  }
  // A reopen reads the deep body back.
  const again = await open(wx);
  const deepBack = again.messages('single:' + ACCOUNT.appkey + ':bob', { limit: 100 }).messages.find((m) => m.id === 2007);
  let depth = 0; for (let o = deepBack.body; o && o.x; o = o.x) depth++;
  assert.equal(depth, 300);
  // The duplicate kept its first content.
  const page = cache.messages('single:' + ACCOUNT.appkey + ':bob', { limit: 100 }).messages;
  assert.equal(page.find((m) => m.id === 1001).body.text, 'hi 1001');
  // Events: unknown codes ignored, garbage rejected, a bad id list rejected.
  const r = cache.applyEvent([{ event_type: 999 }, { event_type: 55 }, { event_type: 55, msg_ids: ['x'] }, 'nope', { event_type: 55, from_username: 'bob', msg_ids: [1001] }]);
  assert.deepEqual([r.ignored, r.rejected, r.retracted], [1, 3, 1]);
  intact(wx, before);
});

test('every WeChat error at every write of a multi-key call: coded error, nothing lost, then it works', async () => {
  const texts = [
    'setStorageSync:fail:entry size limit reached', 'setStorageSync:fail exceed storage item max length',
    'setStorageSync:fail:quota reached', 'setStorageSync:fail exceed storage max size 10Mb',
    'setStorageSync:fail write DB data fail', 'setStorageSync:fail:internal error set DB data fail'];
  // A sync into three conversations writes three chunks and the index.
  const sync = [0, 1, 2].map((c) => ({ msg_type: 3, from_username: 'peer' + c, msgs: [0, 1, 2, 3].map((i) => msg(5000 + c * 10 + i, T0 + 1000 + i, 'peer' + c)) }));
  let points = 0;
  for (const text of texts) {
    for (let k = 0; k < 4; k++) {
      const { wx, cache, before } = await seeded();
      // Fail the k-th write with `text` (quota errors keep failing, so retries fail too).
      const persistent = /quota|max size/.test(text);
      wx.failures = new Array(k).fill(null);
      const set = wx.setStorageSync.bind(wx);
      let n = 0;
      wx.setStorageSync = (key, v) => {
        if (n++ === k || (persistent && n > k)) wx.failures = [text];
        else wx.failures = [];
        return set(key, v);
      };
      assert.throws(() => cache.cacheMsg(sync, 'history'), (e) => e.code === (/item max|entry size/.test(text) || persistent ? 'STORAGE_FULL' : 'STORAGE_IO'), text + ' at ' + k);
      wx.setStorageSync = set;
      wx.failures = [];
      intact(wx, before);
      const again = await open(wx);
      assert.equal(again.cacheMsg(sync, 'history').added, 12, 'works after the fault');
      intact(wx, before);
      points++;
    }
  }
  assert.equal(points, 24);
});

test('bad values under our keys, and the app filling storage between calls', async () => {
  const { wx, cache, before } = await seeded();
  const ns = 'jimc:' + ACCOUNT.appkey + ':' + ACCOUNT.username + ':';
  const chunkKeys = Object.keys(wx.entries).filter((k) => k.startsWith(ns + 'c'));
  // Someone else writes under our namespace: an object, '' (missing), truncated JSON.
  wx.setStorageSync(chunkKeys[0], { not: 'ours' });
  wx.entries[chunkKeys[1]] = { type: 'String', data: wx.entries[chunkKeys[1]].data.slice(0, 20) };
  wx.setStorageSync(ns + 'c99999', 'stray');
  const reopened = await open(wx);
  assert.equal(reopened.openReport.orphansRemoved, 1);
  // Reading the damaged chunks drops them and says so; the rest is intact.
  reopened.conversations().forEach((c) => reopened.messages(c.id, { limit: 1000 }));
  assert.ok(reopened.stats().dropped > 0);
  reopened.cacheMsg({ messages: [msg(9000, T0 + 9000, 'dave')] }, 'realtime');
  const after = checkStorage(wx, ACCOUNT);
  assert.ok(after.messages.has(9000));
  // A garbage index: rebuilt from the chunks.
  wx.setStorageSync(ns + 'i', '{"v":1,"c":[tru');
  const rebuilt = await open(wx);
  assert.equal(rebuilt.openReport.rebuilt, true);
  assert.ok(rebuilt.stats().messages > 0);
  checkStorage(wx, ACCOUNT);
  // The rest of the app fills storage: the cache shrinks and keeps working.
  for (let i = 0; wx.total + 600000 < wx.totalLimit; i++) wx.setStorageSync('app-' + i, 'x'.repeat(500000));
  for (let i = 0; i < 50; i++) rebuilt.cacheMsg({ messages: [msg(20000 + i, T0 + 20000 + i, 'erin', { text: '满了也能用 '.repeat(20) })] }, 'realtime');
  assert.ok(wx.total < wx.totalLimit);
  checkStorage(wx, Object.assign({ budgetBytes: rebuilt.stats().budgetBytes }, ACCOUNT));
  void before; void cache;
});

test('a damaged directory (the list of older chunks, read by the JS store natively) rebuilds the index from the chunks', async () => {
  const ns = 'jimc:' + ACCOUNT.appkey + ':' + ACCOUNT.username + ':';
  const damages = [
    { not: 'ours' }, // an object: handed over as JSON, no conversation list
    '{"c":[["single:x:bob",[[1,2,3]]]]}', // a chunk of 3 numbers, not 7
    '{"c":[["single:x:bob",[[1,2,3,4,5,"6",7]]]]}', // a string among the numbers
    '{"c":[[5,[]]]}', // an id that is no string
    '{"c":[["single:x:bob",[[1.5,2,3,4,5,6,7]]]]}', // a fractional key: the core's check
    '{"c":[tru', // truncated
  ];
  for (const damage of damages) {
    const wx = new FakeWx();
    const cache = await open(wx, { chunkBytes: 1024 });
    const seed = [];
    for (let i = 0; i < 60; i++) seed.push(msg(1000 + i, T0 + i, i % 2 ? 'bob' : 'carol', { text: '一条足够长的消息，让每个块都装不下太多 ' + i }));
    cache.cacheMsg({ messages: seed }, 'realtime');
    const before = checkStorage(wx, ACCOUNT);
    const dir = Object.keys(wx.entries).find((k) => k.startsWith(ns + 'd'));
    assert.ok(dir, 'the seed has older chunks');
    wx.setStorageSync(dir, damage);
    const reopened = await open(wx, { chunkBytes: 1024 });
    assert.equal(reopened.openReport.rebuilt, true, `rebuilt after ${JSON.stringify(damage)}`);
    assert.equal(reopened.stats().messages, 60);
    intact(wx, before);
  }
});

test('two accounts and two appkeys on one storage never touch each other', async () => {
  const wx = new FakeWx();
  wx.setStorageSync('app-settings', { theme: 'dark' });
  const a = await open(wx);
  const b = await openCache({ storage: wx, wasm, appkey: ACCOUNT.appkey, username: 'bob' });
  const c = await openCache({ storage: wx, wasm, appkey: 'ffffffffffffffffffffffff', username: ACCOUNT.username });
  a.cacheMsg({ messages: [msg(1, T0, 'carol')] }, 'realtime');
  b.cacheMsg({ messages: [msg(1, T0, 'carol')] }, 'realtime');
  c.cacheMsg({ messages: [msg(2, T0, 'carol')] }, 'realtime');
  b.clear();
  c.remove('single:ffffffffffffffffffffffff:carol');
  assert.equal(a.conversations().length, 1);
  assert.equal(c.conversations().length, 0);
  assert.deepEqual(wx.getStorageSync('app-settings'), { theme: 'dark' });
  checkStorage(wx, ACCOUNT);
  checkStorage(wx, { appkey: 'ffffffffffffffffffffffff', username: ACCOUNT.username });
});

// js/known.js: copies of known messages are left out of a call. A payload
// whose reading changes the cache (a getter calling it) must not have copies
// left out on what the cache knew before: the call reads the payload again.
test('a payload getter that changes the cache while it is read: copies are decided again', async () => {
  const { cache } = await seeded();
  const bob = 'single:' + ACCOUNT.appkey + ':bob';
  const copies = () => ({ messages: [1001, 1003, 1005].map((id) => msg(id, T0 + id - 1000, 'bob')) });
  assert.equal(cache.cacheMsg(copies(), 'realtime').duplicates, 3, 'known copies count as duplicates');
  const payload = copies();
  let removed = false;
  Object.defineProperty(payload.messages[2], 'key', { enumerable: true, get() {
    if (!removed) { removed = true; cache.remove(bob); }
    return undefined;
  } });
  const r = cache.cacheMsg(payload, 'realtime');
  assert.ok(removed, 'the getter ran');
  // Removed: the copies are below the conversation's floor now, not duplicates.
  assert.deepEqual([r.added, r.duplicates, r.evicted], [0, 0, 3]);
  assert.equal(cache.messages(bob).messages.length, 0);
});

// js/wx-storage.js reads a chunk for its records' positions natively and
// hands the core numbers only when the core would read the text the same
// way. Each damage of a chunk must be decided exactly as when the core reads
// the text itself: the same reports, lists, pages and stored bytes.
test('a chunk read natively for positions is judged as the core judges its text, for every damage', async () => {
  const seed = [];
  for (let i = 0; i < 12; i++) seed.push(msg(1000 + i, T0 + i, 'bob', { text: 'hi ' + i }));
  const base = new FakeWx();
  (await open(base)).cacheMsg({ messages: seed }, 'realtime');
  const chunkKey = Object.keys(base.entries).find((k) => /:c\d+$/.test(k));
  const text = base.entries[chunkKey].data;
  const damages = {
    'as written': (t) => t,
    'an id spelt 1000.0': (t) => t.replace('[1000,', '[1000.0,'),
    'an id spelt 1e3': (t) => t.replace('[1000,', '[1e3,'),
    'an id above 2^53': (t) => t.replace('[1000,', '[1152921504606846976,'),
    'a negative id': (t) => t.replace('[1000,', '[-1000,'),
    'a flag 2': (t) => t.replace('"bob",0,0,', '"bob",2,0,'),
    'a flag true': (t) => t.replace('"bob",0,0,', '"bob",true,0,'),
    'an unknown type': (t) => t.replace('"text","bob"', '"gif","bob"'),
    'a record of 6': (t) => t.replace(',0,0,{"text":"hi 0"}]', ',0,0]'),
    'a record of 10': (t) => t.replace('{"text":"hi 0"}]', '{"text":"hi 0"},null,null,1]'),
    'a numeric fromName': (t) => t.replace('{"text":"hi 0"}]', '{"text":"hi 0"},7]'),
    'an unread count over u32': (t) => t.replace('{"text":"hi 0"}]', '{"text":"hi 0"},null,4294967296]'),
    'whitespace': (t) => t.replace('"r":[', '"r": ['),
    'the conversation twice': (t) => t.replace('{', '{"c":"single:x:y",'),
    'another conversation': (t) => t.replace('single:', 'group:'),
    'two records swapped': (t) => { const v = JSON.parse(t); [v.r[0], v.r[1]] = [v.r[1], v.r[0]]; return JSON.stringify(v); },
    'no records': (t) => { const v = JSON.parse(t); v.r = []; return JSON.stringify(v); },
    'not JSON': (t) => t.slice(0, -3),
    'a string body': (t) => t.replace('{"text":"hi 0"}', '"hi 0"'),
    'an unknown field': (t) => t.slice(0, -1) + ',"x":1}',
    'an escaped name': (t) => t.replace('"bob"', '"b\\u006fb"'),
  };
  let numbers = 0;
  for (const [what, damage] of Object.entries(damages)) {
    const sides = [];
    for (const native of [true, false]) {
      const wx = new FakeWx();
      for (const [k, e] of Object.entries(base.entries)) wx.setStorageSync(k, k === chunkKey ? damage(text) : e.data);
      const cache = await open(wx);
      const store = cache._storage;
      if (!native) store.getPositions = undefined;
      else {
        const read = store.getPositions;
        store.getPositions = (key) => { const v = read.call(store, key); if (typeof v !== 'string' && v) numbers++; return v; };
      }
      const attempt = (f) => { try { return f(); } catch (e) { return { error: e.code, message: e.message }; } };
      const steps = [cache.openReport, attempt(() => cache.cacheMsg({ messages: seed.slice(0, 6) }, 'realtime')),
        attempt(() => cache.cacheMsg({ messages: [msg(2000, T0 + 100, 'bob')] }, 'realtime')), cache.conversations()];
      for (const row of cache.conversations()) steps.push(cache.messages(row.id, { limit: 100 }));
      sides.push({ steps, entries: wx.entries });
    }
    assert.ok(!sides[0].steps.some((x) => x && x.error), what + ': no call fails (' + JSON.stringify(sides[0].steps[2]) + ')');
    assert.deepEqual(sides[0].steps, sides[1].steps, what);
    assert.deepEqual(sides[0].entries, sides[1].entries, what + ': storage');
  }
  assert.ok(numbers >= 3, 'the native reader handed over positions (' + numbers + ')');
});

// js/wx-storage.js lists our keys without their prefix, one per line; a key
// holding a line break makes it fall back to the JSON list. Either way an
// open sweeps what the index does not name and keeps what it does.
test('stray keys under our prefix, one with a line break, are swept at open', async () => {
  for (const odd of ['c999\nc1', '', 'x']) {
    const { wx, before } = await seeded();
    const ns = Object.keys(wx.entries).find((k) => k.endsWith(':i')).slice(0, -1);
    wx.setStorageSync(ns + odd, 'left by someone');
    const cache = await open(wx);
    assert.equal(cache.openReport.orphansRemoved, 1, JSON.stringify(odd));
    assert.equal(wx.entries[ns + odd], undefined, JSON.stringify(odd) + ' removed');
    intact(wx, before);
  }
});

// js/known.js sends every copy of an id the batch holds twice, also when the
// copies spell it differently ("7" is 7 to the core), so that the core decides
// between them exactly as when it sees all of them.
test('a known copy whose id comes again in the batch as a string is still sent', async () => {
  const reports = [];
  for (const plain of [false, true]) {
    const { cache } = await seeded();
    if (plain) cache._known.copies = () => null;
    const again = msg(1001, T0 + 1, 'bob');
    const other = msg('1001', T0 + 1, 'carol', { text: 'the same id from someone else' });
    reports.push([cache.cacheMsg({ messages: [again, other] }, 'realtime'), cache.conversations()]);
  }
  assert.deepEqual(reports[0], reports[1]);
  assert.equal(reports[0][0].rejected, 1, 'the second copy is refused: its id is taken in this batch');
});
