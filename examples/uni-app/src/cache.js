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
  return c;
}
