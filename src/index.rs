//! The index and the chunk format: the storage layout.
//!
//! **Layout.** One index key holds, per conversation, its summary (last
//! record, unread count, read mark, eviction floor) and its newest chunk's
//! metadata (key number, first and last `(time, id)`, record count, stored
//! bytes); it also holds the schema version, the next key number, the bounded
//! list of retractions whose message has not arrived yet, and the key of the
//! **directory**: one value with the metadata of every older chunk. A new
//! message usually lands in a conversation's newest chunk, so a call rewrites
//! that chunk and the (small) index; the directory is rewritten only when a
//! chunk is sealed, evicted, or changed in the middle of a conversation. Each conversation's
//! records, ordered by `(time, id)`, are split over chunks of at most
//! `chunk_bytes` (16 KiB by default; a single record larger than that gets a
//! chunk of its own). A chunk value is `{"c": "<conversation id>", "r":
//! [record, ...]}`, so a chunk can be checked against the index and the index
//! can be rebuilt from chunks if it is ever lost.
//!
//! **Copy on write.** A chunk is never overwritten: a changed chunk is written
//! under a fresh number, then the index (the commit point) is written, then
//! the old key is removed. A crash anywhere leaves either the old or the new
//! index, both of which point only at complete chunks; unreferenced keys are
//! swept on the next open.
//!
//! In memory a conversation's chunks are [`Slot`]s: `Stored` (metadata only,
//! records loaded on demand) or `Dirty` (records changed by the current call,
//! until its commit is planned). [`crate::store`] writes this layout.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::storage::DirectoryValue;
use serde_json::value::RawValue;

use crate::chat_state::{Profile, ProfileSet, Receipt};
use crate::conversation::ConvId;
use crate::record::{Pos, Record};

/// The layout version written in the index. Version 3 adds, all optional,
/// conversation names and avatars, pending receipts and profiles to the
/// index, and a record's `fromName` and receipt count to its storage form;
/// a version 2 index (0.1.0) is read as it is and rewritten as version 3 by
/// the next commit. An index of any other version is never interpreted: the
/// cache resets (see `Cache::open`).
pub const SCHEMA_VERSION: u32 = 3;

/// Older layouts this version reads as they are.
pub const READS_VERSIONS: [u32; 2] = [2, SCHEMA_VERSION];

/// Metadata of a written chunk. Stored as `[key, first time, first id,
/// last time, last id, count, bytes]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredMeta", into = "StoredMeta")]
pub struct ChunkMeta {
    pub key: u64,
    pub first: Pos,
    pub last: Pos,
    pub count: u32,
    /// UTF-8 bytes of key + value.
    pub bytes: u32,
}

/// A stored value the index points at (a chunk or the directory): its key
/// number and the UTF-8 bytes of key + value. Stored as `[key, bytes]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredRef", into = "StoredRef")]
pub struct ChunkRef {
    pub key: u64,
    pub bytes: u32,
}

type StoredRef = (u64, u32);

impl From<StoredRef> for ChunkRef {
    fn from((key, bytes): StoredRef) -> Self {
        ChunkRef { key, bytes }
    }
}

impl From<ChunkRef> for StoredRef {
    fn from(r: ChunkRef) -> Self {
        (r.key, r.bytes)
    }
}

/// A committed chunk a dirty one only appends to: its key number, the bytes
/// of its value as stored, and how many of the dirty chunk's records it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendBase {
    pub key: u64,
    pub value_bytes: u32,
    pub records: usize,
}

/// How a chunk's new value is made.
#[derive(Debug, Clone)]
pub enum ChunkValue {
    /// Serialised whole by the core.
    Whole(String),
    /// The value of committed chunk `base` with `insert` (`,record` for each
    /// new record) spliced in before its closing: see
    /// [`crate::storage::Storage::set_appended`]. Only the new records cross
    /// from the core to the host.
    Appended { base: u64, insert: String },
}

/// A chunk changed by the current call.
#[derive(Debug, Clone)]
pub struct Dirty {
    pub records: Vec<Record>,
    /// Set while the call has only appended to a committed chunk: the new
    /// value is then the old one plus the new records, built by the storage.
    pub base: Option<AppendBase>,
    /// Committed chunks whose records this one replaces.
    pub origins: Vec<ChunkRef>,
}

/// A conversation's chunk in memory: committed (`Stored`, its records read
/// on demand), or changed by the call being made (`Dirty`, its records
/// owned until the commit plans it: then it is `Stored` again, under the
/// fresh key the commit writes).
#[derive(Debug, Clone)]
pub enum Slot {
    Stored(ChunkMeta),
    Dirty(Dirty),
}

impl ChunkMeta {
    pub fn chunk_ref(&self) -> ChunkRef {
        ChunkRef { key: self.key, bytes: self.bytes }
    }
}

impl Slot {
    pub fn count(&self) -> u32 {
        match self {
            Slot::Stored(m) => m.count,
            Slot::Dirty(d) => d.records.len() as u32,
        }
    }

    pub fn first(&self) -> Option<Pos> {
        match self {
            Slot::Stored(m) => Some(m.first),
            Slot::Dirty(d) => d.records.first().map(Record::pos),
        }
    }

    pub fn last(&self) -> Option<Pos> {
        match self {
            Slot::Stored(m) => Some(m.last),
            Slot::Dirty(d) => d.records.last().map(Record::pos),
        }
    }

    /// Bytes this slot holds in storage: a changed one, those of the
    /// committed chunks it replaces.
    pub fn held_bytes(&self) -> u64 {
        self.stored_refs().map(|r| r.bytes as u64).sum()
    }

    /// The committed chunks this slot stands for (without allocating: the
    /// open walks every slot).
    pub fn stored_refs(&self) -> impl Iterator<Item = ChunkRef> + '_ {
        let (own, replaced) = match self {
            Slot::Stored(m) => (Some(m.chunk_ref()), &[][..]),
            Slot::Dirty(d) => (None, &d.origins[..]),
        };
        own.into_iter().chain(replaced.iter().copied())
    }
}

/// One conversation.
#[derive(Debug, Clone)]
pub struct Conv {
    pub last: Option<Record>,
    pub unread: u32,
    /// Time of the newest message when it was last marked read.
    pub read_at: u64,
    /// Everything at or before this position was evicted; re-deliveries of
    /// such messages (roaming) are not stored again.
    pub floor: Option<Pos>,
    pub slots: Vec<Slot>,
    /// The name shown for the conversation, and where it came from.
    pub name: Option<String>,
    /// Set by `applyConversations`: names from messages no longer replace it.
    pub name_from_sdk: bool,
    /// The message the name was taken from: only a newer one replaces it.
    pub name_at: Option<Pos>,
    /// A `media_id`.
    pub avatar: Option<String>,
    /// Bumped whenever a name field or the avatar changes (in memory only):
    /// tells [`EntryCache`] the serialised entry is stale.
    pub profile_rev: u32,
}

impl Conv {
    pub fn new() -> Conv {
        Conv {
            last: None,
            unread: 0,
            read_at: 0,
            floor: None,
            slots: Vec::new(),
            name: None,
            name_from_sdk: false,
            name_at: None,
            avatar: None,
            profile_rev: 0,
        }
    }

    /// Takes the name a message at `at` gives, unless the SDK named the
    /// conversation or a newer message did. Returns whether the name changed.
    pub fn name_from_message(&mut self, name: &str, at: Pos) -> bool {
        if self.name_from_sdk || self.name_at.is_some_and(|p| p >= at) {
            return false;
        }
        self.name_at = Some(at);
        self.profile_rev += 1;
        if self.name.as_deref() == Some(name) {
            return false;
        }
        self.name = Some(name.to_string());
        true
    }

    /// Takes what `getConversation` says. Returns whether anything changed.
    pub fn take_profile(&mut self, p: &Profile) -> bool {
        let mut changed = false;
        if let Some(name) = &p.name {
            changed |= !self.name_from_sdk || self.name.as_ref() != Some(name);
            self.name = Some(name.clone());
            self.name_from_sdk = true;
        }
        if let Some(a) = &p.avatar {
            let avatar = (!a.is_empty()).then(|| a.clone());
            changed |= self.avatar != avatar;
            self.avatar = avatar;
        }
        if changed {
            self.profile_rev += 1;
        }
        changed
    }

    pub fn count(&self) -> u64 {
        self.slots.iter().map(|s| s.count() as u64).sum()
    }

    /// Time of the newest message: the conversation's last activity.
    pub fn activity(&self) -> u64 {
        self.last.as_ref().map(|r| r.time).unwrap_or(0)
    }

    pub fn raise_floor(&mut self, to: Pos) {
        if self.floor.is_none_or(|f| f < to) {
            self.floor = Some(to);
        }
    }
}

impl Default for Conv {
    fn default() -> Self {
        Conv::new()
    }
}

/// The whole index.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub next_key: u64,
    pub convs: BTreeMap<ConvId, Conv>,
    /// Retracted ids whose message has not been seen, oldest first.
    pub pending: VecDeque<u64>,
    /// The directory value (key number, bytes) holding older chunks' metadata.
    pub dir: Option<ChunkRef>,
    /// Receipts whose message has not been seen, oldest first.
    pub pending_receipts: VecDeque<Receipt>,
    /// `getConversation` profiles of conversations not held yet, oldest first.
    pub pending_profiles: VecDeque<ProfileSet>,
    /// Local echoes (messages being sent), oldest first.
    pub echoes: Vec<crate::echo::Echo>,
}

// ---- file format -------------------------------------------------------

/// What a conversation's index entry shows, in a form cheap to compare: when
/// it is unchanged, so is the serialised entry. (The last record is named by
/// its position and tombstone flag: a stored record's content never changes
/// otherwise.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntryKey {
    last: Option<(Pos, bool, Option<u32>)>,
    unread: u32,
    read_at: u64,
    floor: Option<Pos>,
    newest: Option<ChunkMeta>,
    profile_rev: u32,
}

impl EntryKey {
    fn of(conv: &Conv) -> EntryKey {
        EntryKey {
            last: conv.last.as_ref().map(|r| (r.pos(), r.retracted, r.receipt)),
            unread: conv.unread,
            read_at: conv.read_at,
            floor: conv.floor,
            newest: conv.slots.last().and_then(meta_out),
            profile_rev: conv.profile_rev,
        }
    }
}

/// An index value in parts: `head`, the conversations' entries joined with
/// commas, `tail`. The entries are shared with the [`EntryCache`], so a host
/// that keeps the entries of the value it last wrote (the JS store) is sent
/// only those that changed ([`crate::storage::Storage::set_index`]).
#[derive(Debug, Clone)]
pub struct IndexValue {
    pub head: String,
    pub entries: Vec<Rc<str>>,
    pub tail: &'static str,
}

impl IndexValue {
    /// Bytes of the whole value.
    pub fn len(&self) -> usize {
        let entries: usize = self.entries.iter().map(|e| e.len()).sum();
        self.head.len() + entries + self.entries.len().saturating_sub(1) + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole value.
    pub fn whole(&self) -> String {
        let mut out = String::with_capacity(self.len());
        out.push_str(&self.head);
        for (n, e) in self.entries.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(e);
        }
        out.push_str(self.tail);
        out
    }

    /// How to turn a value with entries `before` (held by the host) into
    /// this one: runs of replaced entries, in order, positions counted in
    /// `before`. An entry is the same when it is the same shared text (a
    /// conversation added or removed makes the rest of the list a run).
    pub fn splices_from(&self, before: &[Rc<str>]) -> Vec<Splice> {
        let (old, new) = (before.len(), self.entries.len());
        let common = old.min(new);
        let mut out: Vec<Splice> = Vec::new();
        for i in 0..common {
            if Rc::ptr_eq(&before[i], &self.entries[i]) {
                continue;
            }
            match out.last_mut() {
                Some(run) if run.at + run.remove == i => {
                    run.remove += 1;
                    run.insert.end += 1;
                }
                _ => out.push(Splice { at: i, remove: 1, insert: i..i + 1 }),
            }
        }
        if old != new {
            out.push(Splice { at: common, remove: old - common, insert: common..new });
        }
        out
    }
}

impl From<&str> for IndexValue {
    fn from(s: &str) -> IndexValue {
        IndexValue { head: s.to_string(), entries: Vec::new(), tail: "" }
    }
}

/// One run of [`IndexValue::splices_from`]: `remove` entries at `at` give way
/// to the value's entries `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub at: usize,
    pub remove: usize,
    pub insert: std::ops::Range<usize>,
}

/// Serialised index entries, per conversation, with what they show (see
/// [`Index::value_reusing`]). Forget it whenever the index is reloaded.
#[derive(Debug, Default)]
pub struct EntryCache {
    entries: BTreeMap<ConvId, (EntryKey, Rc<str>)>,
}

impl EntryCache {
    fn entry(&mut self, id: &ConvId, conv: &Conv) -> &Rc<str> {
        let key = EntryKey::of(conv);
        let fresh = self.entries.get(id).is_none_or(|(k, _)| *k != key);
        if fresh {
            let out = ConvOut {
                i: id.as_str(),
                l: conv.last.as_ref(),
                u: conv.unread,
                r: conv.read_at,
                f: conv.floor.map(|p| (p.time, p.id)),
                k: key.newest.into_iter().collect(),
                n: conv.name.as_deref(),
                s: conv.name_from_sdk as u8,
                m: conv.name_at.map(|p| (p.time, p.id)),
                a: conv.avatar.as_deref(),
            };
            let json = serde_json::to_string(&out).expect("index entries serialize");
            self.entries.insert(id.clone(), (key, Rc::from(json)));
        }
        &self.entries[id].1
    }

    /// Drops the entries of conversations no longer in the index.
    fn retain(&mut self, convs: &BTreeMap<ConvId, Conv>) {
        if self.entries.len() > convs.len() {
            self.entries.retain(|id, _| convs.contains_key(id));
        }
    }
}

/// One chunk's metadata as stored: key, first and last position, count, bytes.
/// [`ChunkMeta`]'s stored form.
type StoredMeta = (u64, u64, u64, u64, u64, u32, u32);

impl From<StoredMeta> for ChunkMeta {
    fn from((key, t0, i0, t1, i1, count, bytes): StoredMeta) -> Self {
        ChunkMeta { key, first: Pos { time: t0, id: i0 }, last: Pos { time: t1, id: i1 }, count, bytes }
    }
}

impl From<ChunkMeta> for StoredMeta {
    fn from(m: ChunkMeta) -> Self {
        (m.key, m.first.time, m.first.id, m.last.time, m.last.id, m.count, m.bytes)
    }
}

/// The metadata a slot is written with (a commit serialises the index once
/// every changed chunk is planned, so only committed ones are listed).
fn meta_out(s: &Slot) -> Option<ChunkMeta> {
    match s {
        Slot::Stored(m) => Some(*m),
        Slot::Dirty(_) => None,
    }
}

#[derive(Serialize)]
struct ConvOut<'a> {
    i: &'a str,
    l: Option<&'a Record>,
    u: u32,
    r: u64,
    f: Option<(u64, u64)>,
    /// The newest chunk only; older ones are in the directory.
    k: Vec<ChunkMeta>,
    /// Name, its source (1: the SDK), the message it came from, avatar.
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<&'a str>,
    #[serde(skip_serializing_if = "is_zero")]
    s: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    m: Option<(u64, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<&'a str>,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

#[derive(Deserialize)]
struct IndexIn {
    v: u32,
    #[serde(default)]
    n: u64,
    #[serde(default)]
    p: VecDeque<u64>,
    #[serde(default)]
    d: Option<ChunkRef>,
    #[serde(default)]
    c: Vec<ConvIn>,
    #[serde(default)]
    q: VecDeque<Receipt>,
    #[serde(default)]
    o: VecDeque<(String, Option<String>, Option<String>)>,
    #[serde(default)]
    e: Vec<crate::echo::EchoIn>,
}

#[derive(Deserialize)]
struct ConvIn {
    i: String,
    l: Option<Record>,
    u: u32,
    r: u64,
    f: Option<(u64, u64)>,
    k: Vec<ChunkMeta>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    s: u8,
    #[serde(default)]
    m: Option<(u64, u64)>,
    #[serde(default)]
    a: Option<String>,
}

/// The directory value: older chunks of each conversation that has any.
#[derive(Serialize, Deserialize)]
struct DirectoryFile<'a> {
    #[serde(borrow)]
    c: Vec<(std::borrow::Cow<'a, str>, Vec<ChunkMeta>)>,
}

/// Why an index value was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProblem {
    /// Not our format at all, or internally inconsistent.
    Corrupt(String),
    /// A well-formed index of another layout version.
    Version(u32),
}

/// An index value, parsed once, of a version this library reads.
pub struct StoredIndex(IndexIn);

impl StoredIndex {
    /// Parses an index value (in one pass: the version is read apart only
    /// to say why a value that does not parse was not used).
    pub fn parse(s: &str) -> Result<StoredIndex, IndexProblem> {
        match serde_json::from_str::<IndexIn>(s) {
            Ok(raw) if READS_VERSIONS.contains(&raw.v) => Ok(StoredIndex(raw)),
            Ok(raw) => Err(IndexProblem::Version(raw.v)),
            Err(e) => match Index::version_of(s)? {
                v if READS_VERSIONS.contains(&v) => Err(IndexProblem::Corrupt(format!("index unreadable: {e}"))),
                v => Err(IndexProblem::Version(v)),
            },
        }
    }

    /// The key number of the directory it references.
    pub fn directory(&self) -> Option<u64> {
        self.0.d.map(|d| d.key)
    }
}

/// The older chunks a directory value lists, by conversation id.
fn read_directory(dir: &DirectoryValue) -> Result<BTreeMap<String, Vec<ChunkMeta>>, String> {
    let mut older = BTreeMap::new();
    match dir {
        DirectoryValue::Text(text) => {
            let dir: DirectoryFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
            for (id, metas) in dir.c {
                older.insert(id.into_owned(), metas);
            }
        }
        DirectoryValue::Numbers { ids, numbers } => {
            let ids: Vec<String> = serde_json::from_str(ids).map_err(|e| e.to_string())?;
            let mut n = numbers.iter().copied();
            let mut next = |max: u64| -> Result<u64, String> {
                let v = n.next().ok_or("it ends early")?;
                (v >= 0.0 && v.fract() == 0.0 && v <= max as f64).then_some(v as u64).ok_or_else(|| format!("{v} is not an integer in range"))
            };
            let safe = crate::fields::MAX_SAFE;
            for id in ids {
                let count = next(u32::MAX as u64)?;
                let mut metas = Vec::with_capacity(count.min(4096) as usize);
                for _ in 0..count {
                    let (key, t0, i0, t1, i1) = (next(safe)?, next(safe)?, next(safe)?, next(safe)?, next(safe)?);
                    let (count, bytes) = (next(u32::MAX as u64)? as u32, next(u32::MAX as u64)? as u32);
                    metas.push(ChunkMeta { key, first: Pos { time: t0, id: i0 }, last: Pos { time: t1, id: i1 }, count, bytes });
                }
                // Listed twice: the later list stands, as in the text.
                older.insert(id, metas);
            }
            if n.next().is_some() {
                return Err("numbers after its end".into());
            }
        }
        DirectoryValue::Unreadable(why) => return Err(why.clone()),
    }
    Ok(older)
}

impl Index {
    /// The version field of an index value, if it has one.
    pub fn version_of(s: &str) -> Result<u32, IndexProblem> {
        #[derive(Deserialize)]
        struct VersionOnly {
            v: u32,
        }
        serde_json::from_str::<VersionOnly>(s)
            .map(|v| v.v)
            .map_err(|e| IndexProblem::Corrupt(format!("index is not a jim-cache index: {e}")))
    }

    /// Serialises the index: per conversation its summary and newest chunk.
    /// A commit serialises it once every changed chunk is planned.
    pub fn to_json(&self) -> String {
        self.value_reusing(&mut EntryCache::default()).whole()
    }

    /// [`Index::to_json`] in parts, reusing the serialised entry of every
    /// conversation whose summary and newest chunk did not change since
    /// `cache` last saw it: a realtime message changes one conversation, and
    /// on iOS serialising all of them (~250 bytes each) on every call is most
    /// of its cost once there are dozens.
    pub fn value_reusing(&self, cache: &mut EntryCache) -> IndexValue {
        let mut head = String::with_capacity(64);
        head.push_str("{\"v\":");
        crate::text::push_decimal(&mut head, SCHEMA_VERSION as u64);
        head.push_str(",\"n\":");
        crate::text::push_decimal(&mut head, self.next_key);
        push_field(&mut head, "p", &self.pending);
        push_field(&mut head, "d", &self.dir);
        // Written only when non-empty: an index without them reads as 0.1.0's.
        if !self.pending_receipts.is_empty() {
            push_field(&mut head, "q", &self.pending_receipts);
        }
        if !self.pending_profiles.is_empty() {
            let o: Vec<(&str, Option<&str>, Option<&str>)> = self
                .pending_profiles
                .iter()
                .map(|p| (p.conv.as_str(), p.profile.name.as_deref(), p.profile.avatar.as_deref()))
                .collect();
            push_field(&mut head, "o", &o);
        }
        if !self.echoes.is_empty() {
            let e: Vec<_> = self.echoes.iter().map(crate::echo::to_stored).collect();
            push_field(&mut head, "e", &e);
        }
        head.push_str(",\"c\":[");
        let entries = self.convs.iter().map(|(id, conv)| Rc::clone(cache.entry(id, conv))).collect();
        cache.retain(&self.convs);
        IndexValue { head, entries, tail: "]}" }
    }

    /// Serialises the directory (older chunks), or `None` when no
    /// conversation has more than one chunk.
    pub fn directory_json(&self) -> Option<String> {
        let c: Vec<_> = self
            .convs
            .iter()
            .filter(|(_, conv)| conv.slots.len() > 1)
            .map(|(id, conv)| {
                let older = &conv.slots[..conv.slots.len() - 1];
                (std::borrow::Cow::Borrowed(id.as_str()), older.iter().filter_map(meta_out).collect())
            })
            .collect();
        (!c.is_empty()).then(|| serde_json::to_string(&DirectoryFile { c }).expect("directory always serializes"))
    }

    /// Whether the older chunks of every conversation are those of `snapshot`
    /// (then the stored directory is still right). Chunks are named by key:
    /// a committed chunk is never overwritten, so its key says it all.
    pub fn older_match(&self, snapshot: &BTreeMap<ConvId, Vec<u64>>) -> bool {
        let mut with_older = 0;
        for (id, conv) in &self.convs {
            if conv.slots.len() < 2 {
                continue;
            }
            with_older += 1;
            let Some(old) = snapshot.get(id) else { return false };
            let older = &conv.slots[..conv.slots.len() - 1];
            if old.len() != older.len() || !older.iter().zip(old).all(|(s, k)| matches!(s, Slot::Stored(x) if x.key == *k)) {
                return false;
            }
        }
        with_older == snapshot.len()
    }

    /// The keys of every conversation's older chunks (after a commit: all
    /// stored).
    pub fn older_snapshot(&self) -> BTreeMap<ConvId, Vec<u64>> {
        self.convs
            .iter()
            .filter(|(_, c)| c.slots.len() > 1)
            .map(|(id, c)| {
                let older = c.slots[..c.slots.len() - 1]
                    .iter()
                    .filter_map(|s| match s {
                        Slot::Stored(m) => Some(m.key),
                        Slot::Dirty(_) => None,
                    })
                    .collect();
                (id.clone(), older)
            })
            .collect()
    }

    /// Parses and checks an index value and its directory text (required
    /// when the index references one).
    pub fn from_json(s: &str, directory: Option<&str>) -> Result<Index, IndexProblem> {
        let stored = StoredIndex::parse(s)?;
        Index::from_stored(stored, directory.map(|d| DirectoryValue::Text(d.to_string())).as_ref())
    }

    /// Checks a parsed index value against its directory (required when it
    /// references one) and builds the index.
    pub fn from_stored(stored: StoredIndex, directory: Option<&DirectoryValue>) -> Result<Index, IndexProblem> {
        let corrupt = |m: String| IndexProblem::Corrupt(m);
        let raw = stored.0;
        let mut older = match (raw.d, directory) {
            (None, _) => BTreeMap::new(),
            (Some(_), None) => return Err(corrupt("the index's directory is missing".into())),
            (Some(_), Some(dir)) => read_directory(dir).map_err(|e| corrupt(format!("directory unreadable: {e}")))?,
        };
        let mut convs = BTreeMap::new();
        let mut seen_keys = std::collections::BTreeSet::new();
        let mut max_key = raw.d.map(|d| d.key).unwrap_or(0);
        for c in raw.c {
            let id = ConvId::parse(&c.i).ok_or_else(|| corrupt(format!("bad conversation id {:?}", c.i)))?;
            let mut metas = older.remove(&c.i).unwrap_or_default();
            if !metas.is_empty() && c.k.is_empty() {
                return Err(corrupt(format!("older chunks without a newest one in {}", c.i)));
            }
            metas.extend(c.k);
            let mut slots = Vec::with_capacity(metas.len());
            let mut prev: Option<Pos> = None;
            for meta in metas {
                let ChunkMeta { key, first, last, count, .. } = meta;
                if count == 0 || first > last || prev.is_some_and(|p| p >= first) || !seen_keys.insert(key) {
                    return Err(corrupt(format!("inconsistent chunk list in {}", c.i)));
                }
                max_key = max_key.max(key);
                prev = Some(last);
                slots.push(Slot::Stored(meta));
            }
            if c.s > 1 {
                return Err(corrupt(format!("bad name source in {}", c.i)));
            }
            let conv = Conv {
                last: c.l,
                unread: c.u,
                read_at: c.r,
                floor: c.f.map(|(time, id)| Pos { time, id }),
                slots,
                name: c.n,
                name_from_sdk: c.s == 1,
                name_at: c.m.map(|(time, id)| Pos { time, id }),
                avatar: c.a,
                profile_rev: 0,
            };
            if convs.insert(id, conv).is_some() {
                return Err(corrupt(format!("conversation {} listed twice", c.i)));
            }
        }
        if !older.is_empty() {
            return Err(corrupt("the directory names a conversation the index does not".into()));
        }
        if (!seen_keys.is_empty() || raw.d.is_some()) && raw.n <= max_key {
            return Err(corrupt("next key number is not above every used one".into()));
        }
        let pending_receipts = raw.q;
        let mut pending_profiles = VecDeque::with_capacity(raw.o.len());
        for (id, name, avatar) in raw.o {
            let conv = ConvId::parse(&id).ok_or_else(|| corrupt(format!("bad conversation id {id:?} in pending profiles")))?;
            pending_profiles.push_back(ProfileSet { conv, profile: Profile { name, avatar } });
        }
        let echoes = raw
            .e
            .into_iter()
            .map(|e| crate::echo::from_stored(e).ok_or_else(|| corrupt("bad local echo".into())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Index { next_key: raw.n, convs, pending: raw.p, dir: raw.d, pending_receipts, pending_profiles, echoes })
    }
}

/// Appends `,"<key>":<value as JSON>` to an object being written.
fn push_field<T: Serialize + ?Sized>(out: &mut String, key: &str, value: &T) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
    out.push_str(&serde_json::to_string(value).expect("index fields serialize"));
}

// ---- chunk values ------------------------------------------------------

/// What [`ChunkValue::Appended`] splices into a chunk value that holds the
/// first `n` of `records`: `,record` for each later one. `None` when nothing
/// was appended or the base holds no record.
pub fn appended_insert(n: usize, records: &[Record]) -> Option<String> {
    if n == 0 || n >= records.len() {
        return None;
    }
    let mut out = String::with_capacity((records.len() - n) * 128);
    for r in &records[n..] {
        out.push(',');
        out.push_str(&serde_json::to_string(r).expect("records always serialize"));
    }
    Some(out)
}

/// Serialises a chunk of `conv`.
pub fn chunk_json(conv: &ConvId, records: &[Record]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        c: &'a str,
        r: &'a [Record],
    }
    serde_json::to_string(&Out { c: conv.as_str(), r: records }).expect("chunk always serializes")
}

/// Bytes of a chunk value beyond its records (header, brackets, commas).
pub fn chunk_overhead(conv: &ConvId, n_records: usize) -> usize {
    // {"c":"<id>","r":[...]} ; ids never need escaping beyond what as_str has,
    // but count through serde to stay exact.
    let id_json = serde_json::to_string(conv.as_str()).expect("string").len();
    r#"{"c":,"r":[]}"#.len() + id_json + n_records.saturating_sub(1)
}

/// Parses a chunk value and checks it belongs to `conv` and is sorted.
pub fn parse_chunk(conv: &ConvId, s: &str) -> Result<Vec<Record>, String> {
    #[derive(Deserialize)]
    struct In<'a> {
        #[serde(borrow)]
        c: std::borrow::Cow<'a, str>,
        r: Vec<Record>,
    }
    let chunk: In = serde_json::from_str(s).map_err(|e| format!("chunk unreadable: {e}"))?;
    if chunk.c != conv.as_str() {
        return Err(format!("chunk belongs to {}, not {}", chunk.c, conv));
    }
    if chunk.r.is_empty() || chunk.r.windows(2).any(|w| w[0].pos() >= w[1].pos()) {
        return Err("chunk records empty or out of order".into());
    }
    Ok(chunk.r)
}

/// Parses a chunk value of unknown conversation (index recovery).
pub fn parse_any_chunk(s: &str) -> Option<(ConvId, Vec<Record>)> {
    #[derive(Deserialize)]
    struct In {
        c: String,
        r: Vec<Record>,
    }
    let chunk: In = serde_json::from_str(s).ok()?;
    let id = ConvId::parse(&chunk.c)?;
    Some((id, chunk.r))
}

/// A raw JSON value that is cheap to clone into a record body.
pub fn raw_json(s: &str) -> Box<RawValue> {
    RawValue::from_string(s.to_string()).expect("valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Kind;

    fn rec(id: u64, time: u64) -> Record {
        Record::new(id, time, Kind::Text, "u".into(), false, raw_json(r#"{"text":"x"}"#))
    }

    #[test]
    fn index_round_trips() {
        let mut idx = Index { next_key: 9, ..Default::default() };
        let mut conv = Conv::new();
        conv.last = Some(rec(3, 30));
        conv.unread = 2;
        conv.floor = Some(Pos { time: 1, id: 1 });
        conv.slots.push(Slot::Stored(ChunkMeta {
            key: 7,
            first: Pos { time: 10, id: 1 },
            last: Pos { time: 30, id: 3 },
            count: 3,
            bytes: 120,
        }));
        idx.convs.insert(ConvId::group(5), conv);
        idx.pending.push_back(99);
        // A second chunk goes to the directory.
        let conv = idx.convs.get_mut(&ConvId::group(5)).unwrap();
        conv.slots.push(Slot::Stored(ChunkMeta {
            key: 8,
            first: Pos { time: 40, id: 4 },
            last: Pos { time: 40, id: 4 },
            count: 1,
            bytes: 50,
        }));
        idx.dir = Some(ChunkRef { key: 6, bytes: 100 });
        let s = idx.to_json();
        let d = idx.directory_json().unwrap();
        assert_eq!(StoredIndex::parse(&s).unwrap().directory(), Some(6));
        let back = Index::from_json(&s, Some(&d)).unwrap();
        assert_eq!(back.to_json(), s);
        assert_eq!(back.convs[&ConvId::group(5)].slots.len(), 2);
        assert!(back.older_match(&idx.older_snapshot()));
        assert!(matches!(Index::from_json(&s, None), Err(IndexProblem::Corrupt(_))), "missing directory");

        // The directory as the JS store hands it over (numbers, parsed by the
        // engine) reads as its text does; anything off is a corrupt index.
        let numbers = |n: Vec<f64>| DirectoryValue::Numbers { ids: r#"["group:5"]"#.into(), numbers: n };
        let read = |d: &DirectoryValue| Index::from_stored(StoredIndex::parse(&s).unwrap(), Some(d));
        let good = vec![1.0, 7.0, 10.0, 1.0, 30.0, 3.0, 3.0, 120.0];
        assert_eq!(read(&numbers(good.clone())).unwrap().to_json(), s);
        let corrupt = |d: DirectoryValue| matches!(read(&d), Err(IndexProblem::Corrupt(_)));
        assert!(corrupt(numbers(good[..7].to_vec())), "ends early");
        assert!(corrupt(numbers([good.clone(), vec![0.0]].concat())), "numbers after its end");
        assert!(corrupt(numbers([vec![1.0, 7.5], good[2..].to_vec()].concat())), "not an integer");
        assert!(corrupt(numbers([vec![1.0, -7.0], good[2..].to_vec()].concat())), "negative");
        assert!(corrupt(numbers([vec![1.0, 9e15], good[2..].to_vec()].concat())), "above 2^53");
        assert!(corrupt(DirectoryValue::Numbers { ids: "[5]".into(), numbers: good }), "ids not strings");
        assert!(corrupt(DirectoryValue::Unreadable("not JSON".into())));
    }

    /// A host that keeps the last value's entries and applies the splices.
    fn splice_into(host: &mut Vec<String>, value: &IndexValue, splices: &[Splice]) -> String {
        for sp in splices {
            let texts: Vec<String> = value.entries[sp.insert.clone()].iter().map(|e| e.to_string()).collect();
            host.splice(sp.at..sp.at + sp.remove, texts);
        }
        format!("{}{}{}", value.head, host.join(","), value.tail)
    }

    #[test]
    fn reused_entries_serialise_exactly_as_fresh_ones_and_splices_rebuild_them() {
        let mut idx = Index { next_key: 9, ..Default::default() };
        let mut cache = EntryCache::default();
        for g in 1..=3 {
            let mut conv = Conv::new();
            conv.last = Some(rec(g, 10 * g));
            idx.convs.insert(ConvId::group(g), conv);
        }
        let (mut held, mut host): (Vec<Rc<str>>, Vec<String>) = (Vec::new(), Vec::new());
        let mut check = |idx: &Index, cache: &mut EntryCache, changed: usize| {
            let v = idx.value_reusing(cache);
            assert_eq!(v.whole(), idx.to_json());
            assert_eq!(v.len(), v.whole().len());
            let splices = v.splices_from(&held);
            let sent: usize = splices.iter().map(|s| s.insert.len()).sum();
            assert_eq!(sent, changed, "entries sent: {splices:?}");
            assert_eq!(splice_into(&mut host, &v, &splices), v.whole());
            held = v.entries;
        };
        check(&idx, &mut cache, 3);
        check(&idx, &mut cache, 0);
        // Each kind of change shows up; unchanged entries are reused.
        idx.convs.get_mut(&ConvId::group(2)).unwrap().unread = 4;
        check(&idx, &mut cache, 1);
        idx.convs.get_mut(&ConvId::group(3)).unwrap().last.as_mut().unwrap().retract();
        idx.convs.get_mut(&ConvId::group(1)).unwrap().unread = 1;
        check(&idx, &mut cache, 2);
        idx.convs.get_mut(&ConvId::group(1)).unwrap().raise_floor(Pos { time: 1, id: 1 });
        idx.pending.push_back(5);
        check(&idx, &mut cache, 1);
        idx.convs.remove(&ConvId::group(2));
        check(&idx, &mut cache, 1);
        idx.convs.insert(ConvId::group(0), Conv::new());
        check(&idx, &mut cache, 3);
        assert_eq!(cache.entries.len(), 3);
    }

    #[test]
    fn rejects_other_versions_and_inconsistent_lists() {
        assert_eq!(Index::from_json(r#"{"v":1}"#, None).unwrap_err(), IndexProblem::Version(1));
        assert!(matches!(Index::from_json("garbage", None), Err(IndexProblem::Corrupt(_))));
        assert!(matches!(Index::from_json(r#""bob""#, None), Err(IndexProblem::Corrupt(_))));
        let overlapping = r#"{"v":2,"n":5,"p":[],"d":[4,20],"c":[{"i":"group:1","l":null,"u":0,"r":0,"f":null,"k":[[2,15,1,30,3,2,50]]}]}"#;
        let dir = r#"{"c":[["group:1",[[1,10,1,20,2,2,50]]]]}"#;
        assert!(matches!(Index::from_json(overlapping, Some(dir)), Err(IndexProblem::Corrupt(_))));
        let stale_counter = r#"{"v":2,"n":1,"p":[],"c":[{"i":"group:1","l":null,"u":0,"r":0,"f":null,"k":[[1,10,1,20,2,2,50]]}]}"#;
        assert!(matches!(Index::from_json(stale_counter, None), Err(IndexProblem::Corrupt(_))));
    }

    #[test]
    fn chunk_checks_owner_and_order() {
        let c = ConvId::group(1);
        let s = chunk_json(&c, &[rec(1, 10), rec(2, 10)]);
        assert_eq!(s.len(), chunk_overhead(&c, 2) + rec(1, 10).stored_len() + rec(2, 10).stored_len());
        assert_eq!(parse_chunk(&c, &s).unwrap().len(), 2);
        assert!(parse_chunk(&ConvId::group(2), &s).is_err());
        let unsorted = chunk_json(&c, &[rec(2, 10), rec(1, 10)]);
        assert!(parse_chunk(&c, &unsorted).is_err());
    }
}
