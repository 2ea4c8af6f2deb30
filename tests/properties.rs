//! Model-based property tests: random interleavings of sync batches, realtime
//! batches, duplicates, retractions, reads, removals, reopens and injected
//! storage failures, checked after every step against a simple model: no
//! duplicates, sorted order, nothing acknowledged lost except by the eviction
//! policy, retractions kept, budget and key limits always held (also in the
//! middle of calls: the storage records the peak).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use jim_cache::namespace::Namespace;
use jim_cache::{Cache, Config, ConvId, MemoryStorage, Mode, Pos, StorageErrorKind};
use proptest::prelude::*;
use serde_json::{json, Value};

const T0: u64 = 1_717_400_000_000;
const PEERS: [&str; 3] = ["bob_01", "carol", "dave"];

/// A message of the universe: id i has a fixed conversation, time and text.
#[derive(Debug, Clone)]
struct Msg {
    id: u64,
    conv: usize, // 0..3 single peers, 3 = group, 4 = my own to bob
    time: u64,
    len: usize,
}

impl Msg {
    fn conv_id(&self) -> ConvId {
        match self.conv {
            0..=2 => ConvId::single(APPKEY, PEERS[self.conv]),
            4 => ConvId::single(APPKEY, PEERS[0]),
            _ => ConvId::group(42),
        }
    }
    fn json(&self) -> Value {
        let text = "消息".repeat(self.len);
        match self.conv {
            0..=2 => single(self.id, self.time, PEERS[self.conv], &text),
            4 => mine(self.id, self.time, PEERS[0], &text),
            _ => group(self.id, self.time, 42, PEERS[(self.id % 3) as usize], &text),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Realtime(Vec<usize>),
    Sync(Vec<usize>),
    Retract(usize),
    MarkRead(usize),
    Remove(usize),
    Reopen,
    Fail(u64, u8),
}

fn universe() -> impl Strategy<Value = Vec<Msg>> {
    prop::collection::vec((0usize..5, 0u64..400, 1usize..60), 60..120).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (conv, t, len))| Msg { id: 1000 + i as u64, conv, time: T0 + t * 1000, len })
            .collect()
    })
}

fn op(n: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec(0..n, 1..12).prop_map(Op::Realtime),
        3 => prop::collection::vec(0..n, 1..40).prop_map(Op::Sync),
        2 => (0..n).prop_map(Op::Retract),
        1 => (0usize..5).prop_map(Op::MarkRead),
        1 => (0usize..5).prop_map(Op::Remove),
        2 => Just(Op::Reopen),
        2 => (0u64..4, 0u8..3).prop_map(|(at, k)| Op::Fail(at, k)),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<Msg>, Vec<Op>, u64, u32)> {
    universe().prop_flat_map(|u| {
        let n = u.len();
        (Just(u), prop::collection::vec(op(n), 1..40), prop_oneof![Just(20_000u64), Just(48_000), Just(1 << 20)], prop_oneof![Just(1024u32), Just(4096)])
    })
}

struct Model {
    /// Acknowledged messages: id -> (conversation, position).
    acked: HashMap<u64, (ConvId, Pos)>,
    retracted: HashSet<u64>,
}

fn sync_payload(msgs: &[&Msg]) -> Value {
    // Group into entries per conversation, ascending, as the SDK does.
    let mut by: HashMap<usize, Vec<&Msg>> = HashMap::new();
    for m in msgs {
        by.entry(if m.conv == 4 { 0 } else { m.conv }).or_default().push(m);
    }
    let entries: Vec<Value> = by
        .into_iter()
        .map(|(c, mut ms)| {
            ms.sort_by_key(|m| (m.time, m.id));
            let list: Vec<Value> = ms.iter().map(|m| m.json()).collect();
            if c == 3 {
                json!({"msg_type": 4, "from_gid": 42, "key": 42, "msgs": list})
            } else {
                json!({"msg_type": 3, "from_username": PEERS[c], "from_appkey": APPKEY, "msgs": list})
            }
        })
        .collect();
    Value::Array(entries)
}

fn run(universe: &[Msg], ops: &[Op], budget: u64, chunk: u32) -> Result<(), TestCaseError> {
    let mut cfg: Config = config();
    cfg.budget_bytes = budget;
    cfg.chunk_bytes = chunk;
    let ns = Namespace::new(&cfg.prefix, &cfg.appkey, &cfg.username);
    let mut storage = MemoryStorage::new();
    storage.watch_prefix(ns.prefix());
    let mut cache = Cache::open(storage, cfg.clone()).unwrap().0;
    let mut model = Model { acked: HashMap::new(), retracted: HashSet::new() };
    for op in ops {
        match op {
            Op::Realtime(ix) | Op::Sync(ix) => {
                let msgs: Vec<&Msg> = ix.iter().map(|&i| &universe[i]).collect();
                let payload = match op {
                    Op::Sync(_) => sync_payload(&msgs),
                    _ => batch(msgs.iter().map(|m| m.json()).collect()),
                };
                let mode = if matches!(op, Op::Sync(_)) { Mode::History } else { Mode::Realtime };
                if let Ok(rep) = cache.cache_messages(&payload, mode) {
                    prop_assert_eq!(rep.rejected, 0);
                    for m in msgs {
                        model.acked.insert(m.id, (m.conv_id(), Pos { time: m.time, id: m.id }));
                    }
                }
            }
            Op::Retract(i) => {
                let m = &universe[*i];
                let ev = match m.conv {
                    3 => json!({"event_type": 55, "type": 1, "from_gid": 42, "from_username": "x", "msg_ids": [m.id]}),
                    4 => json!({"event_type": 55, "type": 0, "from_username": ME, "from_appkey": APPKEY,
                                "to_usernames": [{"username": PEERS[0], "appkey": APPKEY}], "msg_ids": [m.id]}),
                    c => retract_event(PEERS[c], &[m.id]),
                };
                if cache.apply_events(&ev).is_ok() {
                    model.retracted.insert(m.id);
                }
            }
            Op::MarkRead(c) => {
                let id = Msg { id: 0, conv: *c, time: 0, len: 0 }.conv_id();
                let _ = cache.mark_read(&id);
            }
            Op::Remove(c) => {
                let id = Msg { id: 0, conv: *c, time: 0, len: 0 }.conv_id();
                if cache.remove(&id).is_ok() {
                    model.acked.retain(|_, (conv, _)| *conv != id);
                }
            }
            Op::Reopen => {
                cache = Cache::open(cache.into_storage(), cfg.clone()).expect("opens").0;
            }
            Op::Fail(at, kind) => {
                let kind = [StorageErrorKind::Quota, StorageErrorKind::Io, StorageErrorKind::KeyTooLarge][*kind as usize];
                cache.storage_mut().fail_set(*at, kind);
            }
        }
        // Invariants, read straight from storage.
        let snap = check(cache.storage(), &cfg);
        prop_assert!(cache.storage().peak() <= budget, "peak {} over budget {}", cache.storage().peak(), budget);
        let stats = cache.stats();
        prop_assert_eq!(stats.messages as usize, snap.messages.len());
        for (id, (conv, pos)) in &model.acked {
            match snap.messages.get(id) {
                Some((c, p, retracted)) => {
                    prop_assert_eq!((c, p), (conv, pos), "message {} misfiled", id);
                    if model.retracted.contains(id) {
                        prop_assert!(*retracted, "retraction of {} lost", id);
                    }
                }
                None => {
                    let floor = snap.floor(conv);
                    prop_assert!(floor.is_some_and(|f| *pos <= f), "acknowledged {} lost without eviction", id);
                }
            }
        }
        for (id, (conv, _, _)) in &snap.messages {
            let m = universe.iter().find(|m| m.id == *id).expect("only generated ids are stored");
            prop_assert_eq!(&m.conv_id(), conv);
        }
    }
    Ok(())
}

/// 256 cases by default; `PROPTEST_CASES=N` for a longer run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_keep_every_invariant((u, ops, budget, chunk) in scenario()) {
        run(&u, &ops, budget, chunk)?;
    }
}
