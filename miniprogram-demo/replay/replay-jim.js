// A stand-in for the JMessage `jim` object that plays scenario.js through the
// same callbacks the real SDK uses, so the app runs without an account.
// `schedule(fn, ms)` decides the pace: setTimeout in the demo, immediate in
// tests and in the main job.

function ReplayJim(scenario, schedule) {
  this.scenario = scenario;
  this.schedule = schedule || function (fn) { fn(); };
  this.handlers = {};
  this.onSent = null; // the app's send onSuccess hook for scripted sends
  this.offline = false;
  this.hold = false;
  this.held = [];
}

['onSyncConversation', 'onMsgReceive', 'onEventNotification', 'onSyncEvent',
  'onMutiUnreadMsgUpdate', 'onMsgReceiptChange', 'onSyncMsgReceipt'].forEach(function (name) {
  ReplayJim.prototype[name] = function (fn) { this.handlers[name] = fn; };
});

ReplayJim.prototype.start = function (onDone) {
  var self = this, steps = this.scenario.steps, left = steps.length;
  steps.forEach(function (step) {
    self.schedule(function () {
      if (step.callback === 'send') {
        if (self.onSent) self.onSent(step.data, step.msg);
      } else if (self.handlers[step.callback]) {
        self.handlers[step.callback](step.data);
      }
      if (--left === 0 && onDone) onDone();
    }, step.at);
  });
};

// jim.sendSingleMsg / sendGroupMsg -> {onSuccess, onFail}, answered after
// the current call returns (so handlers are attached), on the scenario's
// clock. `offline = true` makes sends fail; `hold = true` keeps them pending
// until release() (as a slow network does).
var nextSentId = 50299000000;
ReplayJim.prototype.send = function (args, group) {
  var self = this, handlers = {};
  var chain = {
    onSuccess: function (fn) { handlers.ok = fn; return chain; },
    onFail: function (fn) { handlers.fail = fn; return chain; }
  };
  function finish() {
    if (self.offline) { if (handlers.fail) handlers.fail({ code: 880001, message: '网络不可用 (replay offline)' }); return; }
    var id = nextSentId++, now = Date.now();
    var content = { version: 1, target_type: group ? 'group' : 'single', target_id: group ? String(args.target_gid) : args.target_username,
      from_id: self.scenario.USERNAME, from_appkey: self.scenario.APPKEY, create_time: now, msg_type: 'text', msg_body: { text: args.content } };
    var data = group ? { code: 0, message: 'success', msg_id: id, ctime_ms: now, target_gid: args.target_gid, unread_count: 0 }
      : { code: 0, message: 'success', msg_id: id, ctime_ms: now, appkey: args.appkey, target_username: args.target_username };
    if (handlers.ok) handlers.ok(data, { content: content, msg_id: id });
  }
  Promise.resolve().then(function () {
    if (self.hold) self.held.push(finish); else self.schedule(finish, 300);
  });
  return chain;
};
ReplayJim.prototype.sendSingleMsg = function (args) { return this.send(args, false); };
ReplayJim.prototype.sendGroupMsg = function (args) { return this.send(args, true); };
ReplayJim.prototype.release = function () {
  var held = this.held; this.held = [];
  held.forEach(function (fn) { fn(); });
};

// jim.getConversation() -> {onSuccess, onFail}: the scenario's list.
ReplayJim.prototype.getConversation = function () {
  var data = this.scenario.conversations;
  var chain = {
    onSuccess: function (fn) { fn(JSON.parse(JSON.stringify(data))); return chain; },
    onFail: function () { return chain; }
  };
  return chain;
};

// jim.getResource({media_id}) -> {onSuccess, onFail}: replay has no media
// server, so it answers with no URL and the page shows the metadata.
ReplayJim.prototype.getResource = function () {
  var chain = {
    onSuccess: function (fn) { fn({ code: 0, message: 'replay', url: '' }); return chain; },
    onFail: function () { return chain; }
  };
  return chain;
};

module.exports = ReplayJim;
