// The demo's pages, rendered in Node against the real built wasm: what the
// user sees after the scripted session, paging, the retraction placeholder,
// the storage bar, and the same state after a relaunch.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness.js');

test('replay builds the conversation list a user expects', async () => {
  h.storage.current = new h.FakeWx();
  await h.launch('replay');
  assert.ok(h.wxCalls.every((p) => p === '/libs/jim-cache/jim_cache_bg.wasm.br'), 'loaded by package path');
  const list = await h.open('index');
  const names = h.texts(list, '.main--name');
  assert.deepEqual(names, ['Bob', '周末徒步群', 'Frank', 'Erin'], 'most recent first');
  const previews = h.texts(list, '.main--preview');
  assert.equal(previews[0], '[语音] 4″');
  assert.equal(previews[1], '我在B口');
  assert.equal(previews[3], '[自定义消息]');
  // The SDK's counts: roaming history is not unread, the group was read on her phone.
  const badges = h.texts(list, '.main--badge');
  assert.deepEqual(badges, ['5', '1', '1'], 'Bob, Frank, Erin; no badge for the group');
  // Names and initials from the cache (getConversation, else the messages).
  assert.deepEqual(h.texts(list, '.main--avatar'), ['B', '周', 'F', 'E']);
  const bar = h.texts(list, '.main--storage-text')[0];
  assert.match(bar, /^本地缓存 [\d.]+ KB \/ 8192 KB · 65 条消息$/);
  const fill = list.dom.querySelector('.main--storage-fill').getAttribute('style');
  assert.match(fill, /width: ?[\d.]+%/);
  list.querySelector('.row').dispatchEvent('tap');
  await h.simulate.sleep(0);
  assert.equal(h.navigations.pop(), '/pages/chat/chat?id=' + encodeURIComponent('single:a1b2c3d4e5f60718293a4b5c:bob_01'));
});

test('the chat page shows bubbles, media metadata, the retraction placeholder, and pages back', async () => {
  const chat = await h.open('chat', { id: encodeURIComponent('single:a1b2c3d4e5f60718293a4b5c:bob_01') });
  let bubbles = h.texts(chat, '.main--text');
  assert.equal(bubbles.length, 19, 'newest page: 20 records, one of them a retraction tip');
  assert.equal(bubbles[bubbles.length - 1], '[语音] 4″', 'newest at the bottom');
  assert.ok(bubbles.includes('出发了'), 'the message sent from the mini-program');
  assert.ok(bubbles.includes('[文件] 路线.pdf'));
  assert.ok(bubbles.includes('[图片]'));
  assert.ok(h.texts(chat, '.main--meta').includes('720×960 · png · 100 KB'));
  assert.deepEqual(h.texts(chat, '.main--tip'), ['Bob撤回了一条消息']);
  assert.equal(chat.dom.querySelectorAll('.main--out').length > 0, true, 'own messages on the right');
  assert.equal(chat.dom.querySelectorAll('.main--in').length > 0, true);
  // Receipts: her last roaming message and the one sent here were read.
  assert.deepEqual(h.texts(chat, '.main--read'), ['已读', '已读']);
  // Page back through history by cursor.
  chat.querySelector('.older').dispatchEvent('tap');
  await h.simulate.sleep(0);
  bubbles = h.texts(chat, '.main--text');
  assert.equal(bubbles.length, 29, 'all 30 messages, one retracted');
  assert.equal(bubbles[0], '周六去爬梧桐山吗？', 'the oldest first');
  assert.equal(chat.dom.querySelector('.main--older'), null, 'nothing older');
  assert.deepEqual(h.texts(chat, '.main--read'), ['已读', '已读'], 'no receipt known for her older messages');
  // Opening marked it read.
  const list = await h.open('index');
  assert.deepEqual(h.texts(list, '.main--badge'), ['1', '1']);
});

test('the group chat shows nicknames and how many have not read her messages', async () => {
  const chat = await h.open('chat', { id: encodeURIComponent('group:22334455') });
  const senders = h.texts(chat, '.main--sender');
  assert.ok(senders.includes('Carol') && senders.includes('Dave'), 'fromName, not usernames: ' + senders);
  assert.ok(!senders.includes('carol_88'));
  assert.deepEqual(h.texts(chat, '.main--read'), ['2人未读', '1人未读']);
});

test('text is rendered as text, never as markup', async () => {
  h.storage.current = new h.FakeWx();
  const app = await h.launch('offline');
  app.cache.cacheMsg({ messages: [{ msg_id: 1, ctime_ms: 1717400000000, msg_type: 3, from_username: 'mallory', content: {
    target_type: 'single', target_id: 'wx_alice', from_id: 'mallory', msg_type: 'text', msg_body: { text: '<img src=x onerror=alert(1)><b>hi</b>' } } }] }, 'realtime');
  const chat = await h.open('chat', { id: encodeURIComponent('single:a1b2c3d4e5f60718293a4b5c:mallory') });
  assert.equal(chat.dom.querySelectorAll('img').length, 0);
  assert.equal(chat.dom.querySelectorAll('b').length, 0);
  assert.deepEqual(h.texts(chat, '.main--text'), ['<img src=x onerror=alert(1)><b>hi</b>']);
});

test('a relaunch over the same storage shows the same state', async () => {
  h.storage.current = new h.FakeWx();
  await h.launch('replay');
  const before = await h.open('index');
  const snapshot = [h.texts(before, '.main--name'), h.texts(before, '.main--preview'), h.texts(before, '.main--badge'), h.texts(before, '.main--storage-text')];
  await h.launch('offline');
  const after = await h.open('index');
  assert.deepEqual([h.texts(after, '.main--name'), h.texts(after, '.main--preview'), h.texts(after, '.main--badge'), h.texts(after, '.main--storage-text')], snapshot);
});

test('a message typed shows at once, grey, and is replaced by the sent one', async () => {
  h.storage.current = new h.FakeWx();
  const app = await h.launch('replay');
  const bob = 'single:a1b2c3d4e5f60718293a4b5c:bob_01';
  app.jim.hold = true; // a slow network
  const chat = await h.open('chat', { id: encodeURIComponent(bob) });
  chat.instance.setData({ draft: '马上到' });
  chat.querySelector('.composer-send').dispatchEvent('tap');
  await h.simulate.sleep(0);
  assert.equal(h.texts(chat, '.main--text').pop(), '马上到', 'shown at once, newest');
  assert.equal(chat.dom.querySelectorAll('.main--sending').length, 1, 'grey while sending');
  assert.deepEqual(h.texts(chat, '.main--state'), ['发送中']);
  const list = await h.open('index');
  assert.equal(h.texts(list, '.main--preview')[0], '马上到', 'the list shows it as last');
  app.jim.hold = false;
  app.jim.release();
  await h.simulate.sleep(0);
  chat.instance.loadNewest();
  assert.equal(chat.dom.querySelectorAll('.main--sending').length, 0, 'sent');
  assert.equal(h.texts(chat, '.main--text').filter((t) => t === '马上到').length, 1, 'exactly one message');
  assert.deepEqual(app.cache.pending(), []);
});

test('a failed send keeps its text across a relaunch and is sent again from the red "!"', async () => {
  h.storage.current = new h.FakeWx();
  let app = await h.launch('replay');
  const bob = 'single:a1b2c3d4e5f60718293a4b5c:bob_01';
  app.jim.offline = true;
  let chat = await h.open('chat', { id: encodeURIComponent(bob) });
  chat.instance.setData({ draft: '网络不好' });
  chat.querySelector('.composer-send').dispatchEvent('tap');
  await h.simulate.sleep(0);
  chat.instance.loadNewest();
  assert.equal(chat.dom.querySelectorAll('.main--retry').length, 1, 'red "!"');
  // One more still sending when the mini-program is killed.
  app.jim.offline = false;
  app.jim.hold = true;
  chat.instance.setData({ draft: '被杀掉了' });
  chat.querySelector('.composer-send').dispatchEvent('tap');
  await h.simulate.sleep(0);
  app = await h.launch('offline');
  chat = await h.open('chat', { id: encodeURIComponent(bob) });
  const texts = h.texts(chat, '.main--text');
  assert.deepEqual(texts.slice(-2), ['网络不好', '被杀掉了'], 'both kept, newest at the bottom');
  assert.equal(chat.dom.querySelectorAll('.main--retry').length, 2, 'both failed after the relaunch');
  const list = await h.open('index');
  assert.match(h.texts(list, '.main--preview')[0], /^\[发送失败\] 被杀掉了$/);
  // Back online: retry the first from its "!".
  app = await h.launch('replay');
  chat = await h.open('chat', { id: encodeURIComponent(bob) });
  chat.querySelector('.retry').dispatchEvent('tap');
  await h.simulate.sleep(0);
  chat.instance.loadNewest();
  assert.equal(chat.dom.querySelectorAll('.main--retry').length, 1, 'one left to retry');
  assert.equal(app.cache.pending().length, 1);
  assert.ok(app.cache.messages(bob).messages.some((m) => m.id !== null && m.body.text === '网络不好'), 'stored');
});

test('search finds messages in every conversation and opens the chat at the hit', async () => {
  h.storage.current = new h.FakeWx();
  await h.launch('replay');
  const list = await h.open('index');
  list.querySelector('.search').dispatchEvent('tap');
  await h.simulate.sleep(0);
  assert.equal(h.navigations.pop(), '/pages/search/search');
  const page = await h.open('search');
  page.instance.setData({ query: '梧桐山' });
  page.querySelector('.go').dispatchEvent('tap');
  await h.simulate.sleep(0);
  assert.deepEqual(h.texts(page, '.main--name'), ['Bob', 'Bob', 'Bob'], 'the line was said three times');
  assert.deepEqual(h.texts(page, '.main--text'), ['周六去爬梧桐山吗？', '周六去爬梧桐山吗？', '周六去爬梧桐山吗？']);
  page.instance.setData({ query: '路线' });
  page.querySelector('.go').dispatchEvent('tap');
  await h.simulate.sleep(0);
  const names = h.texts(page, '.main--name');
  assert.ok(names.length > 5 && names.includes('Bob') && names.includes('周末徒步群'), 'texts and file names: ' + names);
  page.instance.setData({ query: '没有这种话' });
  page.querySelector('.go').dispatchEvent('tap');
  await h.simulate.sleep(0);
  assert.deepEqual(h.texts(page, '.main--none'), ['没有找到相关的聊天记录']);
  // The oldest hit opens its chat, paged back to it and marked.
  page.instance.setData({ query: '梧桐山' });
  page.querySelector('.go').dispatchEvent('tap');
  await h.simulate.sleep(0);
  const hits = page.querySelectorAll('.hit');
  hits[hits.length - 1].dispatchEvent('tap');
  await h.simulate.sleep(0);
  const url = h.navigations.pop();
  const query = Object.fromEntries(url.split('?')[1].split('&').map((kv) => kv.split('=')));
  const chat = await h.open('chat', query);
  const hit = chat.dom.querySelector('.main--hit');
  assert.ok(hit, 'the hit is marked');
  assert.equal(hit.querySelector('.main--text').textContent.trim(), '周六去爬梧桐山吗？');
  assert.equal(chat.dom.querySelectorAll('.main--hit').length, 1);
  assert.equal(h.texts(chat, '.main--text')[0], '周六去爬梧桐山吗？', 'paged back to the oldest message');
});
