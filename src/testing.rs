//! Test support shared by the integration tests and the fuzz targets (not
//! part of the API): a storage invariant checker that reads storage directly,
//! and the two fuzz drivers.
#![doc(hidden)]

use std::collections::{HashMap, HashSet};

use crate::index::{parse_chunk, Index, Slot};
use crate::namespace::Namespace;
use crate::{Cache, Config, ConvId, MemoryStorage, Mode, Pos, StorageErrorKind};
use serde_json::Value;

/// What storage holds for one account, read without the cache.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// id -> (conversation, position, retracted)
    pub messages: HashMap<u64, (ConvId, Pos, bool)>,
    /// id -> read-receipt count, for records that have one
    pub receipts: HashMap<u64, u32>,
    pub index: Option<Index>,
    pub bytes: u64,
    pub missing_prefix: HashMap<ConvId, Pos>,
}

impl Snapshot {
    /// Everything at or below this was evicted: the index's floor, raised
    /// over chunks missing at the front (removed by an eviction whose commit
    /// a crash or failure cut short; opening treats them the same way).
    pub fn floor(&self, conv: &ConvId) -> Option<Pos> {
        let c = self.index.as_ref()?.convs.get(conv)?;
        c.floor.max(self.missing_prefix.get(conv).copied())
    }
}

/// Checks every storage invariant of `cfg`'s namespace and returns what is
/// stored. Panics with a description on the first violation.
pub fn check(storage: &MemoryStorage, cfg: &Config) -> Snapshot {
    let ns = Namespace::new(&cfg.prefix, &cfg.appkey, &cfg.username);
    let mut snap = Snapshot::default();
    let keys: Vec<(&String, &String)> = storage.entries().filter(|(k, _)| k.starts_with(ns.prefix())).collect();
    for (k, v) in &keys {
        assert!((k.len() + v.len()) as u64 <= cfg.key_limit_bytes, "key {k} over the key limit");
        assert_ne!(v.as_str(), cfg.username, "a value equals the bare username");
        snap.bytes += (k.len() + v.len()) as u64;
    }
    assert!(snap.bytes <= cfg.budget_bytes, "namespace holds {} bytes, budget {}", snap.bytes, cfg.budget_bytes);
    let Some(raw) = storage.raw_get(&ns.index_key()) else {
        assert!(keys.is_empty(), "keys without an index: {:?}", keys.iter().map(|k| k.0).collect::<Vec<_>>());
        return snap;
    };
    let dir = crate::index::StoredIndex::parse(raw).ok().and_then(|i| i.directory()).map(|d| ns.dir_key(d));
    let index = Index::from_json(raw, dir.as_deref().and_then(|k| storage.raw_get(k))).expect("index parses");
    let mut referenced = HashSet::new();
    if let Some(d) = &dir {
        referenced.insert(d.clone());
    }
    for (id, conv) in &index.convs {
        let mut prev: Option<Pos> = None;
        let mut newest = None;
        let mut at_front = true;
        for slot in &conv.slots {
            let Slot::Stored(m) = slot else { panic!("dirty slot in a stored index") };
            referenced.insert(ns.chunk_key(m.key));
            let Some(value) = storage.raw_get(&ns.chunk_key(m.key)) else {
                assert!(at_front, "chunk {} of {id} missing in the middle", m.key);
                snap.missing_prefix.insert(id.clone(), m.last);
                continue;
            };
            at_front = false;
            let records = parse_chunk(id, value).expect("chunk parses");
            assert_eq!(records.len() as u32, m.count, "count of chunk {}", m.key);
            assert_eq!((ns.chunk_key(m.key).len() + value.len()) as u32, m.bytes, "bytes of chunk {}", m.key);
            assert_eq!(records[0].pos(), m.first);
            assert_eq!(records.last().unwrap().pos(), m.last);
            for r in records {
                assert!(prev.is_none_or(|p| p < r.pos()), "{id} out of order at {}", r.id);
                if let Some(f) = conv.floor {
                    assert!(r.pos() > f, "{id} keeps {} at or below its floor", r.id);
                }
                prev = Some(r.pos());
                assert!(r.out || r.receipt.is_none(), "{id}: receipt on {}, not your own message", r.id);
                if let Some(n) = r.receipt {
                    snap.receipts.insert(r.id, n);
                }
                newest = Some(r.clone());
                let old = snap.messages.insert(r.id, (id.clone(), r.pos(), r.retracted));
                assert!(old.is_none(), "message {} stored twice", r.id);
            }
        }
        if let (Some(n), Some(l)) = (&newest, &conv.last) {
            assert_eq!(n.pos(), l.pos(), "last of {id} is not its newest record");
            assert_eq!(n.retracted, l.retracted, "last of {id} retraction state");
            assert_eq!(n.receipt, l.receipt, "last of {id} receipt");
        }
    }
    for (k, _) in &keys {
        assert!(**k == ns.index_key() || referenced.contains(*k), "orphan key {k}");
    }
    snap.index = Some(index);
    snap
}


/// A compact batch: the numbers and the table the glue hands the core.
#[derive(Debug, Clone, Default)]
pub struct CompactBatch {
    pub slots: Vec<f64>,
    pub table: String,
    /// `[msg_body, at_list]` of each read message, by body number.
    pub bodies: Vec<Value>,
}

impl CompactBatch {
    /// What the glue answers when the core asks for these bodies.
    pub fn bodies_for(&self, wanted: &[u32]) -> String {
        let pairs: Vec<&Value> = wanted.iter().map(|&n| &self.bodies[n as usize]).collect();
        serde_json::to_string(&pairs).expect("values serialise")
    }

    /// The batch the core reads, every body fetched (as a store keeping
    /// every message would).
    pub fn read_all(&self, acct: crate::payload::Account) -> crate::error::Result<crate::payload::Batch> {
        let mut batch = crate::compact::parse_compact(&self.slots, &self.table, acct)?;
        let (at, wanted): (Vec<usize>, Vec<u32>) = batch
            .messages
            .iter()
            .enumerate()
            .filter_map(|(i, m)| match m.body {
                crate::payload::Pending::Later { n, .. } => Some((i, n)),
                _ => None,
            })
            .unzip();
        crate::compact::give_bodies(&mut batch, &at, &self.bodies_for(&wanted))?;
        Ok(batch.settle())
    }
}

/// Packs field values as the glue's `Packer` does (js/index.js): safe
/// integers ≥ 0 as themselves, `null`/missing as NaN, anything else as a
/// reference into the table, each distinct string once.
#[derive(Default)]
struct Packer {
    slots: Vec<f64>,
    values: Vec<Value>,
    strings: HashMap<String, usize>,
}

impl Packer {
    fn put(&mut self, v: &Value) {
        let slot = match v {
            Value::Null => f64::NAN,
            Value::Number(n) if n.as_u64().is_some_and(|u| u < 1 << 53) => n.as_u64().unwrap() as f64,
            Value::String(s) => {
                let next = self.values.len();
                let i = *self.strings.entry(s.clone()).or_insert(next);
                if i == next {
                    self.values.push(v.clone());
                }
                -1.0 - i as f64
            }
            other => {
                self.values.push(other.clone());
                -(self.values.len() as f64)
            }
        };
        self.slots.push(slot);
    }
}

/// What the JS glue's `compactBatch` (js/index.js) makes of a payload, for
/// tests: the same rules, over a parsed value. `None` where the glue hands
/// the whole payload to the core instead.
pub fn compact_of(data: &Value) -> Option<CompactBatch> {
    let obj = |v: &Value| v.as_object().is_some();
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let plain = |m: &Value| obj(m) && field(m, "msgs").is_null() && field(m, "messages").is_null() && obj(&field(m, "content"));
    let list = match data {
        Value::Array(a) => a,
        Value::Object(o) => o.get("messages")?.as_array()?,
        _ => return None,
    };
    let mut hints = Vec::new();
    let mut items: Vec<(i64, &Value)> = Vec::new();
    for it in list {
        match it.get("msgs") {
            Some(Value::Array(msgs)) if obj(it) => {
                hints.push(it);
                items.extend(msgs.iter().map(|m| (hints.len() as i64 - 1, m)));
            }
            _ => items.push((-1, it)),
        }
    }
    let mut p = Packer::default();
    let mut bodies = Vec::new();
    p.slots.push(hints.len() as f64);
    for h in &hints {
        for k in ["msg_type", "from_gid", "key", "from_username", "from_appkey", "unread_msg_count", "receipt_msgs"] {
            p.put(&field(h, k));
        }
    }
    for (entry, m) in items {
        if !plain(m) {
            p.slots.extend([1.0, entry as f64]);
            p.put(m);
            continue;
        }
        let c = &m["content"];
        p.slots.extend([0.0, entry as f64, bodies.len() as f64]);
        bodies.push(Value::Array(vec![field(c, "msg_body"), field(c, "at_list")]));
        for k in ["msg_id", "ctime_ms", "msg_type", "from_gid", "key", "from_username", "from_appkey"] {
            p.put(&field(m, k));
        }
        for k in ["target_type", "target_id", "target_appkey", "from_id", "from_appkey", "create_time", "msg_type", "from_name", "target_name"] {
            p.put(&field(c, k));
        }
    }
    Some(CompactBatch { table: Value::Array(p.values).to_string(), slots: p.slots, bodies })
}

/// `cacheMsg` as the JS glue runs it: the compact route where the glue
/// takes it (bodies read only for the messages stored), else the whole
/// payload.
pub fn cache_via_glue<S: crate::Storage>(cache: &mut Cache<S>, data: &Value, mode: Mode) -> crate::error::Result<crate::Report> {
    match compact_of(data) {
        Some(batch) => cache.cache_compact(&batch.slots, &batch.table, &mut |wanted| Ok(batch.bodies_for(wanted))),
        None => cache.cache_messages(data, mode),
    }
}

/// Arbitrary bytes as compact-batch slots, for the fuzzer: mostly small
/// integers (counts, tags, entries, table indexes), some NaN and odd values.
fn slots_of(data: &[u8]) -> Vec<f64> {
    data.iter()
        .map(|&b| match b {
            0..=239 => (b % 48) as f64 - 12.0,
            240..=247 => f64::NAN,
            248 => 0.5,
            249 => f64::INFINITY,
            250 => -f64::INFINITY,
            251 => 9007199254740992.0,
            _ => 1717400000000.0 + b as f64,
        })
        .collect()
}

/// Both routes into the core (the whole payload, and the compact batch the
/// glue reads from it) must give the same batch.
pub fn assert_same_batch(v: &Value, acct: crate::payload::Account) {
    let Some(compact) = compact_of(v) else { return };
    let whole = crate::payload::parse_messages(v, Mode::Realtime, acct).map(|b| format!("{b:?}"));
    // Only the compact route numbers its messages (for the glue, `Cache::known_items`).
    let read = compact.read_all(acct).map(|mut b| {
        b.messages.iter_mut().for_each(|m| m.item = None);
        format!("{b:?}")
    });
    match (whole, read) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "compact route differs for {v}"),
        (a, b) => panic!("routes disagree on {v}: {a:?} vs {b:?}"),
    }
}

/// Fuzz driver: arbitrary bytes into every payload parser and into a cache.
pub fn payload(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let acct = crate::payload::Account { appkey: "ak", username: "me" };
    for mode in [Mode::History, Mode::Realtime] {
        let _ = crate::payload::parse_messages_json(text, mode, acct);
    }
    // The compact reader takes anything without panicking, and its scanner
    // accepts exactly the JSON serde accepts.
    let _ = crate::compact::parse_compact(&slots_of(data), text, acct);
    let mut scan = crate::raw::Scanner::new(text);
    let scanned = scan.value().is_ok() && scan.at_end();
    let serde_ok = serde_json::from_str::<&serde_json::value::RawValue>(text).is_ok();
    assert_eq!(scanned, serde_ok, "scanner and serde disagree on {text:?}");
    // The other callbacks' readers take anything too, JSON or not.
    let _ = crate::payload::parse_events(text, acct);
    let _ = crate::payload::parse_sent(text, text, acct);
    let _ = crate::chat_state::parse_receipts(text, acct);
    let _ = crate::chat_state::parse_unread(text, acct);
    let _ = crate::chat_state::parse_conversations(text, acct);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        assert_same_batch(&v, acct);
    }
    let _ = crate::echo::checked("text", text);
    let _ = crate::echo::checked("custom", text);
    let cfg = Config::new("ak", "me");
    let (mut cache, _) = Cache::open(MemoryStorage::new(), cfg.clone()).expect("opens");
    if let Ok(report) = cache.cache_messages_json(text, Mode::Realtime) {
        let snap = check(cache.storage(), &cfg);
        assert_eq!(snap.messages.len() as u32, report.added, "every added message is stored");
        // The UI-state calls take the same text without breaking the store.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let _ = cache.apply_receipts(&v);
            let _ = cache.apply_unread(&v);
            let _ = cache.apply_conversations(&v);
            check(cache.storage(), &cfg);
        }
        let (mut again, _) = Cache::open(cache.into_storage(), cfg).expect("reopens");
        for c in again.conversations().iter().map(|c| c.id.to_string()).collect::<Vec<_>>() {
            again.messages(&ConvId::parse(&c).expect("valid id"), 1000, None).expect("pages");
        }
    }
}

/// Fuzz driver: arbitrary operation sequences (decoded from `data`) into a
/// small-budget store with failures, crashes and reopens; the invariants are
/// checked after every step and nothing acknowledged may be lost except by
/// eviction.
pub fn store(data: &[u8]) {
    let mut cfg = Config::new("ak", "me");
    cfg.budget_bytes = 24 * 1024;
    cfg.chunk_bytes = 1024;
    cfg.max_messages_per_conversation = 60;
    let mut bytes = data.iter().copied();
    let mut next = move || bytes.next();
    let mut storage = MemoryStorage::new();
    // Odd-length inputs read chunks as positions, as the JS store does.
    storage.native_reads = data.len() % 2 == 1;
    let (mut cache, _) = Cache::open(storage, cfg.clone()).expect("opens");
    let mut acked: HashMap<u64, (ConvId, Pos)> = HashMap::new();
    let mut removed: HashSet<ConvId> = HashSet::new();
    let conv_of = |c: u8| if c % 4 == 3 { ConvId::group(77) } else { ConvId::single("ak", ["bob", "carol", "dave"][(c % 3) as usize]) };
    let message = |id: u64, time: u64, c: u8| {
        let conv = conv_of(c);
        // Some ids are my own messages to bob: receipts apply to them.
        if id % 5 == 4 {
            let conv = conv_of(0);
            let json = format!(r#"{{"msg_id":{id},"ctime_ms":{time},"msg_type":3,"content":{{"target_type":"single","target_id":"bob","from_id":"me","from_name":"Me","target_name":"Bob{}","msg_type":"text","msg_body":{{"text":"mine"}}}}}}"#, id % 3);
            return (json, conv, Pos { time, id });
        }
        let json = match conv.kind() {
            crate::ConvKind::Group => format!(r#"{{"msg_id":{id},"ctime_ms":{time},"msg_type":4,"from_gid":77,"content":{{"target_type":"group","target_id":"77","from_id":"x","msg_type":"text","msg_body":{{"text":"{}"}}}}}}"#, "g".repeat((id % 40) as usize)),
            crate::ConvKind::Single => format!(r#"{{"msg_id":{id},"ctime_ms":{time},"msg_type":3,"content":{{"target_type":"single","target_id":"me","from_id":"{}","msg_type":"text","msg_body":{{"text":"{}"}}}}}}"#, conv.target(), "s".repeat((id % 50) as usize)),
        };
        (json, conv, Pos { time, id })
    };
    let mut echoes: HashSet<String> = HashSet::new();
    while let Some(op) = next() {
        match op % 12 {
            0 | 1 => {
                let n = 1 + next().unwrap_or(0) % 12;
                let mut parts = Vec::new();
                let mut metas = Vec::new();
                for _ in 0..n {
                    let a = next().unwrap_or(0);
                    let b = next().unwrap_or(0);
                    // Ids and times come from a small space: repeats and ties happen.
                    let id = 1 + (a as u64 % 64) * 4 + (b as u64 % 4);
                    let time = 1_717_400_000_000 + (id / 3) * 1000;
                    // A message id always belongs to one conversation, as on the server.
                    let (json, conv, pos) = message(id, time, (id % 7) as u8);
                    parts.push(json);
                    metas.push((id, conv, pos));
                }
                let payload = format!(r#"{{"messages":[{}]}}"#, parts.join(","));
                let mode = if op % 12 == 0 { Mode::Realtime } else { Mode::History };
                // Both routes: the glue's, and the whole payload's.
                let done = if op % 2 == 0 {
                    cache.cache_messages_json(&payload, mode)
                } else {
                    cache_via_glue(&mut cache, &serde_json::from_str(&payload).expect("json"), mode)
                };
                if done.is_ok() {
                    for (id, conv, pos) in metas {
                        if !removed.contains(&conv) {
                            acked.insert(id, (conv, pos));
                        }
                    }
                }
            }
            2 => {
                let id = 1 + next().unwrap_or(0) as u64 % 256;
                let ev = format!(r#"{{"event_type":55,"from_username":"bob","from_appkey":"ak","msg_ids":[{id}]}}"#);
                let _ = cache.apply_events(ev.as_str());
            }
            3 => {
                let _ = cache.mark_read(&conv_of(next().unwrap_or(0)));
            }
            4 => {
                let conv = conv_of(next().unwrap_or(0));
                if cache.remove(&conv).is_ok() {
                    acked.retain(|_, (c, _)| *c != conv);
                    // Echoes are all to bob: removing bob removes them.
                    if conv == conv_of(0) {
                        echoes.clear();
                    }
                    removed.insert(conv);
                }
            }
            5 => {
                let storage = cache.into_storage();
                cache = Cache::open(storage, cfg.clone()).expect("reopens").0;
            }
            8 => {
                let (id, n) = (1 + next().unwrap_or(0) as u64 % 256, next().unwrap_or(0) % 4);
                let r = format!(r#"{{"type":3,"username":"bob","appkey":"ak","receipt_msgs":[{{"msg_id":{id},"unread_count":{n}}}]}}"#);
                let _ = cache.apply_receipts(r.as_str());
            }
            9 => {
                let (c, n) = (next().unwrap_or(0), next().unwrap_or(0) % 5);
                let u = match conv_of(c).kind() {
                    crate::ConvKind::Group => format!(r#"{{"type":4,"gid":77,"unreadCount":{n}}}"#),
                    crate::ConvKind::Single => format!(r#"{{"type":3,"username":"{}","unreadCount":{n}}}"#, conv_of(c).target()),
                };
                let _ = cache.apply_unread(u.as_str());
            }
            10 => {
                // A local echo, then perhaps its send's onSuccess.
                let a = next().unwrap_or(0);
                let local = format!("l{}", a % 8);
                let id = 500 + (a as u64 % 8) * 5 + 4;
                if a % 2 == 0 {
                    if cache.add_pending(&conv_of(0), "text", r#"{"text":"x"}"#, Some(&local), 1).is_ok() {
                        echoes.insert(local);
                    }
                } else {
                    let data = serde_json::json!({"code": 0, "msg_id": id, "ctime_ms": 1_717_400_000_000u64 + id});
                    let msg = serde_json::json!({"content": {"target_type": "single", "target_id": "bob", "from_id": "me", "msg_type": "text", "msg_body": {"text": "x"}}});
                    if cache.cache_sent_echo(&data, &msg, Some(&local)).is_ok() {
                        echoes.remove(&local);
                        if !removed.contains(&conv_of(0)) {
                            acked.insert(id, (conv_of(0), Pos { time: 1_717_400_000_000 + id, id }));
                        }
                    }
                }
            }
            11 => {
                let n = next().unwrap_or(0);
                let c = format!(r#"{{"code":0,"conversations":[{{"type":3,"username":"bob","nickName":"B{n}","avatar":"{}"}},{{"type":4,"gid":{},"name":"G"}}]}}"#, if n % 2 == 0 { "" } else { "m" }, 77 + n as u64 % 2);
                let _ = cache.apply_conversations(c.as_str());
            }
            6 => {
                let kind = [StorageErrorKind::Quota, StorageErrorKind::Io, StorageErrorKind::KeyTooLarge][next().unwrap_or(0) as usize % 3];
                cache.storage_mut().fail_set(next().unwrap_or(0) as u64 % 4, kind);
            }
            _ => {
                // Crash at the k-th next mutation, then restart the process.
                let k = next().unwrap_or(0) as u64 % 6;
                cache.storage_mut().crash_after(k);
                let id = 300 + next().unwrap_or(0) as u64 % 64;
                let (json, conv, pos) = message(id, 1_717_400_000_000 + (id / 3) * 1000, (id % 7) as u8);
                let ok = cache.cache_messages_json(&format!(r#"{{"messages":[{json}]}}"#), Mode::Realtime).is_ok();
                if ok && !removed.contains(&conv) {
                    acked.insert(pos.id, (conv, pos));
                }
                let mut storage = cache.into_storage();
                storage.restart();
                cache = Cache::open(storage, cfg.clone()).expect("reopens after a crash").0;
            }
        }
        let snap = check(cache.storage(), &cfg);
        for (id, (conv, pos)) in &acked {
            match snap.messages.get(id) {
                Some((c, p, _)) => assert!(c == conv && p == pos, "{id} misfiled"),
                None => assert!(snap.floor(conv).is_some_and(|f| *pos <= f), "acknowledged {id} lost"),
            }
        }
        // Acknowledged echoes stay until their message is stored.
        let pending: HashSet<String> = cache.pending(None).iter().map(|e| e.local_id.to_string()).collect();
        assert!(echoes.is_subset(&pending), "echo lost: {echoes:?} vs {pending:?}");
    }
}
