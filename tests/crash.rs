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
        if i == 9 {
            steps.push(Step::Remove(ConvId::single(APPKEY, "erin")));
        }
    }
    steps
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
    crashed: bool,
}

fn run(storage: &mut MemoryStorage, cfg: &Config, crash_at: Option<u64>) -> Outcome {
    if let Some(k) = crash_at {
        storage.crash_after(k);
    }
    let mut out = Outcome { acked: HashMap::new(), retracted: Vec::new(), removed: Vec::new(), crashed: false };
    let mut cache = match Cache::open(&mut *storage, cfg.clone()) {
        Ok((c, _)) => c,
        Err(_) => {
            out.crashed = true;
            return out;
        }
    };
    for step in workload() {
        let ok = match &step {
            Step::Msgs(v, mode) => cache.cache_messages(v, *mode).is_ok(),
            Step::Event(v) => cache.apply_events(v).is_ok(),
            Step::MarkRead(c) => cache.mark_read(c).is_ok(),
            Step::Remove(c) => cache.remove(c).is_ok(),
        };
        if !ok {
            out.crashed = true;
            return out;
        }
        match step {
            Step::Msgs(v, _) => {
                for (id, conv, pos) in expected(&v) {
                    out.acked.insert(id, (conv, pos));
                }
            }
            Step::Event(v) => {
                let ids = v["msg_ids"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap());
                out.retracted.extend(ids);
            }
            Step::Remove(c) => out.removed.push(c),
            Step::MarkRead(_) => {}
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
    // And it still works.
    cache.cache_messages(&batch(vec![single(77_777, T0 + 99_999, "bob_01", "after restart")]), Mode::Realtime)
        .unwrap_or_else(|e| panic!("k={k}: write after reopen failed: {e}"));
    check(cache.storage(), cfg);
}

fn every_crash_point(cfg: Config, must_evict: bool) {
    let mut clean = MemoryStorage::new();
    let full = run(&mut clean, &cfg, None);
    assert!(!full.crashed);
    let total = clean.mutations();
    assert!(total > 50, "the workload exercises many writes ({total})");
    let snap = check(&clean, &cfg);
    let evicted = snap.index.as_ref().unwrap().convs.values().any(|c| c.floor.is_some() && c.last.is_some());
    assert_eq!(evicted, must_evict, "eviction in the workload");
    for k in 0..=total {
        let mut storage = MemoryStorage::new();
        let out = run(&mut storage, &cfg, Some(k));
        // A crash at a removal after the commit point does not fail the
        // call (the key is swept later), so only "no crash at the end" holds.
        if k == total {
            assert!(!out.crashed);
        }
        verify(&mut storage, &cfg, &out, k);
    }
    eprintln!("crash points checked: {} (budget {})", total + 1, cfg.budget_bytes);
}

#[test]
fn every_crash_point_reopens_consistent_with_nothing_acknowledged_lost() {
    every_crash_point(cfg(1 << 20), false);
}

#[test]
fn every_crash_point_while_evicting() {
    every_crash_point(cfg(16 * 1024), true);
}
