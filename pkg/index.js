// The package entry WeChat's npm resolver finds: after DevTools' "build npm"
// `require('jim-cache')` resolves to miniprogram_npm/jim-cache/index.js (the
// `main` field is not read there). Everything is in jim_cache.js.
module.exports = require('./jim_cache.js');
