// What the conversation list shows for a last message, and whose name.
var LABELS = { image: '[图片]', voice: '[语音]', file: '[文件]', location: '[位置]', video: '[视频]', custom: '[自定义消息]', unknown: '[新消息类型]' };

function displayName(conv, names) {
  var key = conv.type === 'group' ? conv.id : conv.target;
  return (names && names[key]) || conv.target;
}

function preview(record, names) {
  if (!record) return '';
  var who = record.out ? '你' : ((names && names[record.from]) || record.from);
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

module.exports = { preview: preview, displayName: displayName, clock: clock, LABELS: LABELS };
