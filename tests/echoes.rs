//! Local echoes (messages being sent) and the search plan.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::echo::{Status, MAX_ECHOES, STOPPED};
use jim_cache::{Cache, ConvId, MemoryStorage, Mode, Pos};
use serde_json::{json, Value};

const T0: u64 = 1_717_400_000_000;

fn bob() -> ConvId {
    ConvId::single(APPKEY, "bob_01")
}

fn page(cache: &mut Cache<MemoryStorage>, conv: &ConvId) -> Value {
    let (records, next) = cache.messages(conv, 20, None).unwrap();
    serde_json::to_value(cache.page_view_with_echoes(conv, &records, None, next)).unwrap()
}

fn rows(cache: &Cache<MemoryStorage>) -> Value {
    serde_json::to_value(cache.conversations()).unwrap()
}

/// The send's onSuccess arguments for message `id` to bob.
fn sent(id: u64, time: u64, text: &str) -> (Value, Value) {
    (
        json!({"code": 0, "message": "success", "msg_id": id, "ctime_ms": time, "appkey": APPKEY, "target_username": "bob_01"}),
        json!({"content": {"version": 1, "target_type": "single", "target_id": "bob_01", "from_id": ME, "from_appkey": APPKEY,
                           "create_time": time, "msg_type": "text", "msg_body": {"text": text}}, "target_id": "bob_01", "msg_id": id}),
    )
}

fn reopen(cache: Cache<MemoryStorage>, session: &str) -> Cache<MemoryStorage> {
    let storage = cache.into_storage();
    check(&storage, &config());
    let mut cfg = config();
    cfg.session = session.into();
    open(storage, cfg)
}

fn opened(session: &str) -> Cache<MemoryStorage> {
    let mut cfg = config();
    cfg.session = session.into();
    open(MemoryStorage::new(), cfg)
}

#[test]
fn an_echo_shows_at_once_and_its_stored_message_replaces_it() {
    let mut cache = opened("s1");
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "在吗")]), Mode::Realtime).unwrap();
    let e = cache.add_pending(&bob(), "text", r#"{"text":"在的"}"#, None, T0 + 5).unwrap();
    assert!(e.local_id.starts_with("local-"));
    let p = page(&mut cache, &bob());
    let last = &p["messages"][1];
    assert_eq!(last["localId"], json!(e.local_id));
    assert_eq!((last["id"].clone(), last["status"].clone(), last["out"].clone(), last["from"].clone()), (Value::Null, json!("sending"), json!(true), json!(ME)));
    let r = rows(&cache);
    assert_eq!(r[0]["last"]["localId"], json!(e.local_id), "the list shows the echo as last");
    assert_eq!(r[0]["count"], 1, "echoes are not counted");
    // onSuccess: one record, no echo.
    let (data, msg) = sent(900, T0 + 6, "在的");
    let rep = cache.cache_sent_echo(&data, &msg, Some(&e.local_id)).unwrap();
    assert_eq!(rep.added, 1);
    assert!(cache.pending(None).is_empty());
    let p = page(&mut cache, &bob());
    assert_eq!(p["messages"].as_array().unwrap().len(), 2);
    assert_eq!(p["messages"][1]["id"], 900);
    // The same msg_id coming back by roaming or another device: still one.
    let mut copy = mine(900, T0 + 6, "bob_01", "在的");
    copy["content"]["target_name"] = json!("Bob");
    let rep = cache.cache_messages(&batch(vec![copy]), Mode::Realtime).unwrap();
    assert_eq!((rep.added, rep.duplicates), (0, 1));
    let mut cache = reopen(cache, "s2");
    assert_eq!(page(&mut cache, &bob())["messages"].as_array().unwrap().len(), 2);
}

#[test]
fn a_failed_echo_is_kept_retried_listed_and_discarded() {
    let mut cache = opened("s1");
    let e = cache.add_pending(&bob(), "text", r#"{"text":"第一条"}"#, Some("mine-1"), T0).unwrap();
    assert_eq!(e.local_id, "mine-1");
    // The first message to someone: the conversation shows with the echo.
    let r = rows(&cache);
    assert_eq!((r[0]["id"].clone(), r[0]["last"]["status"].clone()), (json!(bob().as_str()), json!("sending")));
    assert!(cache.send_failed("mine-1", Some("network")).unwrap());
    assert!(!cache.send_failed("nope", None).unwrap());
    let v = serde_json::to_value(cache.pending(Some(&bob()))).unwrap();
    assert_eq!((v[0]["status"].clone(), v[0]["reason"].clone()), (json!("failed"), json!("network")));
    // A retry: sending again, same localId, newest.
    cache.add_pending(&ConvId::group(7), "text", r#"{"text":"群里"}"#, Some("g-1"), T0 + 1).unwrap();
    let again = cache.add_pending(&bob(), "text", r#"{"text":"第一条"}"#, Some("mine-1"), T0 + 10).unwrap();
    assert_eq!((again.status, again.time), (Status::Sending, T0 + 10));
    let ids: Vec<String> = cache.pending(None).iter().map(|e| e.local_id.to_string()).collect();
    assert_eq!(ids, vec!["g-1", "mine-1"], "oldest first");
    // Adding a sending echo again changes nothing; another conversation's id is refused.
    let before = cache.storage().mutations();
    cache.add_pending(&bob(), "text", r#"{"text":"第一条"}"#, Some("mine-1"), T0 + 20).unwrap();
    assert_eq!(cache.storage().mutations(), before);
    assert!(cache.add_pending(&ConvId::group(7), "text", r#"{"text":"x"}"#, Some("mine-1"), T0).is_err());
    // A failed send's data marks the echo failed with the reason.
    let (mut data, msg) = sent(901, T0 + 30, "第一条");
    data["code"] = json!(880003);
    let rep = cache.cache_sent_echo(&data, &msg, Some("mine-1")).unwrap();
    assert_eq!(rep.rejected, 1);
    let v = serde_json::to_value(cache.pending(Some(&bob()))).unwrap();
    assert_eq!(v[0]["status"], "failed");
    assert!(v[0]["reason"].as_str().unwrap().contains("880003"));
    assert!(cache.discard_pending("mine-1").unwrap());
    assert!(!cache.discard_pending("mine-1").unwrap());
    assert!(rows(&cache).as_array().unwrap().iter().all(|r| r["id"] != bob().as_str()), "no row without echo or message");
}

#[test]
fn echoes_of_a_process_that_died_are_failed_and_survive_restarts() {
    let mut cache = opened("first");
    cache.add_pending(&bob(), "text", r#"{"text":"发送中"}"#, Some("a"), T0).unwrap();
    // Another handle of the same process sees it sending.
    let storage = cache.into_storage();
    let mut cfg = config();
    cfg.session = "first".into();
    let cache = open(storage, cfg);
    assert_eq!(cache.pending(None)[0].status, "sending");
    // After a restart (a new session): failed, with the reason.
    let mut cache = reopen(cache, "second");
    let v = serde_json::to_value(cache.pending(None)).unwrap();
    assert_eq!((v[0]["status"].clone(), v[0]["reason"].clone()), (json!("failed"), json!(STOPPED)));
    // Retry in the new process, then its message arrives.
    cache.add_pending(&bob(), "text", r#"{"text":"发送中"}"#, Some("a"), T0 + 5).unwrap();
    assert_eq!(cache.pending(None)[0].status, "sending");
    let (data, msg) = sent(950, T0 + 6, "发送中");
    cache.cache_sent_echo(&data, &msg, Some("a")).unwrap();
    let mut cache = reopen(cache, "third");
    assert!(cache.pending(None).is_empty());
    assert_eq!(page(&mut cache, &bob())["messages"][0]["id"], 950);
}

#[test]
fn echoes_are_bounded_checked_and_never_evicted() {
    let mut cfg = config();
    cfg.budget_bytes = 32 * 1024;
    cfg.chunk_bytes = 1024;
    let mut cache = open(MemoryStorage::new(), cfg.clone());
    for i in 0..MAX_ECHOES {
        cache.add_pending(&bob(), "text", r#"{"text":"待发送"}"#, None, T0 + i as u64).unwrap();
    }
    assert!(cache.add_pending(&bob(), "text", r#"{"text":"one too many"}"#, None, T0).is_err());
    for (kind, body) in [("text", "{}"), ("unknown", "{}"), ("image", "[]")] {
        assert!(cache.add_pending(&bob(), kind, body, None, T0).is_err(), "{kind} {body}");
    }
    // Fill the budget: messages are evicted, echoes stay.
    for i in 0..200u64 {
        cache.cache_messages(&batch(vec![single(10 + i, T0 + 1000 + i, "carol", &"长消息".repeat(30))]), Mode::Realtime).unwrap();
    }
    assert!(cache.stats().bytes <= cfg.budget_bytes);
    assert_eq!(cache.pending(None).len(), MAX_ECHOES);
    check(cache.storage(), &cfg);
}

#[test]
fn the_search_plan_lists_chunks_newest_first_and_honours_the_cursor() {
    let mut cfg = config();
    cfg.chunk_bytes = 1024;
    let mut cache = open(MemoryStorage::new(), cfg);
    let msgs: Vec<Value> = (0..120u64)
        .map(|i| if i % 2 == 0 { single(1 + i, T0 + i * 10, "bob_01", "消息 message") } else { group(1 + i, T0 + i * 10, 7, "carol", "群消息") })
        .collect();
    cache.cache_messages(&batch(msgs), Mode::Realtime).unwrap();
    let plan = cache.search_plan("消息", None, None).unwrap();
    assert!(plan.len() > 4, "{} chunks", plan.len());
    assert!(plan.windows(2).all(|w| w[0].last > w[1].last), "newest first");
    let only_bob = cache.search_plan("x", Some(&bob()), None).unwrap();
    assert!(only_bob.iter().all(|c| c.conv == bob()));
    let cut = Pos { time: T0 + 300, id: 31 };
    let older = cache.search_plan("x", None, Some(cut)).unwrap();
    assert!(older.len() < plan.len());
    for c in &older {
        let value = cache.storage().raw_get(&c.key).unwrap();
        assert!(value.contains(&format!("[{},", c.last.id)), "the key is the chunk's");
    }
    assert!(cache.search_plan("  ", None, None).is_err());
    assert!(cache.search_plan("", None, None).is_err());
}

#[test]
fn removing_a_conversation_removes_its_echoes() {
    let mut cache = opened("s");
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "x")]), Mode::Realtime).unwrap();
    cache.add_pending(&bob(), "text", r#"{"text":"a"}"#, None, T0 + 1).unwrap();
    cache.add_pending(&ConvId::single(APPKEY, "erin"), "text", r#"{"text":"first to erin"}"#, Some("e"), T0 + 2).unwrap();
    assert!(cache.remove(&bob()).unwrap());
    assert_eq!(cache.pending(None).len(), 1);
    // A conversation that is only an echo so far.
    assert!(cache.remove(&ConvId::single(APPKEY, "erin")).unwrap());
    assert!(cache.pending(None).is_empty());
    assert!(!cache.remove(&ConvId::single(APPKEY, "erin")).unwrap());
    assert!(cache.conversations().is_empty());
    let cache = reopen(cache, "t");
    assert!(cache.pending(None).is_empty());
}
