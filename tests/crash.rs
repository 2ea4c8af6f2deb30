//! Kill at every storage mutation: for every k, run a scripted workload that
//! dies at its k-th write or removal, reopen over what was persisted, and check
//! that the cache opens, holds every message acknowledged by a completed call
//! (unless evicted by policy), has no duplicates, no orphans, keeps order and
//! the budget, and still works.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::HashMap;

use common::*;
use jim_cache::{Cache, Config, ConvId, MemoryStorage, Mode, Pos};
use serde_json::{json, Value};

const T0: u64 = 1_717_400_000_000;

enum Step {
    Msgs(Value, Mode),
    Event(Value),
    MarkRead(ConvId),
    Remove(ConvId),
    Receipts(Value),
    Unread(Value),
    Conversations(Value),
    /// `addPending` of a text to bob with this localId.
    Echo(&'static str),
    /// The send's onSuccess for (msg id, localId).
    SentEcho(u64, &'static str),
}

/// Messages the workload sends, and where they belong.
fn expected(v: &Value) -> Vec<(u64, ConvId, Pos)> {
    let acct = jim_cache::payload::Account { appkey: APPKEY, username: ME };
    jim_cache::payload::parse_messages(v, Mode::Realtime, acct)
        .unwrap()
        .messages
        .into_iter()
        .map(|m| (m.record.id, m.conv, m.record.pos()))
        .collect()
}

fn workload() -> Vec<Step> {
    let mut steps = Vec::new();
    // Login sync: three conversations, enough to span several chunks.
    let sync = json!([
        {"msg_type": 3, "from_username": "bob_01", "from_appkey": APPKEY,
         "msgs": (0..60u64).map(|i| single(100 + i, T0 + i * 10, "bob_01", &"离线消息 offline message ".repeat(8))).collect::<Vec<_>>()},
        {"msg_type": 4, "from_gid": 7, "msgs": (0..30u64).map(|i| group(300 + i, T0 + 5 + i * 10, 7, "carol", "group sync")).collect::<Vec<_>>()},
        {"msg_type": 3, "from_username": "erin", "msgs": (0..10u64).map(|i| single(500 + i, T0 + 7 + i, "erin", "hi")).collect::<Vec<_>>()},
    ]);
    steps.push(Step::Msgs(sync.clone(), Mode::History));
    for i in 0..12u64 {
        let mut b = vec![single(1000 + i, T0 + 1000 + i * 10, "bob_01", "realtime")];
        if i % 3 == 0 {
            b.push(group(2000 + i, T0 + 1001 + i * 10, 7, "dave", "group realtime"));
        }
        if i % 4 == 1 {
            b.push(mine(3000 + i, T0 + 1002 + i * 10, "bob_01", "my reply"));
        }
        steps.push(Step::Msgs(batch(b), Mode::Realtime));
        if i == 4 {
            steps.push(Step::Event(retract_event("bob_01", &[1003])));
            steps.push(Step::Event(json!({"event_type": 55, "from_gid": 7, "type": 1, "from_username": "dave", "msg_ids": [9999]})));
        }
        if i == 6 {
            steps.push(Step::MarkRead(ConvId::single(APPKEY, "bob_01")));
            // Roaming repeats plus a late arrival in the middle of history.
            steps.push(Step::Msgs(sync.clone(), Mode::History));
            steps.push(Step::Msgs(batch(vec![single(9150, T0 + 155, "bob_01", "late"), group(9999, T0 + 2000, 7, "dave", "retracted early")]), Mode::Realtime));
        }
        if i == 2 {
            // My message 3001 is stored; 3009 arrives later (remembered).
            steps.push(Step::Receipts(json!([
                {"type": 3, "appkey": APPKEY, "username": "bob_01", "receipt_msgs": [{"msg_id": 3001, "unread_count": 1}, {"msg_id": 3009, "unread_count": 0}]},
            ])));
            steps.push(Step::Conversations(json!({"code": 0, "conversations": [
                {"type": 3, "appkey": APPKEY, "username": "bob_01", "nickName": "Bob", "avatar": "qiniu/image/bob"},
                {"type": 4, "gid": 7, "name": "徒步群", "unread_msg_count": 3},
                {"type": 3, "appkey": APPKEY, "username": "nobody_yet", "nickName": "Later"},
            ]})));
        }
        if i == 9 {
            steps.push(Step::Remove(ConvId::single(APPKEY, "erin")));
            steps.push(Step::Receipts(json!({"type": 3, "appkey": APPKEY, "username": "bob_01", "receipt_msgs": [{"msg_id": 3001, "unread_count": 0}]})));
        }
    }
    steps.push(Step::Unread(json!({"type": 4, "gid": 7, "unreadCount": 0})));
    // Two sends from the mini-program: one completes, one is still pending.
    steps.push(Step::Echo("send-1"));
    steps.push(Step::Echo("send-2"));
    steps.push(Step::SentEcho(4001, "send-1"));
    steps
}

fn sent_args(id: u64) -> (Value, Value) {
    (
        json!({"code": 0, "msg_id": id, "ctime_ms": T0 + 5000, "appkey": APPKEY, "target_username": "bob_01"}),
        json!({"content": {"target_type": "single", "target_id": "bob_01", "from_id": ME, "msg_type": "text", "msg_body": {"text": "sent"}}, "msg_id": id}),
    )
}

/// Small chunks, so calls touch several; `budget` decides whether the
/// workload also evicts.
fn cfg(budget: u64) -> Config {
    let mut c = config();
    c.chunk_bytes = 1024;
    c.budget_bytes = budget;
    c
}

struct Outcome {
    acked: HashMap<u64, (ConvId, Pos)>,
    retracted: Vec<u64>,
    removed: Vec<ConvId>,
    /// Receipt counts acknowledged, per message.
    receipts: HashMap<u64, u32>,
    /// Conversation names and unread counts set by completed calls, and not
    /// changed by a later one.
    names: HashMap<ConvId, String>,
    unread: HashMap<ConvId, u32>,
    /// Echoes acknowledged and not yet replaced.
    echoes: Vec<&'static str>,
    crashed: bool,
}

fn run(storage: &mut MemoryStorage, cfg: &Config, crash_at: Option<u64>) -> Outcome {
    if let Some(k) = crash_at {
        storage.crash_after(k);
    }
    let mut out = Outcome {
        acked: HashMap::new(),
        retracted: Vec::new(),
        removed: Vec::new(),
        receipts: HashMap::new(),
        names: HashMap::new(),
        unread: HashMap::new(),
        echoes: Vec::new(),
        crashed: false,
    };
    let mut cache = match Cache::open(&mut *storage, cfg.clone()) {
        Ok((c, _)) => c,
        Err(_) => {
            out.crashed = true;
            return out;
        }
    };
    for step in workload() {
        let ok = match &step {
            Step::Msgs(v, mode) => jim_cache::testing::cache_via_glue(&mut cache, v, *mode).is_ok(),
            Step::Event(v) => cache.apply_events(v).is_ok(),
            Step::MarkRead(c) => cache.mark_read(c).is_ok(),
            Step::Remove(c) => cache.remove(c).is_ok(),
            Step::Receipts(v) => cache.apply_receipts(v).is_ok(),
            Step::Unread(v) => cache.apply_unread(v).is_ok(),
            Step::Conversations(v) => cache.apply_conversations(v).is_ok(),
            Step::Echo(l) => cache.add_pending(&ConvId::single(APPKEY, "bob_01"), "text", r#"{"text":"sent"}"#, Some(l), T0 + 4999).is_ok(),
            Step::SentEcho(id, l) => {
                let (d, m) = sent_args(*id);
                cache.cache_sent_echo(&d, &m, Some(l)).is_ok()
            }
        };
        if !ok {
            out.crashed = true;
            return out;
        }
        match step {
            Step::Msgs(v, _) => {
                for (id, conv, pos) in expected(&v) {
                    out.unread.remove(&conv);
                    out.acked.insert(id, (conv, pos));
                }
            }
            Step::Receipts(v) => {
                for set in v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]) {
                    for r in set["receipt_msgs"].as_array().unwrap() {
                        let (id, n) = (r["msg_id"].as_u64().unwrap(), r["unread_count"].as_u64().unwrap() as u32);
                        let e = out.receipts.entry(id).or_insert(n);
                        *e = (*e).min(n);
                    }
                }
            }
            Step::Unread(_) => {
                out.unread.insert(ConvId::group(7), 0);
            }
            Step::Conversations(_) => {
                out.names.insert(ConvId::single(APPKEY, "bob_01"), "Bob".into());
                out.names.insert(ConvId::group(7), "徒步群".into());
                out.unread.insert(ConvId::group(7), 3);
            }
            Step::Event(v) => {
                let ids = v["msg_ids"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap());
                out.retracted.extend(ids);
            }
            Step::Remove(c) => out.removed.push(c),
            Step::MarkRead(c) => {
                out.unread.insert(c, 0);
            }
            Step::Echo(l) => out.echoes.push(l),
            Step::SentEcho(id, l) => {
                out.echoes.retain(|e| *e != l);
                out.acked.insert(id, (ConvId::single(APPKEY, "bob_01"), Pos { time: T0 + 5000, id }));
            }
        }
    }
    out
}

fn verify(storage: &mut MemoryStorage, cfg: &Config, out: &Outcome, k: u64) {
    storage.restart();
    let (mut cache, _report) = Cache::open(&mut *storage, cfg.clone()).unwrap_or_else(|e| panic!("k={k}: reopen failed: {e}"));
    drop(cache.stats());
    // Opening repaired everything: what storage holds now is consistent.
    let snap = check(cache.storage(), cfg);
    for (id, (conv, pos)) in &out.acked {
        if out.removed.contains(conv) {
            continue;
        }
        let kept = snap.messages.get(id);
        let evicted = snap.floor(conv).is_some_and(|f| *pos <= f);
        assert!(kept.is_some() || evicted, "k={k}: acknowledged message {id} of {conv} lost");
        if let Some((c, p, retracted)) = kept {
            assert_eq!((c, p), (conv, pos), "k={k}: {id} misfiled");
            if out.retracted.contains(id) {
                assert!(retracted, "k={k}: retraction of {id} lost");
            }
        }
    }
    let echoes: Vec<String> = cache.pending(None).iter().map(|e| e.local_id.to_string()).collect();
    for l in &out.echoes {
        assert!(echoes.iter().any(|e| e == l), "k={k}: echo {l} lost");
    }
    if out.acked.contains_key(&4001) {
        assert!(!echoes.iter().any(|e| e == "send-1"), "k={k}: the sent message and its echo both shown");
    }
    for (id, n) in &out.receipts {
        if snap.messages.contains_key(id) {
            assert_eq!(snap.receipts.get(id), Some(n), "k={k}: receipt of {id}");
        }
    }
    for row in cache.conversations() {
        let id = ConvId::parse(row.id).unwrap();
        if let Some(name) = out.names.get(&id) {
            assert_eq!(row.name, Some(name.as_str()), "k={k}: name of {id}");
        }
        if let Some(n) = out.unread.get(&id) {
            assert_eq!(row.unread, *n, "k={k}: unread of {id}");
        }
    }
    // And it still works.
    cache.cache_messages(&batch(vec![single(77_777, T0 + 99_999, "bob_01", "after restart")]), Mode::Realtime)
        .unwrap_or_else(|e| panic!("k={k}: write after reopen failed: {e}"));
    check(cache.storage(), cfg);
}

fn every_crash_point(cfg: Config, must_evict: bool) {
    // Chunks read as text, then as positions (as the JS store hands them over).
    for native in [false, true] {
        every_crash_point_reading(&cfg, must_evict, native);
    }
}

fn every_crash_point_reading(cfg: &Config, must_evict: bool, native: bool) {
    let cfg = cfg.clone();
    let mut clean = MemoryStorage::new();
    clean.native_reads = native;
    let full = run(&mut clean, &cfg, None);
    assert!(!full.crashed);
    let total = clean.mutations();
    assert!(total > 50, "the workload exercises many writes ({total})");
    let snap = check(&clean, &cfg);
    let evicted = snap.index.as_ref().unwrap().convs.values().any(|c| c.floor.is_some() && c.last.is_some());
    assert_eq!(evicted, must_evict, "eviction in the workload");
    for k in 0..=total {
        let mut storage = MemoryStorage::new();
        storage.native_reads = native;
        let out = run(&mut storage, &cfg, Some(k));
        // A crash at a removal after the commit point does not fail the
        // call (the key is swept later), so only "no crash at the end" holds.
        if k == total {
            assert!(!out.crashed);
        }
        verify(&mut storage, &cfg, &out, k);
    }
    eprintln!("crash points checked: {} (budget {}, native reads {native})", total + 1, cfg.budget_bytes);
}

#[test]
fn every_crash_point_reopens_consistent_with_nothing_acknowledged_lost() {
    every_crash_point(cfg(1 << 20), false);
}

#[test]
fn every_crash_point_while_evicting() {
    every_crash_point(cfg(16 * 1024), true);
}
