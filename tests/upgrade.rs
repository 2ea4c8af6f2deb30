//! Caches written by 0.1.0 open as they were: every conversation, message,
//! unread count and remembered retraction, and they keep working. The
//! fixture `tests/fixtures/cache-0.1.0.json` was written by 0.1.0's own code
//! (`scripts/make-upgrade-fixture.sh`), with what 0.1.0 showed of it.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::{Cache, ConvId, MemoryStorage, Mode};
use serde_json::{json, Value};

fn fixture_cache() -> (Value, MemoryStorage) {
    let f: Value = serde_json::from_str(include_str!("fixtures/cache-0.1.0.json")).unwrap();
    let mut storage = MemoryStorage::new();
    for (k, v) in f["storage"].as_object().unwrap() {
        storage.raw_set(k, v.as_str().unwrap());
    }
    (f, storage)
}

/// `new` restricted to the fields `old` has: what 0.1.0 showed is still shown.
fn assert_shows(old: &Value, new: &Value, at: &str) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in o {
                assert_shows(v, n.get(k).unwrap_or(&Value::Null), &format!("{at}.{k}"));
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            assert_eq!(o.len(), n.len(), "{at}: length");
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                assert_shows(a, b, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(old, new, "{at}"),
    }
}

fn shown(cache: &mut Cache<MemoryStorage>) -> (Value, Value) {
    let convs = serde_json::to_value(cache.conversations()).unwrap();
    let mut pages = serde_json::Map::new();
    for c in convs.as_array().unwrap() {
        let id = ConvId::parse(c["id"].as_str().unwrap()).unwrap();
        let (recs, _) = cache.messages(&id, 1000, None).unwrap();
        pages.insert(id.to_string(), serde_json::to_value(Cache::<MemoryStorage>::page_view(&recs, None)).unwrap()["messages"].clone());
    }
    (convs, Value::Object(pages))
}

#[test]
fn a_cache_written_by_0_1_0_opens_with_everything_it_held() {
    let (f, storage) = fixture_cache();
    let (mut cache, report) = Cache::open(storage, config()).unwrap();
    assert_eq!(report.reset, None);
    assert!(!report.rebuilt);
    assert_eq!(report.orphans_removed + report.chunks_dropped, 0);
    let (convs, pages) = shown(&mut cache);
    assert_shows(&f["conversations"], &convs, "conversations");
    assert_shows(&f["messages"], &pages, "messages");
    let stats = serde_json::to_value(cache.stats()).unwrap();
    for k in ["messages", "conversations", "pendingRetractions", "dropped"] {
        assert_eq!(stats[k], f["stats"][k], "stats.{k}");
    }
}

#[test]
fn a_0_1_0_cache_keeps_working_and_survives_a_reopen() {
    let (f, storage) = fixture_cache();
    let mut cache = open(storage, config());
    // The remembered retraction still applies when its message arrives.
    let late = group(77_000_000_001, 1_717_500_900_000, 22334455, "carol", "撤回了");
    let rep = cache.cache_messages(&batch(vec![late, single(88_000_000_001, 1_717_600_000_000, "bob_01", "new")]), Mode::Realtime).unwrap();
    assert_eq!(rep.added, 2);
    let storage = cache.into_storage();
    check(&storage, &config());
    let mut cache = open(storage, config());
    let (convs, pages) = shown(&mut cache);
    let g = pages["group:22334455"].as_array().unwrap();
    assert_eq!(g.last().unwrap()["retracted"], json!(true));
    assert_eq!(convs.as_array().unwrap().len(), f["conversations"].as_array().unwrap().len());
    // Every message 0.1.0 showed is still there, unchanged.
    for (id, old) in f["messages"].as_object().unwrap() {
        let new = pages[id].as_array().unwrap();
        for m in old.as_array().unwrap() {
            let n = new.iter().find(|n| n["id"] == m["id"]).unwrap_or_else(|| panic!("{id}: {} lost", m["id"]));
            assert_shows(m, n, id);
        }
    }
}

#[test]
fn a_0_1_0_cache_gains_names_and_receipts_from_the_next_roaming_sync() {
    let (_, storage) = fixture_cache();
    let mut cache = open(storage, config());
    let bob = ConvId::single(APPKEY, "bob_01");
    let roaming = fixture("sync_roaming_with_self_sent_and_receipts");
    let rep = cache.cache_messages(&roaming, Mode::History).unwrap();
    assert_eq!((rep.added, rep.receipts), (0, 1), "{rep:?}");
    let convs = serde_json::to_value(cache.conversations()).unwrap();
    let row = convs.as_array().unwrap().iter().find(|c| c["id"] == bob.as_str()).unwrap().clone();
    assert_eq!((row["name"].clone(), row["unread"].clone()), (json!("Bob"), json!(1)));
    // Once gained, the same sync writes nothing.
    let before = cache.storage().mutations();
    cache.cache_messages(&roaming, Mode::History).unwrap();
    assert_eq!(cache.storage().mutations(), before);
    let storage = cache.into_storage();
    let index: Value = serde_json::from_str(storage.raw_get("jimc:a1b2c3d4e5f60718293a4b5c:wx_alice:i").unwrap()).unwrap();
    assert_eq!(index["v"], 3, "the commit wrote the new layout");
}
