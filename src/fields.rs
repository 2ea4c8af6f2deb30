//! What one raw JSON field of an SDK object means: the one set of helpers
//! every parser uses (messages, sync entries, events, receipts, unread
//! updates, conversations, sends). Each takes a [`Raw`] — the field's exact
//! text, borrowed from the payload — so no parser builds a JSON tree.
//!
//! SDK objects are read into structs of `Option<Raw>` fields. A field
//! marked `deserialize_with = "present"` is `Some("null")` when the object
//! says `null`, so that "missing" and "null" can be told apart in a reason.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};
pub(crate) use crate::raw::Raw;

/// The largest integer a JavaScript number holds exactly: 2^53 - 1.
pub(crate) const MAX_SAFE: u64 = (1 << 53) - 1;

/// For a field whose `null` must not read as missing (see the module docs).
pub(crate) fn present<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Raw<'a>>, D::Error> {
    Raw::deserialize(d).map(Some)
}

/// Whether the value's text starts with `c` (an integer's with a digit).
pub(crate) fn starts(r: Raw, c: u8) -> bool {
    match r.int() {
        // Its first digit, without printing it (a group's gid as a number
        // reaches the string helpers for every message of a sync).
        Some(mut n) => {
            while n >= 10 {
                n /= 10;
            }
            c == b'0' + n as u8
        }
        None => r.get().as_bytes().first() == Some(&c),
    }
}

pub(crate) fn is_null(r: Option<Raw>) -> bool {
    r.is_none_or(|r| r.get() == "null")
}

/// The JSON type of a value, for a reason.
pub(crate) fn type_name(r: Raw) -> &'static str {
    if r.int().is_some() {
        return "a number";
    }
    match r.get().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't') | Some(b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// A JSON string's value, empty or not (borrowed unless it has escapes).
pub(crate) fn any_string<'a>(r: Option<Raw<'a>>) -> Option<Cow<'a, str>> {
    if let Some(plain) = r.and_then(Raw::plain) {
        return Some(Cow::Borrowed(plain));
    }
    let r = r.filter(|r| starts(*r, b'"'))?;
    let text = r.get();
    // Valid JSON (serde checked it): without a backslash the value is the
    // text between the quotes, borrowed.
    if !text.contains('\\') {
        return Some(Cow::Borrowed(&text[1..text.len() - 1]));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// A non-empty JSON string's value.
pub(crate) fn string<'a>(r: Option<Raw<'a>>) -> Option<Cow<'a, str>> {
    any_string(r).filter(|s| !s.is_empty())
}

/// A non-negative integer from a JSON number or a string of digits.
pub(crate) fn uint(r: Raw) -> Option<u64> {
    if let Some(n) = r.int() {
        return Some(n);
    }
    let s = r.get();
    // The usual case first: a JSON integer of at most 15 digits (below 2^53,
    // so no overflow check per digit).
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0, |n, &d| n * 10 + (d - b'0') as u64));
    }
    let digits = |t: &str| !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit());
    if let Some(inner) = s.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return if digits(inner) { inner.parse().ok() } else { None };
    }
    if digits(s) {
        return s.parse().ok();
    }
    let f: f64 = s.parse().ok()?;
    (f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE as f64).then_some(f as u64)
}

/// [`uint`] from 1 to 2^53 - 1.
pub(crate) fn positive(r: Option<Raw>) -> Option<u64> {
    uint(r?).filter(|&n| n > 0 && n <= MAX_SAFE)
}

/// A count: a JSON number (not a string) that fits the counters.
pub(crate) fn count(r: Option<Raw>) -> Option<u32> {
    r.filter(|r| !starts(*r, b'"') && !is_null(Some(*r))).and_then(uint).and_then(|n| u32::try_from(n).ok())
}

/// A code or type tag: an integer written as a JSON integer (`4`, not `"4"`
/// or `4.0`).
pub(crate) fn tag(r: Option<Raw>) -> Option<i64> {
    let r = r?;
    match r.int() {
        Some(n) => i64::try_from(n).ok(),
        None => r.get().parse().ok().filter(|_| !starts(r, b'"')),
    }
}

/// A value for a reason, cut short.
pub(crate) fn short(r: Raw) -> String {
    if let Some(n) = r.int() {
        return n.to_string();
    }
    let s = r.get();
    if s.len() > 40 {
        let cut = (0..=40).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        format!("{}…", &s[..cut])
    } else {
        s.to_string()
    }
}

/// JavaScript truthiness of a value.
pub(crate) fn truthy(r: Raw) -> bool {
    if let Some(n) = r.int() {
        return n != 0;
    }
    let s = r.get();
    match s.as_bytes().first() {
        Some(b'n') | Some(b'f') => false,
        Some(b'"') => s.len() > 2,
        Some(b'[') | Some(b'{') | Some(b't') => true,
        _ => s.parse::<f64>().map(|f| f != 0.0).unwrap_or(true),
    }
}

/// `msg_id`: a positive integer below 2^53, as a number or a numeric string.
pub(crate) fn msg_id(r: Option<Raw>) -> std::result::Result<u64, String> {
    let r = r.ok_or("missing msg_id")?;
    let id = uint(r).ok_or_else(|| format!("msg_id must be a positive integer, got {}", short(r)))?;
    if id == 0 || id > MAX_SAFE {
        return Err(format!("msg_id out of range (1..2^53): {id}"));
    }
    Ok(id)
}

/// A whole call argument, checked to be JSON (`what` names it in the error).
pub(crate) fn argument<'a>(text: &'a str, what: &str) -> Result<Raw<'a>> {
    serde_json::from_str(text).map_err(|e| Error::BadPayload(format!("{what} is not valid JSON: {e}")))
}

/// The elements of a JSON array.
pub(crate) fn elements(r: Raw) -> Vec<Raw> {
    serde_json::from_str(r.get()).unwrap_or_default()
}

/// An object's fields we read, or why it is not one.
pub(crate) fn object<'a, T: Deserialize<'a>>(r: Raw<'a>) -> std::result::Result<T, String> {
    if !starts(r, b'{') {
        return Err(format!("is {}, not an object", type_name(r)));
    }
    serde_json::from_str(r.get()).map_err(|e| format!("is unreadable: {e}"))
}
