//! One page of records out of wasm, one batch of messages into it, by each
//! candidate way across the boundary (see Cargo.toml).
use gloo_utils::format::JsValueSerdeExt;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[derive(Serialize, Deserialize)]
struct Body {
    text: String,
}

/// What `messages()` returns for one record.
#[derive(Serialize)]
struct View {
    id: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    body: Body,
    time: u64,
    from: String,
    out: bool,
}

fn page(n: u32) -> Vec<View> {
    (0..n as u64)
        .map(|i| View {
            id: 60_000_000_000 + i,
            kind: "text",
            body: Body { text: format!("第{i}条消息: see you at the east gate at 7:30, bring water") },
            time: 1_717_400_000_000 + i,
            from: "peer_7".into(),
            out: i % 3 == 0,
        })
        .collect()
}

/// JSON text, for one native `JSON.parse` in JS (what jim-cache does).
#[wasm_bindgen]
pub fn page_json(n: u32) -> String {
    serde_json::to_string(&page(n)).unwrap()
}

/// serde-wasm-bindgen: JS objects built by calls from wasm.
#[wasm_bindgen]
pub fn page_swb(n: u32) -> JsValue {
    serde_wasm_bindgen::to_value(&page(n)).unwrap()
}

/// gloo-utils: JSON text turned into a JS value by `JSON.parse` called from wasm.
#[wasm_bindgen]
pub fn page_gloo(n: u32) -> JsValue {
    JsValue::from_serde(&page(n)).unwrap()
}

/// One message of the batch, as the core reads it.
#[derive(Deserialize)]
struct Msg {
    msg_id: u64,
    ctime_ms: u64,
    from_id: String,
    target_id: String,
    msg_type: String,
}

fn sum(msgs: &[Msg]) -> f64 {
    msgs.iter().map(|m| (m.msg_id % 7 + m.ctime_ms % 5) as f64 + (m.from_id.len() + m.target_id.len() + m.msg_type.len()) as f64).sum()
}

/// Numbers in a Float64Array plus one JSON table of strings (what jim-cache does).
#[wasm_bindgen]
pub fn batch_slots(slots: &[f64], table: &str) -> f64 {
    let strings: Vec<String> = serde_json::from_str(table).unwrap();
    let s = |v: f64| strings[(-v - 1.0) as usize].clone();
    let msgs: Vec<Msg> = slots
        .chunks(5)
        .map(|c| Msg { msg_id: c[0] as u64, ctime_ms: c[1] as u64, from_id: s(c[2]), target_id: s(c[3]), msg_type: s(c[4]) })
        .collect();
    sum(&msgs)
}

/// The batch as JSON text.
#[wasm_bindgen]
pub fn batch_json(text: &str) -> f64 {
    sum(&serde_json::from_str::<Vec<Msg>>(text).unwrap())
}

/// serde-wasm-bindgen: the JS objects read field by field from wasm.
#[wasm_bindgen]
pub fn batch_swb(v: JsValue) -> f64 {
    sum(&serde_wasm_bindgen::from_value::<Vec<Msg>>(v).unwrap())
}

/// gloo-utils: `JSON.stringify` called from wasm, then serde_json.
#[wasm_bindgen]
pub fn batch_gloo(v: JsValue) -> f64 {
    sum(&v.into_serde::<Vec<Msg>>().unwrap())
}
