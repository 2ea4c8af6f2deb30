// The two implementations jim-cache is compared with, in plain JS.
(function (root) {
  // 1. The usual approach: the widely copied hand-written cacheMsg(msg, msg_type).
  //    Per message it reads the sender's array, pushes {type, body, time} and
  //    writes the whole array back, keyed by sender, with the sender's clock.
  function UsualCache(wx) { this.wx = wx; }
  UsualCache.prototype.cacheMsg = function (data, msgType) {
    var wx = this.wx;
    var list = [];
    if (msgType === 'history') data.forEach(function (entry) { list = list.concat(entry.msgs); });
    else list = data.messages;
    list.forEach(function (m) {
      var key = m.from_username || m.content.from_id;
      var arr = wx.getStorageSync(key) || [];
      arr.push({ type: m.content.msg_type, body: m.content.msg_body, time: m.content.create_time });
      wx.setStorageSync(key, arr);
    });
  };

  // 2. A careful pure-JS cache: what a competent developer writes instead of
  //    adopting jim-cache. Same semantics as ours (conversation identity,
  //    dedup, (time, id) order, unread, last message), one key per
  //    conversation holding all its records, conversations kept in memory once
  //    read, one write per conversation touched plus one index write per call.
  //    Like ours it keeps a byte budget counted in UTF-8 (measured natively)
  //    and writes in a crash-safe order: the conversations first, then the
  //    index that names them (a crash between leaves the old index, whose
  //    conversations are all complete). When over the budget, it drops the
  //    oldest half of the conversation that was idle longest.
  function CarefulCache(wx, appkey, username, budgetBytes) {
    this.wx = wx; this.appkey = appkey; this.me = username;
    this.budget = budgetBytes || 8 * 1024 * 1024;
    this.convs = {};
    this.index = wx.getStorageSync('careful:index') || {};
  }
  // UTF-8 bytes of a string, with the engine's native code.
  function utf8Bytes(s) {
    return /^[\x00-\x7f]*$/.test(s) ? s.length : unescape(encodeURIComponent(s)).length;
  }
  CarefulCache.prototype._total = function () {
    var t = 0;
    for (var id in this.index) t += this.index[id].bytes || 0;
    return t;
  };
  // Bytes are kept per conversation and grown per record (measuring the
  // whole value again on every write would cost it O(history) per message).
  function recordBytes(r) { return utf8Bytes(JSON.stringify(r)) + 1; }
  CarefulCache.prototype._write = function (id) {
    this.wx.setStorageSync('careful:' + id, JSON.stringify(this.convs[id].records));
  };
  CarefulCache.prototype._fit = function (touched) {
    var self = this;
    while (this._total() > this.budget) {
      var held = Object.keys(this.index).filter(function (id) { return self.index[id].count > 0; });
      if (!held.length) break;
      var idle = held.sort(function (a, b) { return self.index[a].last.time - self.index[b].last.time; })[0];
      var conv = this._load(idle);
      var drop = Math.max(1, conv.records.length >> 1);
      conv.records.splice(0, drop).forEach(function (r) { conv.ids.delete(r.id); self.index[idle].bytes -= recordBytes(r); });
      this.index[idle].count = conv.records.length;
      touched[idle] = true;
      this._write(idle);
    }
  };
  function convOf(m, me, appkey) {
    var c = m.content;
    if (c.target_type === 'group' || m.msg_type === 4) return 'group:' + (m.from_gid || c.target_id);
    var out = c.from_id === me;
    return 'single:' + ((out ? c.target_appkey : c.from_appkey) || m.from_appkey || appkey) + ':' + (out ? c.target_id : c.from_id);
  }
  CarefulCache.prototype._load = function (id) {
    var conv = this.convs[id];
    if (!conv) {
      var stored = this.wx.getStorageSync('careful:' + id);
      var records = stored ? JSON.parse(stored) : [];
      conv = this.convs[id] = { records: records, ids: new Set(records.map(function (r) { return r.id; })) };
    }
    return conv;
  };
  CarefulCache.prototype.cacheMsg = function (data, msgType) {
    var self = this, list = [], touched = {};
    if (msgType === 'history') data.forEach(function (entry) { list = list.concat(entry.msgs); });
    else list = data.messages;
    list.forEach(function (m) {
      var id = convOf(m, self.me, self.appkey);
      var conv = self._load(id);
      if (conv.ids.has(m.msg_id)) return;
      var rec = { id: m.msg_id, type: m.content.msg_type, body: m.content.msg_body, time: m.ctime_ms, from: m.content.from_id, out: m.content.from_id === self.me };
      var lo = 0, hi = conv.records.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1, r = conv.records[mid];
        if (r.time < rec.time || (r.time === rec.time && r.id < rec.id)) lo = mid + 1; else hi = mid;
      }
      conv.records.splice(lo, 0, rec);
      conv.ids.add(rec.id);
      var entry = self.index[id] || (self.index[id] = { unread: 0, last: null, count: 0, bytes: 2 * id.length + 10 });
      entry.count++;
      entry.bytes += recordBytes(rec);
      if (!rec.out) entry.unread++;
      if (!entry.last || entry.last.time < rec.time || (entry.last.time === rec.time && entry.last.id < rec.id)) entry.last = rec;
      touched[id] = true;
    });
    var ids = Object.keys(touched);
    ids.forEach(function (id) { self._write(id); });
    if (ids.length) this._fit(touched);
    if (ids.length) this.wx.setStorageSync('careful:index', this.index);
  };

  // Fill the usual cache as if `list` had arrived one by one, without paying
  // for it (its cost is quadratic): one write per sender array.
  UsualCache.prototype.prefill = function (list) {
    var arrays = {}, wx = this.wx;
    list.forEach(function (m) {
      var key = m.from_username || m.content.from_id;
      (arrays[key] = arrays[key] || wx.getStorageSync(key) || []).push({ type: m.content.msg_type, body: m.content.msg_body, time: m.content.create_time });
    });
    Object.keys(arrays).forEach(function (k) { wx.setStorageSync(k, arrays[k]); });
  };

  var api = { UsualCache: UsualCache, CarefulCache: CarefulCache };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else { root.UsualCache = UsualCache; root.CarefulCache = CarefulCache; }
})(this);
