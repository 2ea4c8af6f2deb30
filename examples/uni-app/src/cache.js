// The cache, opened once and wired to the JMessage SDK as the repository
// README does. The glue comes from the jim-cache npm package (bundled by the
// build); the module is a static file, loaded by WXWebAssembly from its
// package path.
import { openCache } from 'jim-cache';

let opening = null;

export function cache(account) {
  if (!opening) {
    opening = openCache({
      storage: wx,
      appkey: account.appkey,
      username: account.username,
      wasmPath: '/static/jim-cache/jim_cache_bg.wasm.br',
    });
  }
  return opening;
}

// `jim`: the logged-in JMessage SDK instance (init, login: your code).
export async function wire(jim, account) {
  const c = await cache(account);
  jim.onSyncConversation((data) => c.cacheMsg(data, 'history'));
  jim.onMsgReceive((data) => c.cacheMsg(data, 'realtime'));
  jim.onEventNotification((event) => c.applyEvent(event));
  jim.onSyncEvent((events) => c.applyEvent(events));
  jim.onMutiUnreadMsgUpdate((data) => c.applyUnread(data));
  jim.onMsgReceiptChange((data) => c.applyReceipts(data));
  jim.onSyncMsgReceipt((data) => c.applyReceipts(data));
  jim.getConversation().onSuccess((data) => c.applyConversations(data));
  return c;
}

// A text sent with a local echo: shown at once, replaced by the stored
// message, or kept as failed for a retry (pass its localId again).
export function sendText(jim, c, username, appkey, text, localId) {
  const echo = c.addPending(`single:${appkey}:${username}`, { type: 'text', body: { text }, localId });
  jim.sendSingleMsg({ target_username: username, appkey, content: text })
    .onSuccess((data, msg) => c.cacheSent(data, msg, echo.localId))
    .onFail((err) => c.sendFailed(echo.localId, err && err.message));
  return echo;
}
