// Type declarations of jim-cache. Every value is plain JSON data: ids and
// times are JS numbers (msg_id < 2^53), no Map, no BigInt.

/** What a storage call needs: `wx`, or any object with these four methods. */
export interface StorageLike {
  getStorageSync(key: string): any;
  setStorageSync(key: string, value: any): void;
  removeStorageSync(key: string): void;
  getStorageInfoSync(): { keys: string[]; currentSize?: number; limitSize?: number };
}

export interface OpenOptions {
  /** `wx` in a mini-program; a test double elsewhere. */
  storage: StorageLike;
  /** The JMessage appkey of the logged-in user. */
  appkey: string;
  /** The logged-in username: decides which messages are your own. */
  username: string;
  /** Package path of jim_cache_bg.wasm or .wasm.br, for WXWebAssembly (required in WeChat). */
  wasmPath?: string;
  /**
   * Outside WeChat: the module's bytes, or a compiled `WebAssembly.Module`
   * (typed as `object`: WeChat's TypeScript setup has no DOM lib, where the
   * `WebAssembly` namespace is declared).
   */
  wasm?: ArrayBuffer | ArrayBufferView | object;
  /** Key prefix (default "jimc"); keys are `<prefix>:<appkey>:<username>:…`. */
  prefix?: string;
  /** Most bytes the cache may hold, keys + values in UTF-8 (default 8 MiB). */
  budgetBytes?: number;
  /** Largest key + value (default 1,048,576, WeChat's per-key limit). */
  keyLimitBytes?: number;
  /** Messages kept per conversation; older ones are evicted (default 5000). */
  maxMessagesPerConversation?: number;
  /** Target chunk size in bytes (default 16384); advanced. */
  chunkBytes?: number;
}

export type RecordType = 'text' | 'image' | 'voice' | 'file' | 'location' | 'video' | 'custom' | 'unknown';

/** One stored message. */
export interface MessageRecord {
  /** The server msg_id. */
  id: number;
  type: RecordType;
  /**
   * What a chat UI needs, by type: text `{text, extras?, at_list?}`; image
   * `{media_id, width?, height?, format?, fsize?, media_crc32?, hash?}`; voice
   * `{media_id, duration?, format?, fsize?}`; file `{media_id, fname?, fsize?}`;
   * location `{latitude, longitude, scale?, label?}`; video `{media_id, fname?,
   * fsize?, duration?, format?, thumb?}`; custom: the object as sent; unknown
   * `{msg_type, msg_body}`. Empty (`{}`) once retracted. Resolve `media_id`
   * with `jim.getResource({media_id})` when displaying: URLs expire.
   */
  body: { [key: string]: any };
  /** Server time (ctime_ms), in ms. */
  time: number;
  /** Sender username. */
  from: string;
  /** Sent by the logged-in user (from this or another device). */
  out: boolean;
  /** Present (true) when the message was retracted. */
  retracted?: true;
  /** The sender's nickname (`content.from_name`), when the message carried one; at most 64 characters. */
  fromName?: string;
  /**
   * Your own messages, once a read receipt arrived: how many have not read
   * it yet (0: read; in a group, "N人未读"). Only ever goes down.
   */
  unreadCount?: number;
}

/**
 * A message being sent (a local echo, `addPending`): shown at once as the
 * newest message of its conversation, kept across restarts, replaced by the
 * stored message when `cacheSent(data, msg, localId)` runs.
 */
export interface PendingMessage {
  localId: string;
  id: null;
  type: Exclude<RecordType, 'unknown'>;
  body: { [key: string]: any };
  /** The phone's clock when it was (last) sent, in ms. */
  time: number;
  /** You. */
  from: string;
  out: true;
  /** 'failed' after `sendFailed`, a failed `cacheSent`, or a restart of the mini-program while sending. */
  status: 'sending' | 'failed';
  reason?: string;
}

/** One search result. */
export interface SearchHit {
  conversation: ConversationId;
  record: MessageRecord;
}

export interface SearchResult {
  /** Newest first. */
  hits: SearchHit[];
  /** Pass as `before` for the next older page; null on the last page. */
  before: string | null;
}

/** `single:<appkey>:<username>` or `group:<gid>`. */
export type ConversationId = string;

export interface Conversation {
  id: ConversationId;
  type: 'single' | 'group';
  /** The peer's username, or the gid as a string. */
  target: string;
  /** The peer's appkey; null for groups. */
  appkey: string | null;
  /** The newest message (kept even when eviction removed the messages), or the newest message being sent. */
  last: MessageRecord | PendingMessage | null;
  /**
   * Unread messages as the SDK counts them: a sync entry's
   * `unread_msg_count` (roaming history is not unread), `applyUnread`,
   * `applyConversations`; plus one per incoming realtime message; 0 after
   * `markRead`.
   */
  unread: number;
  /** Messages stored. */
  count: number;
  /**
   * `getConversation`'s nickname (single) or name (group) once applied;
   * before that, the newest name the conversation's messages gave. Null if
   * none. At most 64 characters.
   */
  name: string | null;
  /** The avatar's `media_id` from `getConversation`, or null. */
  avatar: string | null;
}

export interface Page {
  /** Oldest to newest; the newest page ends with the messages being sent. */
  messages: (MessageRecord | PendingMessage)[];
  /** Pass as `before` for the next older page; null at the beginning. */
  before: string | null;
}

export interface Report {
  added: number;
  duplicates: number;
  rejected: number;
  retracted: number;
  evicted: number;
  /** Chat-room messages, events other than retractions, unread updates of conversations the cache does not show. */
  ignored: number;
  /** Your own messages whose read-receipt count this call lowered. */
  receipts: number;
  /** Conversations whose unread count, name or avatar this call changed. */
  updated: number;
  /** Receipts and conversation profiles kept until their message or conversation arrives. */
  pending: number;
  /** Conversations this call changed. */
  conversations: ConversationId[];
  /** One entry per rejected message or event. */
  reasons: { id: number | null; reason: string }[];
}

export interface Stats {
  bytes: number;
  /** The budget in force: budgetBytes, or less when the rest of the app needs the room. */
  budgetBytes: number;
  keys: number;
  conversations: number;
  messages: number;
  pendingRetractions: number;
  /** Messages lost to damaged or missing storage values since open. */
  dropped: number;
  /** Linear memory of the wasm instance, shared by every cache of this process. */
  wasmMemoryBytes: number;
}

export interface OpenReport {
  reset: string | null;
  rebuilt: boolean;
  orphansRemoved: number;
  chunksDropped: number;
  messagesDropped: number;
}

/** Thrown by every call; `code` is stable. */
export interface JimCacheError extends Error {
  name: 'JimCacheError';
  code: 'BAD_PAYLOAD' | 'BAD_ARGUMENT' | 'STORAGE_FULL' | 'STORAGE_IO' | 'CLOSED' | 'INTERNAL';
}

export interface Cache {
  readonly openReport: OpenReport;
  /** `data` exactly as onSyncConversation ('history') or onMsgReceive ('realtime') received it. */
  cacheMsg(data: unknown, mode: 'history' | 'realtime'): Report;
  /**
   * The two arguments of a send's onSuccess(data, msg); with the `localId`
   * of its echo, the stored message replaces the echo (a `data.code` that
   * says the send failed marks the echo failed instead).
   */
  cacheSent(data: unknown, msg: unknown, localId?: string): Report;
  /**
   * Stores a message being sent and returns its echo; a `localId` is made
   * when none is given. The `localId` of a failed echo sends it again. At
   * most 50 echoes; bodies up to 4 KB; never evicted.
   */
  addPending(conversationId: ConversationId, message: { type: Exclude<RecordType, 'unknown'>; body: object; localId?: string }): PendingMessage;
  /** Marks an echo failed; false when there is no such echo. */
  sendFailed(localId: string, reason?: string): boolean;
  /** Echoes, sending and failed, oldest first. */
  pending(conversationId?: ConversationId): PendingMessage[];
  /** Removes an echo; false when there is no such echo. */
  discardPending(localId: string): boolean;
  /**
   * Newest first, over texts, file and video names and location labels;
   * case-insensitive (JavaScript's toLowerCase), substring (CJK included).
   * Retracted messages and echoes never match. An empty text throws BAD_ARGUMENT.
   */
  search(text: string, options?: { limit?: number; conversation?: ConversationId; before?: string | null }): SearchResult;
  /** onEventNotification(event) or onSyncEvent(events): retractions are applied. */
  applyEvent(eventOrEvents: unknown): Report;
  /**
   * onMsgReceiptChange(obj) or onSyncMsgReceipt(array): read receipts of your
   * own messages. The smaller count wins; receipts of messages not stored yet
   * are kept (up to 256) and applied when the message arrives.
   */
  applyReceipts(data: unknown): Report;
  /** onMutiUnreadMsgUpdate(obj): sets the conversation's unread count. Never creates a conversation. */
  applyUnread(data: unknown): Report;
  /**
   * getConversation().onSuccess(data): names (win over names from messages),
   * avatars ("" clears) and unread counts. Conversations the cache does not
   * hold yet get their name and avatar with their first message (up to 128
   * kept); no row is created.
   */
  applyConversations(data: unknown): Report;
  /** Most recently active first. */
  conversations(): Conversation[];
  messages(id: ConversationId, options?: { limit?: number; before?: string | null }): Page;
  /** Returns false when there was nothing to mark. */
  markRead(id: ConversationId): boolean;
  /** Deletes a conversation's messages and its local echoes; returns false when there was nothing to delete. */
  remove(id: ConversationId): boolean;
  /** Removes every key of this account; other keys are untouched. */
  clear(): void;
  stats(): Stats;
  /** Frees the wasm-side object. */
  close(): void;
}

export function openCache(options: OpenOptions): Promise<Cache>;
export const version: string;
