// The wiring every JMessage mini-program needs, on jim-cache: each SDK
// callback hands its data to the cache unchanged. SDK callbacks must never
// throw, so failures are logged and reported, not raised.
//
//   var wiring = wire(jim, cache, function (kind, report) { ... refresh UI ... });
//   jim.sendSingleMsg({...}).onSuccess(function (data, msg) { wiring.sent(data, msg); });

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
  return {
    // Call from a send's onSuccess(data, msg).
    sent: function (data, msg) { return run('sent', function () { return cache.cacheSent(data, msg); }); }
  };
}

module.exports = wire;
