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
  function CarefulCache(wx, appkey, username) {
    this.wx = wx; this.appkey = appkey; this.me = username;
    this.convs = {};
    this.index = wx.getStorageSync('careful:index') || {};
  }
  function convOf(m, me, appkey) {
    var c = m.content;
    if (c.target_type === 'group' || m.msg_type === 4) return 'group:' + (m.from_gid || c.target_id);
    var out = c.from_id === me;
    return 'single:' + ((out ? c.target_appkey : c.from_appkey) || m.from_appkey || appkey) + ':' + (out ? c.target_id : c.from_id);
  }
  CarefulCache.prototype._load = function (id) {
    var conv = this.convs[id];
    if (!conv) {
      var records = this.wx.getStorageSync('careful:' + id) || [];
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
      var entry = self.index[id] || (self.index[id] = { unread: 0, last: null, count: 0 });
      entry.count++;
      if (!rec.out) entry.unread++;
      if (!entry.last || entry.last.time < rec.time || (entry.last.time === rec.time && entry.last.id < rec.id)) entry.last = rec;
      touched[id] = true;
    });
    var ids = Object.keys(touched);
    ids.forEach(function (id) { self.wx.setStorageSync('careful:' + id, self.convs[id].records); });
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
