//! The cache: dedup, ordering, retraction, unread counts, paging, budget and
//! crash-safe commits over a [`Storage`].
//!
//! **A call** (`cache_messages`, `cache_sent`, `apply_events`, `mark_read`,
//! `remove`) first changes the in-memory index, turning the chunks it touches
//! into `Dirty` slots; then [`Cache::commit`] splits oversized chunks, applies
//! the per-conversation cap, evicts until the budget holds, and writes in this
//! order:
//!
//! 1. remove the chunks eviction dropped (their messages were given up by
//!    policy; freeing them first is what lets the new chunks fit);
//! 2. write each changed chunk under a fresh key;
//! 3. write the index: the commit point;
//! 4. remove the chunks the new ones replace.
//!
//! A crash before 3 leaves the old index, which references only complete
//! chunks, minus possibly some evicted ones (the open notices they are gone and
//! records them as evicted); a crash after 3 leaves unreferenced old chunks.
//! Opening sweeps every unreferenced key of our namespace. A call that fails
//! part-way reloads the committed state the same way, so memory never runs
//! ahead of storage. A call that changes nothing writes nothing.
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

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::budget::{choose_victim, eviction_order, HostReading};
use crate::chat_state::{self, ProfileSet, Receipt, StateChanges};
use crate::conversation::ConvId;
use crate::echo::{self, Echo, EchoView, Status};
use crate::error::{Error, Result};
use crate::index::{appended_insert, ChunkRef, chunk_json, chunk_overhead, parse_any_chunk, parse_chunk, AppendBase, ChunkMeta, ChunkValue, Conv, Dirty, EntryCache, Index, IndexProblem, Planned, Slot, READS_VERSIONS};
use crate::namespace::Namespace;
use crate::payload::{self, Account, Batch, Incoming, Looked, Mode, Pending, Rejection, Retraction, MAX_RECORD_BYTES};
use crate::record::{Pos, Record};
use crate::report::{ConversationView, MessageView, OpenReport, PageView, Report, Stats};
use crate::storage::{Storage, StorageError, StorageErrorKind};

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
/// Chunks kept parsed in memory.
const LOADED_CHUNKS: usize = 48;
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

/// Bookkeeping of one call's commit.
#[derive(Default)]
struct Call {
    /// Committed chunks to remove before writing (evicted, damaged).
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

/// What a commit does with the directory.
enum DirPlan {
    /// The older chunks did not change.
    Keep,
    /// No conversation has older chunks any more.
    Drop,
    /// Write this new directory (key, value, bytes).
    Write(u64, String, u32),
}

impl DirPlan {
    fn bytes(&self) -> u64 {
        match self {
            DirPlan::Write(_, _, b) => *b as u64,
            _ => 0,
        }
    }
}

/// The value a dirty chunk will be written with, and its length: only the
/// appended records when it has an [`AppendBase`], else the whole chunk.
fn chunk_value(id: &ConvId, d: &Dirty) -> (ChunkValue, usize) {
    if let Some(b) = d.base {
        if let Some(insert) = appended_insert(b.records, &d.records) {
            let len = b.value_bytes as usize + insert.len();
            return (ChunkValue::Appended { base: b.key, insert }, len);
        }
    }
    let whole = chunk_json(id, &d.records);
    let len = whole.len();
    (ChunkValue::Whole(whole), len)
}

/// A chunk a page is read from: its storage key and record count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedPage {
    pub key: String,
    pub count: u32,
}

/// What the glue reads a page from (see [`Cache::page_plan`]).
#[derive(serde::Serialize)]
pub struct PagePlan<'a> {
    pub chunks: Vec<PlannedPage>,
    /// The conversation's echoes, for the newest page only.
    pub echoes: Option<Vec<EchoView<'a>>>,
}

/// A chunk `search` reads: its storage key, conversation and newest record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChunk {
    pub key: String,
    pub conv: ConvId,
    pub last: Pos,
}

/// Lookup of an id in one chunk.
enum Found {
    At(usize),
    No,
    /// The chunk is missing or unreadable: drop it.
    Damaged,
}

/// A chunk kept parsed in memory.
struct Loaded {
    records: Vec<Record>,
    /// When it was last used, for the bounded set.
    tick: u64,
    /// Bytes of its value as stored.
    value_bytes: u32,
}

/// The message cache of one account over one storage.
pub struct Cache<S: Storage> {
    storage: S,
    cfg: Config,
    ns: Namespace,
    index: Index,
    /// Bytes of the index value as stored (key + value), 0 when absent.
    index_bytes: u64,
    /// Bytes of all our keys in storage, as far as we know.
    total_bytes: u64,
    /// Parsed chunks, by key number.
    /// By key number (a `BTreeMap`: SipHash costs more than a few integer
    /// comparisons in an interpreter).
    loaded: BTreeMap<u64, Loaded>,
    tick: u64,
    /// Keys of ours whose removal failed after a commit; retried later.
    strays: Vec<(String, u64)>,
    dropped: u64,
    /// A reload failed: reload before the next call.
    poisoned: bool,
    /// The older chunks the stored directory lists, per conversation.
    dir_snapshot: std::collections::BTreeMap<ConvId, Vec<u64>>,
    budget: u64,
    /// The host's usage as last read; `None`: read before the next commit.
    host: Option<HostReading>,
    /// Serialised index entries of unchanged conversations.
    entries: EntryCache,
}

impl<S: Storage> Cache<S> {
    /// Opens (or creates) the cache of `cfg`'s account, repairing whatever a
    /// crash or another writer left behind. See [`OpenReport`].
    pub fn open(storage: S, cfg: Config) -> Result<(Cache<S>, OpenReport)> {
        cfg.validate()?;
        let ns = Namespace::new(&cfg.prefix, &cfg.appkey, &cfg.username);
        let budget = cfg.budget_bytes;
        let mut cache = Cache {
            storage,
            cfg,
            ns,
            index: Index::default(),
            index_bytes: 0,
            total_bytes: 0,
            loaded: BTreeMap::new(),
            tick: 0,
            strays: Vec::new(),
            dropped: 0,
            poisoned: false,
            dir_snapshot: Default::default(),
            budget,
            host: None,
            entries: EntryCache::default(),
        };
        let report = cache.load()?;
        Ok((cache, report))
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }

    pub fn namespace(&self) -> &Namespace {
        &self.ns
    }

    /// The chunk size in force: the configured one, or less under a small
    /// budget (see [`CHUNKS_PER_BUDGET`]).
    pub fn chunk_bytes(&self) -> u32 {
        let share = (self.budget / CHUNKS_PER_BUDGET).max(MIN_CHUNK_BYTES as u64);
        (self.cfg.chunk_bytes as u64).min(share) as u32
    }

    fn account(&self) -> Account<'_> {
        Account { appkey: &self.cfg.appkey, username: &self.cfg.username }
    }

    // ---- open / reload ------------------------------------------------

    fn load(&mut self) -> Result<OpenReport> {
        let mut rep = OpenReport::default();
        self.host = None;
        self.entries = EntryCache::default();
        self.loaded.clear();
        self.strays.clear();
        self.index = Index::default();
        self.index_bytes = 0;
        self.total_bytes = 0;
        let ikey = self.ns.index_key();
        let raw = self.storage.get(&ikey)?;
        let keys = self.storage.keys(self.ns.prefix())?;
        let dir_text = match raw.as_deref().and_then(Index::directory_of) {
            Some(d) => self.storage.get(&self.ns.dir_key(d))?,
            None => None,
        };
        let mut rebuild = false;
        let mut index = match &raw {
            None => {
                rebuild = keys.iter().any(|k| self.ns.parse_chunk_key(k).is_some());
                Index::default()
            }
            Some(s) => match Index::from_json(s, dir_text.as_deref()) {
                Ok(i) => i,
                Err(IndexProblem::Version(v)) => {
                    rep.reset = Some(format!(
                        "stored cache has layout version {v}, this library reads versions {:?}: cleared", READS_VERSIONS
                    ));
                    for k in &keys {
                        self.storage.remove(k)?;
                    }
                    return Ok(rep);
                }
                Err(IndexProblem::Corrupt(_)) => {
                    rebuild = true;
                    Index::default()
                }
            },
        };
        if rebuild {
            index = self.rebuild_from(&keys)?;
            rep.rebuilt = true;
        }
        // Sweep what the index does not reference.
        let mut referenced: HashSet<u64> = HashSet::new();
        for conv in index.convs.values() {
            for s in &conv.slots {
                match s {
                    Slot::Stored(m) => {
                        referenced.insert(m.key);
                    }
                    Slot::Dirty(d) => referenced.extend(d.origins.iter().map(|o| o.key)),
                }
            }
        }
        let mut present: HashSet<u64> = HashSet::new();
        let dir_key = index.dir.map(|d| self.ns.dir_key(d.key));
        for k in &keys {
            if *k == ikey || Some(k) == dir_key.as_ref() {
                continue;
            }
            match self.ns.parse_chunk_key(k) {
                Some(n) if referenced.contains(&n) => {
                    present.insert(n);
                }
                _ => {
                    rep.orphans_removed += 1;
                    if self.storage.remove(k).is_err() {
                        self.strays.push((k.clone(), 0));
                    }
                }
            }
        }
        // What the stored directory lists, before repairs: a repair then
        // differs from it, and the next commit writes a new directory.
        self.dir_snapshot = index.older_snapshot();
        // Drop references to chunks that are gone (in memory: the next
        // commit persists it, so opening never has to write, and cannot fail
        // on a full storage, unless the index itself must be rebuilt).
        for conv in index.convs.values_mut() {
            let mut i = 0;
            while i < conv.slots.len() {
                let gone = matches!(&conv.slots[i], Slot::Stored(m) if !present.contains(&m.key));
                if gone {
                    let slot = conv.slots.remove(i);
                    rep.chunks_dropped += 1;
                    rep.messages_dropped += slot.count() as u64;
                    if i == 0 {
                        if let Some(l) = slot.last() {
                            conv.raise_floor(l);
                        }
                    }
                } else {
                    i += 1;
                }
            }
        }
        self.dropped += rep.messages_dropped;
        self.index = index;
        self.index_bytes = raw.as_ref().map(|s| (ikey.len() + s.len()) as u64).unwrap_or(0);
        self.total_bytes = self.index_bytes
            + self.index.dir.map(|d| d.bytes as u64).unwrap_or(0)
            + self.index.convs.values().flat_map(|c| &c.slots).map(|s| match s {
                Slot::Stored(m) => m.bytes as u64,
                Slot::Dirty(d) => d.origins.iter().map(|o| o.bytes as u64).sum(),
            }).sum::<u64>();
        if rebuild {
            let mut call = Call { changed: true, ..Default::default() };
            let mut scratch = Report::default();
            match self.commit(&mut call, &mut scratch, 0) {
                Ok(()) => {}
                Err(Fail::Quota(m)) => return Err(Error::StorageFull(m)),
                Err(Fail::Other(e)) => return Err(e),
            }
        }
        Ok(rep)
    }

    /// Rebuilds an index from whatever chunks of ours are readable.
    fn rebuild_from(&mut self, keys: &[String]) -> Result<Index> {
        let mut index = Index::default();
        let mut by_id: HashMap<u64, (ConvId, Pos)> = HashMap::new();
        // Per conversation: its records by position, and the chunks they came from.
        type Gathered = (std::collections::BTreeMap<Pos, Record>, Vec<ChunkRef>);
        let mut convs: HashMap<ConvId, Gathered> = HashMap::new();
        for k in keys {
            let Some(n) = self.ns.parse_chunk_key(k) else { continue };
            index.next_key = index.next_key.max(n + 1);
            let Some(v) = self.storage.get(k)? else { continue };
            let Some((conv, records)) = parse_any_chunk(&v) else { continue };
            let bytes = (k.len() + v.len()) as u32;
            let entry = convs.entry(conv.clone()).or_default();
            entry.1.push(ChunkRef { key: n, bytes });
            for r in records {
                match by_id.get(&r.id) {
                    Some((c, p)) => {
                        if r.retracted {
                            if let Some(old) = convs.get_mut(c).and_then(|e| e.0.get_mut(p)) {
                                old.retract();
                            }
                        }
                    }
                    None => {
                        by_id.insert(r.id, (conv.clone(), r.pos()));
                        convs.get_mut(&conv).expect("inserted").0.insert(r.pos(), r);
                    }
                }
            }
        }
        for (id, (records, origins)) in convs {
            let records: Vec<Record> = records.into_values().collect();
            let mut conv = Conv::new();
            conv.last = records.last().cloned();
            conv.read_at = conv.activity();
            conv.slots.push(Slot::Dirty(Dirty { records, base: None, origins, planned: None }));
            index.convs.insert(id, conv);
        }
        Ok(index)
    }

    /// After a failed call: back to what storage holds.
    fn reload(&mut self) -> Result<()> {
        match self.load() {
            Ok(_) => {
                self.poisoned = false;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Reloads the committed state from storage: after another handle of the
    /// same account (another `openCache` in this process) committed. The JS
    /// glue calls it when its store sees that the index was written by
    /// someone else since this cache last read or wrote it.
    pub fn refresh(&mut self) -> Result<()> {
        self.reload()
    }

    fn ready(&mut self) -> Result<()> {
        if self.poisoned {
            self.reload()?;
        }
        Ok(())
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
        let mut batch = crate::compact::parse_compact(slots, table, self.account())?;
        self.ready()?;
        self.fetch_bodies(&mut batch, bodies)?;
        self.apply(&batch, &[])
    }

    /// `cacheSent(data, msg)`: a send's `onSuccess` arguments.
    pub fn cache_sent(&mut self, data: &Value, msg: &Value) -> Result<Report> {
        self.cache_sent_echo(data, msg, None)
    }

    /// `cacheSent(data, msg, localId)`: the stored message replaces the local
    /// echo `local_id`, in the same commit. A send the data says failed
    /// marks the echo failed instead.
    pub fn cache_sent_echo(&mut self, data: &Value, msg: &Value, local_id: Option<&str>) -> Result<Report> {
        let batch = payload::parse_sent(data, msg, self.account())?;
        self.apply_with(&batch, &[], local_id)
    }

    /// `applyEvent(eventOrEvents)`: `onEventNotification` / `onSyncEvent`.
    pub fn apply_events(&mut self, events: &Value) -> Result<Report> {
        let ev = payload::parse_events(events, self.account())?;
        let batch = Batch { rejected: ev.rejected, ignored: ev.ignored, ..Batch::default() };
        self.apply(&batch, &ev.retractions)
    }

    /// `applyReceipts(data)`: `onMsgReceiptChange` (one object) or
    /// `onSyncMsgReceipt` (an array). See [`crate::chat_state`].
    pub fn apply_receipts(&mut self, data: &Value) -> Result<Report> {
        let batch = chat_state::parse_receipts(data, self.account())?;
        self.apply(&batch, &[])
    }

    /// `applyUnread(data)`: `onMutiUnreadMsgUpdate`'s object.
    pub fn apply_unread(&mut self, data: &Value) -> Result<Report> {
        let batch = chat_state::parse_unread(data, self.account())?;
        self.apply(&batch, &[])
    }

    /// `applyConversations(data)`: `getConversation()`'s `onSuccess` data.
    pub fn apply_conversations(&mut self, data: &Value) -> Result<Report> {
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
                            self.host = None; // someone else grew: read again
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
        for m in &batch.messages {
            if !self.insert(&mut call, m, rep)? {
                continue;
            }
            if let Some(name) = &m.name {
                self.name_from_message(&mut call, &m.conv, name, m.record.pos(), rep);
            }
        }
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
        conv.unread = 0;
        conv.read_at = conv.read_at.max(last.time);
        let mut call = Call { changed: true, ..Default::default() };
        for s in std::mem::take(&mut conv.slots) {
            if let Slot::Stored(m) = s {
                call.post.push(m.chunk_ref());
                self.loaded.remove(&m.key);
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
        let ikey = self.ns.index_key();
        let keys = self.storage.keys(self.ns.prefix())?;
        self.poisoned = true;
        self.storage.remove(&ikey)?;
        for k in keys.iter().filter(|k| **k != ikey) {
            self.storage.remove(k)?;
        }
        self.index = Index::default();
        self.dir_snapshot.clear();
        self.loaded.clear();
        self.strays.clear();
        self.index_bytes = 0;
        self.total_bytes = 0;
        self.poisoned = false;
        Ok(())
    }

    // ---- inserting and retracting ------------------------------------

    /// Stores `m`, or finds it stored (a duplicate) or below the floor
    /// (evicted). `false`: rejected, because its body cannot be stored.
    fn insert(&mut self, call: &mut Call, m: &Incoming, rep: &mut Report) -> std::result::Result<bool, Fail> {
        let (conv_id, server_time) = (&m.conv, m.server_time);
        let unusable = match &m.body {
            Pending::Ready => None,
            Pending::Invalid(reason) => Some(reason.as_str()),
            Pending::Later { .. } => Some("internal: its body was not read from the glue"),
        };
        if let Some(reason) = unusable {
            // Still a duplicate of a stored message, or evicted, if it is one.
            if self.will_store(conv_id, &m.record, server_time)? {
                rep.reject(&[Rejection { id: Some(m.record.id), reason: reason.to_string() }]);
                return Ok(false);
            }
        }
        let searched = m.looked == Looked::Absent;
        // Copied only once it is stored: most of a re-sync is duplicates.
        let mut rec = std::borrow::Cow::Borrowed(&m.record);
        if let Some(i) = self.index.pending.iter().position(|&p| p == rec.id) {
            self.index.pending.remove(i);
            rec.to_mut().retract();
            call.changed = true;
        }
        if let Some(i) = self.index.pending_receipts.iter().position(|p| p.id == rec.id) {
            let early = self.index.pending_receipts.remove(i).expect("found");
            rec.to_mut().take_receipt(early.unread);
            call.changed = true;
        }
        let pos = rec.pos();
        match self.index.convs.get(conv_id) {
            Some(c) if c.floor.is_some_and(|f| pos <= f) => {
                rep.evicted += 1;
                return Ok(true);
            }
            // Found by the look-up before the bodies, and nothing to change in it.
            Some(_) if m.looked == Looked::Stored && matches!(rec, std::borrow::Cow::Borrowed(_)) => {
                rep.duplicates += 1;
                return Ok(true);
            }
            Some(_) => {}
            None => {
                self.index.convs.insert(conv_id.clone(), Conv::default());
            }
        }
        loop {
            let conv = self.index.convs.get_mut(conv_id).expect("present");
            if conv.slots.is_empty() {
                conv.slots.push(Slot::Dirty(Dirty { records: vec![(*rec).clone()], base: None, origins: vec![], planned: None }));
                self.added(call, conv_id, &rec, rep);
                return Ok(true);
            }
            let newest = conv.slots.len() - 1;
            let si = locate(&conv.slots, pos);
            let mut damaged = None;
            let look: &[usize] = if searched { &[] } else { &candidates(&conv.slots, pos, server_time) };
            for &cand in look {
                match self.find(conv_id, cand, rec.id, Some(pos))? {
                    Found::At(i) => {
                        rep.duplicates += 1;
                        if rec.retracted {
                            self.retract_at(call, conv_id, cand, i, rep)?;
                        }
                        if let Some(unread) = rec.receipt {
                            self.receipt_at(call, conv_id, cand, i, unread, rep)?;
                        }
                        return Ok(true);
                    }
                    Found::Damaged => {
                        damaged = Some(cand);
                        break;
                    }
                    Found::No => {}
                }
            }
            if let Some(d) = damaged {
                self.drop_slot(call, conv_id, d);
                continue;
            }
            // Append past a full newest chunk: start a new chunk rather than
            // rewriting the full one.
            let chunk_bytes = self.chunk_bytes() as usize;
            let conv = self.index.convs.get_mut(conv_id).expect("present");
            if si == newest {
                if let Slot::Stored(m) = &conv.slots[si] {
                    if m.last < pos && m.bytes as usize + rec.stored_len() + 1 > chunk_bytes {
                        conv.slots.push(Slot::Dirty(Dirty { records: vec![(*rec).clone()], base: None, origins: vec![], planned: None }));
                        self.added(call, conv_id, &rec, rep);
                        return Ok(true);
                    }
                }
            }
            if !self.make_dirty(conv_id, si)? {
                self.drop_slot(call, conv_id, si);
                continue;
            }
            let conv = self.index.convs.get_mut(conv_id).expect("present");
            let Slot::Dirty(d) = &mut conv.slots[si] else { unreachable!("made dirty") };
            let at = d.records.partition_point(|r| r.pos() < pos);
            if at < d.records.len() {
                d.base = None; // not an append: serialise the whole chunk
            }
            d.records.insert(at, (*rec).clone());
            self.added(call, conv_id, &rec, rep);
            return Ok(true);
        }
    }

    /// Whether [`Cache::insert`] would store a message (not find it stored
    /// or below the floor), without changing anything but the loaded set.
    /// A damaged chunk on the way counts as "would store".
    fn will_store(&mut self, conv_id: &ConvId, rec: &Record, server_time: bool) -> Result<bool> {
        self.look_for(conv_id, rec, server_time).map(|l| !l.kept())
    }

    /// Where [`Cache::insert`] would find a message, read-only.
    fn look_for(&mut self, conv_id: &ConvId, rec: &Record, server_time: bool) -> Result<Looked> {
        let pos = rec.pos();
        let Some(conv) = self.index.convs.get(conv_id) else { return Ok(Looked::Absent) };
        if conv.floor.is_some_and(|f| pos <= f) {
            return Ok(Looked::Evicted);
        }
        if conv.slots.is_empty() {
            return Ok(Looked::Absent);
        }
        for cand in candidates(&conv.slots, pos, server_time) {
            match self.find(conv_id, cand, rec.id, Some(pos))? {
                Found::At(_) => return Ok(Looked::Stored),
                Found::Damaged => return Ok(Looked::Not),
                Found::No => {}
            }
        }
        Ok(Looked::Absent)
    }

    /// Reads from the glue (`bodies`: item numbers -> a JSON array of
    /// `[msg_body, at_list]` pairs) the bodies of the compact batch's
    /// messages this call will store; the others (duplicates, evicted) never
    /// cross into the module.
    fn fetch_bodies(&mut self, batch: &mut Batch, bodies: &mut dyn FnMut(&[u32]) -> Result<String>) -> Result<()> {
        let mut wanted = Vec::new();
        let mut at = Vec::new();
        let mut ids: Vec<u64> = batch.messages.iter().map(|m| m.record.id).collect();
        ids.sort_unstable();
        let repeated = |id: u64| {
            let i = ids.partition_point(|&x| x < id);
            ids.get(i + 1) == Some(&id)
        };
        for (i, m) in batch.messages.iter_mut().enumerate() {
            let Pending::Later { n, .. } = m.body else { continue };
            m.looked = match self.look_for(&m.conv, &m.record, m.server_time)? {
                // A later copy in this batch would not be searched for.
                Looked::Absent if repeated(m.record.id) => Looked::Not,
                found => found,
            };
            if !m.looked.kept() {
                wanted.push(n);
                at.push(i);
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        crate::compact::give_bodies(batch, &at, &bodies(&wanted)?)
    }

    fn added(&mut self, call: &mut Call, conv_id: &ConvId, rec: &Record, rep: &mut Report) {
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        if conv.last.is_none() {
            // The conversation's row appears: take what getConversation said of it.
            if let Some(i) = self.index.pending_profiles.iter().position(|p| p.conv == *conv_id) {
                let p = self.index.pending_profiles.remove(i).expect("found");
                conv.take_profile(&p.profile);
            }
        }
        rep.added += 1;
        rep.touch(conv_id.as_str());
        call.changed = true;
        if !rec.out && !rec.retracted && rec.time > conv.read_at {
            conv.unread += 1;
        }
        if conv.last.as_ref().is_none_or(|l| rec.pos() > l.pos()) {
            conv.last = Some(rec.clone());
        }
    }

    /// Where message `id` is stored in a conversation: (slot, index), newest
    /// chunks first. Damaged chunks met on the way are dropped.
    fn find_record(&mut self, call: &mut Call, conv_id: &ConvId, id: u64) -> Result<Option<(usize, usize)>> {
        let Some(conv) = self.index.convs.get(conv_id) else { return Ok(None) };
        let mut si = conv.slots.len();
        while si > 0 {
            si -= 1;
            match self.find(conv_id, si, id, None)? {
                Found::At(i) => return Ok(Some((si, i))),
                Found::Damaged => self.drop_slot(call, conv_id, si),
                Found::No => {}
            }
        }
        Ok(None)
    }

    fn retract(&mut self, call: &mut Call, r: &Retraction, rep: &mut Report) -> std::result::Result<(), Fail> {
        for &id in &r.ids {
            let mut done = false;
            if let Some(conv_id) = &r.conv {
                if let Some((si, i)) = self.find_record(call, conv_id, id)? {
                    self.retract_at(call, conv_id, si, i, rep)?;
                    done = true;
                }
            }
            if !done && !self.index.pending.contains(&id) {
                remember(&mut self.index.pending, id, MAX_PENDING_RETRACTIONS);
                call.changed = true;
            }
        }
        Ok(())
    }

    /// Changes record `i` of slot `si` in place with `edit`, which also
    /// gets the conversation's unread count and read mark: its chunk becomes
    /// dirty (rewritten whole) and the conversation's `last` follows. Returns
    /// false when the chunk was damaged (it is dropped).
    fn edit_record(
        &mut self,
        call: &mut Call,
        conv_id: &ConvId,
        si: usize,
        i: usize,
        edit: impl FnOnce(&mut Record, &mut u32, u64),
    ) -> std::result::Result<bool, Fail> {
        if !self.make_dirty(conv_id, si)? {
            self.drop_slot(call, conv_id, si);
            return Ok(false);
        }
        let Conv { slots, unread, read_at, last, .. } = self.index.convs.get_mut(conv_id).expect("present");
        let Slot::Dirty(d) = &mut slots[si] else { unreachable!("made dirty") };
        d.base = None;
        let rec = &mut d.records[i];
        edit(rec, unread, *read_at);
        if last.as_ref().is_some_and(|l| l.id == rec.id) {
            *last = Some(rec.clone());
        }
        call.changed = true;
        Ok(true)
    }

    /// Tombstones record `i` of slot `si`, unless it already is one.
    fn retract_at(&mut self, call: &mut Call, conv_id: &ConvId, si: usize, i: usize, rep: &mut Report) -> std::result::Result<(), Fail> {
        if self.records(conv_id, si).is_some_and(|r| r[i].retracted) {
            return Ok(());
        }
        let done = self.edit_record(call, conv_id, si, i, |rec, unread, read_at| {
            rec.retract();
            if !rec.out && rec.time > read_at && *unread > 0 {
                *unread -= 1;
            }
        })?;
        if done {
            rep.retracted += 1;
            rep.touch(conv_id.as_str());
        }
        Ok(())
    }

    // ---- local echoes ---------------------------------------------------

    /// An echo as the API shows it (its status as this process sees it).
    pub fn echo_view<'a>(&'a self, e: &'a Echo) -> EchoView<'a> {
        e.view(&self.cfg.username, &self.cfg.session)
    }

    fn echo_at(&self, local_id: &str) -> Option<usize> {
        self.index.echoes.iter().position(|e| e.local_id == local_id)
    }

    /// A send's echo once `cacheSent` ran: gone when its message is stored,
    /// failed (with the reason) when the send's data says it failed.
    fn resolve_echo(&mut self, call: &mut Call, local_id: &str, batch: &Batch) {
        let Some(i) = self.echo_at(local_id) else { return };
        if !batch.messages.is_empty() {
            self.index.echoes.remove(i);
            call.changed = true;
        } else if let Some(r) = batch.rejected.first() {
            let e = &mut self.index.echoes[i];
            e.status = Status::Failed;
            e.reason = Some(r.reason.clone());
            call.changed = true;
        }
    }

    /// `addPending(conversationId, {type, body, localId?})`: stores an echo
    /// and returns it; the `localId` of a failed echo sends it again. `now`
    /// is the caller's clock (ms).
    pub fn add_pending(&mut self, conv: &ConvId, kind: &str, body: &str, local_id: Option<&str>, now: u64) -> Result<Echo> {
        self.ready()?;
        let (kind, body) = echo::checked(kind, body)?;
        if let Some(id) = local_id {
            echo::checked_local_id(id)?;
        }
        let session = self.cfg.session.clone();
        if let Some(i) = local_id.and_then(|id| self.echo_at(id)) {
            let e = &self.index.echoes[i];
            if e.conv != *conv {
                return Err(Error::BadArgument(format!("localId {:?} is an echo of {}, not {conv}", e.local_id, e.conv)));
            }
            if e.status_in(&session).0 == Status::Sending {
                return Ok(e.clone());
            }
            let mut retry = self.index.echoes.remove(i);
            retry.kind = kind;
            retry.body = body;
            retry.time = now;
            retry.status = Status::Sending;
            retry.reason = None;
            retry.session = session;
            self.index.echoes.push(retry.clone());
            self.simple_commit(Call { changed: true, ..Default::default() })?;
            return Ok(retry);
        }
        if self.index.echoes.len() >= echo::MAX_ECHOES {
            return Err(Error::BadArgument(format!(
                "{} messages are already pending: send or discard some first",
                echo::MAX_ECHOES
            )));
        }
        let local_id = match local_id {
            Some(id) => id.to_string(),
            None => self.fresh_local_id(now),
        };
        let e = Echo { local_id, conv: conv.clone(), kind, body, time: now, status: Status::Sending, reason: None, session };
        self.index.echoes.push(e.clone());
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(e)
    }

    fn fresh_local_id(&self, now: u64) -> String {
        let mut n = self.index.echoes.len() as u64;
        loop {
            let mut id = String::from("local-");
            crate::text::push_decimal(&mut id, now);
            id.push('-');
            crate::text::push_decimal(&mut id, n);
            if self.echo_at(&id).is_none() {
                return id;
            }
            n += 1;
        }
    }

    /// `sendFailed(localId, reason?)`: the echo shows `failed`. Returns
    /// whether there was such an echo.
    pub fn send_failed(&mut self, local_id: &str, reason: Option<&str>) -> Result<bool> {
        self.ready()?;
        let Some(i) = self.echo_at(local_id) else { return Ok(false) };
        let e = &mut self.index.echoes[i];
        let reason = reason.and_then(crate::record::capped_reason);
        if e.status == Status::Failed && e.reason == reason {
            return Ok(true);
        }
        e.status = Status::Failed;
        e.reason = reason;
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(true)
    }

    /// `discardPending(localId)`: removes an echo. Returns whether it existed.
    pub fn discard_pending(&mut self, local_id: &str) -> Result<bool> {
        self.ready()?;
        let Some(i) = self.echo_at(local_id) else { return Ok(false) };
        self.index.echoes.remove(i);
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(true)
    }

    /// What `search` reads, newest first: every chunk of `conv` (or of
    /// every conversation) holding something older than `before`, ordered by
    /// its newest record. The glue scans their values with the engine's
    /// native string search and merges the hits in this order (a record of
    /// a later chunk is never newer than that chunk's `last`).
    pub fn search_plan(&mut self, text: &str, conv: Option<&ConvId>, before: Option<Pos>) -> Result<Vec<PlannedChunk>> {
        self.ready()?;
        if text.trim().is_empty() {
            return Err(Error::BadArgument("search text is empty".into()));
        }
        let mut chunks = Vec::new();
        for (id, c) in &self.index.convs {
            if conv.is_some_and(|want| want != id) {
                continue;
            }
            for slot in &c.slots {
                if let Slot::Stored(m) = slot {
                    if before.is_none_or(|b| m.first < b) {
                        chunks.push(PlannedChunk { key: self.ns.chunk_key(m.key), conv: id.clone(), last: m.last });
                    }
                }
            }
        }
        chunks.sort_by(|a, b| b.last.cmp(&a.last));
        Ok(chunks)
    }

    /// `pending(conversationId?)`: echoes, sending and failed, oldest first.
    pub fn pending(&self, conv: Option<&ConvId>) -> Vec<EchoView<'_>> {
        self.index
            .echoes
            .iter()
            .filter(|e| conv.is_none_or(|c| *c == e.conv))
            .map(|e| self.echo_view(e))
            .collect()
    }

    // ---- receipts, unread counts, names ---------------------------------

    /// Applies what a call says besides messages, once its messages are in.
    fn apply_state(&mut self, call: &mut Call, state: &StateChanges, rep: &mut Report) -> std::result::Result<(), Fail> {
        for set in &state.receipts {
            for r in &set.receipts {
                self.apply_receipt(call, &set.conv, *r, rep)?;
            }
        }
        for u in &state.unread {
            self.set_unread(call, &u.conv, u.count, rep)?;
        }
        for p in &state.profiles {
            self.apply_profile(call, p, rep);
        }
        Ok(())
    }

    /// A receipt of message `r.id`: applied to the stored record, or
    /// remembered until the message arrives.
    fn apply_receipt(&mut self, call: &mut Call, conv_id: &ConvId, r: Receipt, rep: &mut Report) -> std::result::Result<(), Fail> {
        if let Some((si, i)) = self.find_record(call, conv_id, r.id)? {
            return self.receipt_at(call, conv_id, si, i, r.unread, rep);
        }
        let pending = &mut self.index.pending_receipts;
        match pending.iter_mut().find(|p| p.id == r.id) {
            Some(p) if p.unread <= r.unread => {}
            Some(p) => {
                p.unread = r.unread;
                call.changed = true;
            }
            None => {
                remember(pending, r, MAX_PENDING_RECEIPTS);
                call.changed = true;
            }
        }
        rep.pending += 1;
        Ok(())
    }

    /// Gives record `i` of slot `si` a receipt count, when it is your own
    /// message and the count is smaller than the one it has.
    fn receipt_at(&mut self, call: &mut Call, conv_id: &ConvId, si: usize, i: usize, unread: u32, rep: &mut Report) -> std::result::Result<(), Fail> {
        let takes = |r: &Record| r.out && r.receipt.is_none_or(|n| n > unread);
        if !self.records(conv_id, si).is_some_and(|r| takes(&r[i])) {
            return Ok(());
        }
        if self.edit_record(call, conv_id, si, i, |rec, _, _| {
            rec.take_receipt(unread);
        })? {
            rep.receipts += 1;
            rep.touch(conv_id.as_str());
        }
        Ok(())
    }

    /// Sets a conversation's unread count as the SDK counts it, and moves
    /// its read mark so that exactly the newest `count` incoming messages
    /// are after it (a retraction then uncounts only those). A
    /// conversation the cache does not show is not created.
    fn set_unread(&mut self, call: &mut Call, conv_id: &ConvId, count: u32, rep: &mut Report) -> std::result::Result<(), Fail> {
        let shown = |c: &&Conv| c.last.is_some() || self.index.echoes.iter().any(|e| e.conv == *conv_id);
        let Some(conv) = self.index.convs.get(conv_id).filter(shown) else {
            rep.ignored += 1;
            return Ok(());
        };
        let read_at = match count {
            0 => conv.activity().max(conv.read_at),
            n => self.unread_mark(conv_id, n)?,
        };
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        if conv.unread != count || conv.read_at != read_at {
            conv.unread = count;
            conv.read_at = read_at;
            call.update(conv_id, rep);
        }
        Ok(())
    }

    /// Just before the `n`-th newest incoming, not retracted message; 0
    /// when there are fewer.
    fn unread_mark(&mut self, conv_id: &ConvId, n: u32) -> Result<u64> {
        let mut left = n;
        let mut si = self.index.convs[conv_id].slots.len();
        while si > 0 {
            si -= 1;
            if let Slot::Stored(m) = &self.index.convs[conv_id].slots[si] {
                let key = m.key;
                if !self.ensure_loaded(conv_id, key)? {
                    continue;
                }
            }
            for r in self.records(conv_id, si).unwrap_or(&[]).iter().rev() {
                if !r.out && !r.retracted {
                    left -= 1;
                    if left == 0 {
                        return Ok(r.time.saturating_sub(1));
                    }
                }
            }
        }
        Ok(0)
    }

    /// A conversation's name from one of its messages.
    fn name_from_message(&mut self, call: &mut Call, conv_id: &ConvId, name: &str, at: crate::record::Pos, rep: &mut Report) {
        if let Some(conv) = self.index.convs.get_mut(conv_id) {
            if conv.name_from_message(name, at) {
                call.update(conv_id, rep);
            }
        }
    }

    /// A `getConversation` entry: applied to a conversation the cache
    /// shows, else remembered until its first message arrives.
    fn apply_profile(&mut self, call: &mut Call, p: &ProfileSet, rep: &mut Report) {
        if let Some(conv) = self.index.convs.get_mut(&p.conv).filter(|c| c.last.is_some()) {
            if conv.take_profile(&p.profile) {
                call.update(&p.conv, rep);
            }
            return;
        }
        if p.profile == chat_state::Profile::default() {
            return;
        }
        let pending = &mut self.index.pending_profiles;
        match pending.iter_mut().find(|q| q.conv == p.conv) {
            Some(q) if q.profile == p.profile => {}
            Some(q) => {
                q.profile.name = p.profile.name.clone().or(q.profile.name.take());
                q.profile.avatar = p.profile.avatar.clone().or(q.profile.avatar.take());
                call.changed = true;
            }
            None => {
                remember(pending, p.clone(), MAX_PENDING_PROFILES);
                call.changed = true;
            }
        }
        rep.pending += 1;
    }

    // ---- chunk access --------------------------------------------------

    /// Reads a stored chunk into the loaded set. `Ok(false)`: missing or
    /// damaged.
    fn ensure_loaded(&mut self, conv_id: &ConvId, key: u64) -> Result<bool> {
        self.tick += 1;
        if let Some(entry) = self.loaded.get_mut(&key) {
            entry.tick = self.tick;
            return Ok(true);
        }
        let Some(value) = self.storage.get(&self.ns.chunk_key(key))? else { return Ok(false) };
        let Ok(records) = parse_chunk(conv_id, &value) else { return Ok(false) };
        self.keep_loaded(key, records, value.len() as u32);
        Ok(true)
    }

    /// Adds a parsed chunk to the bounded set kept in memory.
    fn keep_loaded(&mut self, key: u64, records: Vec<Record>, value_bytes: u32) {
        self.tick += 1;
        if self.loaded.len() >= LOADED_CHUNKS {
            if let Some((&old, _)) = self.loaded.iter().min_by_key(|(_, v)| v.tick) {
                self.loaded.remove(&old);
            }
        }
        self.loaded.insert(key, Loaded { records, tick: self.tick, value_bytes });
    }

    fn records(&self, conv_id: &ConvId, si: usize) -> Option<&[Record]> {
        match &self.index.convs.get(conv_id)?.slots.get(si)? {
            Slot::Stored(m) => self.loaded.get(&m.key).map(|e| e.records.as_slice()),
            Slot::Dirty(d) => Some(&d.records),
        }
    }

    /// Looks for record `id` in slot `si`; `at`: where it sits if its copy
    /// has the same position (tried first).
    fn find(&mut self, conv_id: &ConvId, si: usize, id: u64, at: Option<Pos>) -> Result<Found> {
        let (key, count) = match &self.index.convs[conv_id].slots[si] {
            Slot::Dirty(d) => return Ok(position(&d.records, id, at)),
            Slot::Stored(m) => (m.key, m.count),
        };
        if !self.ensure_loaded(conv_id, key)? {
            return Ok(Found::Damaged);
        }
        let records = &self.loaded[&key].records;
        if records.len() != count as usize {
            // The value does not match its index entry: not ours to trust.
            self.loaded.remove(&key);
            return Ok(Found::Damaged);
        }
        Ok(position(records, id, at))
    }

    /// Turns slot `si` into a `Dirty` one owning its records.
    fn make_dirty(&mut self, conv_id: &ConvId, si: usize) -> Result<bool> {
        let (key, bytes) = match &self.index.convs[conv_id].slots[si] {
            Slot::Dirty(_) => return Ok(true),
            Slot::Stored(m) => (m.key, m.bytes),
        };
        if !self.ensure_loaded(conv_id, key)? {
            return Ok(false);
        }
        let Loaded { records, value_bytes, .. } = self.loaded.remove(&key).expect("loaded");
        let base = Some(AppendBase { key, value_bytes, records: records.len() });
        self.index.convs.get_mut(conv_id).expect("present").slots[si] =
            Slot::Dirty(Dirty { records, base, origins: vec![ChunkRef { key, bytes }], planned: None });
        Ok(true)
    }

    /// Forgets a missing or damaged chunk; its key is removed in the commit.
    fn drop_slot(&mut self, call: &mut Call, conv_id: &ConvId, si: usize) {
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        let slot = conv.slots.remove(si);
        self.dropped += slot.count() as u64;
        if si == 0 {
            if let Some(l) = slot.last() {
                conv.raise_floor(l);
            }
        }
        match slot {
            Slot::Stored(m) => call.early.push(m.chunk_ref()),
            Slot::Dirty(d) => call.early.extend(d.origins),
        }
        call.changed = true;
    }

    fn evict_slot(&mut self, call: &mut Call, conv_id: &ConvId, si: usize, rep: &mut Report) {
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        let slot = conv.slots.remove(si);
        if let Some(l) = slot.last() {
            conv.raise_floor(l);
        }
        rep.evicted += slot.count();
        rep.touch(conv_id.as_str());
        match slot {
            Slot::Stored(m) => {
                self.loaded.remove(&m.key);
                call.early.push(m.chunk_ref());
            }
            Slot::Dirty(d) => call.evicted_origins.extend(d.origins),
        }
        call.changed = true;
    }

    // ---- commit --------------------------------------------------------

    fn commit(&mut self, call: &mut Call, rep: &mut Report, extra: u64) -> std::result::Result<(), Fail> {
        let ids: Vec<ConvId> = self.index.convs.keys().cloned().collect();
        // Per-conversation cap: oldest chunks first, then the front of the
        // last chunk.
        let max = self.cfg.max_messages_per_conversation as u64;
        for id in &ids {
            while self.index.convs[id].count() > max {
                if self.index.convs[id].slots.len() > 1 {
                    self.evict_slot(call, id, 0, rep);
                    continue;
                }
                if !self.make_dirty(id, 0)? {
                    self.drop_slot(call, id, 0);
                    continue;
                }
                let conv = self.index.convs.get_mut(id).expect("present");
                let Slot::Dirty(d) = &mut conv.slots[0] else { unreachable!() };
                d.base = None;
                let excess = d.records.len() - max as usize;
                let gone: Vec<Record> = d.records.drain(..excess).collect();
                if let Some(l) = gone.last() {
                    conv.raise_floor(l.pos());
                }
                rep.evicted += excess as u32;
                rep.touch(id.as_str());
                call.changed = true;
            }
        }
        // Split and serialise the changed chunks.
        let chunk_bytes = self.chunk_bytes() as usize;
        for id in &ids {
            let conv = self.index.convs.get_mut(id).expect("present");
            if !conv.slots.iter().any(|s| matches!(s, Slot::Dirty(d) if d.planned.is_none())) {
                continue;
            }
            let slots = std::mem::take(&mut conv.slots);
            for slot in slots {
                match slot {
                    Slot::Dirty(d) if d.planned.is_none() => {
                        if d.records.is_empty() {
                            call.early.extend(d.origins);
                            continue;
                        }
                        // Serialise once (only the new records when the call
                        // only appended); only an oversized chunk is sized
                        // record by record and split.
                        let (value, value_len) = chunk_value(id, &d);
                        let pieces = if value_len <= chunk_bytes || d.records.len() == 1 {
                            vec![(d.records, value, value_len)]
                        } else {
                            split(id, d.records, chunk_bytes)
                                .into_iter()
                                .map(|p| {
                                    let v = chunk_json(id, &p);
                                    let n = v.len();
                                    (p, ChunkValue::Whole(v), n)
                                })
                                .collect()
                        };
                        for (piece, value, value_len) in pieces {
                            let key = self.index.next_key;
                            self.index.next_key += 1;
                            let bytes = (self.ns.chunk_key(key).len() + value_len) as u32;
                            conv.slots.push(Slot::Dirty(Dirty {
                                records: piece,
                                base: None,
                                origins: d.origins.clone(),
                                planned: Some(Planned { key, value, bytes }),
                            }));
                        }
                    }
                    other => conv.slots.push(other),
                }
            }
        }
        let dirty = self.index.convs.values().flat_map(|c| &c.slots).any(|s| matches!(s, Slot::Dirty(_)));
        if !call.changed && !dirty && call.early.is_empty() && call.post.is_empty() {
            return Ok(());
        }

        // Evict until the peak of this commit fits the budget.
        let host = match self.host {
            Some(h) if !h.stale(self.total_bytes) => h,
            _ => HostReading::new(self.storage.usage(), self.total_bytes),
        };
        self.host = Some(host);
        self.budget = host.budget(self.cfg.budget_bytes);
        let budget = self.budget.saturating_sub(extra);
        let ikey = self.ns.index_key();
        let order = eviction_order(&self.index);
        let committed_dir = self.index.dir;
        let old_dir_bytes = committed_dir.map(|d| d.bytes as u64).unwrap_or(0);
        let (mut plan, mut index_json) = self.plan_directory(committed_dir);
        loop {
            let need = self.peak_bytes(call, (ikey.len() + index_json.len()) as u64) + old_dir_bytes + plan.bytes();
            if need <= budget {
                break;
            }
            let Some(victim) = choose_victim(&self.index, &order) else {
                return Err(Fail::Other(Error::StorageFull(format!(
                    "budget of {budget} bytes cannot hold even the index ({} bytes)",
                    ikey.len() + index_json.len()
                ))));
            };
            let victim = victim.clone();
            self.evict_slot(call, &victim, 0, rep);
            (plan, index_json) = self.plan_directory(committed_dir);
        }
        // The index itself must fit one key: forget idle conversations.
        while (ikey.len() + index_json.len()) as u64 > self.cfg.key_limit_bytes {
            let Some(victim) = order.iter().find(|id| self.index.convs.contains_key(*id)).cloned() else { break };
            while !self.index.convs[&victim].slots.is_empty() {
                self.evict_slot(call, &victim, 0, rep);
            }
            self.index.convs.remove(&victim);
            (plan, index_json) = self.plan_directory(committed_dir);
        }
        self.write(call, &ikey, index_json, plan, committed_dir)
    }

    /// Decides whether the directory must be rewritten, sets the index's
    /// reference accordingly, and serialises the index.
    fn plan_directory(&mut self, committed: Option<ChunkRef>) -> (DirPlan, String) {
        let plan = if self.index.older_match(&self.dir_snapshot) {
            self.index.dir = committed;
            DirPlan::Keep
        } else {
            match self.index.directory_json() {
                None => {
                    self.index.dir = None;
                    DirPlan::Drop
                }
                Some(json) => {
                    let key = self.index.next_key;
                    self.index.next_key += 1;
                    let bytes = (self.ns.dir_key(key).len() + json.len()) as u32;
                    self.index.dir = Some(ChunkRef { key, bytes });
                    DirPlan::Write(key, json, bytes)
                }
            }
        };
        (plan, self.index.to_json_reusing(&mut self.entries))
    }

    /// Bytes in storage at the worst moment of the commit being planned.
    fn peak_bytes(&self, call: &Call, index_len: u64) -> u64 {
        let chunks: u64 = self.index.convs.values().flat_map(|c| &c.slots).map(Slot::bytes).sum();
        let superseded: u64 = self.superseded().iter().map(|o| o.bytes as u64).sum();
        let post: u64 = call.post.iter().map(|o| o.bytes as u64).sum();
        let strays: u64 = self.strays.iter().map(|s| s.1).sum();
        chunks + superseded + post + strays + index_len.max(self.index_bytes)
    }

    /// Committed chunks replaced by surviving dirty ones: removed after the
    /// commit.
    fn superseded(&self) -> Vec<ChunkRef> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in self.index.convs.values().flat_map(|c| &c.slots) {
            if let Slot::Dirty(d) = s {
                for o in &d.origins {
                    if seen.insert(o.key) {
                        out.push(*o);
                    }
                }
            }
        }
        out
    }

    fn write(
        &mut self,
        call: &mut Call,
        ikey: &str,
        index_json: String,
        plan: DirPlan,
        committed_dir: Option<ChunkRef>,
    ) -> std::result::Result<(), Fail> {
        let superseded = self.superseded();
        let keep: HashSet<u64> = superseded.iter().map(|o| o.key).collect();
        let mut early: Vec<ChunkRef> = call.early.clone();
        early.extend(call.evicted_origins.iter().filter(|o| !keep.contains(&o.key)));
        let mut seen = HashSet::new();
        early.retain(|o| seen.insert(o.key));

        // Retry earlier failed removals; they are ours and unreferenced.
        let strays = std::mem::take(&mut self.strays);
        for (k, b) in strays {
            if self.storage.remove(&k).is_err() {
                self.strays.push((k, b));
            }
        }
        // 1. Free what eviction dropped.
        for &ChunkRef { key: k, .. } in &early {
            self.storage.remove(&self.ns.chunk_key(k))?;
        }
        // 2. New chunks, then 3. the index: the commit point. If either
        // fails, take back the chunks written so far (best effort; the next
        // open sweeps whatever remains).
        let mut written = Vec::new();
        let mut result = Ok(());
        for s in self.index.convs.values().flat_map(|c| &c.slots) {
            if let Slot::Dirty(Dirty { planned: Some(p), .. }) = s {
                let k = self.ns.chunk_key(p.key);
                result = match &p.value {
                    ChunkValue::Whole(value) => self.storage.set(&k, value),
                    ChunkValue::Appended { base, insert } => self.storage.set_appended(&k, &self.ns.chunk_key(*base), insert),
                };
                if result.is_err() {
                    break;
                }
                written.push(k);
            }
        }
        if let (Ok(()), DirPlan::Write(key, json, _)) = (&result, &plan) {
            let k = self.ns.dir_key(*key);
            result = self.storage.set(&k, json);
            if result.is_ok() {
                written.push(k);
            }
        }
        if result.is_ok() {
            result = self.storage.set(ikey, &index_json);
        }
        if let Err(e) = result {
            for k in written {
                let _ = self.storage.remove(&k);
            }
            return Err(e.into());
        }
        self.index_bytes = (ikey.len() + index_json.len()) as u64;
        // 4. What the new chunks replace, removed conversations, and the
        // directory a new one replaces.
        for &ChunkRef { key: k, bytes: b } in superseded.iter().chain(call.post.iter()) {
            let key = self.ns.chunk_key(k);
            self.loaded.remove(&k);
            if self.storage.remove(&key).is_err() {
                self.strays.push((key, b as u64));
            }
        }
        if let (false, Some(ChunkRef { key: k, bytes: b })) = (matches!(plan, DirPlan::Keep), committed_dir) {
            let key = self.ns.dir_key(k);
            if self.storage.remove(&key).is_err() {
                self.strays.push((key, b as u64));
            }
        }
        // Memory follows storage: dirty slots become stored, and stay parsed
        // (with their value, so that the next append need not re-serialise).
        let mut fresh = Vec::new();
        for conv in self.index.convs.values_mut() {
            for slot in conv.slots.iter_mut() {
                if let Slot::Dirty(d) = slot {
                    let Planned { key, bytes, .. } = d.planned.take().expect("planned before write");
                    let value_bytes = bytes - self.ns.chunk_key(key).len() as u32;
                    let records = std::mem::take(&mut d.records);
                    let meta = ChunkMeta {
                        key,
                        first: records[0].pos(),
                        last: records[records.len() - 1].pos(),
                        count: records.len() as u32,
                        bytes,
                    };
                    *slot = Slot::Stored(meta);
                    fresh.push((key, records, value_bytes));
                }
            }
        }
        for (key, records, value_bytes) in fresh {
            self.keep_loaded(key, records, value_bytes);
        }
        if !matches!(plan, DirPlan::Keep) {
            self.dir_snapshot = self.index.older_snapshot();
        }
        self.total_bytes = self.index_bytes
            + self.index.dir.map(|d| d.bytes as u64).unwrap_or(0)
            + self.index.convs.values().flat_map(|c| &c.slots).map(Slot::bytes).sum::<u64>()
            + self.strays.iter().map(|s| s.1).sum::<u64>();
        Ok(())
    }

    // ---- the read-side API --------------------------------------------

    /// `conversations()`: most recently active first. A conversation with
    /// local echoes shows its newest one as `last` (also one with no stored
    /// message yet: the first message to someone).
    pub fn conversations(&self) -> Vec<ConversationView<'_>> {
        // Each shown conversation: its entry (none for a first message still
        // being sent) and its newest echo. Removed conversations stay as
        // invisible entries (no last record).
        type Row<'a> = (Option<&'a Conv>, Option<&'a Echo>);
        let mut rows: std::collections::BTreeMap<&ConvId, Row> = std::collections::BTreeMap::new();
        for (id, c) in self.index.convs.iter().filter(|(_, c)| c.last.is_some()) {
            rows.insert(id, (Some(c), None));
        }
        for e in &self.index.echoes {
            rows.entry(&e.conv).or_insert((self.index.convs.get(&e.conv), None)).1 = Some(e);
        }
        let activity = |(c, e): &Row| {
            let newest = c.map_or(0, |c| c.activity()).max(e.map_or(0, |e| e.time));
            (newest, c.and_then(|c| c.last.as_ref()).map(|r| r.id))
        };
        let mut list: Vec<_> = rows.into_iter().collect();
        list.sort_by(|a, b| activity(&b.1).cmp(&activity(&a.1)).then_with(|| a.0.cmp(b.0)));
        list.into_iter()
            .map(|(id, (c, echo))| ConversationView {
                id: id.as_str(),
                kind: id.kind().as_str(),
                target: id.target(),
                appkey: id.appkey(),
                last: match echo {
                    Some(e) => Some(MessageView::Echo(self.echo_view(e))),
                    None => c.and_then(|c| c.last.as_ref()).map(|r| MessageView::Record(r.view())),
                },
                unread: c.map_or(0, |c| c.unread),
                count: c.map_or(0, Conv::count),
                name: c.and_then(|c| c.name.as_deref()),
                avatar: c.and_then(|c| c.avatar.as_deref()),
            })
            .collect()
    }

    /// `messages(id, {limit, before})`: up to `limit` records older than
    /// `before` (newest page when `None`), oldest first, and the cursor of
    /// the next older page.
    pub fn messages(&mut self, id: &ConvId, limit: usize, before: Option<Pos>) -> Result<(Vec<Record>, Option<Pos>)> {
        self.ready()?;
        check_limit(limit)?;
        let mut out: Vec<Record> = Vec::with_capacity(limit + 1);
        let Some(conv) = self.index.convs.get(id) else { return Ok((out, None)) };
        let mut si = conv.slots.len();
        while si > 0 && out.len() <= limit {
            si -= 1;
            let (key, first) = match &self.index.convs[id].slots[si] {
                Slot::Stored(m) => (m.key, m.first),
                Slot::Dirty(_) => unreachable!("no dirty slots between calls"),
            };
            if before.is_some_and(|b| first >= b) {
                continue;
            }
            if !self.ensure_loaded(id, key)? {
                // Damaged chunk: forget it now; the next commit persists that.
                let conv = self.index.convs.get_mut(id).expect("present");
                let slot = conv.slots.remove(si);
                self.dropped += slot.count() as u64;
                if let Slot::Stored(m) = slot {
                    self.strays.push((self.ns.chunk_key(m.key), m.bytes as u64));
                }
                continue;
            }
            let records = &self.loaded[&key].records;
            for r in records.iter().rev() {
                if before.is_none_or(|b| r.pos() < b) {
                    out.push(r.clone());
                    if out.len() > limit {
                        break;
                    }
                }
            }
        }
        let more = out.len() > limit;
        out.truncate(limit);
        out.reverse();
        let cursor = if more { out.first().map(Record::pos) } else { None };
        Ok((out, cursor))
    }

    /// What the glue reads for a page of `id` itself (on iOS the engine's
    /// `JSON.parse` of a stored chunk is native, the module's is
    /// interpreted): the chunks that can hold it, newest first, each with
    /// its key and record count, enough of them for `limit` records before
    /// `before`; and, for the newest page, the conversation's echoes. The
    /// glue falls back to [`Cache::messages`] when a chunk does not check out.
    pub fn page_plan(&mut self, id: &ConvId, limit: usize, before: Option<Pos>) -> Result<PagePlan<'_>> {
        self.ready()?;
        check_limit(limit)?;
        let mut chunks = Vec::new();
        let mut held = 0usize;
        for slot in self.index.convs.get(id).map(|c| c.slots.as_slice()).unwrap_or(&[]).iter().rev() {
            let Slot::Stored(m) = slot else { unreachable!("no dirty slots between calls") };
            if before.is_some_and(|b| m.first >= b) {
                continue;
            }
            chunks.push(PlannedPage { key: self.ns.chunk_key(m.key), count: m.count });
            // The chunk `before` falls into may hold none before it.
            if before.is_none_or(|b| m.last < b) {
                held += m.count as usize;
            }
            if held > limit {
                break;
            }
        }
        let echoes = before.is_none().then(|| self.index.echoes.iter().filter(|e| e.conv == *id).map(|e| self.echo_view(e)).collect());
        Ok(PagePlan { chunks, echoes })
    }

    /// `messages` as the JS view.
    pub fn page_view<'a>(records: &'a [Record], before: Option<Pos>) -> PageView<'a> {
        PageView { messages: records.iter().map(|r| MessageView::Record(r.view())).collect(), before: before.map(Pos::cursor) }
    }

    /// [`Cache::page_view`] of the page of `conv` asked for with `asked`:
    /// the newest page (`asked` is `None`) ends with the conversation's
    /// local echoes, oldest first.
    pub fn page_view_with_echoes<'a>(&'a self, conv: &ConvId, records: &'a [Record], asked: Option<Pos>, before: Option<Pos>) -> PageView<'a> {
        let mut page = Cache::<S>::page_view(records, before);
        if asked.is_none() {
            page.messages.extend(self.index.echoes.iter().filter(|e| e.conv == *conv).map(|e| MessageView::Echo(self.echo_view(e))));
        }
        page
    }

    /// `stats()`.
    pub fn stats(&mut self) -> Stats {
        let host = HostReading::new(self.storage.usage(), self.total_bytes);
        self.host = Some(host);
        self.budget = host.budget(self.cfg.budget_bytes);
        let chunks: u64 = self.index.convs.values().map(|c| c.slots.len() as u64).sum();
        Stats {
            bytes: self.total_bytes,
            budget_bytes: self.budget,
            keys: chunks + (self.index_bytes > 0) as u64 + self.index.dir.is_some() as u64 + self.strays.len() as u64,
            conversations: self.index.convs.values().filter(|c| c.last.is_some()).count() as u64,
            messages: self.index.convs.values().map(Conv::count).sum(),
            pending_retractions: self.index.pending.len() as u64,
            dropped: self.dropped,
        }
    }
}

/// Adds to a bounded list of things waiting for their message or
/// conversation; the oldest go first.
fn remember<T>(list: &mut std::collections::VecDeque<T>, item: T, max: usize) {
    list.push_back(item);
    while list.len() > max {
        list.pop_front();
    }
}

/// A page's `limit`.
fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > 1000 {
        return Err(Error::BadArgument(format!("limit must be between 1 and 1000, got {limit}")));
    }
    Ok(())
}

/// Where record `id` is in a chunk's records.
/// A copy usually has the same position: a binary search finds it; a copy
/// stored with another time (the sender's clock) needs the scan.
fn position(records: &[Record], id: u64, at: Option<Pos>) -> Found {
    if let Some(pos) = at {
        let i = records.partition_point(|r| r.pos() < pos);
        if records.get(i).is_some_and(|r| r.id == id) {
            return Found::At(i);
        }
    }
    records.iter().position(|r| r.id == id).map_or(Found::No, Found::At)
}

/// Where a copy of a message at `pos` can be: the chunk of its position and
/// the newest chunk; every chunk, newest first, when its time is only the
/// sender's guess.
fn candidates(slots: &[Slot], pos: Pos, server_time: bool) -> Vec<usize> {
    let newest = slots.len() - 1;
    let si = locate(slots, pos);
    if !server_time {
        (0..=newest).rev().collect()
    } else if si == newest {
        vec![newest]
    } else {
        vec![si, newest]
    }
}

/// The slot a position belongs to: the last one starting at or before it.
fn locate(slots: &[Slot], pos: Pos) -> usize {
    let n = slots.partition_point(|s| s.first().is_some_and(|f| f <= pos));
    n.saturating_sub(1)
}

/// Splits sorted records into chunks of at most `limit` bytes (one record
/// per chunk at least).
fn split(conv: &ConvId, records: Vec<Record>, limit: usize) -> Vec<Vec<Record>> {
    let overhead = chunk_overhead(conv, 1);
    let sizes: Vec<usize> = records.iter().map(|r| r.stored_len() + 1).collect();
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut cur_bytes = overhead;
    for (r, s) in records.into_iter().zip(sizes) {
        if !cur.is_empty() && cur_bytes + s > limit {
            out.push(std::mem::take(&mut cur));
            cur_bytes = overhead;
        }
        cur_bytes += s;
        cur.push(r);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
