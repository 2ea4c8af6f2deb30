//! Normalisation of JMessage payloads into records.
//!
//! The SDK hands the app the same messages in several shapes (see
//! `shared/notes/jmessage-payloads.md`): `onSyncConversation` gives an array of
//! per-conversation entries `{msg_type, from_username?, from_gid?, msgs: []}`
//! (the legacy 1.0 SDK only `{key, msgs}`), `onMsgReceive` a flat
//! `{messages: []}` that can mix conversations and has no top-level sender for
//! groups, a send's `onSuccess(data, msg)` splits one message across two
//! objects, and retractions come as events (`event_type` 55, ids in `msg_ids`
//! or `msgid_list`). This module accepts all of them and produces
//! [`Incoming`] records keyed by [`ConvId`], taking every fact from the most
//! reliable field: the sender is always `content.from_id`, the time the server's
//! `ctime_ms`, the conversation derived from `content` (the entry's fields only
//! fill gaps).
//!
//! A malformed message never fails the batch: it becomes a [`Rejection`] with
//! a reason, and the valid messages around it are kept. Only a payload that is
//! not a batch at all is an [`Error::BadPayload`].

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::record::{empty_body, Kind, Record};

/// The largest stored record accepted, in bytes of its storage form. The
/// server limits a message body to 4 KB; anything far above is hostile.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Largest id (and time) kept exactly by a JS number.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// Values of `ctime_ms` below this are taken as seconds (1973 in ms).
const SECONDS_BELOW: u64 = 100_000_000_000;

/// The logged-in account; decides what is "out" and fills missing appkeys.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub appkey: &'a str,
    pub username: &'a str,
}

/// A normalised message and the conversation it belongs to.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub conv: ConvId,
    pub record: Record,
    /// `false` when the time fell back to the sender's `create_time` (no
    /// server `ctime_ms`): a later copy may carry a different time, so dedup
    /// must look for the id in the whole conversation.
    pub server_time: bool,
}

/// A message that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub id: Option<u64>,
    pub reason: String,
}

/// The messages of one call.
#[derive(Debug, Default)]
pub struct Batch {
    pub messages: Vec<Incoming>,
    pub rejected: Vec<Rejection>,
    /// Not conversation messages (chat-room messages): skipped on purpose.
    pub ignored: usize,
}

/// A retraction (`event_type` 55).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// `None` when the event names no conversation we can derive.
    pub conv: Option<ConvId>,
    pub ids: Vec<u64>,
}

/// The events of one call.
#[derive(Debug, Default)]
pub struct Events {
    pub retractions: Vec<Retraction>,
    pub rejected: Vec<Rejection>,
    /// Events that do not concern stored messages (group changes, logins...).
    pub ignored: usize,
}

/// What the SDK callback was: the second argument of `cacheMsg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `onSyncConversation`: offline and roaming sync.
    History,
    /// `onMsgReceive`: realtime batches.
    Realtime,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode> {
        match s {
            "history" => Ok(Mode::History),
            "realtime" => Ok(Mode::Realtime),
            other => Err(Error::BadArgument(format!(
                "mode must be 'history' or 'realtime', got {other:?}"
            ))),
        }
    }
}

/// Entry-level facts that fill gaps in a sync message.
#[derive(Default, Clone, Copy)]
struct Hint<'a> {
    gid: Option<u64>,
    peer: Option<&'a str>,
    peer_appkey: Option<&'a str>,
}

/// Parses what `onSyncConversation` or `onMsgReceive` delivered. The shape is
/// recognised from the data, so either mode accepts an array of entries, one
/// entry, `{messages: [...]}`, an array of messages or one message; `mode` is
/// validated by the caller and kept for the API's symmetry with the SDK.
pub fn parse_messages(v: &Value, _mode: Mode, acct: Account) -> Result<Batch> {
    let mut batch = Batch::default();
    match v {
        Value::Array(items) => {
            for item in items {
                parse_item(item, acct, &mut batch);
            }
        }
        Value::Object(o) if o.get("messages").is_some_and(Value::is_array) => {
            for item in o["messages"].as_array().into_iter().flatten() {
                parse_item(item, acct, &mut batch);
            }
        }
        Value::Object(o) if is_entry(o) || is_message(o) => parse_item(v, acct, &mut batch),
        Value::Object(_) => {
            return Err(Error::BadPayload(
                "expected a sync entry array, {messages: [...]}, or a message; got an object with none of msgs, messages, content".into(),
            ))
        }
        other => {
            return Err(Error::BadPayload(format!(
                "expected an array or object from onSyncConversation/onMsgReceive, got {}",
                type_name(other)
            )))
        }
    }
    Ok(batch)
}

fn is_entry(o: &Map<String, Value>) -> bool {
    o.contains_key("msgs")
}

fn is_message(o: &Map<String, Value>) -> bool {
    o.contains_key("content") || o.contains_key("msg_id")
}

fn parse_item(item: &Value, acct: Account, batch: &mut Batch) {
    match item {
        Value::Object(o) if is_entry(o) => parse_entry(o, acct, batch),
        Value::Object(o) if is_message(o) => push(parse_message(item, Hint::default(), acct), batch),
        other => batch.rejected.push(Rejection {
            id: None,
            reason: format!("neither a sync entry (msgs) nor a message (content): {}", type_name(other)),
        }),
    }
}

fn push(r: std::result::Result<Option<Incoming>, Rejection>, batch: &mut Batch) {
    match r {
        Ok(Some(m)) => batch.messages.push(m),
        Ok(None) => batch.ignored += 1,
        Err(rej) => batch.rejected.push(rej),
    }
}

fn parse_entry(o: &Map<String, Value>, acct: Account, batch: &mut Batch) {
    let Some(msgs) = o.get("msgs").and_then(Value::as_array) else {
        batch.rejected.push(Rejection { id: None, reason: "sync entry whose msgs is not an array".into() });
        return;
    };
    let group = o.get("msg_type").and_then(Value::as_u64) == Some(4);
    let hint = Hint {
        gid: if group {
            o.get("from_gid").and_then(positive).or_else(|| o.get("key").and_then(positive))
        } else {
            None
        },
        peer: o.get("from_username").and_then(non_empty_str),
        peer_appkey: o.get("from_appkey").and_then(non_empty_str),
    };
    for m in msgs {
        push(parse_message(m, hint, acct), batch);
    }
}

/// One message of either shape. `Ok(None)` means "not a conversation
/// message" (chat rooms), which is skipped, not rejected.
fn parse_message(v: &Value, hint: Hint, acct: Account) -> std::result::Result<Option<Incoming>, Rejection> {
    let Some(m) = v.as_object() else {
        return Err(Rejection { id: None, reason: format!("message is {}, not an object", type_name(v)) });
    };
    let id = parse_id(m.get("msg_id")).map_err(|reason| Rejection { id: None, reason })?;
    let reject = |reason: String| Rejection { id: Some(id), reason };
    let content = m
        .get("content")
        .and_then(Value::as_object)
        .ok_or_else(|| reject("missing content object".into()))?;
    let target_type = content.get("target_type").and_then(Value::as_str);
    if target_type == Some("chatroom") {
        return Ok(None);
    }
    let from = content
        .get("from_id")
        .and_then(non_empty_str)
        .or_else(|| m.get("from_username").and_then(non_empty_str))
        .ok_or_else(|| reject("missing content.from_id (sender)".into()))?;
    let (time, server_time) = parse_time(m, content).map_err(reject)?;
    let msg_type = content
        .get("msg_type")
        .and_then(Value::as_str)
        .ok_or_else(|| reject("missing content.msg_type".into()))?;
    let (kind, body) = build_body(msg_type, content).map_err(reject)?;

    let from_appkey = content
        .get("from_appkey")
        .and_then(non_empty_str)
        .or_else(|| m.get("from_appkey").and_then(non_empty_str))
        .unwrap_or(acct.appkey);
    let out = from == acct.username && from_appkey == acct.appkey;

    let group = target_type == Some("group")
        || m.get("msg_type").and_then(Value::as_u64) == Some(4)
        || (target_type.is_none() && hint.gid.is_some());
    let conv = if group {
        let gid = m
            .get("from_gid")
            .and_then(positive)
            .or_else(|| content.get("target_id").and_then(positive))
            .or(hint.gid)
            .ok_or_else(|| reject("group message without a gid (from_gid or content.target_id)".into()))?;
        ConvId::group(gid)
    } else if out {
        let peer = content
            .get("target_id")
            .and_then(non_empty_str)
            .or(hint.peer)
            .ok_or_else(|| reject("own message without content.target_id".into()))?;
        let appkey = content
            .get("target_appkey")
            .and_then(non_empty_str)
            .or_else(|| hint.peer.filter(|p| *p == peer).and(hint.peer_appkey))
            .or_else(|| content.get("from_appkey").and_then(non_empty_str))
            .unwrap_or(acct.appkey);
        ConvId::single(appkey, peer)
    } else {
        ConvId::single(from_appkey, from)
    };

    let record = Record { id, time, kind, from: from.to_string(), out, retracted: false, body };
    let len = record.stored_len();
    if len > MAX_RECORD_BYTES {
        return Err(reject(format!("message too large: {len} bytes stored (limit {MAX_RECORD_BYTES})")));
    }
    Ok(Some(Incoming { conv, record, server_time }))
}

/// `msg_id`: a positive integer below 2^53, as a number or a numeric string.
fn parse_id(v: Option<&Value>) -> std::result::Result<u64, String> {
    let v = v.ok_or("missing msg_id")?;
    let id = to_u64(v).ok_or_else(|| format!("msg_id must be a positive integer, got {}", short(v)))?;
    if id == 0 || id > MAX_SAFE {
        return Err(format!("msg_id out of range (1..2^53): {id}"));
    }
    Ok(id)
}

/// Server time in ms: `ctime_ms`, else `content.create_time` (sender clock,
/// seconds or ms). Values that look like seconds are scaled. The flag says
/// whether the server's time was used.
fn parse_time(m: &Map<String, Value>, content: &Map<String, Value>) -> std::result::Result<(u64, bool), String> {
    let (raw, field, seconds_below) = match m.get("ctime_ms").filter(|v| !v.is_null()) {
        Some(v) => (v, "ctime_ms", SECONDS_BELOW),
        None => match content.get("create_time").filter(|v| !v.is_null()) {
            Some(v) => (v, "content.create_time", 1_000_000_000_000),
            None => return Err("no time: neither ctime_ms nor content.create_time".into()),
        },
    };
    let t = to_u64(raw).ok_or_else(|| format!("{field} must be a positive integer, got {}", short(raw)))?;
    let t = if t < seconds_below { t.saturating_mul(1000) } else { t };
    if t == 0 || t > MAX_SAFE {
        return Err(format!("{field} out of range: {}", short(raw)));
    }
    Ok((t, field == "ctime_ms"))
}

/// A non-negative integer from a JSON number or a string of digits.
fn to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            (f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE as f64).then_some(f as u64)
        }),
        Value::String(s) if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn positive(v: &Value) -> Option<u64> {
    to_u64(v).filter(|&n| n > 0 && n <= MAX_SAFE)
}

fn non_empty_str(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value for an error message, cut short.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        let cut = (0..=40).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

/// The fields of `msg_body` a chat UI needs, per content type.
fn build_body(msg_type: &str, content: &Map<String, Value>) -> std::result::Result<(Kind, Box<RawValue>), String> {
    let empty = Map::new();
    let mb = match content.get("msg_body") {
        Some(Value::Object(o)) => o,
        None | Some(Value::Null) => &empty,
        Some(other) if msg_type == "custom" || Kind::parse(msg_type).is_none() => {
            // Custom and unknown bodies are the developer's: keep any JSON.
            let kind = if msg_type == "custom" { Kind::Custom } else { Kind::Unknown };
            let body = if kind == Kind::Custom {
                other.clone()
            } else {
                serde_json::json!({ "msg_type": msg_type, "msg_body": other })
            };
            return Ok((kind, raw(&body)));
        }
        Some(other) => return Err(format!("msg_body of a {msg_type} message is {}", type_name(other))),
    };
    let mut out = Map::new();
    let copy = |out: &mut Map<String, Value>, keys: &[&str]| {
        for k in keys {
            if let Some(v) = mb.get(*k).filter(|v| !v.is_null()) {
                out.insert((*k).to_string(), v.clone());
            }
        }
    };
    let need_str = |key: &str| -> std::result::Result<(), String> {
        match mb.get(key) {
            Some(Value::String(_)) => Ok(()),
            _ => Err(format!("{msg_type} message without msg_body.{key}")),
        }
    };
    let kind = match msg_type {
        "text" => {
            need_str("text")?;
            copy(&mut out, &["text"]);
            Kind::Text
        }
        "image" => {
            need_str("media_id")?;
            copy(&mut out, &["media_id", "media_crc32", "width", "height", "format", "fsize", "hash"]);
            Kind::Image
        }
        "voice" => {
            need_str("media_id")?;
            copy(&mut out, &["media_id", "media_crc32", "duration", "format", "fsize", "hash"]);
            Kind::Voice
        }
        "file" => {
            need_str("media_id")?;
            copy(&mut out, &["media_id", "media_crc32", "fsize", "fname", "hash"]);
            // The mini-program SDK sends videos as files flagged by extras.video.
            match mb.get("extras").and_then(|e| e.get("video")) {
                Some(flag) if truthy(flag) => {
                    if let Some(ext) = flag.as_str() {
                        out.insert("format".into(), Value::String(ext.to_string()));
                    }
                    Kind::Video
                }
                _ => Kind::File,
            }
        }
        "location" => {
            for k in ["latitude", "longitude"] {
                if !mb.get(k).is_some_and(Value::is_number) {
                    return Err(format!("location message without numeric msg_body.{k}"));
                }
            }
            copy(&mut out, &["latitude", "longitude", "scale", "label"]);
            // The protocol doc spells it `lable`; accept that too.
            if !out.contains_key("label") {
                if let Some(l) = mb.get("lable").filter(|v| v.is_string()) {
                    out.insert("label".into(), l.clone());
                }
            }
            Kind::Location
        }
        "video" => {
            let video = mb
                .get("video")
                .and_then(Value::as_object)
                .filter(|v| v.get("media_id").is_some_and(Value::is_string))
                .ok_or_else(|| "video message without msg_body.video.media_id".to_string())?;
            for k in ["media_id", "media_crc32", "fsize", "fname", "format"] {
                if let Some(v) = video.get(k).filter(|v| !v.is_null()) {
                    out.insert(k.into(), v.clone());
                }
            }
            copy(&mut out, &["duration"]);
            if let Some(thumb) = mb.get("thumb").filter(|t| t.is_object()) {
                out.insert("thumb".into(), thumb.clone());
            }
            Kind::Video
        }
        "custom" => {
            return Ok((Kind::Custom, raw(&Value::Object(mb.clone()))));
        }
        other => {
            let body = serde_json::json!({ "msg_type": other, "msg_body": Value::Object(mb.clone()) });
            return Ok((Kind::Unknown, raw(&body)));
        }
    };
    if let Some(extras) = mb.get("extras").filter(|e| e.is_object()) {
        out.insert("extras".into(), extras.clone());
    }
    if let Some(at) = content.get("at_list").filter(|a| a.is_array()) {
        out.insert("at_list".into(), at.clone());
    }
    Ok((kind, raw(&Value::Object(out))))
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn raw(v: &Value) -> Box<RawValue> {
    RawValue::from_string(v.to_string()).unwrap_or_else(|_| empty_body())
}

/// `onEventNotification` (one object) or `onSyncEvent` (an array). Only
/// retractions (`event_type` 55) concern the store; other events are counted
/// as ignored.
pub fn parse_events(v: &Value, acct: Account) -> Result<Events> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        other => {
            return Err(Error::BadPayload(format!(
                "expected an event object or an array of events, got {}",
                type_name(other)
            )))
        }
    };
    let mut out = Events::default();
    for ev in items {
        let Some(o) = ev.as_object() else {
            out.rejected.push(Rejection { id: None, reason: format!("event is {}, not an object", type_name(ev)) });
            continue;
        };
        match o.get("event_type").and_then(Value::as_u64) {
            Some(55) => match parse_retraction(o, acct) {
                Ok(r) => out.retractions.push(r),
                Err(reason) => out.rejected.push(Rejection { id: None, reason }),
            },
            Some(_) => out.ignored += 1,
            None => out.rejected.push(Rejection { id: None, reason: "event without a numeric event_type".into() }),
        }
    }
    Ok(out)
}

fn parse_retraction(o: &Map<String, Value>, acct: Account) -> std::result::Result<Retraction, String> {
    let list = o
        .get("msg_ids")
        .filter(|v| !v.is_null())
        .or_else(|| o.get("msgid_list").filter(|v| !v.is_null()))
        .ok_or("retraction without msg_ids or msgid_list")?;
    let ids: Vec<u64> = match list {
        Value::Array(a) => a.iter().map(|v| parse_id(Some(v))).collect::<std::result::Result<_, _>>()?,
        single => vec![parse_id(Some(single))?],
    };
    if ids.is_empty() {
        return Err("retraction with an empty id list".into());
    }
    let gid = o.get("from_gid").and_then(positive).or_else(|| o.get("gid").and_then(positive));
    let is_group = o.get("type").and_then(Value::as_u64) == Some(1) || gid.is_some();
    let conv = if is_group {
        gid.map(ConvId::group)
    } else {
        let from = o.get("from_username").and_then(non_empty_str);
        let from_appkey = o.get("from_appkey").and_then(non_empty_str).unwrap_or(acct.appkey);
        if from == Some(acct.username) && from_appkey == acct.appkey {
            // Retracted by yourself on another device: the peer is the target.
            o.get("to_usernames")
                .and_then(|t| t.get(0))
                .and_then(|t| {
                    let user = t.get("username").and_then(non_empty_str)?;
                    let appkey = t.get("appkey").and_then(non_empty_str).unwrap_or(acct.appkey);
                    Some(ConvId::single(appkey, user))
                })
        } else {
            from.map(|u| ConvId::single(from_appkey, u))
        }
    };
    Ok(Retraction { conv, ids })
}

/// A send's `onSuccess(data, msg)`: the id and server time come from `data`,
/// the content from `msg`.
pub fn parse_sent(data: &Value, msg: &Value, acct: Account) -> Result<Batch> {
    let (Some(d), Some(m)) = (data.as_object(), msg.as_object()) else {
        return Err(Error::BadPayload(format!(
            "cacheSent expects the two onSuccess arguments (data, msg) as objects, got {} and {}",
            type_name(data),
            type_name(msg)
        )));
    };
    let mut batch = Batch::default();
    if let Some(code) = d.get("code").and_then(Value::as_i64).filter(|&c| c != 0) {
        batch.rejected.push(Rejection {
            id: d.get("msg_id").and_then(to_u64),
            reason: format!("send failed (code {code}); nothing to cache"),
        });
        return Ok(batch);
    }
    let mut content = m.get("content").cloned().unwrap_or(Value::Null);
    if let Some(c) = content.as_object_mut() {
        if !c.contains_key("from_id") {
            c.insert("from_id".into(), Value::String(acct.username.into()));
        }
        if !c.contains_key("target_id") {
            let target = m.get("target_id").or_else(|| m.get("target_gid")).or_else(|| d.get("target_gid"));
            if let Some(t) = target {
                c.insert("target_id".into(), Value::String(t.as_str().map(str::to_string).unwrap_or_else(|| t.to_string())));
            }
        }
    }
    let group = content.get("target_type").and_then(Value::as_str) == Some("group")
        || d.contains_key("target_gid")
        || m.contains_key("target_gid");
    let synthesized = serde_json::json!({
        "msg_id": d.get("msg_id").or_else(|| m.get("msg_id")).cloned().unwrap_or(Value::Null),
        "ctime_ms": d.get("ctime_ms").cloned().unwrap_or(Value::Null),
        "msg_type": if group { 4 } else { 3 },
        "content": content,
    });
    let mut synthesized = synthesized;
    if synthesized["msg_id"].is_null() {
        synthesized.as_object_mut().expect("object").remove("msg_id");
    }
    push(parse_message(&synthesized, Hint::default(), acct), &mut batch);
    Ok(batch)
}
