//! The store layer: the only part of the cache that touches [`Storage`].
//!
//! It owns the storage keys ([`Namespace`]), the layout (how chunks and the
//! index are serialised, see [`crate::index`]), the copy-on-write order (an
//! [`Updates`] log is applied in [`Phase`](crate::updates::Phase) order as one
//! commit), and the byte accounting: what our keys hold, the host's usage
//! as last read, and the keys whose removal failed ("strays", retried by
//! the next commit). It also keeps a bounded set of chunks (parsed, or only
//! their records' positions, as the JS store read them natively), so that
//! the model reads a chunk from storage once, and the entries of the index
//! value it last wrote, so that a host that keeps them is sent only the
//! entries that changed ([`Storage::set_index`]).
//!
//! The model never writes: it reads chunks through [`Store::chunk`],
//! [`Store::positions`] (where records sit, enough to tell a duplicate) and
//! [`Store::take_chunk`], asks [`Store::encode_chunks`] and
//! [`Store::encode_index`] what its changes will weigh, and hands the
//! resulting log to [`Store::apply`].

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::budget::HostReading;
use crate::conversation::ConvId;
use crate::error::Result;
use crate::index::{appended_insert, chunk_json, chunk_overhead, parse_chunk, AppendBase, ChunkMeta, ChunkRef, ChunkValue, Dirty, EntryCache, Index, IndexProblem, IndexValue, Slot, StoredIndex};
use crate::namespace::Namespace;
use crate::record::{Pos, Record};
use crate::storage::{DirectoryValue, PositionsValue, Storage, StorageError};
use crate::updates::{Update, Updates};

/// Chunks kept parsed in memory.
const LOADED_CHUNKS: usize = 48;

/// A chunk kept in memory.
struct Loaded {
    held: Held,
    /// When it was last used, for the bounded set.
    tick: u64,
}

/// What is kept of a chunk.
enum Held {
    /// Parsed in full, with the bytes of its value as stored (`None`: a
    /// value that does not end as we write chunks, which an append cannot
    /// extend): what the model changes and pages read.
    Records { records: Vec<Record>, value_bytes: Option<u32> },
    /// Only where its records sit, as the JS store read it natively: enough
    /// to tell whether a message is stored (most of a re-sync).
    Positions(Vec<Pos>),
}

/// Where the records of a chunk sit, in order: from its parsed records or
/// from its positions alone.
#[derive(Clone, Copy)]
pub enum Positions<'a> {
    Records(&'a [Record]),
    Only(&'a [Pos]),
}

impl Positions<'_> {
    pub fn len(&self) -> usize {
        match self {
            Positions::Records(r) => r.len(),
            Positions::Only(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn at(&self, i: usize) -> Pos {
        match self {
            Positions::Records(r) => r[i].pos(),
            Positions::Only(p) => p[i],
        }
    }
}

/// A key of ours whose removal failed: it still holds `bytes`.
#[derive(Debug, Clone)]
struct Stray {
    key: String,
    bytes: u64,
}

/// A chunk the commit being planned will write, and the committed chunks
/// whose records it holds (removed once the commit is done).
#[derive(Debug)]
pub struct FreshChunk {
    pub at: ChunkRef,
    pub value: ChunkValue,
    pub records: Vec<Record>,
    pub replaces: Vec<ChunkRef>,
}

impl FreshChunk {
    /// The metadata the index lists it with.
    pub fn meta(&self) -> ChunkMeta {
        let (first, last) = (self.records[0].pos(), self.records[self.records.len() - 1].pos());
        ChunkMeta { key: self.at.key, first, last, count: self.records.len() as u32, bytes: self.at.bytes }
    }
}

/// What a commit does with the directory of older chunks.
#[derive(Debug)]
pub enum DirPlan {
    /// The older chunks did not change.
    Keep,
    /// No conversation has older chunks any more.
    Drop,
    /// Write this new directory.
    Write { at: ChunkRef, value: String },
}

/// The serialised index and what becomes of the directory.
#[derive(Debug)]
pub struct IndexPlan {
    pub dir: DirPlan,
    pub value: IndexValue,
}

/// What storage holds at open: the index value (parsed, or why it was not
/// used), the directory it names, and every key of the namespace.
pub struct Committed {
    pub index: Option<std::result::Result<StoredIndex, IndexProblem>>,
    pub directory: Option<DirectoryValue>,
    pub keys: Vec<String>,
}

/// Storage, keys, layout, commit order and byte accounting for one account.
pub struct Store<S: Storage> {
    storage: S,
    ns: Namespace,
    /// Parsed chunks, by key number (a `BTreeMap`: SipHash costs more than a
    /// few integer comparisons in an interpreter).
    loaded: BTreeMap<u64, Loaded>,
    tick: u64,
    strays: Vec<Stray>,
    /// Bytes of the index value as stored (key + value), 0 when absent.
    index_bytes: u64,
    /// Bytes of all our keys in storage, as far as we know.
    total_bytes: u64,
    /// The host's usage as last read; `None`: read before the next commit.
    host: Option<HostReading>,
    /// The older chunks the stored directory lists, per conversation.
    dir_snapshot: BTreeMap<ConvId, Vec<u64>>,
    /// Serialised index entries of unchanged conversations.
    entries: EntryCache,
    /// The entries of the index value last written, while the storage may
    /// still hold them to build the next one on (see [`Storage::set_index`]).
    written_entries: Option<Vec<Rc<str>>>,
}

impl<S: Storage> Store<S> {
    pub fn new(storage: S, ns: Namespace) -> Store<S> {
        Store {
            storage,
            ns,
            loaded: BTreeMap::new(),
            tick: 0,
            strays: Vec::new(),
            index_bytes: 0,
            total_bytes: 0,
            host: None,
            dir_snapshot: BTreeMap::new(),
            entries: EntryCache::default(),
            written_entries: None,
        }
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    pub fn into_storage(self) -> S {
        self.storage
    }

    pub fn ns(&self) -> &Namespace {
        &self.ns
    }

    // ---- open ------------------------------------------------------------

    /// Forgets everything held in memory and reads what storage holds.
    pub fn read_committed(&mut self) -> Result<Committed> {
        self.forget_memory();
        let text = self.storage.get(&self.ns.index_key())?;
        let keys = self.keys()?;
        self.index_bytes = text.as_ref().map(|s| (self.ns.index_key().len() + s.len()) as u64).unwrap_or(0);
        let Some(text) = text else { return Ok(Committed { index: None, directory: None, keys }) };
        let index = StoredIndex::parse(&text);
        let directory = match index.as_ref().ok().and_then(StoredIndex::directory) {
            Some(d) => self.storage.get_directory(&self.ns.dir_key(d))?,
            None => None,
        };
        Ok(Committed { index: Some(index), directory, keys })
    }

    /// Every key of our namespace.
    pub fn keys(&mut self) -> Result<Vec<String>> {
        Ok(self.storage.keys(self.ns.prefix())?)
    }

    fn forget_memory(&mut self) {
        self.host = None;
        self.entries = EntryCache::default();
        self.written_entries = None;
        self.loaded.clear();
        self.strays.clear();
        self.dir_snapshot.clear();
        self.index_bytes = 0;
        self.total_bytes = 0;
    }

    /// Removes every key of ours in `keys` (a layout this version does not
    /// read; [`crate::cache::Cache::clear`]). The index goes first, so a
    /// crash part-way leaves only orphans the next open sweeps.
    pub fn remove_all(&mut self, keys: &[String]) -> Result<()> {
        let ikey = self.ns.index_key();
        if keys.contains(&ikey) {
            self.storage.remove(&ikey)?;
        }
        for k in keys.iter().filter(|k| **k != ikey) {
            self.storage.remove(k)?;
        }
        self.forget_memory();
        Ok(())
    }

    /// Removes every key of ours `index` does not reference. Returns how
    /// many went and the chunk numbers that are present (sorted).
    pub fn sweep(&mut self, index: &Index, keys: &[String]) -> (u32, Vec<u64>) {
        // Sorted vectors, not sets: an open inserts every chunk number (~500
        // at a full cache), each a chain of interpreted comparisons on iOS.
        let mut referenced: Vec<u64> = index.convs.values().flat_map(|c| &c.slots).flat_map(|s| s.stored_refs()).map(|r| r.key).collect();
        referenced.sort();
        // Keys are told apart by what follows the namespace (one prefix
        // comparison per key: each is interpreted on iOS).
        let prefix = self.ns.prefix().len();
        let dir_suffix = index.dir.map(|d| self.ns.dir_key(d.key)[prefix..].to_string());
        let mut present = Vec::with_capacity(referenced.len());
        let mut removed = 0;
        for k in keys {
            let Some(rest) = k.strip_prefix(self.ns.prefix()) else { continue };
            if rest == "i" || Some(rest) == dir_suffix.as_deref() {
                continue;
            }
            match crate::namespace::chunk_number(rest) {
                Some(n) if referenced.binary_search(&n).is_ok() => present.push(n),
                _ => {
                    removed += 1;
                    if self.storage.remove(k).is_err() {
                        self.strays.push(Stray { key: k.clone(), bytes: 0 });
                    }
                }
            }
        }
        // What the stored directory lists, before repairs: a repair then
        // differs from it, and the next commit writes a new directory.
        self.dir_snapshot = index.older_snapshot();
        present.sort();
        (removed, present)
    }

    /// A key's value, for rebuilding a lost index from its chunks.
    pub fn value(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self.storage.get(key)?)
    }

    // ---- reading chunks --------------------------------------------------

    /// The records of committed chunk `key` of `conv`, read from storage
    /// unless held in full. `None`: missing or damaged.
    pub fn chunk(&mut self, conv: &ConvId, key: u64) -> Result<Option<&[Record]>> {
        self.tick += 1;
        if !matches!(self.loaded.get(&key), Some(Loaded { held: Held::Records { .. }, .. })) {
            let Some(value) = self.storage.get(&self.ns.chunk_key(key))? else { return Ok(None) };
            let Some(held) = records_held(conv, &value) else { return Ok(None) };
            self.keep(key, held);
        }
        match &self.touch(key).held {
            Held::Records { records, .. } => Ok(Some(records)),
            Held::Positions(_) => unreachable!("just read in full"),
        }
    }

    /// Where the records of committed chunk `key` of `conv` sit: from what
    /// is held, else from storage, which may read the value natively and
    /// hand over positions only ([`Storage::get_positions`]). `None`:
    /// missing or damaged.
    pub fn positions(&mut self, conv: &ConvId, key: u64) -> Result<Option<Positions<'_>>> {
        self.tick += 1;
        if !self.loaded.contains_key(&key) {
            let held = match self.storage.get_positions(&self.ns.chunk_key(key))? {
                None => return Ok(None),
                Some(PositionsValue::Text(value)) => match records_held(conv, &value) {
                    Some(held) => held,
                    None => return Ok(None),
                },
                Some(PositionsValue::Numbers { conv: named, numbers }) => match positions_of(conv, &named, &numbers) {
                    Some(p) => Held::Positions(p),
                    None => return Ok(None),
                },
            };
            self.keep(key, held);
        }
        Ok(Some(match &self.touch(key).held {
            Held::Records { records, .. } => Positions::Records(records),
            Held::Positions(p) => Positions::Only(p),
        }))
    }

    fn touch(&mut self, key: u64) -> &Loaded {
        let entry = self.loaded.get_mut(&key).expect("just kept");
        entry.tick = self.tick;
        entry
    }

    /// Committed chunk `at` of `conv` as a [`Dirty`] one the model may change:
    /// its records, what it replaces, and the base an append builds on.
    /// `None`: missing or damaged.
    pub fn take_chunk(&mut self, conv: &ConvId, at: ChunkRef) -> Result<Option<Dirty>> {
        if self.chunk(conv, at.key)?.is_none() {
            return Ok(None);
        }
        let Some(Loaded { held: Held::Records { records, value_bytes }, .. }) = self.loaded.remove(&at.key) else {
            unreachable!("just read in full")
        };
        let base = value_bytes.map(|value_bytes| AppendBase { key: at.key, value_bytes, records: records.len() });
        Ok(Some(Dirty { records, base, origins: vec![at] }))
    }

    /// Stops holding chunk `key` (it does not match its index entry).
    pub fn unhold(&mut self, key: u64) {
        self.loaded.remove(&key);
    }

    fn keep(&mut self, key: u64, held: Held) {
        self.tick += 1;
        if self.loaded.len() >= LOADED_CHUNKS && !self.loaded.contains_key(&key) {
            if let Some((&old, _)) = self.loaded.iter().min_by_key(|(_, v)| v.tick) {
                self.loaded.remove(&old);
            }
        }
        self.loaded.insert(key, Loaded { held, tick: self.tick });
    }

    // ---- the layout ------------------------------------------------------

    /// The chunks a changed one of `conv` is written as, each under a fresh
    /// key from `next_key`: one, serialised once (only the new records when
    /// it only appended), or, when it outgrew `chunk_bytes`, pieces sized
    /// record by record.
    pub fn encode_chunks(&self, conv: &ConvId, d: Dirty, next_key: &mut u64, chunk_bytes: usize) -> Vec<FreshChunk> {
        let (value, value_len) = chunk_value(conv, &d);
        let pieces = if value_len <= chunk_bytes || d.records.len() == 1 {
            vec![(d.records, value, value_len)]
        } else {
            split(conv, d.records, chunk_bytes)
                .into_iter()
                .map(|p| {
                    let v = chunk_json(conv, &p);
                    let n = v.len();
                    (p, ChunkValue::Whole(v), n)
                })
                .collect()
        };
        pieces
            .into_iter()
            .map(|(records, value, value_len)| {
                let key = *next_key;
                *next_key += 1;
                let bytes = (self.ns.chunk_key(key).len() + value_len) as u32;
                FreshChunk { at: ChunkRef { key, bytes }, value, records, replaces: d.origins.clone() }
            })
            .collect()
    }

    /// Serialises `index`, deciding first whether its directory must be
    /// rewritten (and setting `index.dir` to the directory it names).
    /// `committed`: the directory storage holds.
    pub fn encode_index(&mut self, index: &mut Index, committed: Option<ChunkRef>) -> IndexPlan {
        let dir = if index.older_match(&self.dir_snapshot) {
            index.dir = committed;
            DirPlan::Keep
        } else {
            match index.directory_json() {
                None => {
                    index.dir = None;
                    DirPlan::Drop
                }
                Some(value) => {
                    let key = index.next_key;
                    index.next_key += 1;
                    let at = ChunkRef { key, bytes: (self.ns.dir_key(key).len() + value.len()) as u32 };
                    index.dir = Some(at);
                    DirPlan::Write { at, value }
                }
            }
        };
        IndexPlan { dir, value: index.value_reusing(&mut self.entries) }
    }

    /// Bytes of an index value under its key.
    pub fn index_key_bytes(&self, value: &IndexValue) -> u64 {
        (self.ns.index_key().len() + value.len()) as u64
    }

    // ---- byte accounting -------------------------------------------------

    /// Bytes of all our keys in storage, as far as we know.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Bytes the stored index takes.
    pub fn index_bytes(&self) -> u64 {
        self.index_bytes
    }

    pub fn stray_count(&self) -> usize {
        self.strays.len()
    }

    /// What `index` holds in storage besides the index value: its chunks
    /// (a changed one: the committed ones it replaces), the directory, and
    /// the strays. With the index value, our total.
    pub fn held_bytes(&self, index: &Index) -> u64 {
        let chunks: u64 = index.convs.values().flat_map(|c| &c.slots).map(Slot::held_bytes).sum();
        chunks + index.dir.map_or(0, |d| d.bytes as u64) + self.strays.iter().map(|s| s.bytes).sum::<u64>()
    }

    /// Recounts our total from `index` (after an open or a commit).
    pub fn account(&mut self, index: &Index) {
        self.total_bytes = self.index_bytes + self.held_bytes(index);
    }

    /// A key that could not be forgotten now; counted until removed.
    pub fn add_stray(&mut self, at: ChunkRef) {
        self.loaded.remove(&at.key);
        self.strays.push(Stray { key: self.ns.chunk_key(at.key), bytes: at.bytes as u64 });
    }

    /// The budget in force for `configured`, reading the host's usage first
    /// when there is no reading or ours grew since (see [`HostReading`]).
    pub fn budget(&mut self, configured: u64) -> u64 {
        let host = match self.host {
            Some(h) if !h.stale(self.total_bytes) => h,
            _ => HostReading::new(self.storage.usage(), self.total_bytes),
        };
        self.host = Some(host);
        host.budget(configured)
    }

    /// [`Store::budget`] after a fresh reading (`stats()`).
    pub fn budget_now(&mut self, configured: u64) -> u64 {
        self.host = None;
        self.budget(configured)
    }

    /// After a quota error: someone else grew, read again before the next commit.
    pub fn forget_host_reading(&mut self) {
        self.host = None;
    }

    // ---- applying a commit -----------------------------------------------

    /// Applies one call's updates as one commit, in copy-on-write order:
    /// free what the call gave up; write the new chunks and directory under
    /// fresh keys; write the index (the commit point); remove what nothing
    /// names any more. If a write fails, the values written so far are taken
    /// back (best effort; the next open sweeps whatever remains) and the
    /// committed state is unchanged. `index` is the model as committed.
    pub fn apply(&mut self, updates: Updates, index: &Index) -> std::result::Result<(), StorageError> {
        self.retry_strays();
        let dir_changed = updates.iter().any(|u| matches!(u, Update::NewDirectory { .. } | Update::RemoveDirectory(_)));
        let mut written: Vec<String> = Vec::new();
        let mut fresh: Vec<(u64, Vec<Record>, u32)> = Vec::new();
        for u in updates.into_ordered() {
            if let Err(e) = self.apply_one(u, &mut written, &mut fresh) {
                for k in written {
                    let _ = self.storage.remove(&k);
                }
                return Err(e);
            }
        }
        // Written chunks stay parsed, with their value's size, so that the
        // next append need not read or re-serialise them.
        for (key, records, value_bytes) in fresh {
            self.keep(key, Held::Records { records, value_bytes: Some(value_bytes) });
        }
        if dir_changed || (index.dir.is_none() && !self.dir_snapshot.is_empty()) {
            self.dir_snapshot = index.older_snapshot();
        }
        self.account(index);
        Ok(())
    }

    /// One update. Errors only before the commit point: a removal after it
    /// that fails leaves a stray.
    fn apply_one(&mut self, u: Update, written: &mut Vec<String>, fresh: &mut Vec<(u64, Vec<Record>, u32)>) -> std::result::Result<(), StorageError> {
        match u {
            Update::RemoveChunk(at) => {
                self.loaded.remove(&at.key);
                self.storage.remove(&self.ns.chunk_key(at.key))?;
            }
            Update::NewItemsChunk { at, value, records } => {
                let k = self.ns.chunk_key(at.key);
                match &value {
                    ChunkValue::Whole(v) => self.storage.set(&k, v)?,
                    ChunkValue::Appended { base, insert } => self.storage.set_appended(&k, &self.ns.chunk_key(*base), insert)?,
                }
                fresh.push((at.key, records, at.bytes - k.len() as u32));
                written.push(k);
            }
            Update::NewDirectory { at, value } => {
                let k = self.ns.dir_key(at.key);
                self.storage.set(&k, &value)?;
                written.push(k);
            }
            Update::Index { value } => {
                let since = self.written_entries.take().map(|before| value.splices_from(&before));
                self.storage.set_index(&self.ns.index_key(), &value, since.as_deref())?;
                self.index_bytes = self.index_key_bytes(&value);
                self.written_entries = Some(value.entries);
            }
            Update::RemoveReplacedChunk(at) => {
                self.loaded.remove(&at.key);
                self.remove_or_stray(self.ns.chunk_key(at.key), at.bytes);
            }
            Update::RemoveDirectory(at) => self.remove_or_stray(self.ns.dir_key(at.key), at.bytes),
        }
        Ok(())
    }

    fn remove_or_stray(&mut self, key: String, bytes: u32) {
        if self.storage.remove(&key).is_err() {
            self.strays.push(Stray { key, bytes: bytes as u64 });
        }
    }

    /// Retries earlier failed removals; they are ours and unreferenced.
    fn retry_strays(&mut self) {
        for s in std::mem::take(&mut self.strays) {
            if self.storage.remove(&s.key).is_err() {
                self.strays.push(s);
            }
        }
    }
}

/// The value a changed chunk will be written with, and its length: only the
/// appended records when it has an [`AppendBase`], else the whole chunk.
fn chunk_value(conv: &ConvId, d: &Dirty) -> (ChunkValue, usize) {
    if let Some(b) = d.base {
        if let Some(insert) = appended_insert(b.records, &d.records) {
            let len = b.value_bytes as usize + insert.len();
            return (ChunkValue::Appended { base: b.key, insert }, len);
        }
    }
    let whole = chunk_json(conv, &d.records);
    let len = whole.len();
    (ChunkValue::Whole(whole), len)
}

/// Splits sorted records into chunks of at most `limit` bytes (one record
/// per chunk at least).
fn split(conv: &ConvId, records: Vec<Record>, limit: usize) -> Vec<Vec<Record>> {
    let overhead = chunk_overhead(conv, 1);
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut cur_bytes = overhead;
    for r in records {
        let s = r.stored_len() + 1;
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

/// Chunk value `value` of `conv` parsed in full; `None`: damaged.
fn records_held(conv: &ConvId, value: &str) -> Option<Held> {
    let records = parse_chunk(conv, value).ok()?;
    Some(Held::Records { records, value_bytes: appendable(value) })
}

/// The size of a chunk value an append can extend: one ending as we write
/// chunks (a value with a field after its records, from a later version or
/// tampered with, is rewritten whole instead).
fn appendable(value: &str) -> Option<u32> {
    value.ends_with(crate::storage::APPEND_CLOSE).then_some(value.len() as u32)
}

/// The positions a host read from chunk value `named` claims for `conv`:
/// `[id, time]` per record, checked as strictly as [`parse_chunk`] checks
/// the text (its conversation, at least one record, each position an
/// integer in order). `None`: not a chunk of `conv`.
fn positions_of(conv: &ConvId, named: &str, numbers: &[f64]) -> Option<Vec<Pos>> {
    if named != conv.as_str() || numbers.is_empty() || numbers.len() % 2 != 0 {
        return None;
    }
    let whole = |x: f64| (x >= 0.0 && x <= crate::payload::MAX_SAFE as f64 && x.fract() == 0.0).then_some(x as u64);
    let mut out = Vec::with_capacity(numbers.len() / 2);
    for pair in numbers.chunks_exact(2) {
        let pos = Pos { id: whole(pair[0])?, time: whole(pair[1])? };
        if out.last().is_some_and(|&last| last >= pos) {
            return None;
        }
        out.push(pos);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStorage;
    use crate::storage::StorageErrorKind;

    fn chunk(key: u64, value: &str) -> Update {
        let at = ChunkRef { key, bytes: value.len() as u32 + 10 };
        Update::NewItemsChunk { at, value: ChunkValue::Whole(value.into()), records: Vec::new() }
    }

    #[test]
    fn a_log_is_one_commit_in_copy_on_write_order_and_a_failed_write_takes_back_what_it_wrote() {
        let ns = Namespace::new("p", "ak", "me");
        let mut store = Store::new(MemoryStorage::new(), ns.clone());
        store.storage_mut().set(&ns.chunk_key(1), "old").unwrap();
        // Pushed in no particular order; applied as: the new chunk, the index
        // (the commit point), then the chunk it replaces.
        let mut log = Updates::default();
        log.push(Update::RemoveReplacedChunk(ChunkRef { key: 1, bytes: 13 }));
        log.push(Update::Index { value: "{}".into() });
        log.push(chunk(2, "new"));
        store.apply(log, &Index::default()).unwrap();
        use crate::memory::Op;
        let ops: Vec<String> = store.storage().log.iter().map(|op| match op {
            Op::Set { key, .. } => format!("set {key}"),
            Op::Remove { key } => format!("remove {key}"),
        }).collect();
        let (c1, c2, i) = (ns.chunk_key(1), ns.chunk_key(2), ns.index_key());
        assert_eq!(ops, [format!("set {c1}"), format!("set {c2}"), format!("set {i}"), format!("remove {c1}")]);
        assert_eq!(store.storage().raw_get(&ns.chunk_key(1)), None);

        // The second new chunk fails: the first is taken back, the index is
        // not written, nothing named by the old index is removed.
        store.storage_mut().fail_set(1, StorageErrorKind::Io);
        let mut log = Updates::default();
        log.push(chunk(3, "a"));
        log.push(chunk(4, "b"));
        log.push(Update::Index { value: r#"{"n":5}"#.into() });
        log.push(Update::RemoveReplacedChunk(ChunkRef { key: 2, bytes: 13 }));
        assert!(store.apply(log, &Index::default()).is_err());
        assert_eq!(store.storage().raw_get(&ns.chunk_key(3)), None);
        assert_eq!(store.storage().raw_get(&ns.index_key()), Some("{}"));
        assert_eq!(store.storage().raw_get(&ns.chunk_key(2)), Some("new"));
    }
}
