//! What the chat UI shows besides messages: unread counts as the SDK counts
//! them, read receipts of your own messages, names and avatars.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::memory::Op;
use jim_cache::{Cache, ConvId, MemoryStorage, Mode, Record};
use serde_json::{json, Value};

const T0: u64 = 1_717_400_000_000;

fn bob() -> ConvId {
    ConvId::single(APPKEY, "bob_01")
}

fn row(cache: &Cache<MemoryStorage>, id: &ConvId) -> Value {
    let list = serde_json::to_value(cache.conversations()).unwrap();
    list.as_array().unwrap().iter().find(|c| c["id"] == id.as_str()).cloned().unwrap_or(Value::Null)
}

fn record(cache: &mut Cache<MemoryStorage>, conv: &ConvId, id: u64) -> Record {
    let (page, _) = cache.messages(conv, 1000, None).unwrap();
    page.into_iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{id} not in {conv}"))
}

fn reopen(cache: Cache<MemoryStorage>) -> Cache<MemoryStorage> {
    let storage = cache.into_storage();
    check(&storage, &config());
    open(storage, config())
}

/// A sync entry of bob's conversation.
fn bob_entry(msgs: Vec<Value>, unread: Value) -> Value {
    json!([{"msg_type": 3, "from_username": "bob_01", "from_appkey": APPKEY, "key": 1, "unread_msg_count": unread, "msgs": msgs}])
}

fn named(mut m: Value, field: &str, name: &str) -> Value {
    m["content"][field] = json!(name);
    m
}

fn writes(cache: &Cache<MemoryStorage>, since: usize) -> Vec<Op> {
    cache.storage().log[since..].to_vec()
}

#[test]
fn a_roaming_sync_shows_the_sdks_unread_count_and_its_receipts() {
    let mut cache = open(MemoryStorage::new(), config());
    let rep = cache.cache_messages(&fixture("sync_roaming_with_self_sent_and_receipts"), Mode::History).unwrap();
    assert_eq!((rep.added, rep.receipts), (3, 1), "{rep:?}");
    assert_eq!(row(&cache, &bob())["unread"], 1, "the SDK says 1; the cache alone would count 2");
    assert_eq!(record(&mut cache, &bob(), 50281990002).receipt, Some(0));
    let mine = serde_json::to_value(record(&mut cache, &bob(), 50281990002).view()).unwrap();
    assert_eq!(mine["unreadCount"], 0);
    let theirs = serde_json::to_value(record(&mut cache, &bob(), 50282500050).view()).unwrap();
    assert!(theirs.get("unreadCount").is_none(), "{theirs}");
    // The same sync again changes nothing and writes nothing.
    let before = cache.storage().mutations();
    let rep = cache.cache_messages(&fixture("sync_roaming_with_self_sent_and_receipts"), Mode::History).unwrap();
    assert_eq!((rep.added, rep.receipts, rep.updated), (0, 0, 0), "{rep:?}");
    assert_eq!(cache.storage().mutations(), before);
    let mut cache = reopen(cache);
    assert_eq!(row(&cache, &bob())["unread"], 1);
    assert_eq!(record(&mut cache, &bob(), 50281990002).receipt, Some(0));
}

#[test]
fn a_100_message_roaming_sync_with_unread_1_shows_1() {
    let mut cache = open(MemoryStorage::new(), config());
    let msgs: Vec<Value> = (0..100u64)
        .map(|i| if i % 4 == 3 { mine(1 + i, T0 + i * 1000, "bob_01", "我") } else { single(1 + i, T0 + i * 1000, "bob_01", "旧消息") })
        .collect();
    cache.cache_messages(&bob_entry(msgs, json!(1)), Mode::History).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 1);
    // Realtime messages from others add one each; your own never count.
    cache.cache_messages(&batch(vec![single(500, T0 + 200_000, "bob_01", "新"), mine(501, T0 + 200_001, "bob_01", "回")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 2);
    // Retracting an unread message takes it off; an old, read one does not.
    cache.apply_events(&retract_event("bob_01", &[1])).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 2);
    cache.apply_events(&retract_event("bob_01", &[500])).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 1);
    assert!(cache.mark_read(&bob()).unwrap());
    assert_eq!(row(&cache, &bob())["unread"], 0);
}

#[test]
fn without_unread_msg_count_the_cache_counts_as_before() {
    let mut cache = open(MemoryStorage::new(), config());
    let msgs = vec![single(1, T0, "bob_01", "a"), single(2, T0 + 1, "bob_01", "b")];
    cache.cache_messages(&bob_entry(msgs.clone(), Value::Null), Mode::History).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 2);
    // A count that is not a number is not the SDK's.
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&bob_entry(msgs, json!("0")), Mode::History).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 2);
}

#[test]
fn apply_unread_sets_the_count_of_a_held_conversation_only() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch((1..=5).map(|i| single(i, T0 + i, "bob_01", "x")).collect()), Mode::Realtime).unwrap();
    cache.cache_messages(&batch(vec![group(9, T0, 22334455, "carol", "g")]), Mode::Realtime).unwrap();
    let rep = cache.apply_unread(&fixture("muti_unread_msg_update")).unwrap();
    assert_eq!((rep.updated, rep.conversations.clone()), (1, vec![bob().to_string()]), "{rep:?}");
    assert_eq!(row(&cache, &bob())["unread"], 0);
    let rep = cache.apply_unread(&json!({"type": 4, "gid": 22334455, "unreadCount": 0})).unwrap();
    assert_eq!(rep.updated, 1);
    assert_eq!(row(&cache, &ConvId::group(22334455))["unread"], 0);
    // Two of bob's unread again: the newest two count, a retraction of one uncounts it.
    cache.apply_unread(&json!({"type": 3, "username": "bob_01", "appkey": APPKEY, "unreadCount": 2})).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 2);
    cache.apply_events(&retract_event("bob_01", &[3])).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 2, "3 is older than the two unread");
    cache.apply_events(&retract_event("bob_01", &[5])).unwrap();
    assert_eq!(row(&cache, &bob())["unread"], 1);
    // Unknown conversations get no row; an unchanged count writes nothing.
    let before = cache.storage().mutations();
    let rep = cache.apply_unread(&json!({"type": 3, "username": "nobody", "unreadCount": 3})).unwrap();
    assert_eq!((rep.ignored, rep.updated), (1, 0));
    let rep = cache.apply_unread(&json!({"type": 4, "gid": 22334455, "unreadCount": 0})).unwrap();
    assert_eq!(rep.updated, 0);
    assert_eq!(cache.storage().mutations(), before);
    assert_eq!(cache.conversations().len(), 2);
    let cache = reopen(cache);
    assert_eq!(row(&cache, &bob())["unread"], 1);
    // Malformed updates are rejected with a reason.
    let mut cache = cache;
    let rep = cache.apply_unread(&json!([{"type": 3, "username": "bob_01"}, {"type": 9, "unreadCount": 1}])).unwrap();
    assert_eq!(rep.rejected, 2, "{rep:?}");
    assert!(cache.apply_unread(&json!(3)).is_err());
}

#[test]
fn receipts_lower_counts_of_your_own_messages_and_wait_for_messages_not_seen_yet() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![mine(50281990002, T0, "bob_01", "见"), single(7, T0 + 1, "bob_01", "好")]), Mode::Realtime).unwrap();
    let rep = cache.apply_receipts(&json!({"type": 3, "appkey": APPKEY, "username": "bob_01",
        "receipt_msgs": [{"msg_id": 50281990002u64, "unread_count": 1}, {"msg_id": 7, "unread_count": 0}]})).unwrap();
    assert_eq!(rep.receipts, 1, "only your own messages have receipts: {rep:?}");
    assert_eq!(record(&mut cache, &bob(), 50281990002).receipt, Some(1));
    assert_eq!(record(&mut cache, &bob(), 7).receipt, None);
    // The smaller count wins; a larger one never raises it.
    let rep = cache.apply_receipts(&json!({"type": 3, "appkey": APPKEY, "username": "bob_01", "receipt_msgs": [{"msg_id": 50281990002u64, "unread_count": 3}]})).unwrap();
    assert_eq!(rep.receipts, 0);
    let rep = cache.apply_receipts(&fixture("receipt_change_realtime")).unwrap();
    assert_eq!(rep.receipts, 1);
    assert_eq!(record(&mut cache, &bob(), 50281990002).receipt, Some(0));
    // onSyncMsgReceipt: an array; the group message is not stored yet.
    let rep = cache.apply_receipts(&fixture("receipt_change_sync")).unwrap();
    assert_eq!((rep.receipts, rep.pending), (0, 1), "{rep:?}");
    let mut cache = reopen(cache);
    let g = ConvId::group(22334455);
    let mut sent = group(50283508999, T0 + 9, 22334455, ME, "集合");
    sent["content"]["from_appkey"] = json!(APPKEY);
    cache.cache_messages(&batch(vec![sent]), Mode::Realtime).unwrap();
    assert_eq!(record(&mut cache, &g, 50283508999).receipt, Some(3), "remembered across the reopen");
    // The conversation row shows its last message's receipt too.
    assert_eq!(row(&cache, &g)["last"]["unreadCount"], 3);
}

#[test]
fn pending_receipts_are_bounded() {
    let mut cache = open(MemoryStorage::new(), config());
    let list: Vec<Value> = (1..=400u64).map(|i| json!({"msg_id": i, "unread_count": 0})).collect();
    cache.apply_receipts(&json!({"type": 4, "gid": 5, "receipt_msgs": list})).unwrap();
    let cache = reopen(cache);
    let index = cache.storage().raw_get(&cache.namespace().index_key()).unwrap().to_string();
    let v: Value = serde_json::from_str(&index).unwrap();
    assert_eq!(v["q"].as_array().unwrap().len(), jim_cache::cache::MAX_PENDING_RECEIPTS);
    assert_eq!(v["q"][0][0], 400 - jim_cache::cache::MAX_PENDING_RECEIPTS as u64 + 1, "oldest dropped first");
}

#[test]
fn a_receipt_of_an_old_message_rewrites_only_its_chunk() {
    let mut cache = open(MemoryStorage::new(), config());
    let msgs: Vec<Value> = (0..600u64).map(|i| mine(1 + i, T0 + i, "bob_01", "很长的一条消息 a long message to fill chunks")).collect();
    cache.cache_messages(&batch(msgs), Mode::Realtime).unwrap();
    let chunks = cache.storage().entries().filter(|(k, _)| k.contains(":c")).count();
    assert!(chunks >= 3, "{chunks} chunks");
    let since = cache.storage().log.len();
    let rep = cache.apply_receipts(&json!({"type": 3, "username": "bob_01", "receipt_msgs": [{"msg_id": 3, "unread_count": 0}]})).unwrap();
    assert_eq!(rep.receipts, 1);
    let ops = writes(&cache, since);
    let sets: Vec<&Op> = ops.iter().filter(|o| matches!(o, Op::Set { .. })).collect();
    // The chunk, the directory (an older chunk changed) and the index.
    assert_eq!(sets.len(), 3, "{ops:?}");
    let chunk_bytes = sets.iter().find_map(|o| match o {
        Op::Set { key, bytes } if key.contains(":c") => Some(*bytes),
        _ => None,
    });
    assert!(chunk_bytes.unwrap() <= cache.config().chunk_bytes as u64 + 64);
    check(cache.storage(), cache.config());
}

#[test]
fn records_keep_the_senders_nickname() {
    let mut cache = open(MemoryStorage::new(), config());
    let m = named(single(1, T0, "bob_01", "hi"), "from_name", "Bob 🐱");
    let plain = named(single(2, T0 + 1, "bob_01", "hi"), "from_name", "");
    cache.cache_messages(&batch(vec![m, plain]), Mode::Realtime).unwrap();
    let v = serde_json::to_value(record(&mut cache, &bob(), 1).view()).unwrap();
    assert_eq!(v["fromName"], "Bob 🐱");
    let v = serde_json::to_value(record(&mut cache, &bob(), 2).view()).unwrap();
    assert!(v.get("fromName").is_none());
    let long = named(single(3, T0 + 2, "bob_01", "hi"), "from_name", &"长".repeat(500));
    cache.cache_messages(&batch(vec![long]), Mode::Realtime).unwrap();
    assert_eq!(record(&mut cache, &bob(), 3).from_name.unwrap().chars().count(), jim_cache::record::MAX_NAME_CHARS);
    let mut cache = reopen(cache);
    assert_eq!(record(&mut cache, &bob(), 1).from_name.as_deref(), Some("Bob 🐱"));
}

#[test]
fn conversations_are_named_by_their_newest_messages() {
    let mut cache = open(MemoryStorage::new(), config());
    let g = ConvId::group(22334455);
    // A group by its messages' target_name.
    cache.cache_messages(&batch(vec![named(group(1, T0, 22334455, "carol", "x"), "target_name", "旧群名")]), Mode::Realtime).unwrap();
    cache.cache_messages(&batch(vec![named(group(3, T0 + 3, 22334455, "carol", "x"), "target_name", "周末徒步群")]), Mode::Realtime).unwrap();
    // An older message arriving late does not rename it.
    cache.cache_messages(&batch(vec![named(group(2, T0 + 2, 22334455, "carol", "x"), "target_name", "更旧")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &g)["name"], "周末徒步群");
    // A single chat: the peer's from_name, or the target_name of your own message.
    cache.cache_messages(&batch(vec![named(named(single(10, T0 + 10, "bob_01", "x"), "from_name", "Bobby"), "target_name", "Alice")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &bob())["name"], "Bobby", "an incoming target_name names you, not the peer");
    cache.cache_messages(&batch(vec![named(mine(11, T0 + 11, "bob_01", "x"), "target_name", "Bob")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &bob())["name"], "Bob");
    // Unnamed conversations have null, not "".
    cache.cache_messages(&batch(vec![single(20, T0 + 20, "erin", "x")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &ConvId::single(APPKEY, "erin"))["name"], Value::Null);
    assert_eq!(row(&cache, &ConvId::single(APPKEY, "erin"))["avatar"], Value::Null);
    let cache = reopen(cache);
    assert_eq!(row(&cache, &g)["name"], "周末徒步群");
    assert_eq!(row(&cache, &bob())["name"], "Bob");
}

#[test]
fn get_conversation_names_avatars_and_counts_win_and_wait_for_their_conversation() {
    let mut cache = open(MemoryStorage::new(), config());
    let g = ConvId::group(22334455);
    cache.cache_messages(&batch(vec![named(mine(1, T0, "bob_01", "x"), "target_name", "bob")]), Mode::Realtime).unwrap();
    cache.cache_messages(&batch((2..=8).map(|i| single(i, T0 + i, "bob_01", "x")).collect()), Mode::Realtime).unwrap();
    let rep = cache.apply_conversations(&fixture("get_conversation_result")).unwrap();
    assert_eq!((rep.updated, rep.pending), (1, 1), "bob is held, the group is remembered: {rep:?}");
    let r = row(&cache, &bob());
    assert_eq!((r["name"].clone(), r["avatar"].clone(), r["unread"].clone()), (json!("Bob"), json!("qiniu/image/j/AB12CD34"), json!(2)));
    assert!(row(&cache, &g).is_null(), "applyConversations never creates a row");
    // The SDK's name wins over names from messages from then on.
    cache.cache_messages(&batch(vec![named(mine(20, T0 + 20, "bob_01", "x"), "target_name", "bob_01")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &bob())["name"], "Bob");
    // An empty avatar clears it; a missing one leaves it.
    cache.apply_conversations(&json!({"code": 0, "conversations": [{"type": 3, "username": "bob_01", "appkey": APPKEY}]})).unwrap();
    assert_eq!(row(&cache, &bob())["avatar"], "qiniu/image/j/AB12CD34");
    cache.apply_conversations(&json!({"code": 0, "conversations": [{"type": 3, "username": "bob_01", "appkey": APPKEY, "avatar": ""}]})).unwrap();
    assert_eq!(row(&cache, &bob())["avatar"], Value::Null);
    // The group's first message brings the remembered profile (its name; the
    // count came before the message and is not applied).
    let mut cache = reopen(cache);
    cache.cache_messages(&batch(vec![named(group(30, T0 + 30, 22334455, "carol", "x"), "target_name", "别的名字")]), Mode::Realtime).unwrap();
    let r = row(&cache, &g);
    assert_eq!((r["name"].clone(), r["unread"].clone()), (json!("周末徒步群"), json!(1)));
    // Nothing changes: nothing written.
    let before = cache.storage().mutations();
    cache.apply_conversations(&fixture("get_conversation_result")).unwrap();
    let rep = cache.apply_conversations(&fixture("get_conversation_result")).unwrap();
    assert_eq!(rep.updated, 0, "{rep:?}");
    let after_first = cache.storage().mutations();
    assert!(after_first - before <= 2, "one commit at most for the first call");
    cache.apply_conversations(&fixture("get_conversation_result")).unwrap();
    assert_eq!(cache.storage().mutations(), after_first);
    // Malformed entries are rejected with reasons; the rest is applied.
    let rep = cache.apply_conversations(&json!({"code": 0, "conversations": [{"type": 3}, 5, {"type": 4, "gid": 22334455, "avatar": "a2"}]})).unwrap();
    assert_eq!((rep.rejected, rep.updated), (2, 1), "{rep:?}");
    assert!(cache.apply_conversations(&json!({"code": 880001, "message": "not logged in"})).is_err());
}

#[test]
fn pending_profiles_are_bounded() {
    let mut cache = open(MemoryStorage::new(), config());
    let list: Vec<Value> = (1..=300u64).map(|i| json!({"type": 4, "gid": i, "name": format!("群{i}")})).collect();
    cache.apply_conversations(&json!({"code": 0, "conversations": list})).unwrap();
    let mut cache = reopen(cache);
    cache.cache_messages(&batch(vec![group(1, T0, 300, "carol", "x"), group(2, T0, 1, "carol", "x")]), Mode::Realtime).unwrap();
    assert_eq!(row(&cache, &ConvId::group(300))["name"], "群300");
    assert_eq!(row(&cache, &ConvId::group(1))["name"], Value::Null, "the oldest were dropped");
}
