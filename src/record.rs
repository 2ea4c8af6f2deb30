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
//! chunks small.

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
}

/// The body of a retracted message.
pub fn empty_body() -> Box<RawValue> {
    RawValue::from_string("{}".to_string()).expect("valid JSON")
}

impl Record {
    pub fn pos(&self) -> Pos {
        Pos { time: self.time, id: self.id }
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
        (self.id, self.time, self.kind.as_str(), &self.from, self.out as u8, self.retracted as u8, &self.body)
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (id, time, kind, from, out, retracted, body): (u64, u64, String, String, u8, u8, Box<RawValue>) =
            Deserialize::deserialize(d)?;
        let kind = Kind::parse(&kind).ok_or_else(|| D::Error::custom(format!("unknown record type {kind}")))?;
        if out > 1 || retracted > 1 {
            return Err(D::Error::custom("flags must be 0 or 1"));
        }
        Ok(Record { id, time, kind, from, out: out == 1, retracted: retracted == 1, body })
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Record {
        Record {
            id: 50281930011,
            time: 1717401200123,
            kind: Kind::Text,
            from: "bob_01".into(),
            out: false,
            retracted: false,
            body: RawValue::from_string(r#"{"text":"明天几点出发？"}"#.into()).unwrap(),
        }
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
