//! Conversation identity.
//!
//! JMessage names a conversation differently in every payload: a group id is
//! an integer in `from_gid`/`key` and a string in `content.target_id`; a
//! single chat is keyed by the *peer*, who is `content.from_id` for incoming
//! messages and `content.target_id` for your own (sent here or on another
//! device). We normalise to one tagged string:
//!
//! - `single:<appkey>:<username>` (appkey of the peer; it falls back to the
//!   sender's, then to your own, since Android may leave it empty);
//! - `group:<gid>` with the gid in decimal.
//!
//! The tag keeps the two kinds apart (the SDK's own `appkey+username` and bare
//! gid strings are ambiguous), and the string is what the JS API hands out.

use std::fmt;

/// Single or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKind {
    Single,
    Group,
}

impl ConvKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConvKind::Single => "single",
            ConvKind::Group => "group",
        }
    }
}

/// A normalised conversation id. See the module docs for the format.
///
/// Its order (for maps only; nothing user-visible depends on it) is by
/// length, then byte by byte from the end: the ids of one account share a
/// long prefix (`single:<appkey>:`) and differ at their end, and on iOS
/// every step of a comparison is interpreted, so a byte-wise `memcmp` from
/// the front (the derived order) was the costliest thing the cache did with
/// a few dozen conversations. (Comparing 8-byte words was measured slower
/// there.) Equality follows the same order.
#[derive(Debug, Clone, Hash)]
pub struct ConvId(String);

impl Ord for ConvId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        if a.len() != b.len() {
            return a.len().cmp(&b.len());
        }
        // A plain loop: the iterator form was the top function in JSC's
        // interpreter (each step a call there).
        let mut i = a.len();
        while i > 0 {
            i -= 1;
            if a[i] != b[i] {
                return a[i].cmp(&b[i]);
            }
        }
        std::cmp::Ordering::Equal
    }
}

impl PartialOrd for ConvId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ConvId {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for ConvId {}

impl ConvId {
    /// A single chat with `username` of `appkey`.
    pub fn single(appkey: &str, username: &str) -> ConvId {
        ConvId(crate::text::concat(&["single:", appkey, ":", username]))
    }

    /// A group chat.
    pub fn group(gid: u64) -> ConvId {
        let mut s = String::from("group:");
        crate::text::push_decimal(&mut s, gid);
        ConvId(s)
    }

    /// Parses an id handed back by a caller; `None` if malformed.
    pub fn parse(s: &str) -> Option<ConvId> {
        if let Some(rest) = s.strip_prefix("group:") {
            let gid: u64 = rest.parse().ok()?;
            (gid > 0 && rest == gid.to_string()).then(|| ConvId::group(gid))
        } else if let Some(rest) = s.strip_prefix("single:") {
            let (appkey, user) = rest.split_once(':')?;
            (!user.is_empty()).then(|| ConvId::single(appkey, user))
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> ConvKind {
        if self.0.starts_with("group:") {
            ConvKind::Group
        } else {
            ConvKind::Single
        }
    }

    /// The peer's username, or the gid as a string.
    pub fn target(&self) -> &str {
        match self.kind() {
            ConvKind::Group => &self.0["group:".len()..],
            ConvKind::Single => {
                let rest = &self.0["single:".len()..];
                rest.split_once(':').map(|(_, u)| u).unwrap_or(rest)
            }
        }
    }

    /// The peer's appkey (single chats only).
    pub fn appkey(&self) -> Option<&str> {
        match self.kind() {
            ConvKind::Group => None,
            ConvKind::Single => self.0["single:".len()..].split_once(':').map(|(a, _)| a),
        }
    }
}

impl fmt::Display for ConvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_total_and_agrees_with_equality() {
        let ids: Vec<ConvId> = ["group:1", "group:12", "group:21", "single:ak:bob", "single:ak:bob2", "single:ak:cob", "single:ka:bob"]
            .iter()
            .map(|s| ConvId::parse(s).unwrap())
            .collect();
        for a in &ids {
            for b in &ids {
                assert_eq!(a == b, a.as_str() == b.as_str());
                assert_eq!(a.cmp(b), b.cmp(a).reverse());
                for c in &ids {
                    if a < b && b < c {
                        assert!(a < c);
                    }
                }
            }
        }
    }

    #[test]
    fn round_trips_and_rejects_malformed() {
        let s = ConvId::single("ak1", "bob_01");
        assert_eq!(s.as_str(), "single:ak1:bob_01");
        assert_eq!(ConvId::parse(s.as_str()), Some(s.clone()));
        assert_eq!(s.target(), "bob_01");
        assert_eq!(s.appkey(), Some("ak1"));
        let g = ConvId::group(22334455);
        assert_eq!(ConvId::parse("group:22334455"), Some(g.clone()));
        assert_eq!(g.target(), "22334455");
        assert_eq!(g.kind(), ConvKind::Group);
        for bad in ["", "group:", "group:0", "group:007", "group:x", "single:ak", "single:ak:", "room:1"] {
            assert_eq!(ConvId::parse(bad), None, "{bad}");
        }
    }
}
