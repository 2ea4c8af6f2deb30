//! The binding layer in a JS engine (`wasm-pack test --node`): JSON across the
//! boundary, storage errors thrown by JS classified, errors as coded JS `Error`s.
#![cfg(target_arch = "wasm32")]

use jim_cache::bindings::{JimCache, JsStorage};
use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const OPTIONS: &str = r#"{"appkey":"a1b2c3d4e5f60718293a4b5c","username":"wx_alice"}"#;

/// A JS storage object over a Map; `failWith` makes the next `set` (or
/// `setAppended`) throw it.
fn storage() -> JsValue {
    Function::new_no_args(
        "const m = new Map();
         return {
           m,
           get(k) { return m.has(k) ? m.get(k) : null; },
           set(k, v) { if (this.failWith !== undefined) { const f = this.failWith; this.failWith = undefined; throw f; } m.set(k, v); },
           setAppended(k, base, insert) {
             const b = m.get(base);
             if (typeof b !== 'string' || !b.endsWith(']}')) throw 'setAppended:fail base ' + base;
             this.set(k, b.slice(0, -2) + insert + ']}');
           },
           remove(k) { m.delete(k); },
           keys(p) { return JSON.stringify([...m.keys()].filter(k => k.startsWith(p))); },
           usage() { return this.usageJson || null; },
         };",
    )
    .call0(&JsValue::NULL)
    .unwrap()
}

fn open(s: &JsValue, options: &str) -> Result<JimCache, JsValue> {
    JimCache::new(s.clone().unchecked_into::<JsStorage>(), options)
}

fn message(id: u64, time: u64) -> String {
    format!(
        r#"{{"messages":[{{"msg_id":{id},"ctime_ms":{time},"msg_type":3,"content":{{"target_type":"single","target_id":"wx_alice","from_id":"bob_01","msg_type":"text","msg_body":{{"text":"你好 {id}"}}}}}}]}}"#
    )
}

fn code(e: &JsValue) -> String {
    assert!(e.is_instance_of::<js_sys::Error>(), "a real Error");
    assert_eq!(Reflect::get(e, &"name".into()).unwrap().as_string().unwrap(), "JimCacheError");
    Reflect::get(e, &"code".into()).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
fn round_trip_through_json() {
    let s = storage();
    let mut cache = open(&s, OPTIONS).unwrap();
    let report = cache.cache_msg(&message(1, 1717400000000), "realtime").unwrap();
    let report = JSON::parse(&report).unwrap();
    assert_eq!(Reflect::get(&report, &"added".into()).unwrap().as_f64(), Some(1.0));
    let list = JSON::parse(&cache.conversations()).unwrap();
    let first = Reflect::get(&list, &0.into()).unwrap();
    let last = Reflect::get(&first, &"last".into()).unwrap();
    assert_eq!(Reflect::get(&last, &"id".into()).unwrap().as_f64(), Some(1.0));
    let page = cache.messages("single:a1b2c3d4e5f60718293a4b5c:bob_01", 10, None).unwrap();
    assert!(page.contains("你好 1"), "{page}");
    // Reopening over the same JS storage sees the same data.
    let mut again = open(&s, OPTIONS).unwrap();
    assert_eq!(again.conversations(), cache.conversations());
    assert!(again.stats().contains("\"messages\":1"));
}

#[wasm_bindgen_test]
fn bad_calls_are_coded_errors() {
    let s = storage();
    let mut cache = open(&s, OPTIONS).unwrap();
    assert_eq!(code(&cache.cache_msg("{not json", "realtime").unwrap_err()), "BAD_PAYLOAD");
    assert_eq!(code(&cache.cache_msg("null", "realtime").unwrap_err()), "BAD_PAYLOAD");
    assert_eq!(code(&cache.cache_msg("[]", "offline").unwrap_err()), "BAD_ARGUMENT");
    assert_eq!(code(&cache.messages("nope", 10, None).unwrap_err()), "BAD_ARGUMENT");
    assert_eq!(code(&cache.messages("group:1", 10, Some("x".into())).unwrap_err()), "BAD_ARGUMENT");
    assert_eq!(code(&open(&s, r#"{"appkey":"a"}"#).err().unwrap()), "BAD_ARGUMENT");
    assert_eq!(code(&open(&s, r#"{"appkey":"a","username":"b","colour":1}"#).err().unwrap()), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
fn storage_errors_thrown_by_js_are_classified() {
    let s = storage();
    let mut cache = open(&s, OPTIONS).unwrap();
    cache.cache_msg(&message(1, 1717400000000), "realtime").unwrap();
    let cases: [(JsValue, &str); 4] = [
        (js_sys::Error::new("APP-SERVICE-SDK:setStorageSync:fail:entry size limit reached").into(), "STORAGE_FULL"),
        (JsValue::from_str("setStorageSync:fail exceed storage item max length"), "STORAGE_FULL"),
        (JSON::parse(r#"{"errMsg":"setStorageSync:fail write DB data fail"}"#).unwrap(), "STORAGE_IO"),
        (JsValue::from_f64(42.0), "STORAGE_IO"),
    ];
    for (i, (thrown, expected)) in cases.into_iter().enumerate() {
        Reflect::set(&s, &"failWith".into(), &thrown).unwrap();
        let e = cache.cache_msg(&message(10 + i as u64, 1717400001000 + i as u64), "realtime").unwrap_err();
        assert_eq!(code(&e), expected);
        assert!(cache.stats().contains("\"messages\":1"), "nothing lost or added");
    }
    // A quota error is retried after eviction.
    let quota: JsValue = js_sys::Error::new("setStorageSync:fail:quota reached").into();
    Reflect::set(&s, &"failWith".into(), &quota).unwrap();
    assert!(cache.cache_msg(&message(20, 1717400002000), "realtime").unwrap().contains("\"added\":1"));
}

#[wasm_bindgen_test]
fn the_host_usage_shrinks_the_budget() {
    let s = storage();
    Reflect::set(&s, &"usageJson".into(), &JsValue::from_str("[10000000, 10240000]")).unwrap();
    let mut cache = open(&s, OPTIONS).unwrap();
    let stats = JSON::parse(&cache.stats()).unwrap();
    let budget = Reflect::get(&stats, &"budgetBytes".into()).unwrap().as_f64().unwrap();
    assert!(budget < 240_000.0, "{budget}");
    cache.clear().unwrap();
    assert!(cache.stats().contains("\"keys\":0"));
}

#[wasm_bindgen_test]
fn receipts_unread_and_conversations_cross_as_json() {
    let s = storage();
    let mut cache = open(&s, OPTIONS).unwrap();
    cache.cache_msg(&message(1, 1717400000000), "realtime").unwrap();
    let rep = cache.apply_conversations(r#"{"code":0,"conversations":[{"type":3,"username":"bob_01","nickName":"Bob","avatar":"m1","unread_msg_count":0}]}"#).unwrap();
    assert!(rep.contains("\"updated\":1"), "{rep}");
    let list = cache.conversations();
    assert!(list.contains("\"name\":\"Bob\"") && list.contains("\"avatar\":\"m1\"") && list.contains("\"unread\":0"), "{list}");
    let rep = cache.apply_unread(r#"{"type":3,"username":"bob_01","unreadCount":0}"#).unwrap();
    assert!(rep.contains("\"updated\":0"), "{rep}");
    let rep = cache.apply_receipts(r#"[{"type":3,"username":"bob_01","receipt_msgs":[{"msg_id":99,"unread_count":0}]}]"#).unwrap();
    assert!(rep.contains("\"pending\":1"), "{rep}");
    assert_eq!(code(&cache.apply_receipts("{bad").unwrap_err()), "BAD_PAYLOAD");
    assert_eq!(code(&cache.apply_unread("3").unwrap_err()), "BAD_PAYLOAD");
    assert_eq!(code(&cache.apply_conversations(r#"{"code":1}"#).unwrap_err()), "BAD_PAYLOAD");
}
