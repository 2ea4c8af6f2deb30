// What the conversation list shows for a last message, whose name, and the
// read state under your own messages. Names come from the cache
// (getConversation's nicknames, else the messages' own).
var LABELS = { image: '[图片]', voice: '[语音]', file: '[文件]', location: '[位置]', video: '[视频]', custom: '[自定义消息]', unknown: '[新消息类型]' };

function displayName(conv) {
  return conv.name || conv.target;
}

function sender(record) {
  return record.out ? '你' : (record.fromName || record.from);
}

// Under your own messages, once a receipt came: 已读 / 未读 in a single
// chat, 全部已读 / N人未读 in a group.
function readState(record, isGroup) {
  if (!record.out || record.retracted || record.unreadCount === undefined) return '';
  if (isGroup) return record.unreadCount === 0 ? '全部已读' : record.unreadCount + '人未读';
  return record.unreadCount === 0 ? '已读' : '未读';
}

function preview(record) {
  if (!record) return '';
  var who = sender(record);
  if (record.retracted) return who + '撤回了一条消息';
  if (record.type === 'text') return record.body.text || '';
  if (record.type === 'location') return LABELS.location + ' ' + (record.body.label || '');
  if (record.type === 'file') return LABELS.file + ' ' + (record.body.fname || '');
  if (record.type === 'voice') return LABELS.voice + ' ' + (record.body.duration || 0) + '″';
  return LABELS[record.type] || '';
}

function clock(time, now) {
  var d = new Date(time), n = new Date(now || Date.now());
  function two(x) { return (x < 10 ? '0' : '') + x; }
  if (d.toDateString() === n.toDateString()) return two(d.getHours()) + ':' + two(d.getMinutes());
  return (d.getMonth() + 1) + '/' + d.getDate();
}

module.exports = { preview: preview, displayName: displayName, sender: sender, readState: readState, clock: clock, LABELS: LABELS };
