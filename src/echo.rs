//! Local echoes: messages being sent, shown at once and kept across
//! restarts until the send's `onSuccess` stores the real message
//! (`cacheSent(data, msg, localId)`) or the app gives up on them.
//!
//! Echoes live in the index (the commit point), so replacing an echo by its
//! stored message is one commit: after a crash either the echo or the
//! message is there, never both, never neither. They are never evicted and
//! are bounded in number ([`MAX_ECHOES`]) and size ([`MAX_ECHO_BODY_BYTES`]).
//!
//! **Sending or failed.** An echo is `sending` only in the process that
//! added it: each process of the glue passes its own session token, and an
//! echo still `sending` under another token is shown `failed` (the process
//! that sent it died). So opening never has to write, and a second handle in
//! the same process does not fail the first one's sends.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::record::Kind;

/// Echoes kept at most (all conversations).
pub const MAX_ECHOES: usize = 50;
/// Largest echo body (the server limits a message body to 4 KB).
pub const MAX_ECHO_BODY_BYTES: usize = 4096;
/// Longest `localId`, in bytes.
pub const MAX_LOCAL_ID_BYTES: usize = 64;
/// Why an echo of a dead process failed.
pub const STOPPED: &str = "the mini-program stopped before the send completed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Sending,
    Failed,
}

/// A message being sent.
#[derive(Debug, Clone)]
pub struct Echo {
    pub local_id: String,
    pub conv: ConvId,
    pub kind: Kind,
    pub body: Box<RawValue>,
    /// The sender's clock when it was (last) sent, in ms.
    pub time: u64,
    pub status: Status,
    pub reason: Option<String>,
    /// The session of the process that is sending it.
    pub session: String,
}

impl Echo {
    /// Its status as the process of `session` sees it.
    pub fn status_in(&self, session: &str) -> (Status, Option<&str>) {
        match self.status {
            Status::Sending if self.session != session => (Status::Failed, Some(STOPPED)),
            s => (s, self.reason.as_deref()),
        }
    }

    pub fn view<'a>(&'a self, from: &'a str, session: &str) -> EchoView<'a> {
        let (status, reason) = self.status_in(session);
        EchoView {
            local_id: &self.local_id,
            id: None,
            kind: self.kind.as_str(),
            body: &self.body,
            time: self.time,
            from,
            out: true,
            status: match status {
                Status::Sending => "sending",
                Status::Failed => "failed",
            },
            reason,
        }
    }
}

/// An echo as the JS API returns it: a record with `id: null`, a
/// `localId` and a `status`.
#[derive(Serialize)]
pub struct EchoView<'a> {
    #[serde(rename = "localId")]
    pub local_id: &'a str,
    pub id: Option<u64>,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub body: &'a RawValue,
    pub time: u64,
    pub from: &'a str,
    pub out: bool,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// Checks what `addPending` was given: a known type (not `unknown`), a body
/// that is a JSON object within the size limit (a text needs its `text`).
pub fn checked(kind: &str, body: &str) -> Result<(Kind, Box<RawValue>)> {
    let bad = |m: String| Error::BadArgument(m);
    let kind = Kind::parse(kind).filter(|k| *k != Kind::Unknown).ok_or_else(|| {
        bad(format!("type must be text, image, voice, file, location, video or custom, got {kind:?}"))
    })?;
    if body.len() > MAX_ECHO_BODY_BYTES {
        return Err(bad(format!("body is {} bytes, more than {MAX_ECHO_BODY_BYTES}", body.len())));
    }
    let raw: Box<RawValue> = serde_json::from_str(body).map_err(|e| bad(format!("body is not JSON: {e}")))?;
    if !raw.get().starts_with('{') {
        return Err(bad("body must be an object".into()));
    }
    if kind == Kind::Text {
        #[derive(Deserialize)]
        struct Text {
            text: Option<String>,
        }
        let t: Text = serde_json::from_str(raw.get()).map_err(|e| bad(format!("body of a text: {e}")))?;
        if t.text.is_none() {
            return Err(bad("a text echo needs body.text".into()));
        }
    }
    Ok((kind, raw))
}

/// Checks a caller's `localId`.
pub fn checked_local_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_LOCAL_ID_BYTES {
        return Err(Error::BadArgument(format!("localId must be 1 to {MAX_LOCAL_ID_BYTES} bytes, got {}", id.len())));
    }
    Ok(())
}

/// The storage form in the index: `[localId, conv, type, body, time,
/// failed (0/1), reason, session]`.
pub type EchoOut<'a> = (&'a str, &'a str, &'a str, &'a RawValue, u64, u8, Option<&'a str>, &'a str);
pub type EchoIn = (String, String, String, Box<RawValue>, u64, u8, Option<String>, String);

pub fn to_stored(e: &Echo) -> EchoOut<'_> {
    (&e.local_id, e.conv.as_str(), e.kind.as_str(), &e.body, e.time, (e.status == Status::Failed) as u8, e.reason.as_deref(), &e.session)
}

pub fn from_stored(e: EchoIn) -> Option<Echo> {
    let (local_id, conv, kind, body, time, failed, reason, session) = e;
    Some(Echo {
        local_id,
        conv: ConvId::parse(&conv)?,
        kind: Kind::parse(&kind)?,
        body,
        time,
        status: match failed {
            0 => Status::Sending,
            1 => Status::Failed,
            _ => return None,
        },
        reason,
        session,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_types_are_checked() {
        assert!(checked("text", r#"{"text":"hi"}"#).is_ok());
        assert!(checked("custom", r#"{"a":1}"#).is_ok());
        for (k, b) in [("text", "{}"), ("unknown", "{}"), ("weird", "{}"), ("image", "[1]"), ("text", "{bad")] {
            assert!(checked(k, b).is_err(), "{k} {b}");
        }
        let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(MAX_ECHO_BODY_BYTES));
        assert!(checked("text", &big).is_err());
        assert!(checked_local_id("").is_err());
        assert!(checked_local_id(&"x".repeat(65)).is_err());
    }

    #[test]
    fn a_sending_echo_of_another_session_is_failed() {
        let e = Echo {
            local_id: "l1".into(),
            conv: ConvId::group(1),
            kind: Kind::Text,
            body: crate::index::raw_json(r#"{"text":"x"}"#),
            time: 5,
            status: Status::Sending,
            reason: None,
            session: "a".into(),
        };
        assert_eq!(e.status_in("a"), (Status::Sending, None));
        assert_eq!(e.status_in("b"), (Status::Failed, Some(STOPPED)));
        let back = from_stored(serde_json::from_str(&serde_json::to_string(&to_stored(&e)).unwrap()).unwrap()).unwrap();
        assert_eq!((back.local_id, back.time, back.session), ("l1".to_string(), 5, "a".to_string()));
    }
}
