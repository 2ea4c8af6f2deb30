//! Model-based property tests: random interleavings of sync batches, realtime
//! batches, duplicates, retractions, reads, removals, reopens and injected
//! storage failures, checked after every step against a simple model: no
//! duplicates, sorted order, nothing acknowledged lost except by the eviction
//! policy, retractions kept, budget and key limits always held (also in the
//! middle of calls: the storage records the peak); every receipt is the
//! smallest count acknowledged for its message (also when it came before the
//! message), and an unread count the SDK set stays until something changes it.
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
    /// A receipt (message, count).
    Receipt(usize, u32),
    /// `onMutiUnreadMsgUpdate` (conversation, count).
    Unread(usize, u32),
    /// A sync whose entries carry `unread_msg_count`.
    SyncCounted(Vec<usize>, u32),
    /// An echo of my message i (`addPending`, localId `e<i>`).
    Echo(usize),
    /// Its send's onSuccess (`cacheSent(data, msg, "e<i>")`).
    Sent(usize),
    /// Its send failed (`sendFailed`).
    EchoFailed(usize),
    /// Reopen in a new process: echoes still sending become failed.
    Restart,
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
        2 => (0..n, 0u32..4).prop_map(|(i, c)| Op::Receipt(i, c)),
        1 => (0usize..5, 0u32..4).prop_map(|(c, u)| Op::Unread(c, u)),
        2 => (prop::collection::vec(0..n, 1..40), 0u32..4).prop_map(|(v, u)| Op::SyncCounted(v, u)),
        2 => (0..n).prop_map(Op::Echo),
        2 => (0..n).prop_map(Op::Sent),
        1 => (0..n).prop_map(Op::EchoFailed),
        1 => Just(Op::Restart),
        1 => (0usize..5).prop_map(Op::MarkRead),
        1 => (0usize..5).prop_map(Op::Remove),
        2 => Just(Op::Reopen),
        2 => (0u64..4, 0u8..3).prop_map(|(at, k)| Op::Fail(at, k)),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<Msg>, Vec<Op>, u64, u32)> {
    universe().prop_flat_map(|u| {
        let n = u.len();
        (Just(u), prop::collection::vec(op(n), 1..40), prop_oneof![Just(16_384u64), Just(26_000), Just(48_000), Just(1 << 20)], prop_oneof![Just(1024u32), Just(4096), Just(16_384)])
    })
}

struct Model {
    /// Acknowledged messages: id -> (conversation, position).
    acked: HashMap<u64, (ConvId, Pos)>,
    retracted: HashSet<u64>,
    /// The smallest receipt count acknowledged per message id.
    receipts: HashMap<u64, u32>,
    /// Unread counts the SDK set and nothing changed since.
    unread: HashMap<ConvId, u32>,
    /// Echoes by localId: failed?
    echoes: HashMap<String, bool>,
}

impl Model {
    fn receipt(&mut self, id: u64, n: u32) {
        let r = self.receipts.entry(id).or_insert(n);
        *r = (*r).min(n);
    }
}

fn sync_payload(msgs: &[&Msg], unread: Option<u32>) -> Value {
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
            let mut entry = if c == 3 {
                json!({"msg_type": 4, "from_gid": 42, "key": 42, "msgs": list})
            } else {
                json!({"msg_type": 3, "from_username": PEERS[c], "from_appkey": APPKEY, "msgs": list})
            };
            if let Some(n) = unread {
                entry["unread_msg_count"] = json!(n);
            }
            entry
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
    // Half the cases read chunks as positions, as the JS store does.
    storage.native_reads = ops.len() % 2 == 1;
    storage.watch_prefix(ns.prefix());
    let cache = Cache::open(storage, cfg.clone()).unwrap().0;
    let mut model = Model { acked: HashMap::new(), retracted: HashSet::new(), receipts: HashMap::new(), unread: HashMap::new(), echoes: HashMap::new() };
    let mut session = 0u32;
    let mut cfg = cfg;
    cfg.session = "s0".into();
    let mut cache = Cache::open(cache.into_storage(), cfg.clone()).unwrap().0;
    for op in ops {
        let before: HashMap<String, u64> = cache.conversations().iter().map(|r| (r.id.to_string(), r.count)).collect();
        // A storage failure in this call makes it give more room back.
        let injected = cache.storage().failures_armed();
        let failing = matches!(op, Op::Fail(..));
        match op {
            Op::Realtime(ix) | Op::Sync(ix) | Op::SyncCounted(ix, _) => {
                let msgs: Vec<&Msg> = ix.iter().map(|&i| &universe[i]).collect();
                let counted = match op {
                    Op::SyncCounted(_, n) => Some(*n),
                    _ => None,
                };
                let payload = match op {
                    Op::Realtime(_) => batch(msgs.iter().map(|m| m.json()).collect()),
                    _ => sync_payload(&msgs, counted),
                };
                let mode = if matches!(op, Op::Realtime(_)) { Mode::Realtime } else { Mode::History };
                for m in &msgs {
                    model.unread.remove(&m.conv_id());
                }
                if let Ok(rep) = jim_cache::testing::cache_via_glue(&mut cache, &payload, mode) {
                    prop_assert_eq!(rep.rejected, 0);
                    // The SDK's count applies to conversations shown (not to
                    // one whose messages all fell below its floor).
                    let shown: HashSet<String> = cache.conversations().iter().map(|r| r.id.to_string()).collect();
                    for m in &msgs {
                        model.acked.insert(m.id, (m.conv_id(), Pos { time: m.time, id: m.id }));
                        if let Some(n) = counted.filter(|_| shown.contains(m.conv_id().as_str())) {
                            model.unread.insert(m.conv_id(), n);
                        }
                    }
                }
            }
            Op::Receipt(i, n) => {
                let m = &universe[*i];
                let conv = m.conv_id();
                let data = match m.conv {
                    3 => json!({"type": 4, "gid": 42, "receipt_msgs": [{"msg_id": m.id, "unread_count": n}]}),
                    _ => json!({"type": 3, "appkey": APPKEY, "username": conv.target(), "receipt_msgs": [{"msg_id": m.id, "unread_count": n}]}),
                };
                if cache.apply_receipts(&data).is_ok() && m.conv == 4 {
                    model.receipt(m.id, *n);
                }
            }
            Op::Unread(c, n) => {
                let id = Msg { id: 0, conv: *c, time: 0, len: 0 }.conv_id();
                let data = match c {
                    3 => json!({"type": 4, "gid": 42, "unreadCount": n}),
                    _ => json!({"type": 3, "appkey": APPKEY, "username": id.target(), "unreadCount": n}),
                };
                model.unread.remove(&id);
                // A conversation the cache does not show is not created.
                if cache.apply_unread(&data).is_ok_and(|rep| rep.ignored == 0) {
                    model.unread.insert(id, *n);
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
                model.unread.remove(&m.conv_id());
                if cache.apply_events(&ev).is_ok() {
                    model.retracted.insert(m.id);
                }
            }
            Op::MarkRead(c) => {
                let id = Msg { id: 0, conv: *c, time: 0, len: 0 }.conv_id();
                model.unread.remove(&id);
                if cache.mark_read(&id).is_ok() {
                    model.unread.insert(id, 0);
                }
            }
            Op::Remove(c) => {
                let id = Msg { id: 0, conv: *c, time: 0, len: 0 }.conv_id();
                model.unread.remove(&id);
                if cache.remove(&id).is_ok() {
                    model.acked.retain(|_, (conv, _)| *conv != id);
                    // Its echoes go too (all echoes here are to bob).
                    if id == ConvId::single(APPKEY, PEERS[0]) {
                        model.echoes.clear();
                    }
                }
            }
            Op::Echo(i) | Op::Sent(i) | Op::EchoFailed(i) if universe[*i].conv != 4 => {}
            Op::Echo(i) => {
                let m = &universe[*i];
                let local = format!("e{}", m.id);
                if cache.add_pending(&m.conv_id(), "text", r#"{"text":"echo"}"#, Some(&local), m.time).is_ok() {
                    model.echoes.insert(local, false);
                }
            }
            Op::Sent(i) => {
                let m = &universe[*i];
                let local = format!("e{}", m.id);
                let j = m.json();
                let data = json!({"code": 0, "msg_id": m.id, "ctime_ms": m.time, "appkey": APPKEY, "target_username": PEERS[0]});
                let msg = json!({"content": j["content"], "target_id": PEERS[0], "msg_id": m.id});
                if cache.cache_sent_echo(&data, &msg, Some(&local)).is_ok() {
                    model.acked.insert(m.id, (m.conv_id(), Pos { time: m.time, id: m.id }));
                    model.echoes.remove(&local);
                }
            }
            Op::EchoFailed(i) => {
                let local = format!("e{}", universe[*i].id);
                if cache.send_failed(&local, Some("network")).is_ok() {
                    if let Some(f) = model.echoes.get_mut(&local) {
                        *f = true;
                    }
                }
            }
            Op::Restart => {
                session += 1;
                cfg.session = format!("s{session}");
                cache = Cache::open(cache.into_storage(), cfg.clone()).expect("opens").0;
                model.echoes.values_mut().for_each(|f| *f = true);
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
        // The newest messages of every conversation go last: a conversation
        // emptied by eviction means the cache was really full and every
        // other one is down to its newest chunk.
        if !injected && !failing {
            let removed = match op {
                Op::Remove(c) => Some(Msg { id: 0, conv: *c, time: 0, len: 0 }.conv_id().to_string()),
                _ => None,
            };
            let index = snap.index.as_ref();
            let bytes = cache.stats().bytes;
            for row in cache.conversations() {
                let had = before.get(row.id).copied().unwrap_or(0);
                if had == 0 || row.count > 0 || removed.as_deref() == Some(row.id) {
                    continue;
                }
                prop_assert!(bytes >= budget / 2, "{} emptied while the cache holds {} of {}", row.id, bytes, budget);
                if let Some(index) = index {
                    for (id, c) in &index.convs {
                        prop_assert!(c.slots.len() <= 1, "{} emptied while {} has {} chunks", row.id, id, c.slots.len());
                    }
                }
            }
        }
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
        for (id, (_, _, _)) in &snap.messages {
            let m = universe.iter().find(|m| m.id == *id).expect("generated");
            prop_assert_eq!(snap.receipts.get(id), if m.conv == 4 { model.receipts.get(id) } else { None }, "receipt of {}", id);
        }
        let mut echoes: HashMap<String, bool> = HashMap::new();
        for e in cache.pending(None) {
            echoes.insert(e.local_id.to_string(), e.status == "failed");
        }
        prop_assert_eq!(&echoes, &model.echoes);
        for row in cache.conversations() {
            let id = ConvId::parse(row.id).unwrap();
            if let Some(n) = model.unread.get(&id) {
                prop_assert_eq!(row.unread, *n, "unread of {}", row.id);
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
