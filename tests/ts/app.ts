// A typed mini-program app in WeChat's TypeScript setup (tsconfig.json here:
// strict, lib ES2020, miniprogram-api-typings, no DOM lib), wiring the
// JMessage SDK's callbacks into the cache as the README does. The test
// command type-checks it against pkg/jim_cache.d.ts; nothing runs.
import { openCache, Cache, Report, Conversation, Page, PendingMessage, SearchResult } from '../../pkg/jim_cache';

/** The part of the JMessage mini-program SDK this app uses (it ships untyped). */
interface Jim {
  onSyncConversation(cb: (data: unknown) => void): void;
  onMsgReceive(cb: (data: unknown) => void): void;
  onEventNotification(cb: (event: unknown) => void): void;
  onSyncEvent(cb: (events: unknown) => void): void;
  onMutiUnreadMsgUpdate(cb: (data: unknown) => void): void;
  onMsgReceiptChange(cb: (data: unknown) => void): void;
  onSyncMsgReceipt(cb: (data: unknown[]) => void): void;
  getConversation(): { onSuccess(cb: (data: unknown) => void): unknown };
  sendSingleMsg(args: { target_username: string; content: string }): {
    onSuccess(cb: (data: unknown, msg: unknown) => void): { onFail(cb: (data: unknown) => void): void };
  };
}

interface AppData {
  cache?: Cache;
  jim?: Jim;
}

async function wire(jim: Jim, appkey: string, username: string): Promise<Cache> {
  const cache = await openCache({ storage: wx, appkey, username, wasmPath: '/libs/jim-cache/jim_cache_bg.wasm.br' });
  jim.onSyncConversation((data) => { cache.cacheMsg(data, 'history'); });
  jim.onMsgReceive((data) => { cache.cacheMsg(data, 'realtime'); });
  jim.onEventNotification((event) => { cache.applyEvent(event); });
  jim.onSyncEvent((events) => { cache.applyEvent(events); });
  jim.onMutiUnreadMsgUpdate((data) => { cache.applyUnread(data); });
  jim.onMsgReceiptChange((data) => { cache.applyReceipts(data); });
  jim.onSyncMsgReceipt((data) => { cache.applyReceipts(data); });
  jim.getConversation().onSuccess((data) => {
    const r: Report = cache.applyConversations(data);
    if (r.pending) console.log(r.pending + ' conversations named before their messages');
  });
  return cache;
}

App<AppData>({
  async onLaunch() {
    const jim = (this as AppData).jim;
    if (!jim) return;
    (this as AppData).cache = await wire(jim, 'your appkey', 'the logged-in username');
  },
});

export function send(app: AppData, to: string, text: string, appkey: string): void {
  const cache = app.cache!;
  const echo: PendingMessage = cache.addPending('single:' + appkey + ':' + to, { type: 'text', body: { text } });
  app.jim?.sendSingleMsg({ target_username: to, content: text }).onSuccess((data, msg) => {
    const r: Report = cache.cacheSent(data, msg, echo.localId);
    if (r.rejected) console.warn(r.reasons.map((x) => x.reason).join('; '));
  }).onFail(() => { cache.sendFailed(echo.localId, 'network'); });
}

export function find(cache: Cache, text: string): SearchResult {
  const first = cache.search(text, { limit: 20 });
  return first.before === null ? first : cache.search(text, { before: first.before });
}

/** What a row and a bubble show: the name (null when unknown) and 已读 / N人未读. */
export function labels(c: Conversation, page: Page): string[] {
  const title: string = c.name ?? c.target;
  const avatar: string | null = c.avatar;
  const read = page.messages.map((m) => {
    if (m.id === null) return m.status === 'failed' ? '!' : '…'; // a message being sent
    return m.out && m.unreadCount !== undefined ? String(m.unreadCount) : m.fromName ?? m.from;
  });
  return [title, avatar ?? '', ...read];
}

export function firstPage(cache: Cache): { list: Conversation[]; page: Page | null } {
  const list = cache.conversations();
  const page = list.length ? cache.messages(list[0].id, { limit: 20 }) : null;
  if (page && page.before !== null) cache.messages(list[0].id, { before: page.before });
  return { list, page };
}

// The types are exact, not `any`: each line below must fail to compile
// (tsc fails the test command if one of them stops failing).
export async function misuse(cache: Cache): Promise<void> {
  // @ts-expect-error: an echo has no unknown type
  cache.addPending('group:1', { type: 'unknown', body: {} });
  // @ts-expect-error: a conversation's name may be null
  const n: string = cache.conversations()[0].name;
  void n;
  // @ts-expect-error: the mode is 'history' or 'realtime'
  cache.cacheMsg({}, 'offline');
  // @ts-expect-error: appkey and username are required
  await openCache({ storage: wx });
  // @ts-expect-error: a record's id is a number
  const id: string = cache.messages('group:1').messages[0].id;
  void id;
}
