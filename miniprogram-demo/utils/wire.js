// The wiring every JMessage mini-program needs, on jim-cache: each SDK
// callback hands its data to the cache unchanged. SDK callbacks must never
// throw, so failures are logged and reported, not raised.
//
//   var wiring = wire(jim, cache, function (kind, report) { ... refresh UI ... });
//   wiring.sendText('single:<appkey>:<username>', '你好');   // echo, send, cacheSent/sendFailed

function wire(jim, cache, onChange) {
  function run(kind, fn) {
    var report = null;
    try {
      report = fn();
    } catch (e) {
      console.warn('[jim-cache] ' + kind + ' failed: ' + (e && e.code) + ' ' + (e && e.message));
      report = { error: e };
    }
    if (onChange) onChange(kind, report);
    return report;
  }
  jim.onSyncConversation(function (data) { run('history', function () { return cache.cacheMsg(data, 'history'); }); });
  jim.onMsgReceive(function (data) { run('realtime', function () { return cache.cacheMsg(data, 'realtime'); }); });
  jim.onEventNotification(function (event) { run('event', function () { return cache.applyEvent(event); }); });
  jim.onSyncEvent(function (events) { run('event', function () { return cache.applyEvent(events); }); });
  // Read on another device, read receipts of your own messages.
  jim.onMutiUnreadMsgUpdate(function (data) { run('unread', function () { return cache.applyUnread(data); }); });
  jim.onMsgReceiptChange(function (data) { run('receipts', function () { return cache.applyReceipts(data); }); });
  jim.onSyncMsgReceipt(function (data) { run('receipts', function () { return cache.applyReceipts(data); }); });
  // Nicknames, group names and avatars (jim is logged in by now).
  jim.getConversation().onSuccess(function (data) {
    run('conversations', function () { return cache.applyConversations(data); });
  });
  // Sends a text with a local echo: shown at once (grey), replaced by the
  // stored message on success, marked failed (red "!", retry) otherwise, and
  // kept across restarts either way. A retry passes the echo's localId.
  function sendText(conversationId, text, localId) {
    var echo = run('pending', function () {
      return cache.addPending(conversationId, { type: 'text', body: { text: text }, localId: localId });
    });
    if (!echo || echo.error) return echo;
    var target = conversationId.split(':');
    var request = target[0] === 'group'
      ? jim.sendGroupMsg({ target_gid: target[1], content: text })
      : jim.sendSingleMsg({ target_username: target[2], appkey: target[1], content: text });
    request.onSuccess(function (data, msg) {
      run('sent', function () { return cache.cacheSent(data, msg, echo.localId); });
    }).onFail(function (err) {
      run('failed', function () { cache.sendFailed(echo.localId, (err && (err.message || err.code)) || 'send failed'); return { conversations: [conversationId] }; });
    });
    return echo;
  }
  return {
    // Call from a send's onSuccess(data, msg).
    sent: function (data, msg) { return run('sent', function () { return cache.cacheSent(data, msg); }); },
    sendText: sendText
  };
}

module.exports = wire;
