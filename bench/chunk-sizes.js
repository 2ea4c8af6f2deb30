// The chunk-size lever, measured (docs/BENCHMARKS.md, "Bytes per message"):
// bytes written per realtime message at 5,000 stored (one conversation) and
// at a full 8 MiB cache (41 conversations, streamed round robin), for 4, 8
// and 16 KiB chunks. Bytes do not depend on the engine, so this runs in Node.
//   node bench/chunk-sizes.js
'use strict';
const fs = require('fs');
const path = require('path');
const FakeWx = require('../tests/js/fake-wx.js');
const ROOT = path.join(__dirname, '..');
const wasm = fs.readFileSync(path.join(ROOT, 'pkg', 'jim_cache_bg.wasm'));
const pkg = require(path.join(ROOT, 'pkg', 'jim_cache.js'));
const APPKEY = 'a1b2c3d4e5f60718293a4b5c', T0 = 1717400000000;
function msg(peer, time, gid) {
  const body = { text: '第' + time % 1000 + '条消息 — meet at the east gate at ' + (time % 24) + ':00, bring the 报告 draft', extras: {} };
  const content = { version: 1, target_type: gid ? 'group' : 'single', from_platform: 'a', target_id: gid ? String(gid) : 'wx_alice', target_appkey: APPKEY, target_name: gid ? 'team' : 'Alice', from_id: peer, from_appkey: APPKEY, from_name: peer, create_time: time, msg_type: 'text', msg_body: body };
  return { msg_id: time * 10 + 7, msg_type: gid ? 4 : 3, from_uid: 1, from_gid: gid || 0, ctime_ms: time, content, need_receipt: false };
}
(async () => {
  for (const chunkBytes of [4096, 8192, 16384]) {
    // 5,000 stored in one conversation.
    let wx = new FakeWx({ totalLimit: 64 << 20, keyLimit: 16 << 20 });
    let c = await pkg.openCache({ storage: wx, appkey: APPKEY, username: 'wx_alice', wasm, chunkBytes, maxMessagesPerConversation: 100000 });
    let t = T0; const pre = []; for (let i = 0; i < 5000; i++) pre.push(msg('bob_01', t++));
    for (let b = 0; b < 5000; b += 500) c.cacheMsg({ messages: pre.slice(b, b + 500) }, 'realtime');
    let b0 = wx.bytesWritten; for (let k = 0; k < 500; k++) c.cacheMsg({ messages: [msg('bob_01', t++)] }, 'realtime');
    const at5000 = (wx.bytesWritten - b0) / 500;
    // A full 8 MiB cache, streaming round robin over 37 peers.
    wx = new FakeWx();
    c = await pkg.openCache({ storage: wx, appkey: APPKEY, username: 'wx_alice', wasm, chunkBytes });
    let most = 0, flat = 0;
    while (c.stats().bytes < 8 * 1024 * 1024 * 0.97 && flat < 3) {
      const b = []; for (let q = 0; q < 500; q++) b.push(msg(q % 10 === 0 ? 'busy_peer' : 'peer_' + (q % 37), t++, q % 5 === 1 ? 2000 + (q % 3) : 0));
      c.cacheMsg({ messages: b }, 'realtime');
      const now = c.stats().bytes; if (now > most) { most = now; flat = 0; } else flat++;
    }
    b0 = wx.bytesWritten; for (let k = 0; k < 370; k++) c.cacheMsg({ messages: [msg('peer_' + (k % 37), t++)] }, 'realtime');
    const full = (wx.bytesWritten - b0) / 370;
    console.log(JSON.stringify({ chunkBytes, at5000: Math.round(at5000), full: Math.round(full), keys: c.stats().keys }));
  }
})();
