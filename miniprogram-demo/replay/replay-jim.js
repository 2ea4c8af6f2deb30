// A stand-in for the JMessage `jim` object that plays scenario.js through the
// same callbacks the real SDK uses, so the app runs without an account.
// `schedule(fn, ms)` decides the pace: setTimeout in the demo, immediate in
// tests and in the main job.

function ReplayJim(scenario, schedule) {
  this.scenario = scenario;
  this.schedule = schedule || function (fn) { fn(); };
  this.handlers = {};
  this.onSent = null; // the app's send onSuccess hook for scripted sends
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
