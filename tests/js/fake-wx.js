// A fake `wx` storage with WeChat's real behaviour, for Node and jsc tests.
//
// - 1 MB per key and 10 MB in total, both counted as key + value in UTF-16
//   units (what Android's client counts), with delta accounting on overwrite
//   (growing a key needs only the growth; shrinking always succeeds);
// - the real error texts of both platforms, thrown as the base library does
//   (an Error whose message starts with "APP-SERVICE-SDK:"), or as `{errMsg}`;
// - values serialised like the base library: strings as is, objects and
//   arrays as JSON, and anything else (Map, Set, typed arrays) silently
//   stored as '' (data lost);
// - '' for a missing key; getStorageInfoSync in "KB" of 1000 units;
// - hooks for tests: fail the next writes with a given text, kill the
//   "process" after N mutations, and the SDK's login-time removeItems(username).
(function (root) {
  var KEY_LIMIT = 1024 * 1024;
  var TOTAL_LIMIT = 10 * 1024 * 1024;
  var TEXTS = {
    android: { key: 'setStorageSync:fail:entry size limit reached', quota: 'setStorageSync:fail:quota reached' },
    ios: { key: 'setStorageSync:fail exceed storage item max length', quota: 'setStorageSync:fail exceed storage max size 10Mb' }
  };

  function tag(v) { return Object.prototype.toString.call(v).slice(8, -1); }

  function serialize(value) {
    var t = tag(value);
    if (t === 'String') return { type: t, data: value };
    if (t === 'Number' || t === 'Boolean') return { type: t, data: String(value) };
    if (t === 'Date') return { type: t, data: String(value.getTime()) };
    if (t === 'Object' || t === 'Array') return { type: t, data: JSON.stringify(value) };
    if (t === 'Undefined' || t === 'Null') return { type: t, data: '' };
    return { type: t, data: '' }; // Map, Set, typed arrays...: lost
  }

  function deserialize(e) {
    switch (e.type) {
      case 'String': return e.data;
      case 'Number': return Number(e.data);
      case 'Boolean': return e.data === 'true';
      case 'Date': return new Date(Number(e.data));
      case 'Object': case 'Array': return JSON.parse(e.data);
      case 'Null': return null;
      case 'Undefined': return undefined;
      default: return '';
    }
  }

  function FakeWx(options) {
    options = options || {};
    this.platform = options.platform || 'android';
    this.errorStyle = options.errorStyle || 'error';
    this.keyLimit = options.keyLimit || KEY_LIMIT;
    this.totalLimit = options.totalLimit || TOTAL_LIMIT;
    this.entries = {};
    this.total = 0;
    this.mutations = 0;
    this.sets = 0;
    this.bytesWritten = 0;
    this.failures = []; // texts for the next setStorageSync calls
    this.killAfter = -1;
    this.dead = false;
  }

  FakeWx.prototype._throw = function (api, text) {
    var msg = text.indexOf(':fail') >= 0 ? text.replace('setStorageSync', api) : api + ':fail ' + text;
    if (this.errorStyle === 'errMsg') throw { errMsg: msg };
    throw new Error('APP-SERVICE-SDK:' + msg);
  };

  FakeWx.prototype._mutate = function (api) {
    if (this.dead) this._throw(api, 'process killed');
    if (this.killAfter >= 0 && this.mutations >= this.killAfter) {
      this.dead = true;
      this._throw(api, 'process killed');
    }
  };

  FakeWx.prototype.setStorageSync = function (key, value) {
    if (typeof key !== 'string' || key === '') this._throw('setStorageSync', 'parameter error: key must be a non-empty string');
    this._mutate('setStorageSync');
    if (this.failures.length) this._throw('setStorageSync', this.failures.shift());
    var e = serialize(value);
    var size = key.length + e.data.length;
    if (size > this.keyLimit) this._throw('setStorageSync', TEXTS[this.platform].key);
    var old = this.entries[key] ? key.length + this.entries[key].data.length : 0;
    if (size > old && this.total + size - old >= this.totalLimit) this._throw('setStorageSync', TEXTS[this.platform].quota);
    this.entries[key] = e;
    this.total += size - old;
    this.mutations++;
    this.sets++;
    this.bytesWritten += size;
  };

  FakeWx.prototype.getStorageSync = function (key) {
    if (this.dead) this._throw('getStorageSync', 'process killed');
    var e = this.entries[key];
    return e ? deserialize(e) : '';
  };

  FakeWx.prototype.removeStorageSync = function (key) {
    this._mutate('removeStorageSync');
    var e = this.entries[key];
    if (e) {
      this.total -= key.length + e.data.length;
      delete this.entries[key];
    }
    this.mutations++;
  };

  FakeWx.prototype.clearStorageSync = function () {
    this.entries = {};
    this.total = 0;
  };

  FakeWx.prototype.getStorageInfoSync = function () {
    if (this.dead) this._throw('getStorageInfoSync', 'process killed');
    return { keys: Object.keys(this.entries), currentSize: Math.ceil(this.total / 1000), limitSize: Math.floor(this.totalLimit / 1024) };
  };

  // The process comes back: same data, no pending faults.
  FakeWx.prototype.restart = function () {
    this.dead = false;
    this.killAfter = -1;
    this.failures = [];
  };

  // What JMessage SDKs run at every login: delete each key whose value is
  // the bare username.
  FakeWx.prototype.sdkRemoveItems = function (username) {
    var removed = 0;
    for (var k of Object.keys(this.entries)) {
      if (this.getStorageSync(k) === username) {
        this.removeStorageSync(k);
        removed++;
      }
    }
    return removed;
  };

  // Raw stored strings, for assertions.
  FakeWx.prototype.raw = function (key) {
    return this.entries[key] ? this.entries[key].data : undefined;
  };

  FakeWx.TEXTS = TEXTS;
  if (typeof module !== 'undefined' && module.exports) module.exports = FakeWx;
  else root.FakeWx = FakeWx;
})(this);
