//! The cache: one account's messages over a [`Storage`].
//!
//! **Model → updates → store.** A call (`cache_messages`, `cache_sent`,
//! `apply_events`, `mark_read`, `remove`, …) runs in three steps:
//!
//! 1. the *model* (`model`: dedup, order, retraction, receipts, unread,
//!    names) changes the in-memory index: the chunks it touches become
//!    [`Slot::Dirty`], owning their records;
//! 2. the *commit planner* (`commit`) applies the per-conversation cap,
//!    has the store encode each changed chunk under a fresh key (each
//!    becomes `Stored` again), evicts by [`crate::budget`]'s policy until
//!    the commit's peak fits the budget, and turns all of it into one
//!    [`Updates`](crate::updates::Updates) log;
//! 3. the *store* ([`crate::store`]) applies the log as one commit, in
//!    copy-on-write order: free what eviction gave up, write the new chunks
//!    under fresh keys, write the index (the commit point), remove what the
//!    new chunks replace.
//!
//! A crash before the index write leaves the old index, which references
//! only complete chunks, minus possibly some evicted ones (the open notices
//! they are gone and records them as evicted); a crash after it leaves
//! unreferenced old chunks. Opening (`open`) sweeps every unreferenced key of
//! our namespace. A call that fails part-way reloads the committed state the
//! same way, so memory never runs ahead of storage. A call that changes
//! nothing writes nothing.
//!
//! **Dedup.** A message is identified by its `msg_id` and sorted by
//! `(ctime_ms, msg_id)`. A re-delivery carries the same server time (the
//! server assigns it), so it is looked for in the chunk its position falls
//! into, and also in the newest chunk; only those chunks are read. A message
//! without `ctime_ms` (its time is the sender's clock) is looked for in every
//! chunk of its conversation. A duplicate can improve the stored copy
//! (a retraction wins) but never adds a record.
//!
//! **Bodies last.** A message's body is built (and, on the compact route,
//! read from the glue at all) only once the message is known not to be a
//! duplicate or below the floor: [`Cache::cache_compact`] looks every
//! message up first, then asks the glue once for the bodies of the others.
//! So a message whose body cannot be stored is rejected only if it would be
//! stored; a re-delivered copy with a broken body stays a duplicate.
//!
//! **Unread.** Incoming, non-retracted messages newer than the conversation's
//! read mark count; `mark_read` resets the count and moves the mark to the
//! newest message; retracting an unread message uncounts it. Your own
//! messages never count.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | configuration, the call API, the retry on a full storage |
//! | `open.rs` | opening, repairing, rebuilding a lost index |
//! | `model.rs` | the conversation model: insert, dedup, retract, receipts, unread, names |
//! | `echoes.rs` | local echoes of messages being sent |
//! | `commit.rs` | the commit planner: cap, encode, evict, the update log |
//! | `read.rs` | the read side: conversations, pages, search plans, stats |

mod commit;
mod echoes;
mod model;
mod open;
mod read;

use model::{Forget, Placed};

pub use read::{PagePlan, PlannedChunk, PlannedPage};

use serde_json::Value;

use crate::chat_state;
use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::index::{ChunkRef, Index, Slot};
use crate::namespace::Namespace;
use crate::payload::{self, Account, Batch, Json, Mode, Retraction, MAX_RECORD_BYTES};
use crate::report::{OpenReport, Report};
use crate::storage::{Storage, StorageError, StorageErrorKind};
use crate::store::Store;

/// Default total budget: 8 MiB, leaving 2 MB of WeChat's 10 MB to the app.
pub const DEFAULT_BUDGET_BYTES: u64 = 8 * 1024 * 1024;
/// Default per-key limit: WeChat's 1 MB.
pub const DEFAULT_KEY_LIMIT_BYTES: u64 = 1024 * 1024;
/// Default cap on messages kept per conversation.
pub const DEFAULT_MAX_MESSAGES_PER_CONVERSATION: u32 = 5000;
/// Default chunk size: small enough that appending rewrites little.
pub const DEFAULT_CHUNK_BYTES: u32 = 16 * 1024;
/// Chunks are at most this fraction of the budget in force: a commit needs
/// room for a chunk's old and new copies at once, and eviction frees whole
/// chunks, so with chunks a large part of the budget the newest messages of
/// other conversations would go to make transient room.
pub const CHUNKS_PER_BUDGET: u64 = 16;
/// The smallest chunk size.
pub const MIN_CHUNK_BYTES: u32 = 1024;
/// Retractions remembered for messages not seen yet.
pub const MAX_PENDING_RETRACTIONS: usize = 256;
/// Receipts remembered for messages not seen yet.
pub const MAX_PENDING_RECEIPTS: usize = 256;
/// `getConversation` profiles remembered for conversations not held yet.
pub const MAX_PENDING_PROFILES: usize = 128;
/// Attempts of a call whose writes hit the shared quota.
const QUOTA_ATTEMPTS: u32 = 3;

/// How a cache is set up. `appkey` and `username` name the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub prefix: String,
    pub appkey: String,
    pub username: String,
    pub budget_bytes: u64,
    pub key_limit_bytes: u64,
    pub max_messages_per_conversation: u32,
    pub chunk_bytes: u32,
    /// This process's token: local echoes `sending` under another token are
    /// shown `failed` (see [`crate::echo`]). The glue draws one per process.
    pub session: String,
}

impl Config {
    pub fn new(appkey: &str, username: &str) -> Config {
        Config {
            prefix: "jimc".into(),
            appkey: appkey.into(),
            username: username.into(),
            budget_bytes: DEFAULT_BUDGET_BYTES,
            key_limit_bytes: DEFAULT_KEY_LIMIT_BYTES,
            max_messages_per_conversation: DEFAULT_MAX_MESSAGES_PER_CONVERSATION,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            session: String::new(),
        }
    }

    /// The account this configuration names, as the payload readers take it.
    pub fn account(&self) -> Account<'_> {
        Account { appkey: &self.appkey, username: &self.username }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::BadArgument(m));
        if self.appkey.is_empty() || self.username.is_empty() {
            return bad("appkey and username must be non-empty".into());
        }
        if self.prefix.is_empty() {
            return bad("prefix must be non-empty".into());
        }
        let min_key = (MAX_RECORD_BYTES as u64) * 3 / 2;
        if self.key_limit_bytes < min_key {
            return bad(format!("keyLimitBytes must be at least {min_key}, got {}", self.key_limit_bytes));
        }
        if self.budget_bytes < 16 * 1024 {
            return bad(format!("budgetBytes must be at least 16384, got {}", self.budget_bytes));
        }
        if self.max_messages_per_conversation == 0 {
            return bad("maxMessagesPerConversation must be at least 1".into());
        }
        if self.chunk_bytes < MIN_CHUNK_BYTES || self.chunk_bytes as u64 > self.key_limit_bytes / 2 {
            return bad(format!("chunk size must be between 1024 and keyLimitBytes/2, got {}", self.chunk_bytes));
        }
        Ok(())
    }
}

/// Internal failure of one attempt: a quota error may be retried.
enum Fail {
    Quota(String),
    Other(Error),
}

impl From<StorageError> for Fail {
    fn from(e: StorageError) -> Self {
        match e.kind {
            StorageErrorKind::Quota => Fail::Quota(e.message),
            _ => Fail::Other(e.into()),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Other(e)
    }
}

/// What the model tells the commit planner of one call, besides the
/// changed chunks it leaves in the index.
#[derive(Default)]
struct Call {
    /// Committed chunks to free before writing (evicted, damaged).
    early: Vec<ChunkRef>,
    /// Committed chunks whose replacement was evicted: removed early unless
    /// another surviving chunk also replaces them.
    evicted_origins: Vec<ChunkRef>,
    /// Committed chunks to remove after the commit (removed conversations).
    post: Vec<ChunkRef>,
    /// The index changed.
    changed: bool,
    /// Conversations whose unread count, name or avatar this call changed.
    updated: Vec<ConvId>,
    /// Conversations this call added a message newer than `last` to.
    newer: Vec<ConvId>,
}

impl Call {
    fn update(&mut self, id: &ConvId, rep: &mut Report) {
        self.changed = true;
        rep.touch(id.as_str());
        if !self.updated.contains(id) {
            self.updated.push(id.clone());
            rep.updated += 1;
        }
    }
}

/// The message cache of one account over one storage: the model (the
/// index and the chunks changed by the call being made) over the store.
pub struct Cache<S: Storage> {
    store: Store<S>,
    cfg: Config,
    index: Index,
    /// Messages lost to damaged or missing chunks since open.
    dropped: u64,
    /// A reload failed: reload before the next call.
    poisoned: bool,
    /// The budget in force at the last commit.
    budget: u64,
    /// Bumped whenever the cache may decide a message it holds differently
    /// than before: a chunk or record forgotten, a floor raised, the index
    /// reloaded or cleared, a retraction or receipt left pending. See
    /// [`Cache::epoch`].
    epoch: u64,
    /// The compact items the last call found stored or stored itself (see
    /// [`Cache::known_items`]).
    known: Vec<u32>,
}

impl<S: Storage> Cache<S> {
    /// Opens (or creates) the cache of `cfg`'s account, repairing whatever a
    /// crash or another writer left behind. See [`OpenReport`].
    pub fn open(storage: S, cfg: Config) -> Result<(Cache<S>, OpenReport)> {
        cfg.validate()?;
        let ns = Namespace::new(&cfg.prefix, &cfg.appkey, &cfg.username);
        let budget = cfg.budget_bytes;
        let mut cache = Cache { store: Store::new(storage, ns), cfg, index: Index::default(), dropped: 0, poisoned: false, budget, epoch: 0, known: Vec::new() };
        let report = cache.load()?;
        Ok((cache, report))
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn storage(&self) -> &S {
        self.store.storage()
    }

    pub fn storage_mut(&mut self) -> &mut S {
        self.store.storage_mut()
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.store.into_storage()
    }

    pub fn namespace(&self) -> &Namespace {
        self.store.ns()
    }

    /// The chunk size in force: the configured one, or less under a small
    /// budget (see [`CHUNKS_PER_BUDGET`]).
    pub fn chunk_bytes(&self) -> u32 {
        let share = (self.budget / CHUNKS_PER_BUDGET).max(MIN_CHUNK_BYTES as u64);
        (self.cfg.chunk_bytes as u64).min(share) as u32
    }

    fn account(&self) -> Account<'_> {
        self.cfg.account()
    }

    // ---- the write-side API -------------------------------------------

    /// `cacheMsg(data, mode)`: what `onSyncConversation` (`history`) or
    /// `onMsgReceive` (`realtime`) delivered.
    pub fn cache_messages(&mut self, payload: &Value, mode: Mode) -> Result<Report> {
        let batch = payload::read_messages(payload, mode, self.account())?;
        self.apply(&batch, &[])
    }

    /// [`Cache::cache_messages`] from the payload's JSON text (what the JS
    /// bindings pass): parsed without building a JSON tree.
    pub fn cache_messages_json(&mut self, text: &str, mode: Mode) -> Result<Report> {
        let batch = payload::read_messages_json(text, mode, self.account())?;
        self.apply(&batch, &[])
    }

    /// [`Cache::cache_messages_json`] for the compact batch the JS glue reads
    /// from a payload (see [`crate::compact`]): the same batch, the same result.
    /// Message bodies stay with the glue until the call knows which messages
    /// it stores: `bodies` returns those (see [`crate::compact`]).
    pub fn cache_compact(&mut self, slots: &[f64], table: &str, bodies: &mut dyn FnMut(&[u32]) -> Result<String>) -> Result<Report> {
        self.ready()?;
        // The account borrows only the configuration: the look-up may borrow
        // the index and the store meanwhile.
        let acct = self.cfg.account();
        let (index, store) = (&self.index, &mut self.store);
        // A look-up that fails leaves the message to be looked up again (and
        // the failure to surface) when it is stored.
        let mut look = |conv: &ConvId, id, pos, server_time| model::look_up(index, store, conv, id, pos, server_time).unwrap_or(crate::payload::Looked::Not);
        let mut batch = crate::compact::parse_compact_looking(slots, table, acct, &mut look)?;
        self.fetch_bodies(&mut batch, bodies)?;
        self.apply(&batch, &[])
    }

    /// A number that changes whenever the cache may decide a message it
    /// holds differently than before (a chunk or record forgotten, a floor
    /// raised, the index reloaded or cleared, a retraction or receipt left
    /// pending). While it stays the same, a copy of a message
    /// [`Cache::known_items`] named, identical in every field the compact
    /// batch carries, would again be counted as a duplicate and change
    /// nothing else: the glue may count it without sending it.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The body numbers of the compact items the last call found stored or
    /// stored itself (none unless it was a [`Cache::cache_compact`]).
    pub fn known_items(&self) -> &[u32] {
        &self.known
    }

    /// `cacheSent(data, msg)`: a send's `onSuccess` arguments.
    pub fn cache_sent(&mut self, data: &(impl Json + ?Sized), msg: &(impl Json + ?Sized)) -> Result<Report> {
        self.cache_sent_echo(data, msg, None)
    }

    /// `cacheSent(data, msg, localId)`: the stored message replaces the local
    /// echo `local_id`, in the same commit. A send the data says failed
    /// marks the echo failed instead.
    pub fn cache_sent_echo(&mut self, data: &(impl Json + ?Sized), msg: &(impl Json + ?Sized), local_id: Option<&str>) -> Result<Report> {
        let batch = payload::parse_sent(data, msg, self.account())?;
        self.apply_with(&batch, &[], local_id)
    }

    /// `applyEvent(eventOrEvents)`: `onEventNotification` / `onSyncEvent`.
    pub fn apply_events(&mut self, events: &(impl Json + ?Sized)) -> Result<Report> {
        let ev = payload::parse_events(events, self.account())?;
        let batch = Batch { rejected: ev.rejected, ignored: ev.ignored, ..Batch::default() };
        self.apply(&batch, &ev.retractions)
    }

    /// `applyReceipts(data)`: `onMsgReceiptChange` (one object) or
    /// `onSyncMsgReceipt` (an array). See [`crate::chat_state`].
    pub fn apply_receipts(&mut self, data: &(impl Json + ?Sized)) -> Result<Report> {
        let batch = chat_state::parse_receipts(data, self.account())?;
        self.apply(&batch, &[])
    }

    /// `applyUnread(data)`: `onMutiUnreadMsgUpdate`'s object.
    pub fn apply_unread(&mut self, data: &(impl Json + ?Sized)) -> Result<Report> {
        let batch = chat_state::parse_unread(data, self.account())?;
        self.apply(&batch, &[])
    }

    /// `applyConversations(data)`: `getConversation()`'s `onSuccess` data.
    pub fn apply_conversations(&mut self, data: &(impl Json + ?Sized)) -> Result<Report> {
        let batch = chat_state::parse_conversations(data, self.account())?;
        self.apply(&batch, &[])
    }

    fn apply(&mut self, batch: &Batch, retractions: &[Retraction]) -> Result<Report> {
        self.apply_with(batch, retractions, None)
    }

    /// One call: `batch`'s messages and state, `retractions`, and the local
    /// echo (`cacheSent`'s `localId`) the batch's message replaces.
    fn apply_with(&mut self, batch: &Batch, retractions: &[Retraction], echo: Option<&str>) -> Result<Report> {
        self.ready()?;
        let mut extra = 0u64;
        let mut attempt = 0;
        loop {
            let mut rep = Report::default();
            rep.reject(&batch.rejected);
            rep.ignored = batch.ignored as u32;
            let result = self.try_apply(batch, retractions, echo, &mut rep, extra);
            match result {
                Ok(()) => return Ok(rep),
                Err(fail) => {
                    self.reload()?;
                    match fail {
                        Fail::Quota(m) => {
                            self.store.forget_host_reading();
                            attempt += 1;
                            if attempt >= QUOTA_ATTEMPTS {
                                return Err(Error::StorageFull(format!(
                                    "storage quota reached and eviction did not free enough after {attempt} attempts: {m}"
                                )));
                            }
                            // Someone else holds the space: give more of ours back.
                            extra = extra * 2 + 4 * self.chunk_bytes() as u64;
                        }
                        Fail::Other(e) => return Err(e),
                    }
                }
            }
        }
    }

    fn try_apply(&mut self, batch: &Batch, retractions: &[Retraction], echo: Option<&str>, rep: &mut Report, extra: u64) -> std::result::Result<(), Fail> {
        let mut call = Call::default();
        self.known.clear();
        for m in &batch.messages {
            match self.insert(&mut call, m, rep)? {
                Placed::Rejected => continue,
                Placed::Kept => self.known.extend(m.item),
                Placed::Evicted => {}
            }
            if let Some(name) = &m.name {
                self.name_from_message(&mut call, &m.conv, name, m.record.pos(), rep);
            }
        }
        self.take_newest(&call);
        for r in retractions {
            self.retract(&mut call, r, rep)?;
        }
        self.apply_state(&mut call, &batch.state, rep)?;
        if let Some(local_id) = echo {
            self.resolve_echo(&mut call, local_id, batch);
        }
        self.commit(&mut call, rep, extra)
    }

    /// `markRead(id)`: unread to 0, read mark to the newest message.
    pub fn mark_read(&mut self, id: &ConvId) -> Result<bool> {
        self.ready()?;
        let Some(conv) = self.index.convs.get_mut(id) else { return Ok(false) };
        let at = conv.activity().max(conv.read_at);
        if conv.unread == 0 && conv.read_at == at {
            return Ok(false);
        }
        conv.unread = 0;
        conv.read_at = at;
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(true)
    }

    /// `remove(id)`: forget one conversation, its messages and its local
    /// echoes. The entry
    /// stays behind, invisible, with its floor at the newest message, so that
    /// a roaming re-delivery does not bring the deleted history (or a
    /// retracted message's text) back; a newer message makes it visible again.
    pub fn remove(&mut self, id: &ConvId) -> Result<bool> {
        self.ready()?;
        // Its messages being sent go too.
        let echoes = self.index.echoes.len();
        self.index.echoes.retain(|e| e.conv != *id);
        let had_echoes = self.index.echoes.len() != echoes;
        let Some(conv) = self.index.convs.get_mut(id).filter(|c| c.last.is_some()) else {
            if had_echoes {
                self.simple_commit(Call { changed: true, ..Default::default() })?;
            }
            return Ok(had_echoes);
        };
        let last = conv.last.take().expect("checked");
        conv.raise_floor(last.pos());
        self.epoch += 1;
        conv.unread = 0;
        conv.read_at = conv.read_at.max(last.time);
        let mut call = Call { changed: true, ..Default::default() };
        for s in std::mem::take(&mut conv.slots) {
            if let Slot::Stored(m) = s {
                call.post.push(m.chunk_ref());
            }
        }
        self.simple_commit(call)?;
        Ok(true)
    }

    fn simple_commit(&mut self, mut call: Call) -> Result<()> {
        let mut scratch = Report::default();
        match self.commit(&mut call, &mut scratch, 0) {
            Ok(()) => Ok(()),
            Err(f) => {
                self.reload()?;
                Err(match f {
                    Fail::Quota(m) => Error::StorageFull(m),
                    Fail::Other(e) => e,
                })
            }
        }
    }

    /// `clear()`: remove every key of this account (index first, so a crash
    /// part-way leaves only orphans that the next open sweeps).
    pub fn clear(&mut self) -> Result<()> {
        self.poisoned = true;
        let keys = self.store.keys()?;
        self.store.remove_all(&keys)?;
        self.index = Index::default();
        self.epoch += 1;
        self.poisoned = false;
        Ok(())
    }

}
