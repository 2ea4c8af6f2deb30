//! The compact batch the JS glue reads from a payload (src/compact.rs) gives
//! the core exactly the batch the whole payload gives: every fixture, every
//! hostile shape of the reliability list, and each fixture's messages with
//! fields broken one at a time. (The payload fuzzer checks the same on
//! arbitrary JSON: `jim_cache::testing::payload`.)
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::payload::Account;
use jim_cache::testing::{assert_same_batch, compact_of};
use serde_json::{json, Value};

const ACCT: Account = Account { appkey: APPKEY, username: ME };

#[test]
fn every_fixture_reads_the_same_both_ways() {
    let mut compared = 0;
    for (name, (data, _)) in fixtures() {
        if compact_of(&data).is_some() {
            compared += 1;
        }
        assert_same_batch(&data, ACCT);
        // The realtime shape of the same messages, and each as one batch.
        if let Some(entries) = data.as_array() {
            for e in entries {
                if let Some(msgs) = e.get("msgs") {
                    assert_same_batch(&json!({ "messages": msgs }), ACCT);
                }
            }
        }
        let _ = name;
    }
    assert!(compared >= 10, "most fixtures take the compact route ({compared})");
}

fn text(id: Value) -> Value {
    json!({"msg_id": id, "ctime_ms": 1717401200123u64, "msg_type": 3, "from_username": "bob_01", "from_appkey": APPKEY,
        "content": {"target_type": "single", "target_id": ME, "from_id": "bob_01", "create_time": 1717401200000u64,
                    "msg_type": "text", "msg_body": {"text": "hi"}}})
}

#[test]
fn hostile_items_read_the_same_both_ways() {
    let items = vec![
        Value::Null,
        json!(42),
        json!("str"),
        json!([1, 2]),
        json!({}),
        json!({"msg_id": "x"}),
        json!({"msg_id": -1, "content": {}}),
        json!({"msg_id": 1, "content": []}),
        json!({"msg_id": 1, "content": "text"}),
        json!({"msgs": "not an array", "msg_type": 3}),
        json!({"msgs": null, "content": {"msg_type": "text"}}),
        json!({"messages": [], "content": {"msg_type": "text"}, "msg_id": 5}),
        json!({"msgs": [null, 1, {"content": {}}], "msg_type": 4, "from_gid": 7}),
        text(json!(1.5)),
        text(json!(-3)),
        text(json!(9007199254740993u64)),
        text(json!("123")),
        text(json!("12a")),
        text(json!(null)),
    ];
    for it in &items {
        assert_same_batch(&json!({ "messages": [it] }), ACCT);
        assert_same_batch(&json!([it]), ACCT);
        assert_same_batch(&json!([{"msg_type": 3, "from_username": "bob_01", "msgs": [it]}]), ACCT);
    }
    assert_same_batch(&json!({ "messages": items }), ACCT);
}

#[test]
fn each_field_broken_in_turn_reads_the_same_both_ways() {
    let fields = ["msg_id", "ctime_ms", "msg_type", "from_gid", "key", "from_username", "from_appkey"];
    let content = ["target_type", "target_id", "target_appkey", "from_id", "from_appkey", "create_time", "msg_type", "msg_body", "at_list"];
    let odd = [Value::Null, json!(""), json!(0), json!(-1), json!(true), json!("x"), json!([1]), json!({"a": 1}), json!(1e300)];
    for (_, (data, _)) in fixtures() {
        let Some(entries) = data.as_array() else { continue };
        for e in entries {
            let Some(m) = e.get("msgs").and_then(|m| m.get(0)).or_else(|| e.get("content").map(|_| e)) else { continue };
            for v in &odd {
                for f in fields {
                    let mut b = m.clone();
                    b[f] = v.clone();
                    assert_same_batch(&json!([{"msg_type": e["msg_type"], "from_gid": e["from_gid"], "msgs": [b.clone()]}]), ACCT);
                    assert_same_batch(&json!({ "messages": [b] }), ACCT);
                }
                for f in content {
                    let mut b = m.clone();
                    b["content"][f] = v.clone();
                    assert_same_batch(&json!({ "messages": [b] }), ACCT);
                }
            }
        }
    }
}

/// The cache through the compact route, counting the bodies it asks for.
fn cache_compact(cache: &mut jim_cache::Cache<jim_cache::MemoryStorage>, data: &Value, asked: &mut usize) -> Option<jim_cache::Report> {
    let batch = compact_of(data)?;
    let mut bodies = |wanted: &[u32]| {
        *asked += wanted.len();
        Ok(batch.bodies_for(wanted))
    };
    Some(cache.cache_compact(&batch.slots, &batch.table, &mut bodies).expect("compact route"))
}

fn stored(cache: &jim_cache::Cache<jim_cache::MemoryStorage>) -> Vec<(String, String)> {
    cache.storage().entries().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn both_routes_store_the_same_and_duplicates_bodies_never_cross() {
    for (name, (data, _)) in fixtures() {
        let (mut whole, mut compact) = (open(jim_cache::MemoryStorage::new(), config()), open(jim_cache::MemoryStorage::new(), config()));
        let mut asked = 0;
        let Some(r) = cache_compact(&mut compact, &data, &mut asked) else { continue };
        let w = whole.cache_messages(&data, jim_cache::Mode::History).unwrap();
        assert_eq!(format!("{r:?}"), format!("{w:?}"), "{name}: reports");
        assert_eq!(stored(&compact), stored(&whole), "{name}: storage");
        assert!(asked >= r.added as usize, "{name}: every stored message's body was read");
        // Again: all duplicates, and not one body crosses.
        let mut again = 0;
        let r = cache_compact(&mut compact, &data, &mut again).unwrap();
        let w = whole.cache_messages(&data, jim_cache::Mode::History).unwrap();
        assert_eq!(format!("{r:?}"), format!("{w:?}"), "{name}: repeat reports");
        assert_eq!(r.added, 0, "{name}");
        assert_eq!(again, 0, "{name}: a re-sync reads no body");
    }
}

#[test]
fn a_body_is_judged_only_for_a_message_the_store_keeps() {
    let good = single(11, 1717401200123, "bob_01", "hi");
    let mut broken = good.clone();
    broken["content"]["msg_body"] = json!({"text": 5}); // a text message without a string text
    let mut fresh = broken.clone();
    fresh["msg_id"] = json!(12);
    fresh["ctime_ms"] = json!(1717401200124u64);
    for route in ["whole", "compact"] {
        let mut cache = open(jim_cache::MemoryStorage::new(), config());
        let mut asked = 0;
        let mut apply = |cache: &mut jim_cache::Cache<jim_cache::MemoryStorage>, v: Value| match route {
            "whole" => cache.cache_messages(&v, jim_cache::Mode::Realtime).unwrap(),
            _ => cache_compact(cache, &v, &mut asked).unwrap(),
        };
        assert_eq!(apply(&mut cache, batch(vec![good.clone()])).added, 1);
        // The same message again with a broken body: still a duplicate.
        let r = apply(&mut cache, batch(vec![broken.clone()]));
        assert_eq!((r.duplicates, r.rejected), (1, 0), "{route}");
        // A new message with that body: rejected, with the reason.
        let r = apply(&mut cache, batch(vec![fresh.clone()]));
        assert_eq!((r.added, r.rejected), (0, 1), "{route}");
        assert!(format!("{r:?}").contains("msg_body.text"), "{route}: {r:?}");
        assert_eq!(cache.messages(&jim_cache::ConvId::single(APPKEY, "bob_01"), 10, None).unwrap().0.len(), 1);
    }
}

/// What the glue's known copies (js/known.js) rest on: after a compact call
/// the cache names the items it holds (stored now or found stored, not the
/// rejected, ignored or evicted ones), and its epoch stays put while nothing
/// could make it decide a held message differently.
#[test]
fn known_items_and_the_epoch_that_guards_them() {
    let mut cache = open(jim_cache::MemoryStorage::new(), config());
    let mut asked = 0;
    let bob = |id: u64| single(id, 1717401200000 + id, "bob_01", "hi");
    let mut chatroom = bob(9);
    chatroom["content"]["target_type"] = json!("chatroom");
    let mut broken = bob(8);
    broken["content"]["msg_body"] = json!({"text": 5});
    let first = batch(vec![bob(1), bob(2), chatroom, broken, bob(3)]);
    let e0 = cache.epoch();
    let r = cache_compact(&mut cache, &first, &mut asked).unwrap();
    assert_eq!((r.added, r.ignored, r.rejected), (3, 1, 1));
    assert_eq!(cache.known_items(), [0, 1, 4], "the stored ones, by body number");
    assert_eq!(cache.epoch(), e0, "storing changes nothing held");
    let r = cache_compact(&mut cache, &batch(vec![bob(4), bob(2)]), &mut asked).unwrap();
    assert_eq!((r.added, r.duplicates), (1, 1));
    assert_eq!(cache.known_items(), [0, 1], "stored now and found stored");
    assert_eq!(cache.epoch(), e0);
    // Reads and unrelated state leave it.
    let conv = jim_cache::ConvId::single(APPKEY, "bob_01");
    cache.messages(&conv, 10, None).unwrap();
    cache.mark_read(&conv).unwrap();
    assert_eq!(cache.epoch(), e0);
    // Whatever could change a held message's fate moves it.
    let bumps = |cache: &mut jim_cache::Cache<jim_cache::MemoryStorage>, what: &str, f: &dyn Fn(&mut jim_cache::Cache<jim_cache::MemoryStorage>)| {
        let before = cache.epoch();
        f(cache);
        assert_ne!(cache.epoch(), before, "{what} moves the epoch");
    };
    bumps(&mut cache, "a retraction left pending", &|c| {
        c.apply_events(&json!({"event_type": 55, "from_username": "bob_01", "from_appkey": APPKEY, "msg_ids": [77], "from_gid": 0, "type": 0})).unwrap();
    });
    bumps(&mut cache, "a receipt left pending", &|c| {
        c.apply_receipts(&json!({"type": 3, "appkey": APPKEY, "username": "bob_01", "receipt_msgs": [{"msg_id": 78, "unread_count": 0}]})).unwrap();
    });
    bumps(&mut cache, "a refresh", &|c| c.refresh().unwrap());
    bumps(&mut cache, "remove", &|c| {
        c.remove(&jim_cache::ConvId::single(APPKEY, "bob_01")).unwrap();
    });
    bumps(&mut cache, "clear", &|c| c.clear().unwrap());
    let mut capped = config();
    capped.max_messages_per_conversation = 2;
    let mut small = open(jim_cache::MemoryStorage::new(), capped);
    cache_compact(&mut small, &batch(vec![bob(1), bob(2)]), &mut asked).unwrap();
    bumps(&mut small, "an eviction by the cap", &|c| {
        let mut n = 0;
        cache_compact(c, &batch(vec![bob(3)]), &mut n).unwrap();
    });
}
