//! One conformance suite for both stores: the cases of
//! `tests/conformance/cases.json` run here on [`MemoryStorage`] through the
//! core's API, and in `tests/js/suite.js` on the package's JS store over a
//! fake `wx` through `openCache` (Node, JavaScriptCore, and both compiled
//! glues). Both must produce `tests/conformance/expected.json` exactly: every
//! call's result, the conversation list after every call, and at the end
//! every conversation's messages. (Here `cacheMsg` takes the whole-payload
//! route; the package takes the glue's compact route, bodies last: the two
//! are checked against each other too.)
//!
//! `UPDATE_CONFORMANCE=1 cargo test --test conformance` rewrites the expected
//! results from this side (then review the diff).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::{Cache, ConvId, MemoryStorage, Mode};
use serde_json::{json, Value};

const CASES: &str = include_str!("conformance/cases.json");
const EXPECTED: &str = "tests/conformance/expected.json";

/// A step's argument: inline, or `{"fixture": name}` (its `data` and `msg`).
fn arg(v: &Value, fixtures: &Value) -> Value {
    match v.get("fixture").and_then(Value::as_str) {
        Some(name) => fixtures[name].clone(),
        None => v.clone(),
    }
}

fn result<T: serde::Serialize>(r: jim_cache::error::Result<T>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).expect("serialises"),
        Err(e) => json!({ "error": e.code() }),
    }
}

fn conv(id: &Value) -> ConvId {
    ConvId::parse(id.as_str().expect("an id")).expect("a conversation id")
}

/// The list, and every conversation's first 100 messages, as the package returns them.
fn views(cache: &mut Cache<MemoryStorage>) -> (Value, Value) {
    let list = serde_json::to_value(cache.conversations()).expect("serialises");
    let mut pages = serde_json::Map::new();
    for row in list.as_array().expect("a list") {
        let id = conv(&row["id"]);
        let (records, next) = cache.messages(&id, 100, None).expect("a page");
        pages.insert(id.to_string(), serde_json::to_value(cache.page_view_with_echoes(&id, &records, None, next)).unwrap());
    }
    (list, Value::Object(pages))
}

fn run(case: &Value, fixtures: &Value, native: bool) -> Value {
    let mut cfg = config();
    if let Some(b) = case["options"]["budgetBytes"].as_u64() {
        cfg.budget_bytes = b;
    }
    let mut storage = MemoryStorage::new();
    storage.native_reads = native;
    let mut cache = open(storage, cfg.clone());
    let mut steps = Vec::new();
    for step in case["steps"].as_array().expect("steps") {
        let s = step.as_array().expect("a step");
        let out = match s[0].as_str().expect("a call") {
            "cacheMsg" => {
                let mode = Mode::parse(s[2].as_str().unwrap()).unwrap();
                result(cache.cache_messages(&data(&s[1], fixtures), mode))
            }
            "cacheSent" => {
                let f = arg(&s[1], fixtures);
                result(cache.cache_sent(&f["data"], &f["msg"]))
            }
            "applyEvent" => result(cache.apply_events(&data(&s[1], fixtures))),
            "applyReceipts" => result(cache.apply_receipts(&data(&s[1], fixtures))),
            "applyUnread" => result(cache.apply_unread(&data(&s[1], fixtures))),
            "applyConversations" => result(cache.apply_conversations(&data(&s[1], fixtures))),
            "markRead" => result(cache.mark_read(&conv(&s[1]))),
            "remove" => result(cache.remove(&conv(&s[1]))),
            "reopen" => {
                let storage = cache.into_storage();
                let (c, report) = Cache::open(storage, cfg.clone()).expect("reopens");
                cache = c;
                serde_json::to_value(report).unwrap()
            }
            other => panic!("unknown call {other}"),
        };
        steps.push(json!({ "result": out, "conversations": views(&mut cache).0 }));
    }
    json!({ "name": case["name"], "steps": steps, "pages": views(&mut cache).1 })
}

/// A fixture's `data` (or an inline value).
fn data(v: &Value, fixtures: &Value) -> Value {
    match v.get("fixture") {
        Some(_) => arg(v, fixtures)["data"].clone(),
        None => v.clone(),
    }
}

#[test]
fn memory_storage_gives_the_expected_results() {
    let fixtures: Value = serde_json::to_value(fixtures().into_iter().map(|(k, (data, msg))| (k, json!({"data": data, "msg": msg}))).collect::<std::collections::BTreeMap<_, _>>()).unwrap();
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let got = Value::Array(cases.as_array().unwrap().iter().map(|c| run(c, &fixtures, false)).collect());
    // Chunks handed over as positions, as the JS store does: the same results.
    let native = Value::Array(cases.as_array().unwrap().iter().map(|c| run(c, &fixtures, true)).collect());
    for (g, n) in got.as_array().unwrap().iter().zip(native.as_array().unwrap()) {
        assert_eq!(g, n, "case {} with native reads", g["name"]);
    }
    let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
    if std::env::var_os("UPDATE_CONFORMANCE").is_some() {
        std::fs::write(EXPECTED, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(EXPECTED).expect("expected results: run with UPDATE_CONFORMANCE=1 once");
    let want: Value = serde_json::from_str(&want).unwrap();
    for (g, w) in got.as_array().unwrap().iter().zip(want.as_array().unwrap()) {
        assert_eq!(g, w, "case {}", w["name"]);
    }
    assert_eq!(got.as_array().unwrap().len(), want.as_array().unwrap().len());
}
