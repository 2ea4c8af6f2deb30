//! The benchmark's login sync (20 conversations x 100 messages) through the
//! compact route, natively: for `valgrind --tool=callgrind`, whose instruction
//! counts track what the wasm interpreter pays on iOS.
//! `cargo run --release --example profile_sync [first|dup|realtime|stream]`
use jim_cache::{testing::compact_of, Cache, Config, MemoryStorage};
use serde_json::{json, Value};

const APPKEY: &str = "a1b2c3d4e5f60718293a4b5c";

fn msg(id: u64, peer: &str, time: u64) -> Value {
    json!({"msg_id": id, "ctime_ms": time, "msg_type": 3, "from_username": peer, "from_appkey": APPKEY, "key": 1,
      "msg_level": "normal", "need_receipt": false,
      "content": {"version": 1, "target_type": "single", "target_id": "wx_alice", "from_id": peer, "from_platform": "web",
        "create_time": time - 100, "msg_type": "text", "msg_body": {"text": format!("第{}条消息: see you at the east gate at 7:30, bring water", id % 1000)}}})
}

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "dup".into());
    let mut id = 60_000_000_000u64;
    let sync: Vec<Value> = (0..20)
        .map(|c| {
            let peer = format!("peer{c}");
            let msgs: Vec<Value> = (0..100).map(|i| { id += 1; msg(id, &peer, 1_717_400_000_000 + i) }).collect();
            json!({"msg_type": 3, "from_username": peer, "from_appkey": APPKEY, "key": 1, "msgs": msgs})
        })
        .collect();
    let batch = compact_of(&Value::Array(sync)).expect("compact");
    let (mut cache, _) = Cache::open(MemoryStorage::new(), Config::new(APPKEY, "wx_alice")).expect("open");
    if what != "first" {
        cache.cache_compact(&batch.slots, &batch.table, &mut |w| Ok(batch.bodies_for(w))).expect("first");
    }
    if what == "stream" {
        // One message per call into a conversation already holding 100.
        for i in 0..2000u64 {
            let one = compact_of(&json!([msg(70_000_000_000 + i, "peer0", 1_717_500_000_000 + i)])).expect("compact");
            cache.cache_compact(&one.slots, &one.table, &mut |w| Ok(one.bodies_for(w))).expect("realtime");
        }
        return;
    }
    let n = if what == "realtime" { 1 } else { 5 };
    for _ in 0..n {
        let r = cache.cache_compact(&batch.slots, &batch.table, &mut |w| Ok(batch.bodies_for(w))).expect("again");
        eprintln!("added {} duplicates {}", r.added, r.duplicates);
    }
}
