//! The cache over WeChat-like storage: dedup, order, retraction, unread,
//! paging, traffic, budget, failures, schema, isolation.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::memory::Op;
use jim_cache::{Cache, Config, ConvId, MemoryStorage, Mode, Pos, StorageErrorKind};
use serde_json::json;

const T0: u64 = 1_717_400_000_000;

fn ids(cache: &mut Cache<MemoryStorage>, conv: &ConvId) -> Vec<u64> {
    let (page, _) = cache.messages(conv, 1000, None).unwrap();
    page.iter().map(|r| r.id).collect()
}

fn bob() -> ConvId {
    ConvId::single(APPKEY, "bob_01")
}

#[test]
fn fixture_replay_builds_the_right_conversations() {
    let mut cache = open(MemoryStorage::new(), config());
    let all = fixtures();
    for name in ["sync_offline_single_text", "sync_offline_group_mixed_media", "sync_mixed_single_and_group"] {
        cache.cache_messages(&all[name].0, Mode::History).unwrap();
    }
    for name in [
        "realtime_single_text", "realtime_group_text_at_all", "realtime_single_image", "realtime_single_voice_android",
        "realtime_single_file_web", "realtime_group_location", "realtime_single_custom", "realtime_single_video_native",
        "realtime_single_video_as_file_miniprogram", "realtime_self_sent_other_device_single",
        "realtime_self_sent_other_device_group", "realtime_batch_two_conversations",
    ] {
        let rep = cache.cache_messages(&all[name].0, Mode::Realtime).unwrap();
        assert_eq!(rep.rejected, 0, "{name}: {rep:?}");
    }
    // Roaming repeats earlier messages: duplicates, not new records.
    let before = cache.stats().messages;
    let rep = cache.cache_messages(&all["sync_roaming_with_self_sent_and_receipts"].0, Mode::History).unwrap();
    assert!(rep.duplicates >= 1, "{rep:?}");
    assert_eq!(cache.stats().messages, before + rep.added as u64);
    let legacy = cache.cache_messages(&all["sync_legacy_wxapplet_1_0_shape"].0, Mode::History).unwrap();
    assert_eq!((legacy.added, legacy.duplicates), (0, 1));

    let rep = cache.apply_events(&all["event_retract_single_realtime"].0).unwrap();
    assert_eq!(rep.retracted, 1, "{rep:?}");
    let rep = cache.apply_events(&all["event_retract_by_self_other_device"].0).unwrap();
    assert_eq!(rep.retracted, 1, "{rep:?}");
    let (data, msg) = all["send_single_text_onSuccess"].clone();
    cache.cache_sent(&data, &msg.unwrap()).unwrap();

    let list = cache.conversations();
    let order: Vec<&str> = list.iter().map(|c| c.id).collect();
    assert_eq!(order[0], "single:a1b2c3d4e5f60718293a4b5c:bob_01", "the send is the newest activity");
    assert!(order.contains(&"group:22334455") && order.contains(&"single:9f8e7d6c5b4a39281706f5e4:frank_cross"));
    let times: Vec<u64> = list.iter().map(|c| c.last.as_ref().unwrap().record().unwrap().time).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "most recent first: {times:?}");
    let bob_row = &list[0];
    assert!(bob_row.last.as_ref().unwrap().record().unwrap().out);
    drop(list);
    let page = cache.messages(&bob(), 100, None).unwrap().0;
    let retracted: Vec<u64> = page.iter().filter(|r| r.retracted).map(|r| r.id).collect();
    assert_eq!(retracted, vec![50283503003, 50283508008]);
    assert!(page.iter().filter(|r| r.retracted).all(|r| r.body.get() == "{}"));
    check(cache.storage(), cache.config());
}

#[test]
fn dedup_holds_across_calls_and_restarts() {
    let mut cache = open(MemoryStorage::new(), config());
    let msgs: Vec<_> = (0..30).map(|i| single(100 + i, T0 + i * 1000, "bob_01", "hi")).collect();
    assert_eq!(cache.cache_messages(&batch(msgs.clone()), Mode::Realtime).unwrap().added, 30);
    // The 1.0 SDK delivers a batch once per message.
    let rep = cache.cache_messages(&batch(msgs.clone()), Mode::Realtime).unwrap();
    assert_eq!((rep.added, rep.duplicates), (0, 30));
    let storage = cache.into_storage();
    let mut cache = open(storage, config());
    let rep = cache.cache_messages(&json!([{"msg_type": 3, "from_username": "bob_01", "msgs": msgs}]), Mode::History).unwrap();
    assert_eq!((rep.added, rep.duplicates), (0, 30));
    // Within one batch too.
    let rep = cache.cache_messages(&batch(vec![single(500, T0, "bob_01", "a"), single(500, T0, "bob_01", "a")]), Mode::Realtime).unwrap();
    assert_eq!((rep.added, rep.duplicates), (1, 1));
    assert_eq!(cache.stats().messages, 31);
    check(cache.storage(), cache.config());
}

#[test]
fn late_arrivals_are_inserted_in_place_and_ties_break_on_id() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![single(30, T0 + 30, "bob_01", "c"), single(10, T0 + 10, "bob_01", "a")]), Mode::Realtime).unwrap();
    cache.cache_messages(&batch(vec![single(20, T0 + 20, "bob_01", "b")]), Mode::Realtime).unwrap();
    cache.cache_messages(&batch(vec![single(25, T0 + 20, "bob_01", "b2"), single(5, T0 + 20, "bob_01", "b0")]), Mode::Realtime).unwrap();
    assert_eq!(ids(&mut cache, &bob()), vec![10, 5, 20, 25, 30]);
    assert_eq!(cache.conversations()[0].last.as_ref().unwrap().record().unwrap().id, 30);
}

#[test]
fn paging_with_equal_timestamps_never_loses_or_repeats() {
    let mut cfg = config();
    cfg.chunk_bytes = 1024; // many chunks
    let mut cache = open(MemoryStorage::new(), cfg);
    // 200 messages, 10 per millisecond, ids shuffled against time.
    let msgs: Vec<_> = (0..200u64).map(|i| single(1000 + (i * 37) % 200, T0 + i / 10, "bob_01", "x")).collect();
    cache.cache_messages(&batch(msgs), Mode::Realtime).unwrap();
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let (page, next) = cache.messages(&bob(), 7, before).unwrap();
        assert!(page.windows(2).all(|w| w[0].pos() < w[1].pos()), "oldest to newest within a page");
        let mut ids: Vec<Pos> = page.iter().map(|r| r.pos()).collect();
        ids.extend(seen);
        seen = ids;
        match next {
            Some(c) => before = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 200);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "pages join without gaps or repeats");
    let cursor = Pos::parse_cursor(&Pos { time: T0, id: 1 }.cursor()).unwrap();
    assert_eq!(cursor, Pos { time: T0, id: 1 });
    assert_eq!(cache.messages(&bob(), 0, None).unwrap_err().code(), "BAD_ARGUMENT");
    assert!(cache.messages(&ConvId::single(APPKEY, "nobody"), 5, None).unwrap().0.is_empty());
}

#[test]
fn retraction_tombstones_and_early_retraction_is_remembered() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "secret"), single(2, T0 + 1, "bob_01", "last")]), Mode::Realtime).unwrap();
    assert_eq!(cache.conversations()[0].unread, 2);
    let rep = cache.apply_events(&retract_event("bob_01", &[2])).unwrap();
    assert_eq!(rep.retracted, 1);
    let row = &cache.conversations()[0];
    assert!(row.last.as_ref().unwrap().record().unwrap().retracted, "last-message summary follows");
    assert_eq!(row.unread, 1, "a retracted unread message no longer counts");
    // Retraction before its message: stored already retracted, even after a restart.
    let rep = cache.apply_events(&json!([{"event_type": 55, "from_gid": 77, "type": 1, "from_username": "dave", "msgid_list": ["9"]}])).unwrap();
    assert_eq!(rep.retracted, 0);
    assert_eq!(cache.stats().pending_retractions, 1);
    let storage = cache.into_storage();
    let mut cache = open(storage, config());
    let rep = cache.cache_messages(&batch(vec![group(9, T0 + 5, 77, "dave", "oops")]), Mode::Realtime).unwrap();
    assert_eq!(rep.added, 1);
    let page = cache.messages(&ConvId::group(77), 10, None).unwrap().0;
    assert!(page[0].retracted && page[0].body.get() == "{}");
    assert_eq!(cache.stats().pending_retractions, 0);
    // A re-delivery of a retracted message stays retracted.
    cache.cache_messages(&batch(vec![single(2, T0 + 1, "bob_01", "last")]), Mode::Realtime).unwrap();
    assert!(cache.messages(&bob(), 10, None).unwrap().0[1].retracted);
    // Retracting twice changes nothing and writes nothing.
    let before = cache.storage().mutations();
    let rep = cache.apply_events(&retract_event("bob_01", &[2])).unwrap();
    assert_eq!(rep.retracted, 0);
    assert_eq!(cache.storage().mutations(), before);
    check(cache.storage(), cache.config());
}

#[test]
fn pending_retractions_are_bounded() {
    let mut cache = open(MemoryStorage::new(), config());
    let many: Vec<u64> = (1..=400).collect();
    cache.apply_events(&retract_event("bob_01", &many)).unwrap();
    assert_eq!(cache.stats().pending_retractions, 256);
}

#[test]
fn unread_counts_incoming_only_and_mark_read_resets() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "a"), mine(2, T0 + 1, "bob_01", "b"), single(3, T0 + 2, "bob_01", "c")]), Mode::Realtime).unwrap();
    assert_eq!(cache.conversations()[0].unread, 2);
    assert!(cache.mark_read(&bob()).unwrap());
    assert!(!cache.mark_read(&bob()).unwrap(), "nothing to do the second time");
    assert_eq!(cache.conversations()[0].unread, 0);
    // A roaming re-sync of already-read messages does not make them unread.
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "a")]), Mode::Realtime).unwrap();
    cache.cache_messages(&batch(vec![single(4, T0 + 3, "bob_01", "d")]), Mode::Realtime).unwrap();
    let storage = cache.into_storage();
    let cache = open(storage, config());
    assert_eq!(cache.conversations()[0].unread, 1, "survives a restart");
}

#[test]
fn steady_state_realtime_call_writes_one_chunk_and_the_index() {
    for history in [100u64, 5000] {
        let mut cfg = config();
        cfg.max_messages_per_conversation = 10_000;
        let mut cache = open(MemoryStorage::new(), cfg);
        let msgs: Vec<_> = (0..history).map(|i| single(1 + i, T0 + i, "bob_01", "历史消息 history")).collect();
        cache.cache_messages(&batch(msgs), Mode::History).unwrap();
        let mut bytes = Vec::new();
        let mut directory_writes = 0;
        for i in 0..400 {
            let before = cache.storage().log.len();
            let id = 1_000_000 + i;
            cache.cache_messages(&batch(vec![single(id, T0 + 10_000_000 + i, "bob_01", "新消息")]), Mode::Realtime).unwrap();
            let ops = &cache.storage().log[before..];
            let sets: Vec<&Op> = ops.iter().filter(|o| matches!(o, Op::Set { .. })).collect();
            let removes = ops.len() - sets.len();
            // One chunk and the index; the replaced chunk is removed. When
            // the message opens a new chunk, the old newest one joins the
            // directory, which is rewritten (and its old copy removed).
            let dir = sets.iter().filter(|o| matches!(o, Op::Set { key, .. } if key.contains(":d"))).count();
            directory_writes += dir;
            assert_eq!(sets.len(), 2 + dir, "history {history}: {ops:?}");
            assert!(dir <= 1 && removes <= 1 + dir, "history {history}: {ops:?}");
            let chunk_set = sets.iter().find_map(|o| match o {
                Op::Set { key, bytes } if !key.ends_with(":i") => Some(*bytes),
                _ => None,
            });
            bytes.push(chunk_set.unwrap());
        }
        // 400 messages of ~110 bytes fill a 16 KiB chunk two or three times.
        assert!((1..=4).contains(&directory_writes), "history {history}: {directory_writes} directory writes");
        let max = *bytes.iter().max().unwrap();
        assert!(max <= cache.config().chunk_bytes as u64 + 64, "history {history}: chunk write {max} bytes");
        check(cache.storage(), cache.config());
    }
}

#[test]
fn an_all_duplicate_resync_writes_nothing() {
    let mut cache = open(MemoryStorage::new(), config());
    let msgs: Vec<_> = (0..300u64).map(|i| single(1 + i, T0 + i, "bob_01", "x")).collect();
    let sync = json!([{"msg_type": 3, "from_username": "bob_01", "from_appkey": APPKEY, "msgs": msgs}]);
    cache.cache_messages(&sync, Mode::History).unwrap();
    let before = cache.storage().mutations();
    let rep = cache.cache_messages(&sync, Mode::History).unwrap();
    assert_eq!((rep.added, rep.duplicates), (0, 300));
    assert_eq!(cache.storage().mutations(), before);
}

#[test]
fn the_budget_holds_at_every_write_and_idle_conversations_go_first() {
    let mut cfg = config();
    cfg.budget_bytes = 96 * 1024;
    cfg.chunk_bytes = 4096;
    let mut storage = MemoryStorage::new();
    let ns = jim_cache::namespace::Namespace::new(&cfg.prefix, &cfg.appkey, &cfg.username);
    storage.watch_prefix(ns.prefix());
    let mut cache = open(storage, cfg.clone());
    // An idle conversation first, then a busy one that outgrows the budget.
    let idle: Vec<_> = (0..100u64).map(|i| single(1 + i, T0 + i, "idle_user", "old but precious")).collect();
    cache.cache_messages(&batch(idle), Mode::Realtime).unwrap();
    let mut evicted = 0;
    for i in 0..3000u64 {
        let rep = cache.cache_messages(&batch(vec![group(10_000 + i, T0 + 1_000_000 + i, 5, "carol", "busy group chatter")]), Mode::Realtime).unwrap();
        evicted += rep.evicted;
    }
    assert!(evicted > 0);
    assert!(cache.storage().peak() <= cfg.budget_bytes, "peak {} > budget", cache.storage().peak());
    let snap = check(cache.storage(), &cfg);
    // The idle conversation lost its messages before the busy one lost its newest.
    let idle_left = snap.messages.values().filter(|m| m.0 == ConvId::single(APPKEY, "idle_user")).count();
    let busy_left: Vec<u64> = snap.messages.iter().filter(|m| m.1 .0 == ConvId::group(5)).map(|m| *m.0).collect();
    assert!(busy_left.contains(&(10_000 + 2999)), "the newest message is kept");
    assert!(idle_left < 100);
    // The idle conversation is still listed with its last message.
    let list = cache.conversations();
    assert!(list.iter().any(|c| c.id == "single:a1b2c3d4e5f60718293a4b5c:idle_user" && c.last.is_some()));
    drop(list);
    // Roaming re-delivery of evicted messages does not store them again.
    let rep = cache.cache_messages(&batch(vec![group(10_000, T0 + 1_000_000, 5, "carol", "busy group chatter")]), Mode::Realtime).unwrap();
    assert_eq!((rep.added, rep.evicted), (0, 1));
    let stats = cache.stats();
    assert!(stats.bytes <= stats.budget_bytes && stats.bytes == snap.bytes, "{stats:?} vs {}", snap.bytes);
}

#[test]
fn per_conversation_cap() {
    let mut cfg = config();
    cfg.max_messages_per_conversation = 50;
    cfg.chunk_bytes = 1024;
    let mut cache = open(MemoryStorage::new(), cfg.clone());
    for i in 0..200u64 {
        cache.cache_messages(&batch(vec![single(1 + i, T0 + i, "bob_01", "m")]), Mode::Realtime).unwrap();
    }
    let kept = ids(&mut cache, &bob());
    assert!(kept.len() <= 50 && kept.len() >= 25, "{}", kept.len());
    assert_eq!(*kept.last().unwrap(), 200);
    check(cache.storage(), &cfg);
}

#[test]
fn quota_errors_evict_and_retry() {
    let mut cache = open(MemoryStorage::new(), config());
    let msgs: Vec<_> = (0..500u64).map(|i| single(1 + i, T0 + i, "bob_01", "早上好")).collect();
    cache.cache_messages(&batch(msgs), Mode::Realtime).unwrap();
    cache.storage_mut().fail_set(0, StorageErrorKind::Quota);
    let rep = cache.cache_messages(&batch(vec![single(9000, T0 + 9000, "bob_01", "after a quota error")]), Mode::Realtime).unwrap();
    assert_eq!(rep.added, 1);
    check(cache.storage(), cache.config());

    // The rest of the app fills the storage: the cache gives room back.
    let mut storage = cache.into_storage();
    let big = "x".repeat(900_000);
    for k in 0..10 {
        let key = format!("app-data-{k}");
        if storage.total() + 1_000_000 < storage.total_limit {
            storage.raw_set(&key, &big);
        }
    }
    let mut cache = open(storage, config());
    let more: Vec<_> = (0..200u64).map(|i| single(20_000 + i, T0 + 20_000 + i, "erin", "still works")).collect();
    let rep = cache.cache_messages(&batch(more), Mode::Realtime).unwrap();
    assert_eq!(rep.added, 200);
    let stats = cache.stats();
    assert!(stats.budget_bytes < config().budget_bytes, "{stats:?}");
    assert!(cache.storage().total() < cache.storage().total_limit);
    assert!(cache.storage().raw_get("app-data-0").is_some(), "never touches the app's keys");
}

#[test]
fn io_errors_fail_the_call_and_lose_nothing() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "kept")]), Mode::Realtime).unwrap();
    for n in 0..3 {
        cache.storage_mut().fail_set(n, StorageErrorKind::Io);
        let e = cache.cache_messages(&batch(vec![single(2, T0 + 1, "bob_01", "x"), group(3, T0 + 2, 8, "z", "y")]), Mode::Realtime).unwrap_err();
        assert_eq!(e.code(), "STORAGE_IO");
        assert_eq!(ids(&mut cache, &bob()), vec![1]);
        check(cache.storage(), cache.config());
    }
    cache.storage_mut().fail_set(0, StorageErrorKind::KeyTooLarge);
    assert_eq!(cache.cache_messages(&batch(vec![single(2, T0 + 1, "bob_01", "x")]), Mode::Realtime).unwrap_err().code(), "STORAGE_FULL");
    let rep = cache.cache_messages(&batch(vec![single(2, T0 + 1, "bob_01", "x")]), Mode::Realtime).unwrap();
    assert_eq!(rep.added, 1);
    check(cache.storage(), cache.config());
}

#[test]
fn unknown_schema_is_reset_and_a_damaged_index_is_rebuilt() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "a"), group(2, T0 + 1, 9, "c", "b")]), Mode::Realtime).unwrap();
    let ikey = cache.namespace().index_key();
    let mut storage = cache.into_storage();
    let good = storage.raw_get(&ikey).unwrap().to_string();

    storage.raw_set(&ikey, "{\"v\":99,\"whatever\":true}");
    let (cache, report) = Cache::open(storage, config()).unwrap();
    assert!(report.reset.as_deref().unwrap().contains("version 99"));
    assert_eq!(cache.conversations().len(), 0);
    let mut storage = cache.into_storage();
    check(&storage, &config());

    // Rebuild: the index is truncated garbage but the chunks are fine.
    let mut cache = open(std::mem::take(&mut storage), config());
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "a"), group(2, T0 + 1, 9, "c", "b")]), Mode::Realtime).unwrap();
    let mut storage = cache.into_storage();
    let _ = good;
    let v = storage.raw_get(&ikey).unwrap().to_string();
    storage.raw_set(&ikey, &v[..v.len() / 2]);
    let (mut cache, report) = Cache::open(storage, config()).unwrap();
    assert!(report.rebuilt, "{report:?}");
    assert_eq!(ids(&mut cache, &bob()), vec![1]);
    assert_eq!(ids(&mut cache, &ConvId::group(9)), vec![2]);
    check(cache.storage(), cache.config());
}

#[test]
fn damaged_and_missing_chunks_are_dropped_and_reported() {
    let mut cfg = config();
    cfg.chunk_bytes = 1024;
    let mut cache = open(MemoryStorage::new(), cfg.clone());
    let msgs: Vec<_> = (0..100u64).map(|i| single(1 + i, T0 + i, "bob_01", "some text here")).collect();
    cache.cache_messages(&batch(msgs), Mode::Realtime).unwrap();
    cache.cache_messages(&batch(vec![group(500, T0, 3, "g", "other conversation")]), Mode::Realtime).unwrap();
    let prefix = cache.namespace().prefix().to_string();
    let mut storage = cache.into_storage();
    let chunks: Vec<String> = storage.entries().map(|e| e.0.clone()).filter(|k| k.starts_with(&prefix) && !k.ends_with(":i")).collect();
    storage.raw_remove(&chunks[0]);
    storage.raw_set(&chunks[1], "\"bob_01\"");
    storage.raw_set(&format!("{prefix}c999999"), "left by a crash");
    let (mut cache, report) = Cache::open(storage, cfg.clone()).unwrap();
    assert_eq!(report.orphans_removed, 1);
    assert_eq!(report.chunks_dropped, 1);
    // The garbage chunk is found when read, and dropped too.
    let left = ids(&mut cache, &bob());
    assert!(left.len() < 100 && left.len() > 50, "{}", left.len());
    assert!(cache.stats().dropped > 0);
    assert_eq!(ids(&mut cache, &ConvId::group(3)), vec![500], "other conversations intact");
    cache.cache_messages(&batch(vec![single(1000, T0 + 1000, "bob_01", "new")]), Mode::Realtime).unwrap();
    check(cache.storage(), &cfg);
}

#[test]
fn accounts_are_isolated_and_clear_removes_only_its_own_keys() {
    let mut storage = MemoryStorage::new();
    storage.raw_set("conversations-a1b2c3d4e5f60718293a4b5c-wx_alice", "{\"sdk\":1}");
    storage.raw_set("logs", "[1,2]");
    let alice = config();
    let bob_cfg = Config::new(APPKEY, "bob_01");
    let other_app = Config::new("ffffffffffffffffffffffff", ME);
    let mut a = open(storage, alice.clone());
    a.cache_messages(&batch(vec![single(1, T0, "bob_01", "for alice")]), Mode::Realtime).unwrap();
    let mut b = open(a.into_storage(), bob_cfg.clone());
    assert!(b.conversations().is_empty());
    let mut for_bob = single(2, T0, "carol", "for bob");
    for_bob["content"]["target_id"] = json!("bob_01");
    b.cache_messages(&batch(vec![for_bob]), Mode::Realtime).unwrap();
    let mut o = open(b.into_storage(), other_app.clone());
    o.cache_messages(&batch(vec![single(1, T0, "bob_01", "same id, other app")]), Mode::Realtime).unwrap();
    o.clear().unwrap();
    let storage = o.into_storage();
    check(&storage, &alice);
    check(&storage, &bob_cfg);
    assert_eq!(storage.raw_get("logs"), Some("[1,2]"));
    assert!(storage.raw_get("conversations-a1b2c3d4e5f60718293a4b5c-wx_alice").is_some());
    let mut a = open(storage, alice.clone());
    assert_eq!(ids(&mut a, &bob()), vec![1]);
    a.clear().unwrap();
    assert_eq!(a.stats().messages, 0);
    let storage = a.into_storage();
    let b = open(storage, bob_cfg);
    assert_eq!(b.conversations().len(), 1);
}

#[test]
fn remove_forgets_one_conversation() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "a"), group(2, T0, 4, "x", "b")]), Mode::Realtime).unwrap();
    assert!(cache.remove(&bob()).unwrap());
    assert!(!cache.remove(&bob()).unwrap());
    assert_eq!(cache.conversations().len(), 1);
    let snap = check(cache.storage(), cache.config());
    assert_eq!(snap.messages.len(), 1);
    // Roaming brings the deleted history again: it stays deleted.
    let rep = cache.cache_messages(&batch(vec![single(1, T0, "bob_01", "a")]), Mode::Realtime).unwrap();
    assert_eq!(rep.added, 0);
    assert_eq!(cache.conversations().len(), 1);
    // A new message reopens the conversation with only what is new.
    cache.cache_messages(&batch(vec![single(3, T0 + 5, "bob_01", "new")]), Mode::Realtime).unwrap();
    assert_eq!(cache.conversations().len(), 2);
    assert_eq!(ids(&mut cache, &bob()), vec![3]);
    assert_eq!(cache.stats().conversations, 2);
}

#[test]
fn an_oversized_index_forgets_idle_conversations() {
    let mut cfg = config();
    cfg.key_limit_bytes = 100 * 1024;
    cfg.chunk_bytes = 4096;
    let mut cache = open(MemoryStorage::new(), cfg.clone());
    for i in 0..1500u64 {
        cache.cache_messages(&batch(vec![single(1 + i, T0 + i, &format!("user_{i:05}"), "hello there, a message")]), Mode::Realtime).unwrap();
    }
    let snap = check(cache.storage(), &cfg);
    assert!(snap.index.unwrap().convs.len() < 1500);
    assert!(snap.messages.contains_key(&1500));
}

#[test]
fn bad_configuration_is_rejected() {
    for f in [
        (|c: &mut Config| c.username.clear()) as fn(&mut Config),
        |c| c.budget_bytes = 10,
        |c| c.key_limit_bytes = 1000,
        |c| c.max_messages_per_conversation = 0,
        |c| c.chunk_bytes = 10,
    ] {
        let mut cfg = config();
        f(&mut cfg);
        let e = Cache::open(MemoryStorage::new(), cfg).err().unwrap();
        assert_eq!(e.code(), "BAD_ARGUMENT");
    }
}

#[test]
fn host_usage_is_read_at_open_after_growth_and_after_a_quota_error() {
    let mut cache = open(MemoryStorage::new(), config());
    let reads = |c: &Cache<MemoryStorage>| c.storage().usage_reads();
    let mut id = 1;
    let mut send = |c: &mut Cache<MemoryStorage>, n: u64| {
        for _ in 0..n {
            c.cache_messages(&batch(vec![single(id, T0 + id, "bob_01", "一条消息 a message")]), Mode::Realtime).unwrap();
            id += 1;
        }
    };
    send(&mut cache, 1);
    let first = reads(&cache);
    send(&mut cache, 50);
    assert_eq!(reads(&cache), first, "50 small messages (a few KB) need no new reading");
    send(&mut cache, 1500); // ~110 bytes each: well over 64 KiB
    assert!(reads(&cache) > first, "after 64 KiB of growth the usage is read again");
    let grown = reads(&cache);
    cache.storage_mut().fail_set(0, StorageErrorKind::Quota);
    send(&mut cache, 1);
    assert!(reads(&cache) > grown, "a quota error makes the cache read again before retrying");
    check(cache.storage(), cache.config());
}

#[test]
fn a_message_for_another_account_is_rejected_and_the_rest_of_the_batch_stored() {
    let mut cache = open(MemoryStorage::new(), config());
    let mut foreign = single(2, T0 + 1, "bob_01", "for someone else");
    foreign["content"]["target_id"] = json!("wx_previous_login");
    let mut other_app = single(3, T0 + 2, "bob_01", "for my namesake in another app");
    other_app["content"]["target_appkey"] = json!("ffffffffffffffffffffffff");
    let mut legacy = single(4, T0 + 3, "bob_01", "no target fields (older SDKs)");
    legacy["content"].as_object_mut().unwrap().remove("target_id");
    let mine = single(5, T0 + 4, "bob_01", "for me");
    let group_msg = group(6, T0 + 5, 77, "bob_01", "groups name the group, not me");
    let rep = cache
        .cache_messages(&batch(vec![single(1, T0, "bob_01", "first"), foreign, other_app, legacy, mine, group_msg]), Mode::Realtime)
        .unwrap();
    assert_eq!((rep.added, rep.rejected), (4, 2), "{rep:?}");
    assert!(rep.reasons.iter().all(|r| r.reason.starts_with("not addressed to this account")), "{:?}", rep.reasons);
    assert_eq!(ids(&mut cache, &bob()), vec![1, 4, 5]);
    check(cache.storage(), cache.config());
}

/// Issue 11: with 16 KiB chunks, a 26 KB budget over four conversations
/// emptied two of them while the cache held 10 KB (copy-on-write headroom
/// of a whole chunk). The newest messages of every conversation go last, at
/// every budget the API accepts.
#[test]
fn small_budgets_keep_the_newest_messages_of_every_conversation() {
    for budget in [16_384u64, 26_000, 40_000, 100_000] {
        let mut cfg = config();
        cfg.budget_bytes = budget;
        let mut cache = open(MemoryStorage::new(), cfg.clone());
        let peers = ["bob_01", "carol", "dave", "erin"];
        // Enough messages to fill the budget about twice.
        for i in 0..budget / 50 {
            let peer = peers[(i % 4) as usize];
            cache.cache_messages(&batch(vec![single(1 + i, T0 + i, peer, "一条普通长度的消息 an ordinary message")]), Mode::Realtime).unwrap();
            let st = cache.stats();
            assert!(st.bytes <= budget);
            if i >= 4 {
                let rows = cache.conversations();
                assert_eq!(rows.len(), 4);
                for r in &rows {
                    assert!(r.count >= 1, "budget {budget}, after {i}: {} emptied while the cache holds {} bytes", r.id, st.bytes);
                }
                // The newest message of each is kept.
                for (k, peer) in peers.iter().enumerate() {
                    let newest = (i / 4) * 4 + k as u64 + 1;
                    let newest = if newest > i + 1 { newest - 4 } else { newest };
                    let id = ConvId::single(APPKEY, peer);
                    let (page, _) = cache.messages(&id, 1, None).unwrap();
                    assert_eq!(page[0].id, newest, "budget {budget}: newest of {peer}");
                }
            }
        }
        // Eviction kept the cache reasonably full.
        assert!(cache.stats().bytes >= budget / 2, "budget {budget}: holds only {}", cache.stats().bytes);
        check(cache.storage(), &cfg);
    }
}

/// A chunk value with a field after its records (from a later version, or
/// tampered with) reads fine but cannot be extended in place: the next
/// message into it rewrites it whole instead of failing every call.
#[test]
fn a_chunk_that_does_not_end_as_written_is_rewritten_not_appended() {
    let mut cache = open(MemoryStorage::new(), config());
    cache.cache_messages(&batch((0..5).map(|i| single(1 + i, T0 + i, "bob_01", "hi")).collect()), Mode::Realtime).unwrap();
    let mut storage = cache.into_storage();
    let key = storage.entries().map(|(k, _)| k.clone()).find(|k| k.contains(":c")).unwrap();
    let value = storage.raw_get(&key).unwrap().to_string();
    storage.raw_set(&key, &format!("{},\"x\":1}}", &value[..value.len() - 1]));
    let mut cache = open(storage, config());
    let r = cache.cache_messages(&batch(vec![single(9, T0 + 9, "bob_01", "new")]), Mode::Realtime).unwrap();
    assert_eq!(r.added, 1);
    assert_eq!(ids(&mut cache, &bob()), [1, 2, 3, 4, 5, 9]);
    check(cache.storage(), cache.config());
}
