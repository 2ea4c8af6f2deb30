// The benchmark scenarios, engine-neutral: bench/run.js runs them in Node and
// bench/jsc.js in JavaScriptCore with the JIT off. Each implementation runs
// against its own fake wx (tests/js/fake-wx.js), whose get/set serialise the
// way WeChat's bridge does and which counts calls and bytes written.
(function (root) {
  var APPKEY = 'a1b2c3d4e5f60718293a4b5c', ME = 'wx_alice', T0 = 1717400000000;
  var nextId = 60000000000;

  function msg(peer, time, gid) {
    var id = nextId++;
    var text = '第' + id % 1000 + '条消息: see you at the east gate at 7:30, bring water';
    if (gid) {
      return { msg_id: id, ctime_ms: time, msg_type: 4, from_gid: gid, key: gid, msg_level: 'normal', need_receipt: false,
        content: { version: 1, target_type: 'group', target_id: String(gid), from_id: peer, from_platform: 'web', create_time: time - 100, msg_type: 'text', msg_body: { text: text } } };
    }
    return { msg_id: id, ctime_ms: time, msg_type: 3, from_username: peer, from_appkey: APPKEY, key: 1, msg_level: 'normal', need_receipt: false,
      content: { version: 1, target_type: 'single', target_id: ME, from_id: peer, from_platform: 'web', create_time: time - 100, msg_type: 'text', msg_body: { text: text } } };
  }

  function median(xs) {
    var s = xs.slice().sort(function (a, b) { return a - b; });
    var n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  // Counts storage traffic on a FakeWx.
  function counted(wx) {
    var calls = { get: 0, set: 0, remove: 0 };
    var g = wx.getStorageSync, s = wx.setStorageSync, r = wx.removeStorageSync;
    wx.getStorageSync = function (k) { calls.get++; return g.call(wx, k); };
    wx.setStorageSync = function (k, v) { calls.set++; return s.call(wx, k, v); };
    wx.removeStorageSync = function (k) { calls.remove++; return r.call(wx, k); };
    wx.calls = calls;
    return wx;
  }

  // host: { now(), FakeWx, UsualCache, CarefulCache, openOurs(wx, extra) -> Promise<cache>, coldOpen(wx) -> Promise<cache>, log(s) }
  async function run(host, cfg) {
    // A full collection before each measured part, where the engine offers
    // one: the careful cache's multi-megabyte strings otherwise leave a heap
    // whose collection lands in whichever run comes next.
    function settle() { if (host.gc) host.gc(); }
    var out = { config: cfg, scenarios: {} };
    var impls = {
      ours: async function (wx, extra) { return host.openOurs(wx, extra); },
      usual: async function (wx) { return new host.UsualCache(wx); },
      careful: async function (wx) { return new host.CarefulCache(wx, APPKEY, ME); }
    };
    var names = ['ours', 'usual', 'careful'];

    // 1. Realtime, one message per call, into a conversation holding N.
    var s1 = out.scenarios.realtime = {};
    for (var n of cfg.histories) {
      s1[n] = {};
      for (var name of names) {
        settle();
        var wx = counted(new host.FakeWx({ totalLimit: 64 * 1024 * 1024, keyLimit: 16 * 1024 * 1024 }));
        var impl = await impls[name](wx, { maxMessagesPerConversation: 100000 });
        var t = T0;
        var prefill = [];
        for (var i = 0; i < n; i++) prefill.push(msg('bob_01', t++));
        // Prefill in batches, as a sync would deliver them (the usual cache
        // directly: filling it message by message is quadratic).
        if (impl.prefill) impl.prefill(prefill);
        else for (var b = 0; b < prefill.length; b += 500) impl.cacheMsg({ messages: prefill.slice(b, b + 500) }, 'realtime');
        var rounds = [], bytes0 = wx.bytesWritten, calls0 = wx.calls.get + wx.calls.set + wx.calls.remove, total = 0;
        for (var r = 0; r < cfg.rounds; r++) {
          var batch = [];
          for (var k = 0; k < cfg.perRound; k++) batch.push({ messages: [msg('bob_01', t++)] });
          var start = host.now();
          for (var k2 = 0; k2 < batch.length; k2++) impl.cacheMsg(batch[k2], 'realtime');
          rounds.push((host.now() - start) / batch.length);
          total += batch.length;
        }
        s1[n][name] = {
          msPerMessage: median(rounds),
          bytesWrittenPerMessage: (wx.bytesWritten - bytes0) / total,
          storageCallsPerMessage: (wx.calls.get + wx.calls.set + wx.calls.remove - calls0) / total
        };
        if (name === 'ours') s1[n][name].wasmMemoryBytes = impl.stats().wasmMemoryBytes;
        host.log('realtime n=' + n + ' ' + name + ' ' + s1[n][name].msPerMessage.toFixed(3) + ' ms/msg');
      }
    }

    // 2. Login sync: C conversations x M messages, then the same again, then a mix.
    var s2 = out.scenarios.sync = {};
    function syncPayload(convs, per, offset, fresh) {
      var entries = [];
      for (var c = 0; c < convs; c++) {
        var msgs = [];
        for (var j = 0; j < per; j++) {
          var isGroup = c % 2 === 1;
          msgs.push(msg(isGroup ? 'member_' + (j % 7) : 'peer_' + c, T0 + offset + j * 1000 + c, isGroup ? 1000 + c : 0));
        }
        entries.push(isGroup ? { msg_type: 4, from_gid: 1000 + c, key: 1000 + c, msgs: msgs } : { msg_type: 3, from_username: 'peer_' + c, from_appkey: APPKEY, msgs: msgs });
      }
      return entries;
    }
    for (var name2 of names) {
      settle();
      var times = { first: [], repeat: [], mix: [], reopened: [] }, writes = {};
      for (var r2 = 0; r2 < cfg.syncRounds; r2++) {
        var wx2 = counted(new host.FakeWx({ totalLimit: 64 * 1024 * 1024, keyLimit: 16 * 1024 * 1024 }));
        var impl2 = await impls[name2](wx2);
        var first = syncPayload(cfg.syncConvs, cfg.syncPer, 0);
        var a = host.now(); impl2.cacheMsg(first, 'history'); times.first.push(host.now() - a);
        var sets0 = wx2.calls.set, b0 = wx2.bytesWritten;
        a = host.now(); impl2.cacheMsg(first, 'history'); times.repeat.push(host.now() - a);
        writes.repeatSets = wx2.calls.set - sets0; writes.repeatBytes = wx2.bytesWritten - b0;
        // Realistic mix: roaming repeats the last 80 of each conversation, plus 20 new.
        var newer = syncPayload(cfg.syncConvs, Math.max(1, Math.round(cfg.syncPer / 5)), cfg.syncPer * 1000 + 5000);
        var mix = first.map(function (e, idx) {
          var copy = {}; for (var key in e) copy[key] = e[key];
          copy.msgs = e.msgs.slice(Math.round(e.msgs.length / 5)).concat(newer[idx].msgs);
          return copy;
        });
        a = host.now(); impl2.cacheMsg(mix, 'history'); times.mix.push(host.now() - a);
        // The same roaming again after the app restarted: a new instance over
        // the same storage, so nothing learnt in memory helps (ours leaves
        // out copies it has itself just been told it holds, js/known.js).
        if (impl2.close) impl2.close();
        var again = await impls[name2](wx2);
        a = host.now(); again.cacheMsg(mix, 'history'); times.reopened.push(host.now() - a);
      }
      s2[name2] = { firstMs: median(times.first), repeatMs: median(times.repeat), mixMs: median(times.mix), reopenedMs: median(times.reopened), repeatSets: writes.repeatSets, repeatBytes: writes.repeatBytes };
      host.log('sync ' + name2 + ' first ' + s2[name2].firstMs.toFixed(1) + ' ms, repeat ' + s2[name2].repeatMs.toFixed(1) + ' ms (' + writes.repeatSets + ' sets)');
    }

    // 3. Cold start on a full cache, and 4. steady state at the budget.
    settle();
    var wx3 = counted(new host.FakeWx());
    var ours = await host.openOurs(wx3, { budgetBytes: cfg.budgetBytes });
    // Fill to the budget: 40 conversations, one busier. Stop at 97% of the
    // budget, or once the size stops growing (eviction holds it below).
    var t3 = T0, most = 0, flat = 0;
    while (ours.stats().bytes < cfg.budgetBytes * 0.97 && flat < 3) {
      var batch3 = [];
      for (var q = 0; q < 500; q++) batch3.push(msg(q % 10 === 0 ? 'busy_peer' : 'peer_' + (q % 37), t3++, q % 5 === 1 ? 2000 + (q % 3) : 0));
      ours.cacheMsg({ messages: batch3 }, 'realtime');
      var now3 = ours.stats().bytes;
      if (now3 > most) { most = now3; flat = 0; } else flat++;
    }
    var full = ours.stats();
    var cold = [];
    var busiest = null;
    for (var c3 = 0; c3 < cfg.coldRounds; c3++) {
      var a3 = host.now();
      var reopened = await host.coldOpen(wx3, { budgetBytes: cfg.budgetBytes });
      var list = reopened.conversations();
      busiest = list.slice().sort(function (x, y) { return y.count - x.count; })[0];
      reopened.messages(busiest.id, { limit: 20 });
      cold.push(host.now() - a3);
    }
    out.scenarios.coldStart = { ms: median(cold), cacheBytes: full.bytes, keys: full.keys, messages: full.messages, conversations: full.conversations };
    host.log('cold start on ' + full.bytes + ' bytes: ' + median(cold).toFixed(1) + ' ms');

    // 3b. Search over the full cache: a word no message has (every chunk is
    // read), one in 1 message of 1000 (most are read), and one every message
    // has (stops after the first chunks).
    var kinds = { none: '没有这个词 nothing', rare: '第7条消息', early: 'east gate' }, search = {};
    for (var kind in kinds) {
      var times = [], found = 0;
      for (var s3 = 0; s3 < Math.max(3, cfg.coldRounds); s3++) {
        var a5 = host.now();
        found = reopened.search(kinds[kind], { limit: 20 }).hits.length;
        times.push(host.now() - a5);
      }
      search[kind] = { ms: median(times), hits: found };
    }
    out.scenarios.search = search;
    host.log('search over ' + full.bytes + ' bytes: none ' + search.none.ms.toFixed(1) + ' ms, rare ' + search.rare.ms.toFixed(1) + ' ms (' + search.rare.hits + ' hits), early stop ' + search.early.ms.toFixed(1) + ' ms');

    var steady = [], ev = 0, bytes4 = wx3.bytesWritten, n4 = 0, peakMem = 0;
    for (var r4 = 0; r4 < cfg.rounds; r4++) {
      var a4 = host.now();
      for (var k4 = 0; k4 < cfg.perRound; k4++) {
        ev += ours.cacheMsg({ messages: [msg('peer_' + (k4 % 37), t3++)] }, 'realtime').evicted;
        n4++;
      }
      steady.push((host.now() - a4) / cfg.perRound);
      peakMem = Math.max(peakMem, ours.stats().wasmMemoryBytes);
    }
    var st = ours.stats();
    out.scenarios.steady = { msPerMessage: median(steady), evictedPerMessage: ev / n4, bytesWrittenPerMessage: (wx3.bytesWritten - bytes4) / n4, bytes: st.bytes, budgetBytes: st.budgetBytes, wasmMemoryBytes: peakMem };
    host.log('steady state at budget: ' + median(steady).toFixed(3) + ' ms/msg');

    // 4b. The careful cache at the same budget: filled the same way, then
    // streamed on the same way.
    settle();
    var wx4 = counted(new host.FakeWx()), careful = new host.CarefulCache(wx4, APPKEY, ME, cfg.budgetBytes);
    var t4 = T0, most4 = 0, flat4 = 0;
    while (careful._total() < cfg.budgetBytes * 0.97 && flat4 < 3) {
      var batch4 = [];
      for (var q4 = 0; q4 < 500; q4++) batch4.push(msg(q4 % 10 === 0 ? 'busy_peer' : 'peer_' + (q4 % 37), t4++, q4 % 5 === 1 ? 2000 + (q4 % 3) : 0));
      careful.cacheMsg({ messages: batch4 }, 'realtime');
      if (careful._total() > most4) { most4 = careful._total(); flat4 = 0; } else flat4++;
    }
    var steadyCareful = [], bytes5 = wx4.bytesWritten, n5 = 0;
    for (var r5 = 0; r5 < cfg.rounds; r5++) {
      var a6 = host.now();
      for (var k5 = 0; k5 < cfg.perRound; k5++) {
        careful.cacheMsg({ messages: [msg('peer_' + (k5 % 37), t4++)] }, 'realtime');
        n5++;
      }
      steadyCareful.push((host.now() - a6) / cfg.perRound);
    }
    out.scenarios.steady.careful = { msPerMessage: median(steadyCareful), bytesWrittenPerMessage: (wx4.bytesWritten - bytes5) / n5, bytes: careful._total() };
    host.log('steady state at budget, careful: ' + median(steadyCareful).toFixed(3) + ' ms/msg');
    return out;
  }

  var api = { run: run };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.benchScenarios = api;
})(this);
