// The main job: replays a realistic JMessage login-and-chat session
// (miniprogram-demo/replay/scenario.js) through the built package, wired the
// way app.js wires it, into a fake wx storage that enforces WeChat's limits;
// then prints the conversation list and storage use, and reopens the cache
// to show the same state comes back.
'use strict';
const fs = require('fs');
const path = require('path');
const ROOT = path.join(__dirname, '..');
const { openCache } = require(path.join(ROOT, 'pkg', 'jim_cache.js'));
const FakeWx = require(path.join(ROOT, 'tests', 'js', 'fake-wx.js'));
const scenario = require(path.join(ROOT, 'miniprogram-demo', 'replay', 'scenario.js'));
const ReplayJim = require(path.join(ROOT, 'miniprogram-demo', 'replay', 'replay-jim.js'));
const wire = require(path.join(ROOT, 'miniprogram-demo', 'utils', 'wire.js'));
const { preview, displayName } = require(path.join(ROOT, 'miniprogram-demo', 'utils', 'format.js'));

async function main() {
  const wasm = fs.readFileSync(path.join(ROOT, 'pkg', 'jim_cache_bg.wasm'));
  const wx = new FakeWx();
  wx.setStorageSync('logs', [Date.now()]); // the rest of the app has data too
  const options = { storage: wx, appkey: scenario.APPKEY, username: scenario.USERNAME, wasm };
  const cache = await openCache(options);
  const jim = new ReplayJim(scenario);
  const wiring = wire(jim, cache, (kind, r) => {
    if (r.error) return console.log(`${kind.padEnd(8)} ERROR ${r.error.code}: ${r.error.message}`);
    console.log(`${kind.padEnd(8)} +${r.added} added, ${r.duplicates} duplicates, ${r.retracted} retracted, ${r.rejected} rejected, ${r.evicted} evicted, ${r.ignored} ignored`);
  });
  jim.onSent = wiring.sent;
  console.log(`replaying ${scenario.steps.length} SDK callbacks for ${scenario.USERNAME}\n`);
  jim.start();

  printList(cache.conversations());
  const s = cache.stats();
  console.log(`\nstorage: ${s.bytes} bytes in ${s.keys} keys (budget ${s.budgetBytes}); ${s.messages} messages in ${s.conversations} conversations`);
  console.log(`wx storage in total: ${wx.total} of ${wx.totalLimit} (WeChat's count, UTF-16 units)`);

  const before = JSON.stringify(cache.conversations());
  cache.close();
  const reopened = await openCache(options);
  console.log(`\nreopened: ${JSON.stringify(reopened.conversations()) === before ? 'same conversations, same unread counts' : 'DIFFERENT STATE'}`);
}

function printList(list) {
  console.log('\nconversations, most recent first:');
  for (const c of list) {
    const when = new Date(c.last.time).toISOString().slice(5, 16).replace('T', ' ');
    const badge = c.unread ? `(${c.unread})` : '';
    console.log(`  ${displayName(c).padEnd(10)} ${badge.padEnd(5)} ${when}  ${preview(c.last)}   [${c.count} msgs]`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
