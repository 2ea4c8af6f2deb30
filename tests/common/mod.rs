//! Helpers shared by the integration tests: fixtures, message builders and an
//! invariant checker that reads storage directly (not through the cache).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};

use jim_cache::index::{parse_chunk, Index, Slot};
use jim_cache::namespace::Namespace;
use jim_cache::{Cache, Config, ConvId, MemoryStorage, Pos};
use serde_json::{json, Value};

pub const APPKEY: &str = "a1b2c3d4e5f60718293a4b5c";
pub const ME: &str = "wx_alice";

/// The fixtures with their `_` annotation keys stripped: name -> payload
/// (`data`, plus `msg` for the send callback).
pub fn fixtures() -> BTreeMap<String, (Value, Option<Value>)> {
    let text = include_str!("../fixtures/jmessage-examples.json");
    let all: BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
    all.into_iter()
        .map(|(k, v)| (k, (strip(&v["data"]), v.get("msg").map(strip))))
        .collect()
}

fn strip(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), strip(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        other => other.clone(),
    }
}

pub fn fixture(name: &str) -> Value {
    fixtures().remove(name).unwrap_or_else(|| panic!("no fixture {name}")).0
}

pub fn config() -> Config {
    Config::new(APPKEY, ME)
}

pub fn open(storage: MemoryStorage, cfg: Config) -> Cache<MemoryStorage> {
    Cache::open(storage, cfg).expect("opens").0
}

/// An incoming single-chat realtime message from `from`.
pub fn single(id: u64, time: u64, from: &str, text: &str) -> Value {
    json!({
        "msg_id": id, "ctime_ms": time, "msg_type": 3, "from_username": from, "from_appkey": APPKEY,
        "content": {"version": 1, "target_type": "single", "target_id": ME, "from_id": from,
                    "create_time": time, "msg_type": "text", "msg_body": {"text": text}}
    })
}

/// A group message in `gid` from `from`.
pub fn group(id: u64, time: u64, gid: u64, from: &str, text: &str) -> Value {
    json!({
        "msg_id": id, "ctime_ms": time, "msg_type": 4, "from_gid": gid, "key": gid,
        "content": {"version": 1, "target_type": "group", "target_id": gid.to_string(), "from_id": from,
                    "create_time": time, "msg_type": "text", "msg_body": {"text": text}}
    })
}

/// My own message to `to`, as a multi-device copy.
pub fn mine(id: u64, time: u64, to: &str, text: &str) -> Value {
    json!({
        "msg_id": id, "ctime_ms": time, "msg_type": 3, "from_username": ME, "from_appkey": APPKEY,
        "content": {"version": 1, "target_type": "single", "target_id": to, "from_id": ME,
                    "from_appkey": APPKEY, "create_time": time, "msg_type": "text", "msg_body": {"text": text}}
    })
}

pub fn batch(msgs: Vec<Value>) -> Value {
    json!({ "messages": msgs })
}

pub fn retract_event(from: &str, ids: &[u64]) -> Value {
    json!({"event_id": 1, "event_type": 55, "from_username": from, "from_appkey": APPKEY,
           "to_usernames": [{"username": ME, "appkey": APPKEY}], "ctime_ms": 1, "msg_ids": ids, "from_gid": 0, "type": 0})
}

/// What storage holds for one account, read without the cache.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// id -> (conversation, position, retracted)
    pub messages: HashMap<u64, (ConvId, Pos, bool)>,
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
    let index = Index::from_json(raw).expect("index parses");
    let mut referenced = HashSet::new();
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
                newest = Some(r.clone());
                let old = snap.messages.insert(r.id, (id.clone(), r.pos(), r.retracted));
                assert!(old.is_none(), "message {} stored twice", r.id);
            }
        }
        if let (Some(n), Some(l)) = (&newest, &conv.last) {
            assert_eq!(n.pos(), l.pos(), "last of {id} is not its newest record");
            assert_eq!(n.retracted, l.retracted, "last of {id} retraction state");
        }
    }
    for (k, _) in &keys {
        assert!(**k == ns.index_key() || referenced.contains(*k), "orphan key {k}");
    }
    snap.index = Some(index);
    snap
}
