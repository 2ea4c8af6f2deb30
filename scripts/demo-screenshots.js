// Renders the demo's two pages after the scripted session (the same jsdom +
// miniprogram-simulate rendering the page tests use, with the pages' own
// compiled WXSS) and screenshots them with headless Chromium into
// docs/demo-list.png, demo-chat.png, demo-send.png and demo-search.png. Run by scripts/build-demo.sh.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const h = require(path.join(__dirname, '..', 'tests', 'demo', 'harness.js'));

// Output folder: docs/ by default (the README's pictures); the test command
// passes a scratch folder to check the script still works.
const OUT = path.resolve(process.argv[2] || path.join(h.ROOT, 'docs'));
const TMP = path.join(h.ROOT, 'build', 'shots');

// WXML's elements as the browser should lay them out; the page background.
const BASE = `html,body{margin:0;background:#ededed;font-family:"WenQuanYi Micro Hei","PingFang SC",sans-serif;font-size:30px;color:#111}
wx-view{display:block} wx-text{display:inline} wx-image{display:inline-block}
.bar{height:88px;line-height:88px;text-align:center;font-size:34px;background:#ededed;border-bottom:1px solid #ddd}`;

// `bottom`: show the end of the content, as a chat scrolled to its newest message.
function page(title, comp, bottom) {
  const styles = Array.from(document.querySelectorAll('head style')).map((s) => s.innerHTML).join('\n');
  const content = bottom
    ? `<div style="position:absolute;top:88px;bottom:0;left:0;right:0;overflow:hidden"><div style="position:absolute;bottom:0;left:0;right:0">${comp.dom.outerHTML}</div></div>`
    : comp.dom.outerHTML;
  return `<!doctype html><html><head><meta charset="utf-8"><style>${BASE}\n${styles}</style></head>` +
    `<body><div class="bar">${title}</div>${content}</body></html>`;
}

function shoot(html, name) {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, name + '.html');
  fs.writeFileSync(file, html);
  const profile = fs.mkdtempSync(path.join(TMP, 'profile-'));
  execFileSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
    `--user-data-dir=${profile}`, '--window-size=750,1334', `--screenshot=${path.join(OUT, name + '.png')}`,
    'file://' + file], { stdio: 'ignore' });
  fs.rmSync(profile, { recursive: true, force: true });
  console.log('wrote ' + path.relative(h.ROOT, path.join(OUT, name + '.png')));
}

(async () => {
  await h.launch('replay');
  const list = await h.open('index');
  shoot(page('消息', list), 'demo-list');
  const chat = await h.open('chat', { id: encodeURIComponent('group:22334455') });
  shoot(page('周末徒步群', chat, true), 'demo-chat');
  // Sends: one failed (offline), one still sending (slow network).
  const app = getApp();
  const bob = 'single:a1b2c3d4e5f60718293a4b5c:bob_01';
  app.jim.offline = true;
  app.sendText(bob, '我到东门了，你们在哪？');
  await new Promise((r) => setTimeout(r, 0));
  app.jim.offline = false;
  app.jim.hold = true;
  app.sendText(bob, '我先买水');
  const sending = await h.open('chat', { id: encodeURIComponent(bob) });
  shoot(page('Bob', sending, true), 'demo-send');
  const search = await h.open('search');
  search.instance.setData({ query: '路线' });
  search.instance.search();
  shoot(page('查找聊天记录', search), 'demo-search');
})().catch((e) => { console.error(e); process.exit(1); });
