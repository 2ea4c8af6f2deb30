//! Raw JSON values borrowed from the text being read, and a scanner that
//! finds where one ends.
//!
//! [`Raw`] is what the payload reader works on: the exact text of one JSON
//! value, checked to be well-formed, never built into a tree. serde fills it
//! (through `serde_json`'s `RawValue`) for payloads; [`Scanner`] fills it
//! for the compact batch (see [`crate::compact`]), without serde's visitor
//! machinery, which is a large share of what the interpreter runs per field
//! on iOS.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// One well-formed JSON value: its text, or (what the compact batch hands
/// over as a number) a non-negative integer, which has no text here. The
/// field helpers (`fields`) read both alike, so an integer is never
/// printed only to be parsed back (on iOS that was a fifth of reading a
/// batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(Repr<'a>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repr<'a> {
    Text(&'a str),
    /// A JSON string whose text has no backslash: its value is the text
    /// between the quotes.
    Plain(&'a str),
    Int(u64),
}

impl<'a> Raw<'a> {
    /// The JSON text; `""` (which no JSON value is) for an integer that has
    /// none: read it with [`Raw::int`] or the field helpers.
    pub fn get(self) -> &'a str {
        match self.0 {
            Repr::Text(t) | Repr::Plain(t) => t,
            Repr::Int(_) => "",
        }
    }

    /// The integer, when the value came as one.
    pub fn int(self) -> Option<u64> {
        match self.0 {
            Repr::Int(n) => Some(n),
            _ => None,
        }
    }

    /// A string value known to need no unescaping (between the quotes).
    pub fn plain(self) -> Option<&'a str> {
        match self.0 {
            Repr::Plain(t) => Some(&t[1..t.len() - 1]),
            _ => None,
        }
    }

    /// Text the crate made itself and knows to be one JSON value.
    pub(crate) fn trusted(text: &'a str) -> Raw<'a> {
        Raw(Repr::Text(text))
    }

    /// An integer from 0 to 2^53 - 1.
    pub(crate) fn integer(n: u64) -> Raw<'a> {
        Raw(Repr::Int(n))
    }

    /// The same value, marked plain when it is a string without escapes
    /// (for values read many times: the compact batch's table).
    pub(crate) fn marked(self) -> Raw<'a> {
        match self.0 {
            Repr::Text(t) if t.starts_with('"') && !t.contains('\\') => Raw(Repr::Plain(t)),
            _ => self,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|r| Raw::trusted(r.get()))
    }
}

/// Reads JSON values from the front of a text, checking each is
/// well-formed: exactly what `serde_json` accepts (no trailing commas,
/// control characters only escaped, valid escapes and numbers), so that a
/// value it hands out can be stored as it is.
pub struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

/// Where and why a text is not the JSON expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError(pub usize);

type Scan<T> = Result<T, ScanError>;

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Scanner<'a> {
        Scanner { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn fail<T>(&self) -> Scan<T> {
        Err(ScanError(self.at))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    pub fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    /// Consumes `token` (after white space) or fails.
    pub fn expect(&mut self, token: &str) -> Scan<()> {
        self.skip_ws();
        if self.bytes()[self.at..].starts_with(token.as_bytes()) {
            self.at += token.len();
            Ok(())
        } else {
            self.fail()
        }
    }

    /// After an element of an array: `true` for `,`, `false` for `]`.
    pub fn more(&mut self) -> Scan<bool> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b']') => {
                self.at += 1;
                Ok(false)
            }
            _ => self.fail(),
        }
    }

    /// At the start of an array's elements: `false` (and consumed) if it is
    /// empty.
    pub fn any_elements(&mut self) -> bool {
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            return false;
        }
        true
    }

    /// Whether the whole text has been read (white space aside).
    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.at == self.text.len()
    }

    /// One whole value.
    pub fn value(&mut self) -> Scan<Raw<'a>> {
        self.skip_ws();
        let start = self.at;
        self.skip_value()?;
        self.text.get(start..self.at).map(Raw::trusted).ok_or(ScanError(start))
    }

    /// A value, `None` for `null`.
    pub fn optional(&mut self) -> Scan<Option<Raw<'a>>> {
        let v = self.value()?;
        Ok((v.get() != "null").then_some(v))
    }

    /// An integer (for the compact batch's entry numbers).
    pub fn integer(&mut self) -> Scan<i64> {
        let v = self.value()?;
        v.get().parse().or_else(|_| self.fail())
    }

    /// One value, nesting tracked on a stack of its own (no recursion, no
    /// depth limit: serde_json's `RawValue` has none either).
    fn skip_value(&mut self) -> Scan<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value starts here.
            self.skip_ws();
            match self.peek() {
                Some(b'"') => self.skip_string()?,
                Some(b'{') => {
                    self.at += 1;
                    if self.any_members() {
                        open.push(b'}');
                        self.member_name()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.at += 1;
                    if self.any_elements() {
                        open.push(b']');
                        continue;
                    }
                }
                Some(b't') => self.expect("true")?,
                Some(b'f') => self.expect("false")?,
                Some(b'n') => self.expect("null")?,
                Some(b'-' | b'0'..=b'9') => self.skip_number()?,
                _ => return self.fail(),
            }
            // A value ended: close what it ends, or go on to the next one.
            loop {
                let Some(&close) = open.last() else { return Ok(()) };
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        if close == b'}' {
                            self.member_name()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.at += 1;
                        open.pop();
                    }
                    _ => return self.fail(),
                }
            }
        }
    }

    /// At the start of an object's members: `false` (and consumed) if it is
    /// empty.
    fn any_members(&mut self) -> bool {
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return false;
        }
        true
    }

    /// `"name":` inside an object.
    fn member_name(&mut self) -> Scan<()> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return self.fail();
        }
        self.skip_string()?;
        self.expect(":")
    }

    fn skip_string(&mut self) -> Scan<()> {
        self.at += 1; // the opening quote
        let b = self.bytes();
        loop {
            match b.get(self.at) {
                None => return self.fail(),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match b.get(self.at) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
                        Some(b'u') => {
                            let hex = b.get(self.at + 1..self.at + 5).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                            if hex.is_none() {
                                return self.fail();
                            }
                            self.at += 5;
                        }
                        _ => return self.fail(),
                    }
                }
                Some(&c) if c < 0x20 => return self.fail(),
                Some(_) => self.at += 1,
            }
        }
    }

    fn skip_number(&mut self) -> Scan<()> {
        let b = self.bytes();
        let digits = |at: &mut usize| {
            let from = *at;
            while b.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        let mut at = self.at;
        if b.get(at) == Some(&b'-') {
            at += 1;
        }
        match b.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return Err(ScanError(at)),
        }
        if b.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return Err(ScanError(at));
            }
        }
        if matches!(b.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(b.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return Err(ScanError(at));
            }
        }
        self.at = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(text: &str) -> bool {
        let mut s = Scanner::new(text);
        s.value().is_ok() && s.at_end()
    }

    #[test]
    fn accepts_what_serde_accepts() {
        let cases = [
            "null", "true", "false", "0", "-0", "12", "-1.5e+10", "1E3", "\"\"", "\"a\\u00e9\\n\\\"\"", "\"中文\"", "[]", "[1,[2,{}]]",
            "{}", "{\"a\":1,\"b\":[null]}", " [ 1 , 2 ] ", "01", "1.", ".5", "-", "+1", "1e", "[1,]", "{\"a\":1,}", "{a:1}",
            "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"\x7f\"", "\"a\nb\"", "[", "{\"a\"}", "tru", "nul", "[1 2]", "{\"a\":1 \"b\":2}", "\"unterminated",
        ];
        for c in cases {
            let serde = serde_json::from_str::<&RawValue>(c).is_ok();
            assert_eq!(whole(c), serde, "{c:?}");
        }
    }

    #[test]
    fn hands_out_the_exact_text() {
        let mut s = Scanner::new(" [ {\"a\": [1, \"x\"]} , null ]");
        s.expect("[").unwrap();
        assert_eq!(s.value().unwrap().get(), "{\"a\": [1, \"x\"]}");
        assert!(s.more().unwrap());
        assert_eq!(s.optional().unwrap(), None);
        assert!(!s.more().unwrap());
        assert!(s.at_end());
    }
}

#[cfg(test)]
mod depth {
    use super::*;

    #[test]
    fn nesting_is_unlimited_like_raw_values() {
        for n in [1, 2, 127, 128, 129, 130, 300, 5000] {
            let text = format!("{}{}", "[".repeat(n), "]".repeat(n));
            let mut s = Scanner::new(&text);
            let scanned = s.value().is_ok() && s.at_end();
            assert_eq!(scanned, serde_json::from_str::<&RawValue>(&text).is_ok(), "depth {n}");
            let objects = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
            let mut s = Scanner::new(&objects);
            assert!(s.value().is_ok() && s.at_end(), "objects {n}");
        }
    }
}
