// The whole integration: open the cache once, hand every SDK callback to it,
// and tell the pages when something changed.
const { openCache } = require('./libs/jim-cache/jim_cache.js');
const config = require('./config.js');
const wire = require('./utils/wire.js');

App({
  onLaunch() {
    this.listeners = [];
    this.ready = this.start().catch((e) => {
      console.error('[demo] could not start', e);
      throw e;
    });
  },

  async start() {
    let jim = null;
    let account = config.account;
    if (config.mode === 'replay') {
      const scenario = require('./replay/scenario.js');
      const ReplayJim = require('./replay/replay-jim.js');
      jim = new ReplayJim(scenario, config.schedule);
      account = { appkey: scenario.APPKEY, username: scenario.USERNAME };
    } else if (config.mode === 'jim') {
      jim = await config.createJim();
    } else if (config.mode === 'offline') {
      const scenario = require('./replay/scenario.js');
      account = { appkey: scenario.APPKEY, username: scenario.USERNAME };
    }
    this.cache = await openCache({ storage: wx, appkey: account.appkey, username: account.username, wasmPath: config.wasmPath });
    this.jim = jim;
    if (jim) {
      const wiring = wire(jim, this.cache, (kind, report) => this.emit(kind, report));
      this.sent = wiring.sent; // call from every send's onSuccess(data, msg)
      this.sendText = wiring.sendText;
      jim.onSent = wiring.sent; // replay's scripted sends
      if (jim.start) jim.start();
    }
    if (!jim) {
      // No SDK: a message typed is kept as a failed echo, to send later.
      this.sendText = (id, text, localId) => {
        const echo = this.cache.addPending(id, { type: 'text', body: { text }, localId });
        this.cache.sendFailed(echo.localId, 'offline: no SDK in this mode');
        this.emit('failed', { conversations: [id] });
        return echo;
      };
    }
    return this.cache;
  },

  // Pages subscribe to changes; returns the unsubscribe function.
  subscribe(fn) {
    this.listeners.push(fn);
    return () => { this.listeners = this.listeners.filter((f) => f !== fn); };
  },

  emit(kind, report) {
    this.listeners.forEach((fn) => fn(kind, report));
  }
});
