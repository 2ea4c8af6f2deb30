// The package test suite, shared by Node (node --test) and JavaScriptCore
// (jsc with the JIT off). It drives the built package through the production
// loading path (WXWebAssembly with a package path, no TextEncoder/TextDecoder,
// no WebAssembly global) over a fake `wx` with WeChat's limits.
//
// defineSuite(test, host): `test(name, asyncFn)` registers a test; `host` gives
// { openCache, FakeWx, fixtures, wasmPath, wxCalls }.
(function (root) {
  var APPKEY = 'a1b2c3d4e5f60718293a4b5c';
  var ME = 'wx_alice';
  var T0 = 1717400000000;

  function fail(msg) { throw new Error(msg); }
  function ok(c, msg) { if (!c) fail('assertion failed: ' + msg); }
  function eq(a, b, msg) {
    var sa = JSON.stringify(a), sb = JSON.stringify(b);
    if (sa !== sb) fail((msg || 'not equal') + ': ' + sa + ' !== ' + sb);
  }
  function throwsCode(fn, code, msg) {
    try { fn(); } catch (e) {
      ok(e instanceof Error, 'a real Error (' + msg + ')');
      eq(e.name, 'JimCacheError', msg);
      eq(e.code, code, msg + ' (' + e.message + ')');
      return e;
    }
    fail('expected ' + code + ': ' + msg);
  }
  async function rejectsCode(p, code, msg) {
    try { await p; } catch (e) {
      eq(e.code, code, msg + ' (' + e.message + ')');
      return e;
    }
    fail('expected rejection ' + code + ': ' + msg);
  }

  function strip(v) {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      var o = {};
      for (var k of Object.keys(v)) if (k[0] !== '_') o[k] = strip(v[k]);
      return o;
    }
    return v;
  }

  function single(id, time, from, text) {
    return { msg_id: id, ctime_ms: time, msg_type: 3, from_username: from, from_appkey: APPKEY,
      content: { version: 1, target_type: 'single', target_id: ME, from_id: from, create_time: time, msg_type: 'text', msg_body: { text: text } } };
  }
  function group(id, time, gid, from, text) {
    return { msg_id: id, ctime_ms: time, msg_type: 4, from_gid: gid, key: gid,
      content: { version: 1, target_type: 'group', target_id: String(gid), from_id: from, create_time: time, msg_type: 'text', msg_body: { text: text } } };
  }

  function defineSuite(test, host) {
    var fx = {};
    for (var name of Object.keys(host.fixtures)) fx[name] = strip(host.fixtures[name]);

    function open(wx, extra) {
      var o = { storage: wx, appkey: APPKEY, username: ME, wasmPath: host.wasmPath };
      for (var k in extra || {}) o[k] = extra[k];
      return host.openCache(o);
    }

    // ---- the conformance suite (tests/conformance.rs) ----------------------
    // The same cases the core runs on MemoryStorage, here on the JS store
    // over a fake wx: every result, list and page must be what it got.
    function canon(v) {
      if (Array.isArray(v)) return v.map(canon);
      if (v && typeof v === 'object') {
        var o = {};
        for (var k of Object.keys(v).sort()) o[k] = canon(v[k]);
        return o;
      }
      return v;
    }
    function stepArg(a) { return a && typeof a === 'object' && typeof a.fixture === 'string' ? fx[a.fixture] : { data: a }; }
    async function conformanceCase(c) {
      var wx = new host.FakeWx(), opts = c.options || {};
      var cache = await open(wx, opts), steps = [];
      for (var s of c.steps) {
        var out;
        try {
          switch (s[0]) {
            case 'cacheMsg': out = cache.cacheMsg(stepArg(s[1]).data, s[2]); break;
            case 'cacheSent': out = cache.cacheSent(stepArg(s[1]).data, stepArg(s[1]).msg); break;
            case 'applyEvent': out = cache.applyEvent(stepArg(s[1]).data); break;
            case 'applyReceipts': out = cache.applyReceipts(stepArg(s[1]).data); break;
            case 'applyUnread': out = cache.applyUnread(stepArg(s[1]).data); break;
            case 'applyConversations': out = cache.applyConversations(stepArg(s[1]).data); break;
            case 'markRead': out = cache.markRead(s[1]); break;
            case 'remove': out = cache.remove(s[1]); break;
            case 'reopen': cache.close(); cache = await open(wx, opts); out = cache.openReport; break;
            default: fail('unknown call ' + s[0]);
          }
        } catch (e) {
          if (!e || e.name !== 'JimCacheError') throw e;
          out = { error: e.code };
        }
        steps.push({ result: out, conversations: cache.conversations() });
      }
      var pages = {};
      for (var row of cache.conversations()) pages[row.id] = cache.messages(row.id, { limit: 100 });
      return { name: c.name, steps: steps, pages: pages };
    }

    if (host.conformance) {
      test('conformance: the JS store gives exactly what the core gives on MemoryStorage (tests/conformance)', async function () {
        var cases = host.conformance.cases, expected = host.conformance.expected;
        eq(cases.length, expected.length, 'a result for every case');
        for (var i = 0; i < cases.length; i++) {
          var got = canon(await conformanceCase(cases[i])), want = canon(expected[i]);
          for (var j = 0; j < want.steps.length; j++) eq(got.steps[j], want.steps[j], cases[i].name + ', step ' + j + ' ' + JSON.stringify(cases[i].steps[j]).slice(0, 80));
          eq(got.pages, want.pages, cases[i].name + ': pages');
        }
      });
    }

    // Every stored value is a string we wrote, never the bare username.
    function checkStorage(wx) {
      var bytes = 0;
      for (var k of Object.keys(wx.entries)) {
        if (k.indexOf('jimc:') !== 0) continue;
        var e = wx.entries[k];
        eq(e.type, 'String', 'value type of ' + k);
        ok(e.data !== ME, 'no value equals the username');
        bytes += k.length + e.data.length;
      }
      return bytes;
    }

    test('loads through WXWebAssembly with a package path and no TextDecoder', async function () {
      ok(typeof TextDecoder === 'undefined' && typeof TextEncoder === 'undefined', 'no codec globals');
      ok(typeof WebAssembly === 'undefined', 'no WebAssembly global');
      var wx = new host.FakeWx();
      var cache = await open(wx);
      ok(host.wxCalls.length >= 1 && typeof host.wxCalls[0] === 'string', 'instantiate got a path');
      eq(cache.openReport, { reset: null, rebuilt: false, orphansRemoved: 0, chunksDropped: 0, messagesDropped: 0 });
      var r = cache.cacheMsg(fx.realtime_single_text.data, 'realtime');
      eq(r.added, 1);
      var page = cache.messages('single:' + APPKEY + ':bob_01');
      var text = page.messages[0].body.text;
      ok(typeof text === 'string' && text.length > 0, 'non-ASCII text came back: ' + text);
      eq(JSON.parse(JSON.stringify(page)), page, 'plain JSON data');
    });

    test('the fixtures build the conversation list a chat app expects', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx);
      for (var n of ['sync_offline_single_text', 'sync_offline_group_mixed_media', 'sync_mixed_single_and_group']) {
        var r = cache.cacheMsg(fx[n].data, 'history');
        eq(r.rejected, 0, n);
      }
      var rt = ['realtime_single_text', 'realtime_group_text_at_all', 'realtime_single_image', 'realtime_single_voice_android',
        'realtime_single_file_web', 'realtime_group_location', 'realtime_single_custom', 'realtime_single_video_native',
        'realtime_single_video_as_file_miniprogram', 'realtime_self_sent_other_device_single',
        'realtime_self_sent_other_device_group', 'realtime_batch_two_conversations'];
      for (var n2 of rt) eq(cache.cacheMsg(fx[n2].data, 'realtime').rejected, 0, n2);
      var roaming = cache.cacheMsg(fx.sync_roaming_with_self_sent_and_receipts.data, 'history');
      ok(roaming.duplicates >= 1, 'roaming repeats are duplicates');
      eq(cache.applyEvent(fx.event_retract_single_realtime.data).retracted, 1);
      var e2 = cache.applyEvent(fx.event_retract_group_offline_sync.data);
      eq(e2.ignored, 1, 'non-retraction events are ignored');
      eq(cache.cacheSent(fx.send_single_text_onSuccess.data, fx.send_single_text_onSuccess.msg).added, 1);

      var list = cache.conversations();
      eq(list[0].id, 'single:' + APPKEY + ':bob_01', 'the send is the newest');
      eq(list[0].last.out, true);
      eq(typeof list[0].last.id, 'number');
      for (var i = 1; i < list.length; i++) ok(list[i - 1].last.time >= list[i].last.time, 'most recent first');
      var groupRow = list.filter(function (c) { return c.id === 'group:22334455'; })[0];
      eq([groupRow.type, groupRow.target, groupRow.appkey], ['group', '22334455', null]);
      var cross = list.filter(function (c) { return c.id.indexOf('9f8e7d6c5b4a39281706f5e4') >= 0; })[0];
      ok(cross && cross.target === 'frank_cross', 'cross-app conversation');
      var types = {};
      for (var row of list) cache.messages(row.id, { limit: 100 }).messages.forEach(function (m) { types[m.type] = 1; });
      eq(Object.keys(types).sort(), ['custom', 'file', 'image', 'location', 'text', 'video', 'voice'], 'every content type');
      var bob = cache.messages('single:' + APPKEY + ':bob_01', { limit: 100 }).messages;
      var retracted = bob.filter(function (m) { return m.retracted; });
      eq(retracted.length, 1);
      eq(retracted[0].body, {});
      checkStorage(wx);
    });

    test('a new openCache over the same storage sees the same state, and dedups', async function () {
      var wx = new host.FakeWx();
      var a = await open(wx);
      var msgs = [];
      for (var i = 0; i < 50; i++) msgs.push(single(100 + i, T0 + i * 1000, 'bob_01', '第' + i + '条'));
      eq(a.cacheMsg({ messages: msgs }, 'realtime').added, 50);
      a.markRead('single:' + APPKEY + ':bob_01');
      var before = JSON.stringify(a.conversations());
      a.close();
      throwsCode(function () { a.stats(); }, 'CLOSED', 'closed cache');
      var b = await open(wx);
      eq(JSON.stringify(b.conversations()), before, 'same list after reopen');
      var again = b.cacheMsg([{ msg_type: 3, from_username: 'bob_01', from_appkey: APPKEY, msgs: msgs }], 'history');
      eq([again.added, again.duplicates], [0, 50]);
      var sets = wx.sets;
      b.cacheMsg([{ msg_type: 3, from_username: 'bob_01', msgs: msgs }], 'history');
      eq(wx.sets, sets, 'an all-duplicate resync writes nothing');
    });

    test('paging walks back through history without loss or repeats', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx, { chunkBytes: 2048 });
      var msgs = [];
      for (var i = 0; i < 230; i++) msgs.push(single(5000 + ((i * 7) % 230), T0 + Math.floor(i / 5), 'bob_01', 'm' + i));
      cache.cacheMsg({ messages: msgs }, 'realtime');
      var seen = [], before = null, pages = 0;
      do {
        var p = cache.messages('single:' + APPKEY + ':bob_01', { limit: 20, before: before });
        seen = p.messages.map(function (m) { return m.time + ':' + m.id; }).concat(seen);
        before = p.before;
        pages++;
      } while (before);
      eq(seen.length, 230);
      eq(pages, 12);
      var uniq = {};
      seen.forEach(function (k) { uniq[k] = 1; });
      eq(Object.keys(uniq).length, 230, 'no repeats');
      throwsCode(function () { cache.messages('single:' + APPKEY + ':bob_01', { limit: 0 }); }, 'BAD_ARGUMENT', 'limit 0');
      throwsCode(function () { cache.messages('nonsense'); }, 'BAD_ARGUMENT', 'bad id');
      throwsCode(function () { cache.messages('group:1', { before: 'x' }); }, 'BAD_ARGUMENT', 'bad cursor');
      eq(cache.messages('group:123'), { messages: [], before: null });
    });

    test('retraction before its message, unread counts, markRead, remove, clear', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx);
      cache.applyEvent([{ event_type: 55, type: 1, from_gid: 77, from_username: 'dave', msgid_list: [9] }]);
      eq(cache.stats().pendingRetractions, 1);
      cache.cacheMsg({ messages: [group(9, T0, 77, 'dave', 'oops'), group(10, T0 + 1, 77, 'dave', 'hi')] }, 'realtime');
      var g = cache.messages('group:77').messages;
      eq([g[0].retracted, g[0].body, g[1].retracted], [true, {}, undefined]);
      eq(cache.conversations()[0].unread, 1, 'the retracted one does not count');
      ok(cache.markRead('group:77'), 'marked');
      ok(!cache.markRead('group:77'), 'nothing more to mark');
      eq(cache.conversations()[0].unread, 0);
      ok(cache.remove('group:77'), 'removed');
      eq(cache.conversations().length, 0);
      cache.cacheMsg({ messages: [single(11, T0, 'bob_01', 'x')] }, 'realtime');
      wx.setStorageSync('logs', [1, 2, 3]);
      cache.clear();
      eq(cache.stats().keys, 0);
      eq(Object.keys(wx.entries), ['logs'], 'clear leaves other keys');
    });

    test("unread as the SDK counts it, receipts, names and avatars, across a reopen", async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx);
      var bob = 'single:' + APPKEY + ':bob_01', grp = 'group:22334455';
      function row(c, id) { return c.conversations().filter(function (r) { return r.id === id; })[0]; }
      function msg(c, conv, id) { return c.messages(conv, { limit: 100 }).messages.filter(function (m) { return m.id === id; })[0]; }
      // The roaming sync through the compact route: the SDK's count, its receipt, the peer's name.
      var rep = cache.cacheMsg(fx.sync_roaming_with_self_sent_and_receipts.data, 'history');
      eq([rep.added, rep.receipts, rep.updated], [3, 1, 1], 'sync report');
      eq(row(cache, bob).unread, 1, 'the SDK says 1');
      eq(row(cache, bob).name, 'Bob', 'named by your own message to him');
      eq(msg(cache, bob, 50281990002).unreadCount, 0, 'read');
      ok(!('unreadCount' in msg(cache, bob, 50282500050)), 'incoming messages have no receipt');
      // Read on the phone: the badge clears.
      rep = cache.applyUnread(fx.muti_unread_msg_update.data);
      eq([rep.updated, row(cache, bob).unread], [1, 0], 'applyUnread');
      // A group message of mine, then the receipts for it.
      var mineInGroup = group(50283508999, T0 + 9000000, 22334455, ME, '集合');
      mineInGroup.content.from_appkey = APPKEY;
      mineInGroup.content.target_name = '周末徒步群';
      mineInGroup.content.from_name = 'Alice';
      cache.cacheMsg({ messages: [mineInGroup] }, 'realtime');
      eq(msg(cache, grp, 50283508999).fromName, 'Alice', 'fromName kept');
      rep = cache.applyReceipts(fx.receipt_change_sync.data);
      eq(rep.receipts, 1, 'onSyncMsgReceipt: the group one changes, bob\'s is already 0');
      eq(msg(cache, grp, 50283508999).unreadCount, 3, '3 have not read it');
      rep = cache.applyReceipts({ type: 4, gid: 22334455, receipt_msgs: [{ msg_id: 50283508999, unread_count: 5 }] });
      eq([rep.receipts, msg(cache, grp, 50283508999).unreadCount], [0, 3], 'a larger count never raises it');
      // getConversation: names, avatars, counts; unknown conversations wait.
      rep = cache.applyConversations({ code: 0, message: 'success', conversations: fx.get_conversation_result.data.conversations.concat([
        { type: 3, appkey: APPKEY, username: 'zoe', nickname: 'Zoe', avatar: 'qiniu/image/zoe' }]) });
      eq([rep.updated, rep.pending], [2, 1], 'bob and the group updated, zoe remembered');
      eq([row(cache, bob).avatar, row(cache, bob).unread], ['qiniu/image/j/AB12CD34', 2], 'bob');
      eq([row(cache, grp).name, row(cache, grp).avatar, row(cache, grp).unread], ['周末徒步群', null, 5], 'group');
      ok(!row(cache, 'single:' + APPKEY + ':zoe'), 'no row for zoe yet');
      // Nothing changes: nothing written.
      var before = wx.mutations;
      cache.applyConversations(fx.get_conversation_result.data);
      cache.applyUnread({ type: 4, gid: 22334455, unreadCount: 5 });
      eq(wx.mutations, before, 'no writes for no change');
      // Everything persists; zoe's first message brings her profile.
      var again = await open(wx);
      again.cacheMsg({ messages: [single(9001, T0 + 9999999, 'zoe', 'hi')] }, 'realtime');
      var z = row(again, 'single:' + APPKEY + ':zoe');
      eq([z.name, z.avatar, z.unread], ['Zoe', 'qiniu/image/zoe', 1], 'zoe');
      eq([row(again, bob).name, row(again, bob).unread, msg(again, grp, 50283508999).unreadCount], ['Bob', 2, 3], 'after reopen');
      // Malformed input: reasons, and a coded error for no payload at all.
      rep = again.applyReceipts([{ type: 3, username: 'bob_01', receipt_msgs: [{ msg_id: 'x', unread_count: 0 }] }, 5]);
      eq(rep.rejected, 2, 'two reasons: ' + JSON.stringify(rep.reasons));
      throwsCode(function () { again.applyUnread(7); }, 'BAD_PAYLOAD', 'not an object');
      throwsCode(function () { again.applyConversations({ code: 880001, message: 'not logged in' }); }, 'BAD_PAYLOAD', 'a failed getConversation');
      checkStorage(wx);
    });

    test('local echoes: shown at once, replaced by the sent message, failed after a restart, retried', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx);
      var bob = 'single:' + APPKEY + ':bob_01';
      cache.cacheMsg({ messages: [single(1, T0, 'bob_01', '在吗')] }, 'realtime');
      var e = cache.addPending(bob, { type: 'text', body: { text: '在的' } });
      ok(/^local-/.test(e.localId), 'a localId is made: ' + e.localId);
      eq([e.id, e.status, e.out, e.from, e.body], [null, 'sending', true, ME, { text: '在的' }], 'the echo');
      var page = cache.messages(bob).messages;
      eq(page[page.length - 1].localId, e.localId, 'the newest message of its conversation');
      eq(cache.conversations()[0].last.localId, e.localId, 'and the list\'s last');
      eq(cache.conversations()[0].count, 1, 'not counted');
      var data = { code: 0, message: 'success', msg_id: 700, ctime_ms: T0 + 10, appkey: APPKEY, target_username: 'bob_01' };
      var msg = { content: { target_type: 'single', target_id: 'bob_01', from_id: ME, msg_type: 'text', msg_body: { text: '在的' } }, target_id: 'bob_01', msg_id: 700 };
      eq(cache.cacheSent(data, msg, e.localId).added, 1, 'stored');
      eq(cache.pending(), [], 'no echo left');
      var copy = single(700, T0 + 10, ME, '在的');
      copy.content.target_id = 'bob_01'; copy.content.from_appkey = APPKEY;
      eq(cache.cacheMsg({ messages: [copy] }, 'realtime').duplicates, 1, 'the multi-device copy is a duplicate');
      eq(cache.messages(bob).messages.map(function (m) { return m.id; }), [1, 700], 'exactly one record');
      // A send that never completes: failed after a restart, kept, retried.
      cache.addPending(bob, { type: 'text', body: { text: '断网了' }, localId: 'L1' });
      cache.addPending('group:5', { type: 'image', body: { media_id: 'qiniu/image/x' } });
      var other = await open(wx); // another handle of this process: still sending
      eq(other.pending(bob)[0].status, 'sending', 'same process');
      // The mini-program is killed and started again: a fresh copy of the glue.
      var restarted = await host.freshGlue().openCache({ storage: wx, appkey: APPKEY, username: ME, wasmPath: host.wasmPath });
      var p = restarted.pending();
      eq(p.map(function (x) { return x.status; }), ['failed', 'failed'], 'a new process sees them failed');
      eq(p.map(function (x) { return x.localId; })[0], 'L1', 'oldest first');
      ok(p[0].reason && p[0].reason.length > 0, 'with a reason');
      eq(restarted.addPending(bob, { type: 'text', body: { text: '断网了' }, localId: 'L1' }).status, 'sending', 'a retry');
      eq(restarted.sendFailed('L1', 'timeout'), true, 'sendFailed');
      eq(restarted.pending(bob)[0].reason, 'timeout', 'its reason');
      eq(restarted.sendFailed('nope'), false, 'unknown localId');
      eq(restarted.discardPending('L1'), true, 'discarded');
      eq(restarted.pending(bob), [], 'gone');
      throwsCode(function () { restarted.addPending(bob, { type: 'text', body: {} }); }, 'BAD_ARGUMENT', 'a text needs body.text');
      throwsCode(function () { restarted.addPending('nope', { type: 'text', body: { text: 'x' } }); }, 'BAD_ARGUMENT', 'bad conversation id');
      throwsCode(function () { restarted.addPending(bob); }, 'BAD_ARGUMENT', 'no message');
      checkStorage(wx);
    });

    test('search: newest first across conversations, pages by cursor, skips retracted messages', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx, { chunkBytes: 1024 });
      var msgs = [];
      for (var i = 0; i < 90; i++) {
        var text = i % 10 === 0 ? '周六爬山 Hiking ' + i : '普通消息 plain ' + i;
        msgs.push(i % 3 ? single(1 + i, T0 + i * 1000, 'bob_01', text) : group(1 + i, T0 + i * 1000, 5, 'carol', text));
      }
      var file = single(500, T0 + 200000, 'bob_01', 'x');
      file.content.msg_type = 'file'; file.content.msg_body = { media_id: 'm', fname: '徒步路线HIKING.pdf', fsize: 10 };
      var loc = group(501, T0 + 200001, 5, 'carol', 'x');
      loc.content.msg_type = 'location'; loc.content.msg_body = { latitude: 1, longitude: 2, label: '山顶 hiking point' };
      msgs.push(file, loc);
      cache.cacheMsg({ messages: msgs }, 'realtime');
      cache.applyEvent({ event_type: 55, from_username: 'bob_01', from_appkey: APPKEY, msg_ids: [41] });
      cache.addPending('single:' + APPKEY + ':bob_01', { type: 'text', body: { text: 'hiking echo' } });
      var all = cache.search('HIKING', { limit: 100 });
      eq(all.hits.map(function (h) { return h.record.id; }), [501, 500, 81, 71, 61, 51, 31, 21, 11, 1], 'newest first; 41 retracted; the echo never');
      eq(all.before, null, 'one page');
      // Every hit is exactly what messages() returns for it.
      for (var h of all.hits) {
        var same = cache.messages(h.conversation, { limit: 1000 }).messages.filter(function (m) { return m.id === h.record.id; })[0];
        eq(h.record, same, 'hit ' + h.record.id);
      }
      // Pages.
      var first = cache.search('hiking', { limit: 4 });
      eq(first.hits.map(function (h) { return h.record.id; }), [501, 500, 81, 71], 'first page');
      var second = cache.search('hiking', { limit: 4, before: first.before });
      eq(second.hits.map(function (h) { return h.record.id; }), [61, 51, 31, 21], 'second page');
      var third = cache.search('hiking', { limit: 4, before: second.before });
      eq([third.hits.map(function (h) { return h.record.id; }), third.before], [[11, 1], null], 'last page');
      // One conversation; CJK substrings; nothing found.
      eq(cache.search('爬山', { conversation: 'group:5' }).hits.map(function (h) { return h.conversation; }),
        ['group:5', 'group:5', 'group:5'], 'group only (ids 61, 31, 1)');
      eq(cache.search('路线').hits.map(function (h) { return h.record.id; }), [500], 'file name');
      eq(cache.search('"<no such>"').hits, [], 'nothing');
      throwsCode(function () { cache.search('   '); }, 'BAD_ARGUMENT', 'whitespace only');
      throwsCode(function () { cache.search('x', { before: 'bad' }); }, 'BAD_ARGUMENT', 'bad cursor');
      throwsCode(function () { cache.search('x', { limit: 0 }); }, 'BAD_ARGUMENT', 'bad limit');
    });

    test('a small budget keeps the newest messages of every conversation', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx, { budgetBytes: 26000 });
      var peers = ['bob_01', 'carol', 'dave', 'erin'];
      for (var i = 0; i < 500; i++) {
        cache.cacheMsg({ messages: [single(1 + i, T0 + i, peers[i % 4], '一条普通长度的消息 an ordinary message')] }, 'realtime');
      }
      var rows = cache.conversations();
      eq(rows.length, 4, 'four rows');
      for (var k = 0; k < 4; k++) {
        var id = 'single:' + APPKEY + ':' + peers[k];
        eq(cache.messages(id, { limit: 1 }).messages[0].id, 496 + k + 1, 'newest of ' + peers[k]);
      }
      var st = cache.stats();
      ok(st.bytes <= 26000 && st.bytes >= 13000, 'full, within the budget: ' + st.bytes);
      checkStorage(wx);
    });

    test('bad input is rejected with reasons; bad calls throw coded Errors', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx);
      cache.cacheMsg({ messages: [single(1, T0, 'bob_01', 'kept')] }, 'realtime');
      var bad = [null, 42, 'str', [1, 2], { messages: [null, { msg_id: 'x' }, { msg_id: 2 }, { msg_id: -1, content: {} }, single(3, T0, 'bob_01', 'ok')] }];
      var r = cache.cacheMsg(bad[4], 'realtime');
      eq([r.added, r.rejected], [1, 4]);
      eq(r.reasons.length, 4);
      ok(r.reasons.every(function (x) { return typeof x.reason === 'string' && x.reason.length > 5; }), 'reasons say why');
      for (var b of [null, 42, 'str', undefined, { foo: 1 }]) throwsCode(function () { cache.cacheMsg(b, 'realtime'); }, 'BAD_PAYLOAD', String(b));
      throwsCode(function () { cache.cacheMsg({ messages: [] }, 'offline'); }, 'BAD_ARGUMENT', 'bad mode');
      // A cycle where the cache reads (a body) cannot be serialised: coded
      // error, nothing stored. One in a field the cache never reads is no
      // concern of the cache's (the glue reads only what the core needs).
      var cyc = single(4, T0, 'bob_01', 'cyclic'); cyc.content.msg_body.self = cyc.content.msg_body;
      throwsCode(function () { cache.cacheMsg({ messages: [cyc] }, 'realtime'); }, 'BAD_PAYLOAD', 'cycle');
      var lone = single(6, T0, 'bob_01', 'lone'); lone.self = lone; // one message: read whole by the core
      throwsCode(function () { cache.cacheMsg(lone, 'realtime'); }, 'BAD_PAYLOAD', 'cycle, one message');
      var elsewhere = single(5, T0 + 1, 'bob_01', 'fine'); elsewhere.extra = elsewhere;
      eq(cache.cacheMsg({ messages: [elsewhere] }, 'realtime').added, 1);
      throwsCode(function () { cache.applyEvent('nope'); }, 'BAD_PAYLOAD', 'event');
      throwsCode(function () { cache.cacheSent(null, {}); }, 'BAD_PAYLOAD', 'sent');
      eq(cache.messages('single:' + APPKEY + ':bob_01').messages.map(function (m) { return m.id; }), [1, 3, 5]);
      await rejectsCode(host.openCache({ storage: wx, appkey: APPKEY }), 'BAD_ARGUMENT', 'no username');
      await rejectsCode(host.openCache({ storage: {}, appkey: APPKEY, username: ME, wasmPath: host.wasmPath }), 'BAD_ARGUMENT', 'no storage');
      await rejectsCode(open(wx, { budgetBytes: 10 }), 'BAD_ARGUMENT', 'tiny budget');
      await rejectsCode(open(wx, { colour: 'red' }), 'BAD_ARGUMENT', 'unknown option');
    });

    test('a single message for another account is rejected; the rest of the batch is stored', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx);
      var stray = single(2, T0 + 1, 'bob_01', 'meant for the previous login');
      stray.content.target_id = 'wx_previous_login';
      var legacy = single(3, T0 + 2, 'bob_01', 'no target_id');
      delete legacy.content.target_id;
      var r = cache.cacheMsg({ messages: [single(1, T0, 'bob_01', 'mine'), stray, legacy, group(4, T0, 9, 'bob_01', 'group')] }, 'realtime');
      eq([r.added, r.rejected], [3, 1]);
      ok(/^not addressed to this account/.test(r.reasons[0].reason), r.reasons[0].reason);
      eq(r.reasons[0].id, 2);
      var reopened = await open(wx);
      eq(reopened.messages('single:' + APPKEY + ':bob_01').messages.map(function (m) { return m.id; }), [1, 3]);
    });

    test('two handles on one account (two pages, a re-login without close) lose nothing', async function () {
      var wx = new host.FakeWx();
      var a = await open(wx), b = await open(wx);
      var bob = 'single:' + APPKEY + ':bob_01';
      eq(a.cacheMsg({ messages: [single(1, T0, 'bob_01', 'via a')] }, 'realtime').added, 1);
      eq(b.cacheMsg({ messages: [single(2, T0 + 1, 'bob_01', 'via b')] }, 'realtime').added, 1);
      eq(a.cacheMsg({ messages: [single(3, T0 + 2, 'bob_01', 'via a again'), single(2, T0 + 1, 'bob_01', 'dup')] }, 'realtime').added, 1);
      eq(b.messages(bob).messages.map(function (m) { return m.id; }), [1, 2, 3], 'b reads what a wrote');
      eq(b.markRead(bob), true);
      eq(a.conversations()[0].unread, 0, 'a sees b\'s markRead');
      var fresh = await open(wx);
      eq(fresh.messages(bob).messages.map(function (m) { return m.id; }), [1, 2, 3], 'after a reopen');
      a.clear();
      eq(b.conversations().length, 0, 'b sees a\'s clear');
      eq(b.cacheMsg({ messages: [single(4, T0 + 3, 'bob_01', 'after clear')] }, 'realtime').added, 1);
      eq((await open(wx)).messages(bob).messages.map(function (m) { return m.id; }), [4]);
    });

    test('the budget holds, and the cache shrinks when the app needs room', async function () {
      var wx = new host.FakeWx();
      var cache = await open(wx, { budgetBytes: 200 * 1024 });
      var evicted = 0;
      for (var i = 0; i < 60; i++) {
        var batch = [];
        for (var j = 0; j < 40; j++) batch.push(group(100000 + i * 40 + j, T0 + i * 40 + j, 1 + (j % 5), 'u' + j, '消息内容 message body ' + i));
        evicted += cache.cacheMsg({ messages: batch }, 'realtime').evicted;
        ok(checkStorage(wx) <= 200 * 1024, 'under budget after call ' + i);
      }
      ok(evicted > 0, 'evicted ' + evicted);
      var s = cache.stats();
      ok(s.bytes <= s.budgetBytes && s.budgetBytes === 200 * 1024, JSON.stringify(s));
      // The rest of the app takes most of the 10 MB.
      var big = new Array(500001).join('a');
      for (var k = 0; wx.total + 600000 < wx.totalLimit; k++) wx.setStorageSync('app-' + k, big);
      var r = cache.cacheMsg({ messages: [single(1, T0 + 1e7, 'bob_01', 'still fine')] }, 'realtime');
      eq(r.added, 1);
      ok(cache.stats().budgetBytes < 200 * 1024, 'budget shrank: ' + cache.stats().budgetBytes);
      ok(wx.total < wx.totalLimit, 'storage not overfull');
    });

    test('WeChat storage errors become coded errors and lose nothing', async function () {
      for (var platform of ['android', 'ios']) {
        for (var style of ['error', 'errMsg']) {
          var wx = new host.FakeWx({ platform: platform, errorStyle: style });
          var cache = await open(wx);
          cache.cacheMsg({ messages: [single(1, T0, 'bob_01', 'kept')] }, 'realtime');
          var texts = host.FakeWx.TEXTS[platform];
          var cases = [[texts.key, 'STORAGE_FULL'], ['setStorageSync:fail write DB data fail', 'STORAGE_IO']];
          for (var c of cases) {
            wx.failures = [c[0]];
            throwsCode(function () { cache.cacheMsg({ messages: [single(2, T0 + 1, 'bob_01', 'x')] }, 'realtime'); }, c[1], platform + '/' + style + ': ' + c[0]);
            eq(cache.messages('single:' + APPKEY + ':bob_01').messages.map(function (m) { return m.id; }), [1], 'intact');
          }
          // A quota error is retried after eviction and succeeds.
          wx.failures = [texts.quota];
          eq(cache.cacheMsg({ messages: [single(3, T0 + 2, 'bob_01', 'y')] }, 'realtime').added, 1, 'quota retried');
          // Persistent quota errors: a clean STORAGE_FULL, state intact.
          wx.failures = [texts.quota, texts.quota, texts.quota, texts.quota, texts.quota, texts.quota, texts.quota, texts.quota];
          throwsCode(function () { cache.cacheMsg({ messages: [single(4, T0 + 3, 'bob_01', 'z')] }, 'realtime'); }, 'STORAGE_FULL', 'persistent quota');
          wx.failures = [];
          var again = await open(wx);
          eq(again.messages('single:' + APPKEY + ':bob_01').messages.map(function (m) { return m.id; }), [1, 3]);
          checkStorage(wx);
        }
      }
    });

    test("the SDK's login cleanup and a second account leave our data alone", async function () {
      var wx = new host.FakeWx();
      var alice = await open(wx);
      alice.cacheMsg(fx.realtime_single_text.data, 'realtime');
      wx.setStorageSync('conversations-' + APPKEY + '-' + ME, { sdk: 'state' });
      wx.setStorageSync('someone', ME);
      eq(wx.sdkRemoveItems(ME), 1, 'only the bare-username value goes');
      var bob = await host.openCache({ storage: wx, appkey: APPKEY, username: 'bob_01', wasmPath: host.wasmPath });
      eq(bob.conversations().length, 0);
      bob.cacheMsg({ messages: [single(77, T0, 'carol', 'for bob')] }, 'realtime');
      bob.clear();
      var again = await open(wx);
      eq(again.conversations().length, 1);
      ok(wx.getStorageSync('conversations-' + APPKEY + '-' + ME).sdk === 'state', 'SDK key untouched');
    });

    test('a crash at every storage write reopens consistent (two handles in turn)', async function () {
      var msgs = [];
      for (var i = 0; i < 40; i++) msgs.push(single(200 + i, T0 + i, 'bob_01', '离线 ' + i));
      var steps = [
        function (c) { return c.cacheMsg([{ msg_type: 3, from_username: 'bob_01', msgs: msgs }], 'history'); },
        function (c) { return c.cacheMsg({ messages: [group(300, T0 + 100, 5, 'c', 'g1'), single(301, T0 + 101, 'bob_01', 'r1')] }, 'realtime'); },
        function (c) { return c.applyEvent({ event_type: 55, from_username: 'bob_01', from_appkey: APPKEY, msg_ids: [301] }); },
        function (c) { return c.markRead('single:' + APPKEY + ':bob_01'); },
        function (c) { return c.cacheMsg({ messages: [single(302, T0 + 102, 'bob_01', 'r2')] }, 'realtime'); },
        function (c) { return c.applyConversations({ code: 0, conversations: [{ type: 4, gid: 5, name: 'G5', avatar: 'a5' }] }); },
        function (c) { return c.applyReceipts({ type: 4, gid: 5, receipt_msgs: [{ msg_id: 303, unread_count: 2 }] }); },
        function (c) { return c.cacheMsg({ messages: [mineTo5(303, T0 + 103)] }, 'realtime'); },
        function (c) { return c.applyUnread({ type: 4, gid: 5, unreadCount: 0 }); }
      ];
      function mineTo5(id, time) {
        var m = group(id, time, 5, ME, 'mine');
        m.content.from_appkey = APPKEY;
        return m;
      }
      // Messages each step acknowledges once it returns.
      var ackedBy = [msgs.map(function (m) { return m.msg_id; }), [300, 301], [], [], [302], [], [], [303], []];
      var clean = new host.FakeWx();
      var c0 = await open(clean, { chunkBytes: 1024 });
      for (var s of steps) s(c0);
      var total = clean.mutations;
      ok(total > 8, 'mutations ' + total);
      for (var k = 0; k <= total; k++) {
        var wx = new host.FakeWx();
        wx.killAfter = k;
        var done = 0;
        try {
          // Two handles on the account, used in turn (see the two-handle test).
          var c = await open(wx, { chunkBytes: 1024 }), c2 = await open(wx, { chunkBytes: 1024 });
          for (var st of steps) { st(done % 2 ? c2 : c); done++; }
        } catch (e) { /* killed */ }
        wx.restart();
        var re = await open(wx, { chunkBytes: 1024 });
        var ids = {};
        for (var conv of re.conversations()) {
          var p = re.messages(conv.id, { limit: 1000 }).messages;
          for (var m of p) { ok(!ids[m.id], 'duplicate ' + m.id + ' at k=' + k); ids[m.id] = m; }
        }
        for (var s2 = 0; s2 < done; s2++) {
          for (var id of ackedBy[s2]) ok(ids[id], 'k=' + k + ': acknowledged ' + id + ' lost');
        }
        if (done >= 3) ok(ids[301] && ids[301].retracted, 'k=' + k + ': retraction kept');
        var g5 = re.conversations().filter(function (r) { return r.id === 'group:5'; })[0];
        if (done >= 6) eq([g5.name, g5.avatar], ['G5', 'a5'], 'k=' + k + ': profile kept');
        if (done >= 8) eq(ids[303].unreadCount, 2, 'k=' + k + ': early receipt kept');
        if (done >= 9) eq(g5.unread, 0, 'k=' + k + ': unread update kept');
        checkStorage(wx);
      }
    });

    // ---- known copies (js/known.js), positions and spliced index ------------
    // The glue leaves out of a compact call the copies of messages the core
    // said it holds; its store reads chunks for positions natively and joins
    // the index from the entries that changed. A cache doing all that must
    // decide exactly as one sending every message to a store that hands over
    // text and takes whole values: the same report, list and pages after
    // every step, and the same bytes in storage, through copies with changed fields, copies
    // filed elsewhere, ids repeated in a batch, retractions, receipts,
    // markRead, remove, evictions by budget and cap, reopens and a second
    // handle committing in between.
    function rng(seed) {
      return function () {
        seed = (seed + 0x6d2b79f5) | 0;
        var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    function knownCopiesRun(seed, opts) {
      var rand = rng(seed), pick = function (xs) { return xs[Math.floor(rand() * xs.length)]; };
      var peers = ['bob_01', 'carol_88', 'dave_7'], gids = [501, 502];
      var convs = peers.map(function (p) { return { peer: p }; }).concat(gids.map(function (g) { return { gid: g }; }));
      var pool = [], nextId = 7000, clock = T0;
      function grow(n) {
        for (var i = 0; i < n; i++) {
          var c = pick(convs), own = !c.gid && rand() < 0.25, id = nextId++;
          clock += 1 + Math.floor(rand() * 3000);
          var m = c.gid ? group(id, clock, c.gid, pick(peers), 'g' + id) : single(id, clock, own ? ME : c.peer, 't' + id);
          if (own) { m.from_username = ME; m.content.target_id = c.peer; }
          if (rand() < 0.5) m.content.from_name = 'N' + (id % 3);
          pool.push({ conv: c, m: m });
        }
      }
      // A copy as the SDK may deliver it again: mostly the same, sometimes
      // with a changed name, time or recipient.
      function copy(e) {
        var m = JSON.parse(JSON.stringify(e.m)), v = rand();
        if (v < 0.06) m.content.from_name = 'renamed';
        else if (v < 0.1) m.content.target_name = 'T' + Math.floor(rand() * 2);
        else if (v < 0.13) delete m.ctime_ms;
        else if (v < 0.16) m.ctime_ms += 7;
        else if (v < 0.18 && !e.conv.gid) { m.content.from_id = pick(peers); m.from_username = m.content.from_id; }
        return m;
      }
      function entryOf(c) {
        var e = c.gid ? { msg_type: 4, from_gid: c.gid, key: c.gid, msgs: [] } : { msg_type: 3, from_username: c.peer, from_appkey: APPKEY, msgs: [] };
        if (rand() < 0.5) e.unread_msg_count = Math.floor(rand() * 4);
        return e;
      }
      function convId(c) { return c.gid ? 'group:' + c.gid : 'single:' + APPKEY + ':' + c.peer; }
      function step() {
        var r = rand();
        if (r < 0.1) { grow(1 + Math.floor(rand() * 6)); return null; }
        if (r < 0.6) {
          var entries = [];
          for (var k = 1 + Math.floor(rand() * 3); k > 0; k--) {
            var c = pick(convs), e = entryOf(c), mine = pool.filter(function (p) { return p.conv === c; });
            var from = Math.floor(rand() * mine.length);
            mine.slice(from, from + 1 + Math.floor(rand() * 24)).forEach(function (p) { e.msgs.push(copy(p)); });
            if (pool.length && rand() < 0.1) e.msgs.push(copy(pick(pool))); // filed under another conversation
            if (e.msgs.length && rand() < 0.1) e.msgs.push(copy({ conv: c, m: e.msgs[0] })); // the same id twice
            if (rand() < 0.04) e.receipt_msgs = [{ msg_id: pool.length ? pick(pool).m.msg_id : 1, unread_count: 1 }];
            entries.push(e);
          }
          return ['cacheMsg', entries, 'history'];
        }
        if (r < 0.8 && pool.length) {
          var list = [];
          for (var n = 1 + Math.floor(rand() * 4); n > 0; n--) list.push(copy(pick(pool)));
          return ['cacheMsg', rand() < 0.5 ? list : { messages: list }, 'realtime'];
        }
        if (r < 0.83 && pool.length) {
          var t = pick(pool);
          var ev = t.conv.gid ? { event_id: 1, event_type: 55, from_username: 'x', from_appkey: APPKEY, ctime_ms: clock, msgid_list: [t.m.msg_id], from_gid: t.conv.gid, type: 1 }
            : { event_id: 1, event_type: 55, from_username: t.conv.peer, from_appkey: APPKEY, to_usernames: [{ username: ME, appkey: APPKEY }], ctime_ms: clock, msg_ids: [t.m.msg_id], from_gid: 0, type: 0 };
          return ['applyEvent', ev];
        }
        if (r < 0.86 && pool.length) {
          var o = pick(pool);
          return ['applyReceipts', o.conv.gid ? { type: 4, gid: o.conv.gid, receipt_msgs: [{ msg_id: o.m.msg_id, unread_count: Math.floor(rand() * 3) }] }
            : { type: 3, appkey: APPKEY, username: o.conv.peer, receipt_msgs: [{ msg_id: o.m.msg_id, unread_count: Math.floor(rand() * 3) }] }];
        }
        if (r < 0.89) return ['markRead', convId(pick(convs))];
        if (r < 0.92) return ['remove', convId(pick(convs))];
        if (r < 0.95) return ['reopen'];
        if (pool.length) return ['otherHandle', [copy(pick(pool))]];
        return null;
      }
      return { step: step, grow: grow, opts: opts };
    }
    async function knownCopiesCompare(seed, opts, steps) {
      var run = knownCopiesRun(seed, opts);
      var sides = [{ wx: new host.FakeWx() }, { wx: new host.FakeWx() }];
      for (var side of sides) side.cache = await open(side.wx, opts);
      var skipped = 0;
      // The other side sends every copy, and its store reads chunks as text
      // and writes the index whole: the core's own route for each.
      function plain(cache) {
        cache._known.copies = function () { return null; };
        cache._storage.getPositions = undefined;
        cache._storage.setIndex = undefined;
      }
      function counting(cache) {
        var copies = cache._known.copies;
        cache._known.copies = function (list) {
          var skip = copies.call(this, list);
          if (skip) skipped += skip.filter(Boolean).length;
          return skip;
        };
      }
      plain(sides[1].cache);
      counting(sides[0].cache);
      run.grow(20);
      for (var i = 0; i < steps; i++) {
        var s = run.step();
        if (!s) continue;
        var results = [];
        for (var j = 0; j < 2; j++) {
          var c = sides[j].cache, out;
          var arg = JSON.parse(JSON.stringify(s)); // each side its own objects
          try {
            switch (arg[0]) {
              case 'cacheMsg': out = c.cacheMsg(arg[1], arg[2]); break;
              case 'applyEvent': out = c.applyEvent(arg[1]); break;
              case 'applyReceipts': out = c.applyReceipts(arg[1]); break;
              case 'markRead': out = c.markRead(arg[1]); break;
              case 'remove': out = c.remove(arg[1]); break;
              case 'reopen':
                c.close();
                c = sides[j].cache = await open(sides[j].wx, opts);
                if (j === 0) counting(c); else plain(c);
                out = c.openReport;
                break;
              case 'otherHandle':
                var other = await open(sides[j].wx, opts);
                out = other.cacheMsg(arg[1], 'realtime');
                other.close();
                break;
            }
          } catch (e) {
            if (!e || e.name !== 'JimCacheError') throw e;
            out = { error: e.code };
          }
          results.push({ out: out, conversations: c.conversations() });
        }
        eq(canon(results[0]), canon(results[1]), 'seed ' + seed + ', step ' + i + ' ' + JSON.stringify(s).slice(0, 120));
      }
      for (var row of sides[1].cache.conversations()) {
        eq(sides[0].cache.messages(row.id, { limit: 1000 }), sides[1].cache.messages(row.id, { limit: 1000 }), 'seed ' + seed + ': pages of ' + row.id);
      }
      eq(canon(sides[0].wx.entries), canon(sides[1].wx.entries), 'seed ' + seed + ': the same bytes in storage');
      return skipped;
    }

    test('known copies, positions read natively, a spliced index: each decides and stores exactly as the plain route (random runs)', async function () {
      var skipped = 0;
      skipped += await knownCopiesCompare(1, {}, 160);
      skipped += await knownCopiesCompare(2, { maxMessagesPerConversation: 12 }, 160);
      skipped += await knownCopiesCompare(3, { budgetBytes: 16 * 1024 }, 160);
      ok(skipped > 200, 'the runs left copies out (' + skipped + ')');
    });
  }

  if (typeof module !== 'undefined' && module.exports) module.exports = { defineSuite: defineSuite };
  else root.defineSuite = defineSuite;
})(this);
