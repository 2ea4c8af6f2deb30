// How the demo runs.
//
// mode 'replay' (default): no Jiguang account needed. A scripted session
// (replay/scenario.js) is fed through the same SDK callbacks on timers.
//
// mode 'jim': your real JMessage account.
//   1. Put the mini-program SDK file in libs/ (e.g. libs/jmessage-wxapplet-sdk-1.4.2.min.js)
//      and add the IM domains to the mini-program's socket/request whitelist.
//   2. Fill `account` and implement `createJim` below. The init signature must
//      be computed on your server (md5 of appkey, timestamp, random_str and
//      your master secret); never ship the master secret in the mini-program.
//
// mode 'offline': open the cache and show what is stored, with no SDK.
module.exports = {
  mode: 'replay',
  account: { appkey: 'your appkey', username: 'the logged-in user' },
  // Resolves to a logged-in `jim`. Example:
  //   const JMessage = require('./libs/jmessage-wxapplet-sdk-1.4.2.min.js')
  //   const jim = new JMessage({ debug: false })
  //   const auth = await fetchSignatureFromYourServer()      // {appkey, random_str, signature, timestamp}
  //   await new Promise((ok, fail) => jim.init(Object.assign({ flag: 1 }, auth)).onSuccess(ok).onFail(fail))
  //   await new Promise((ok, fail) => jim.login({ username, password }).onSuccess(ok).onFail(fail))
  //   return jim
  createJim: null,
  // Replay pacing: setTimeout in DevTools; tests replace it.
  schedule: function (fn, ms) { setTimeout(fn, ms); },
  // Package path of the module for WXWebAssembly (.br needs base library 2.14.0+).
  wasmPath: '/libs/jim-cache/jim_cache_bg.wasm.br'
};
