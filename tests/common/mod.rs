//! Helpers shared by the integration tests: fixtures, message builders and an
//! invariant checker that reads storage directly (not through the cache).
#![allow(dead_code)]

use std::collections::BTreeMap;

use jim_cache::{Cache, Config, MemoryStorage};
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

pub use jim_cache::testing::{check, Snapshot};
