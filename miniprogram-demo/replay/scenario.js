// A scripted JMessage session for wx_alice, in the SDK's own payload shapes:
// getConversation's list (nicknames, group name, avatars), a login sync
// (offline and roaming, with her own messages from another device, the SDK's
// unread counts and read receipts), offline retractions and receipts, then
// realtime traffic with every content type, the group read on her phone, a
// roaming re-sync full of duplicates, a retraction, receipts of her messages,
// and a message she sends. Ids and people are invented. Used by the demo's replay mode and by
// the README's main job (scripts/replay.js).

var APPKEY = 'a1b2c3d4e5f60718293a4b5c';
var ME = 'wx_alice';
var T0 = 1717400000000; // 2024-06-03 07:33 UTC
var GID = 22334455;

// Nicknames as the SDK puts them in content.from_name / target_name.
var NICK = { bob_01: 'Bob', erin_x: 'Erin', frank_cross: 'Frank', carol_88: 'Carol', dave_7: 'Dave', wx_alice: 'Alice' };
var GROUP_NAME = '周末徒步群';

var nextId = 50290000000;
function id() { return nextId++; }

function content(from, targetType, targetId, type, body, extra) {
  var c = { version: 1, target_type: targetType, target_id: targetId, from_id: from, from_platform: 'web',
    create_time: 0, msg_type: type, msg_body: body };
  if (from === ME) c.from_appkey = APPKEY;
  c.from_name = NICK[from];
  c.target_name = targetType === 'group' ? GROUP_NAME : NICK[targetId];
  for (var k in extra || {}) c[k] = extra[k];
  return c;
}

// A message as onMsgReceive delivers it (the SDK adds from_username/key for
// single chats only).
function realtime(time, from, peerOrGid, type, body, extra) {
  var isGroup = typeof peerOrGid === 'number';
  var m = { msg_id: id(), ctime_ms: time, msg_type: isGroup ? 4 : 3, msg_level: 'normal', need_receipt: false };
  if (isGroup) {
    m.from_gid = peerOrGid; m.key = peerOrGid;
    m.content = content(from, 'group', String(peerOrGid), type, body, extra);
  } else {
    m.from_username = from; m.from_appkey = APPKEY; m.key = 51234567;
    m.content = content(from, 'single', from === ME ? peerOrGid : ME, type, body, extra);
  }
  m.content.create_time = time - 120;
  return m;
}

// The same message as a sync entry carries it (no SDK-added fields).
function asSync(m) {
  var s = { msg_id: m.msg_id, ctime_ms: m.ctime_ms, msg_type: m.msg_type, msg_level: 0, need_receipt: false, content: m.content };
  return s;
}

function text(t) { return { text: t }; }

var steps = [];
function at(ms, callback, data, msg) { steps.push({ at: ms, callback: callback, data: data, msg: msg }); }

// ---- history: what the login sync delivers ------------------------------
var bobHistory = [];
var lines = ['周六去爬梧桐山吗？', '好呀，几点？', '七点半东门集合', '我带水和零食', '记得带雨衣', '天气预报说有阵雨',
  '那我多带一把伞', '好的，到时候见', '车停哪里？', '东门停车场有位置'];
for (var i = 0; i < 24; i++) {
  var mine = i % 3 === 1;
  bobHistory.push(realtime(T0 + i * 60000, mine ? ME : 'bob_01', 'bob_01', 'text', text(lines[i % lines.length])));
}
var groupHistory = [];
var members = ['carol_88', 'dave_7', 'bob_01', ME];
for (var j = 0; j < 30; j++) {
  var who = members[j % members.length];
  var t = T0 + 30000 + j * 45000;
  if (j === 5) groupHistory.push(realtime(t, 'carol_88', GID, 'image', { media_id: 'qiniu/image/j/4C1D9A7E0B2F33A1', media_crc32: 2778919613, width: 1080, height: 1440, format: 'jpg', fsize: 284113 }));
  else if (j === 9) groupHistory.push(realtime(t, 'dave_7', GID, 'voice', { media_id: 'qiniu/voice/j/A96B61EB3AF0E5CD', media_crc32: 1882116055, duration: 6, format: 'amr', fsize: 12344 }));
  else if (j === 14) groupHistory.push(realtime(t, 'carol_88', GID, 'location', { latitude: 22.543096, longitude: 114.057865, scale: 16, label: '深圳市福田区市民中心' }));
  else groupHistory.push(realtime(t, who, GID, 'text', text('路线讨论 #' + j)));
}
var erin = realtime(T0 + 500000, 'erin_x', 'erin_x', 'custom', { card_type: 'order', order_id: 'SO-20240603-0042', amount: 129.5, title: '登山杖 ×2' });
var offlineRetracted = groupHistory[20];

// Her last message to Bob (bobHistory[22]) was read; roaming history was
// read long ago on her phone: the SDK counts only the newest as unread.
var bobReceipts = [{ msg_id: bobHistory[22].msg_id, unread_count: 0, mtime: T0 + 1400000 }];
var myGroupMessage = groupHistory[27]; // members[27 % 4] is her
var sync = [
  { key: 51234567, msg_type: 3, from_appkey: APPKEY, from_username: 'bob_01', from_gid: 0, unread_msg_count: 1, receipt_msgs: bobReceipts, msgs: bobHistory.map(asSync) },
  { key: GID, msg_type: 4, from_gid: GID, unread_msg_count: 3, receipt_msgs: [], msgs: groupHistory.map(asSync) },
  { key: 51234999, msg_type: 3, from_appkey: APPKEY, from_username: 'erin_x', from_gid: 0, unread_msg_count: 1, receipt_msgs: [], msgs: [asSync(erin)] }
];
at(0, 'onSyncConversation', sync);
// About 1.5 s after the sync packet: receipts of her group message.
at(1500, 'onSyncMsgReceipt', [{ type: 4, gid: GID, receipt_msgs: [{ msg_id: myGroupMessage.msg_id, unread_count: 2, mtime: T0 + 1500000 }] }]);
at(1700, 'onSyncEvent', [
  { event_id: 9300112299, event_type: 55, from_username: offlineRetracted.content.from_id, from_appkey: APPKEY,
    ctime_ms: offlineRetracted.ctime_ms + 60000, msgid_list: [offlineRetracted.msg_id], from_gid: GID, type: 1 },
  { event_id: 9300112300, event_type: 12, from_username: 'carol_88', from_appkey: APPKEY, gid: GID, ctime_ms: T0 + 1500000, extra: 0 }
]);

// ---- realtime ------------------------------------------------------------
var L = T0 + 3600000; // an hour later
var r1 = realtime(L, 'bob_01', 'bob_01', 'text', text('到了吗？'));
at(2500, 'onMsgReceive', { messages: [r1] });
at(3500, 'onMsgReceive', { messages: [realtime(L + 20000, 'bob_01', 'bob_01', 'image', { media_id: 'qiniu/image/j/77AB12CD', width: 720, height: 960, format: 'png', fsize: 102400 })] });
at(4500, 'onMsgReceive', { messages: [
  realtime(L + 30000, 'dave_7', GID, 'text', text('集合时间改到7:30'), { at_list: [] }),
  realtime(L + 31000, 'frank_cross', 'frank_cross', 'text', text('跨应用打个招呼'))
] });
steps[steps.length - 1].data.messages[1].from_appkey = '9f8e7d6c5b4a39281706f5e4';
steps[steps.length - 1].data.messages[1].content.from_appkey = '9f8e7d6c5b4a39281706f5e4';
var mistaken = realtime(L + 40000, 'bob_01', 'bob_01', 'text', text('发错了，这条撤回'));
at(5500, 'onMsgReceive', { messages: [mistaken] });
at(6500, 'onEventNotification', { event_id: 9300112400, event_type: 55, from_username: 'bob_01', from_appkey: APPKEY,
  to_usernames: [{ username: ME, appkey: APPKEY, nickname: 'Alice' }], ctime_ms: L + 50000, msg_ids: [mistaken.msg_id], from_gid: 0, type: 0 });
at(7500, 'onMsgReceive', { messages: [realtime(L + 60000, 'carol_88', GID, 'file', { media_id: 'qiniu/file/j/88AA77BB66CC55DD.mp4', fsize: 3311220, fname: '山顶.mp4', extras: { video: 'mp4' } })] });
at(8500, 'onMsgReceive', { messages: [realtime(L + 70000, 'bob_01', 'bob_01', 'file', { media_id: 'qiniu/file/j/1F2E3D4C', fsize: 48213, fname: '路线.pdf', extras: { fileType: 'pdf' } })] });
// Her phone sends in the group: the mini-program receives a copy; two
// members read it; then she reads the group on the phone.
var fromPhone = realtime(L + 80000, ME, GID, 'text', text('我在B口'));
at(9500, 'onMsgReceive', { messages: [fromPhone] });
at(9800, 'onMsgReceiptChange', { type: 4, gid: GID, receipt_msgs: [{ msg_id: fromPhone.msg_id, unread_count: 1 }] });
at(10000, 'onMutiUnreadMsgUpdate', { type: 4, gid: GID, unreadCount: 0 });
// Periodic sync_check: the same roaming history again (all duplicates),
// with the counts the SDK keeps by now: Bob's unread one plus the three
// realtime messages since that were not retracted; the group, read on her
// phone, none.
var resync = sync.map(function (e) { return Object.assign({}, e); });
resync[0].unread_msg_count = 4;
resync[1].unread_msg_count = 0;
at(10500, 'onSyncConversation', resync);
// She sends from the mini-program.
var sentAt = L + 90000, sentId = id();
at(11500, 'send', { code: 0, message: 'success', msg_id: sentId, ctime_ms: sentAt, appkey: APPKEY, target_username: 'bob_01' },
  { content: content(ME, 'single', 'bob_01', 'text', text('出发了')), target_id: 'bob_01', appkey: APPKEY, msg_id: sentId });
at(12000, 'onMsgReceiptChange', { type: 3, appkey: APPKEY, username: 'bob_01', receipt_msgs: [{ msg_id: sentId, unread_count: 0 }] });
at(12500, 'onMsgReceive', { messages: [realtime(L + 100000, 'bob_01', 'bob_01', 'voice', { media_id: 'qiniu/voice/j/0A0B0C0D', duration: 4, format: 'amr', fsize: 8123 })] });

// What jim.getConversation() answers at login (from the SDK's local
// storage: empty on a first login, so here it names the conversations and
// gives avatars before their messages arrive).
var conversations = { code: 0, message: 'success', conversations: [
  { key: 51234567, type: 3, appkey: APPKEY, username: 'bob_01', nickName: 'Bob', name: 'bob_01', avatar: 'qiniu/image/j/AB12CD34', mtime: T0, extras: {}, unread_msg_count: 0 },
  { key: GID, gid: GID, type: 4, name: GROUP_NAME, avatar: '', mtime: T0, extras: {}, unread_msg_count: 0 },
  { key: 51234999, type: 3, appkey: APPKEY, username: 'erin_x', nickname: 'Erin', name: 'erin_x', avatar: 'qiniu/image/j/EE11FF22', mtime: T0, extras: {}, unread_msg_count: 0 }
] };

module.exports = {
  APPKEY: APPKEY,
  USERNAME: ME,
  steps: steps,
  conversations: conversations
};
