// Reads a fake wx's raw entries for one account and checks the cache's
// storage invariants without the cache: the index parses, every referenced
// chunk exists (or is missing only at the front: evicted), records are sorted
// and unique, the budget and key limit hold, no orphan keys, no value equals
// the username. Returns what is stored: id -> {conv, time, retracted}.
'use strict';

function esc(s) { return s.replace(/%/g, '%25').replace(/:/g, '%3A'); }

function checkStorage(wx, o) {
  const ns = `${esc(o.prefix || 'jimc')}:${esc(o.appkey)}:${esc(o.username)}:`;
  const budget = o.budgetBytes || 8 * 1024 * 1024;
  const keyLimit = o.keyLimitBytes || 1024 * 1024;
  const utf8 = (s) => Buffer.byteLength(s, 'utf8');
  const keys = Object.keys(wx.entries).filter((k) => k.startsWith(ns));
  let bytes = 0;
  for (const k of keys) {
    const e = wx.entries[k];
    if (e.type !== 'String') throw new Error(`${k} holds a ${e.type}`);
    if (e.data === o.username) throw new Error(`${k} holds the bare username`);
    const size = utf8(k) + utf8(e.data);
    if (size > keyLimit) throw new Error(`${k} is over the key limit`);
    bytes += size;
  }
  if (bytes > budget) throw new Error(`namespace holds ${bytes} bytes, budget ${budget}`);
  const messages = new Map();
  const raw = wx.entries[ns + 'i'];
  if (!raw) {
    if (keys.length) throw new Error('keys without an index: ' + keys.join(', '));
    return { messages, bytes, conversations: 0 };
  }
  const index = JSON.parse(raw.data);
  if (index.v !== 3) throw new Error('index version ' + index.v);
  const referenced = new Set([ns + 'i']);
  // Older chunks are listed in the directory, the newest in the index.
  const older = new Map();
  if (index.d) {
    const dk = ns + 'd' + index.d[0];
    referenced.add(dk);
    if (!wx.entries[dk]) throw new Error('directory missing');
    for (const [id, metas] of JSON.parse(wx.entries[dk].data).c) older.set(id, metas);
  }
  for (const c of index.c) {
    let prev = null, front = true;
    for (const [key, t0, i0, t1, i1, count] of (older.get(c.i) || []).concat(c.k)) {
      const k = ns + 'c' + key;
      referenced.add(k);
      if (!wx.entries[k]) {
        if (!front) throw new Error(`chunk ${k} of ${c.i} missing in the middle`);
        continue;
      }
      front = false;
      const chunk = JSON.parse(wx.entries[k].data);
      if (chunk.c !== c.i) throw new Error(`chunk ${k} belongs to ${chunk.c}`);
      if (chunk.r.length !== count) throw new Error(`chunk ${k} count`);
      if (chunk.r[0][1] !== t0 || chunk.r[0][0] !== i0 || chunk.r[count - 1][1] !== t1 || chunk.r[count - 1][0] !== i1) throw new Error(`chunk ${k} bounds`);
      for (const [id, time, , , , retracted] of chunk.r) {
        if (prev && (time < prev[0] || (time === prev[0] && id <= prev[1]))) throw new Error(`${c.i} out of order at ${id}`);
        prev = [time, id];
        if (messages.has(id)) throw new Error(`message ${id} stored twice`);
        messages.set(id, { conv: c.i, time, retracted: retracted === 1, floor: c.f });
      }
    }
  }
  for (const k of keys) if (!referenced.has(k)) throw new Error('orphan key ' + k);
  return { messages, bytes, conversations: index.c.length, index };
}

module.exports = { checkStorage };
