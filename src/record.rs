//! Compact message records.
//!
//! A record is what a chat UI needs and nothing of the envelope:
//! `{id, type, body, time, from, out, retracted?}`. `id` is the server
//! `msg_id`, `time` the server `ctime_ms`; records are ordered by
//! [`Pos`] = `(time, id)`, so equal timestamps still have a total order and a
//! paging cursor never loses or repeats a message.
//!
//! The body is kept as raw JSON text ([`RawValue`]): it is built once when the
//! payload is normalised and then copied byte for byte into storage and out to
//! JS, never parsed again. In storage a record is a JSON array
//! `[id, time, type, from, out, retracted, body]` (no field names), which keeps
//! chunks small, followed by what is known only for some records:
//! `, fromName` (the sender's nickname, or `null`) and `, unreadCount` (a
//! read receipt of your own message). 0.1.0 wrote only the first seven; a
//! record without the optional tail is written exactly as 0.1.0 wrote it.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The content kinds a record can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Text,
    Image,
    Voice,
    File,
    Location,
    /// Native `video`, and `file` + `extras.video` from the mini-program SDK.
    Video,
    /// A developer-defined object, kept as is.
    Custom,
    /// A content type this version does not know; the body keeps the original
    /// `msg_type` and `msg_body`.
    Unknown,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Image => "image",
            Kind::Voice => "voice",
            Kind::File => "file",
            Kind::Location => "location",
            Kind::Video => "video",
            Kind::Custom => "custom",
            Kind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "text" => Kind::Text,
            "image" => Kind::Image,
            "voice" => Kind::Voice,
            "file" => Kind::File,
            "location" => Kind::Location,
            "video" => Kind::Video,
            "custom" => Kind::Custom,
            "unknown" => Kind::Unknown,
            _ => return None,
        })
    }
}

/// The ordering key of a record: server time, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub time: u64,
    pub id: u64,
}

impl Pos {
    /// The cursor string handed to JS: `"<time>-<id>"`.
    pub fn cursor(self) -> String {
        format!("{}-{}", self.time, self.id)
    }

    pub fn parse_cursor(s: &str) -> Option<Pos> {
        let (t, i) = s.split_once('-')?;
        let pos = Pos { time: t.parse().ok()?, id: i.parse().ok()? };
        (pos.cursor() == s).then_some(pos)
    }
}

/// One stored message.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: u64,
    pub time: u64,
    pub kind: Kind,
    pub from: String,
    pub out: bool,
    pub retracted: bool,
    pub body: Box<RawValue>,
    /// The sender's nickname (`content.from_name`), when the message gave one.
    pub from_name: Option<String>,
    /// Your own message: how many have not read it yet (0: read), once a
    /// receipt said so.
    pub receipt: Option<u32>,
}

/// Longest nickname or conversation name kept, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// `s` cut to [`MAX_NAME_CHARS`] characters; `None` when empty.
pub fn capped_name(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(match s.char_indices().nth(MAX_NAME_CHARS) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s.to_string(),
    })
}

/// A reason given by the app (`sendFailed`): trimmed, at most 200 characters;
/// `None` when empty.
pub fn capped_reason(s: &str) -> Option<String> {
    let s = s.trim();
    let cut = s.char_indices().nth(200).map_or(s.len(), |(i, _)| i);
    (!s.is_empty()).then(|| s[..cut].to_string())
}

/// The body of a retracted message.
pub fn empty_body() -> Box<RawValue> {
    // Checked once; each message's placeholder is a copy (a body is built,
    // and checked, only for a message that is stored).
    thread_local! {
        static EMPTY: Box<RawValue> = RawValue::from_string("{}".to_string()).expect("valid JSON");
    }
    EMPTY.with(Clone::clone)
}

impl Record {
    pub fn pos(&self) -> Pos {
        Pos { time: self.time, id: self.id }
    }

    /// A record with nothing but the fields every message has.
    pub fn new(id: u64, time: u64, kind: Kind, from: String, out: bool, body: Box<RawValue>) -> Record {
        Record { id, time, kind, from, out, retracted: false, body, from_name: None, receipt: None }
    }

    /// Takes a read receipt: the smaller count wins (receipts only ever go
    /// down). Returns whether the record changed. Only your own messages
    /// have receipts.
    pub fn take_receipt(&mut self, unread: u32) -> bool {
        if !self.out || self.receipt.is_some_and(|r| r <= unread) {
            return false;
        }
        self.receipt = Some(unread);
        true
    }

    /// Turns the record into a tombstone. Returns false if it already was one.
    pub fn retract(&mut self) -> bool {
        if self.retracted {
            return false;
        }
        self.retracted = true;
        self.body = empty_body();
        true
    }

    /// Size of the storage form, in bytes.
    pub fn stored_len(&self) -> usize {
        let mut w = Counter(0);
        serde_json::to_writer(&mut w, self).expect("records always serialize");
        w.0
    }

    /// The JS-facing view.
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            id: self.id,
            kind: self.kind.as_str(),
            body: &self.body,
            time: self.time,
            from: &self.from,
            out: self.out,
            retracted: self.retracted,
            from_name: self.from_name.as_deref(),
            unread_count: self.receipt,
        }
    }
}

/// Counts the bytes a serializer writes.
pub(crate) struct Counter(pub usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let tail = if self.receipt.is_some() { 2 } else { self.from_name.is_some() as usize };
        let mut t = s.serialize_tuple(7 + tail)?;
        t.serialize_element(&self.id)?;
        t.serialize_element(&self.time)?;
        t.serialize_element(self.kind.as_str())?;
        t.serialize_element(&self.from)?;
        t.serialize_element(&(self.out as u8))?;
        t.serialize_element(&(self.retracted as u8))?;
        t.serialize_element(&self.body)?;
        if tail > 0 {
            t.serialize_element(&self.from_name)?;
        }
        if tail > 1 {
            t.serialize_element(&self.receipt)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(RecordVisitor)
    }
}

/// Reads the storage form: seven fields, then the optional tail.
struct RecordVisitor;

impl<'de> serde::de::Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a stored record [id, time, type, from, out, retracted, body, fromName?, unreadCount?]")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Record, A::Error> {
        fn need<'de, A: serde::de::SeqAccess<'de>, T: Deserialize<'de>>(a: &mut A, i: usize) -> Result<T, A::Error> {
            a.next_element()?.ok_or_else(|| A::Error::invalid_length(i, &RecordVisitor))
        }
        let id: u64 = need(&mut a, 0)?;
        let time: u64 = need(&mut a, 1)?;
        let kind: std::borrow::Cow<str> = need(&mut a, 2)?;
        let from: String = need(&mut a, 3)?;
        let out: u8 = need(&mut a, 4)?;
        let retracted: u8 = need(&mut a, 5)?;
        let body: Box<RawValue> = need(&mut a, 6)?;
        let from_name: Option<String> = a.next_element()?.flatten();
        let receipt: Option<u32> = a.next_element()?.flatten();
        if a.next_element::<serde::de::IgnoredAny>()?.is_some() {
            return Err(A::Error::invalid_length(10, &RecordVisitor));
        }
        let kind = Kind::parse(&kind).ok_or_else(|| A::Error::custom(format!("unknown record type {kind}")))?;
        if out > 1 || retracted > 1 {
            return Err(A::Error::custom("flags must be 0 or 1"));
        }
        Ok(Record { id, time, kind, from, out: out == 1, retracted: retracted == 1, body, from_name, receipt })
    }
}

/// A record as the JS API returns it.
#[derive(Serialize)]
pub struct RecordView<'a> {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub body: &'a RawValue,
    pub time: u64,
    pub from: &'a str,
    pub out: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retracted: bool,
    #[serde(rename = "fromName", skip_serializing_if = "Option::is_none")]
    pub from_name: Option<&'a str>,
    #[serde(rename = "unreadCount", skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Record {
        Record::new(50281930011, 1717401200123, Kind::Text, "bob_01".into(), false, RawValue::from_string(r#"{"text":"明天几点出发？"}"#.into()).unwrap())
    }

    #[test]
    fn the_optional_tail_round_trips_and_0_1_0_records_read_as_written() {
        let mut r = rec();
        r.from_name = Some("Bob".into());
        let s = serde_json::to_string(&r).unwrap();
        assert!(s.ends_with(r#"{"text":"明天几点出发？"},"Bob"]"#), "{s}");
        r.out = true;
        assert!(r.take_receipt(2));
        assert!(!r.take_receipt(3), "a larger count never raises it");
        assert!(r.take_receipt(0));
        r.from_name = None;
        let s = serde_json::to_string(&r).unwrap();
        assert!(s.ends_with(r#",null,0]"#), "{s}");
        assert_eq!(r.stored_len(), s.len());
        let back: Record = serde_json::from_str(&s).unwrap();
        assert_eq!((back.from_name, back.receipt), (None, Some(0)));
        let old = r#"[1,2,"text","a",0,0,{}]"#;
        assert_eq!(serde_json::to_string(&serde_json::from_str::<Record>(old).unwrap()).unwrap(), old);
        assert!(serde_json::from_str::<Record>(r#"[1,2,"text","a",0,0,{},null,1,5]"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"[1,2,"text","a",0,0,{},7]"#).is_err());
    }

    #[test]
    fn names_are_trimmed_and_capped() {
        assert_eq!(capped_name("  "), None);
        assert_eq!(capped_name(" Bob ").as_deref(), Some("Bob"));
        let long = "名".repeat(100);
        assert_eq!(capped_name(&long).unwrap().chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn storage_form_is_a_compact_array_and_round_trips() {
        let r = rec();
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"[50281930011,1717401200123,"text","bob_01",0,0,{"text":"明天几点出发？"}]"#);
        assert_eq!(r.stored_len(), s.len());
        let back: Record = serde_json::from_str(&s).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), s);
    }

    #[test]
    fn view_has_the_js_field_names_and_omits_false_retracted() {
        let mut r = rec();
        let v = serde_json::to_string(&r.view()).unwrap();
        assert_eq!(v, r#"{"id":50281930011,"type":"text","body":{"text":"明天几点出发？"},"time":1717401200123,"from":"bob_01","out":false}"#);
        assert!(r.retract());
        assert!(!r.retract());
        let v = serde_json::to_string(&r.view()).unwrap();
        assert!(v.ends_with(r#""body":{},"time":1717401200123,"from":"bob_01","out":false,"retracted":true}"#), "{v}");
    }

    #[test]
    fn cursor_round_trips_strictly() {
        let p = Pos { time: 5, id: 7 };
        assert_eq!(Pos::parse_cursor(&p.cursor()), Some(p));
        for bad in ["", "5", "5-", "-7", "05-7", "5-7-1", "a-b"] {
            assert_eq!(Pos::parse_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_bad_stored_records() {
        for bad in [r#"[1,2,"weird","a",0,0,{}]"#, r#"[1,2,"text","a",2,0,{}]"#, r#"[1,2]"#, r#"{"id":1}"#] {
            assert!(serde_json::from_str::<Record>(bad).is_err(), "{bad}");
        }
    }
}
