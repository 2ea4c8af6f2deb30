// Runs the demo mini-program in Node: jsdom + miniprogram-simulate render
// its pages; the package loads through a WXWebAssembly that only takes a
// package path (no WebAssembly, TextEncoder or TextDecoder globals, as on a
// device); storage is the fake wx with WeChat's limits.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.join(__dirname, '..', '..');
const DEMO = path.join(ROOT, 'miniprogram-demo');
const TOOLS = path.join(ROOT, 'tools', 'node_modules');

const { JSDOM } = require(path.join(TOOLS, 'jsdom'));
const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
for (const k of ['window', 'document', 'navigator', 'HTMLElement', 'Node', 'Event', 'CustomEvent', 'getComputedStyle']) {
  global[k] = k === 'window' ? dom.window : dom.window[k];
}

const FakeWx = require(path.join(ROOT, 'tests', 'js', 'fake-wx.js'));
const storage = { current: new FakeWx() };
const navigations = [];
// Storage goes to the current fake; simulate fills in the rest of wx.
global.wx = {
  getStorageSync: (k) => storage.current.getStorageSync(k),
  setStorageSync: (k, v) => storage.current.setStorageSync(k, v),
  removeStorageSync: (k) => storage.current.removeStorageSync(k),
  getStorageInfoSync: () => storage.current.getStorageInfoSync(),
  navigateTo: (o) => navigations.push(o.url),
  setNavigationBarTitle: () => {},
};
const simulate = require(path.join(TOOLS, 'miniprogram-simulate'));

const realWebAssembly = globalThis.WebAssembly;
delete globalThis.TextEncoder;
delete globalThis.TextDecoder;
delete globalThis.WebAssembly;
const wxCalls = [];
globalThis.WXWebAssembly = {
  instantiate(packagePath, imports) {
    if (typeof packagePath !== 'string') return Promise.reject(new TypeError('package path only'));
    wxCalls.push(packagePath);
    let bytes = fs.readFileSync(path.join(DEMO, packagePath));
    if (packagePath.endsWith('.br')) bytes = zlib.brotliDecompressSync(bytes);
    return realWebAssembly.instantiate(bytes, imports);
  },
};

let app = null;
global.App = (definition) => { app = Object.assign({}, definition); };
global.getApp = () => app;

const config = require(path.join(DEMO, 'config.js'));

// Starts a new app instance (as a relaunch does: a new process) over the current storage.
// `mode` 'replay' plays the whole scripted session at once.
async function launch(mode) {
  config.mode = mode;
  config.schedule = (fn) => fn();
  delete require.cache[require.resolve(path.join(DEMO, 'app.js'))];
  // A relaunch is a new process: the package (and its session token) too.
  delete require.cache[require.resolve(path.join(DEMO, 'libs', 'jim-cache', 'jim_cache.js'))];
  require(path.join(DEMO, 'app.js'));
  app.onLaunch();
  await app.ready;
  return app;
}

// Renders a page (built with Component) and runs its onLoad.
async function open(page, query) {
  const id = simulate.load(path.join(DEMO, 'pages', page, page), { rootPath: DEMO });
  const comp = simulate.render(id);
  comp.attach(document.body);
  await comp.instance.onLoad(query || {});
  await simulate.sleep(0);
  return comp;
}

function texts(comp, selector) {
  return Array.from(comp.dom.querySelectorAll(selector)).map((n) => n.textContent.trim());
}

module.exports = { ROOT, DEMO, simulate, storage, navigations, wxCalls, launch, open, texts, FakeWx, dom };
