//! Storage keys.
//!
//! Every key the cache writes starts with one namespace,
//! `<prefix>:<appkey>:<username>:` (each part escaped so that no two accounts
//! can share a prefix), so two accounts or two appkeys on one storage never
//! see each other's data and `clear` can remove exactly its own keys. Under it
//! live the index (`…:i`), the directory (`…:d<n>`) and the chunks
//! (`…:c<n>`), `n` a counter that is never reused. Nothing outside the namespace is ever read, written or
//! removed. The SDK's own keys (`conversations-…`, `eve-k-…`) cannot collide
//! with it.

/// The key space of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    prefix: String,
}

fn escape(s: &str) -> String {
    s.replace('%', "%25").replace(':', "%3A")
}

impl Namespace {
    pub fn new(prefix: &str, appkey: &str, username: &str) -> Namespace {
        Namespace { prefix: format!("{}:{}:{}:", escape(prefix), escape(appkey), escape(username)) }
    }

    /// The string every key of this account starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn index_key(&self) -> String {
        self.key('i', None)
    }

    pub fn chunk_key(&self, n: u64) -> String {
        self.key('c', Some(n))
    }

    /// The key of directory value `n` (older chunks' metadata).
    pub fn dir_key(&self, n: u64) -> String {
        self.key('d', Some(n))
    }

    /// `<prefix><kind><n>` (keys are made several times a call).
    fn key(&self, kind: char, n: Option<u64>) -> String {
        let mut k = String::with_capacity(self.prefix.len() + 21);
        k.push_str(&self.prefix);
        k.push(kind);
        if let Some(n) = n {
            crate::text::push_decimal(&mut k, n);
        }
        k
    }

    /// The chunk number of one of our keys, if it is a well-formed chunk key.
    pub fn parse_chunk_key(&self, key: &str) -> Option<u64> {
        chunk_number(key.strip_prefix(&self.prefix)?)
    }
}

/// The chunk number of what follows the namespace in a chunk key (`c<n>`,
/// `n` written without leading zeros).
pub fn chunk_number(rest: &str) -> Option<u64> {
    let n = rest.strip_prefix('c')?;
    let b = n.as_bytes();
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    Some(b.iter().fold(0, |v, &d| v * 10 + (d - b'0') as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_never_share_a_prefix() {
        let a = Namespace::new("jimc", "a", "b:c");
        let b = Namespace::new("jimc", "a:b", "c");
        assert_ne!(a.prefix(), b.prefix());
        assert!(!a.prefix().starts_with(b.prefix()) && !b.prefix().starts_with(a.prefix()));
        let c = Namespace::new("jimc", "ak", "bob");
        let d = Namespace::new("jimc", "ak", "bob2");
        assert!(!d.prefix().starts_with(c.prefix()));
    }

    #[test]
    fn chunk_keys_round_trip() {
        let ns = Namespace::new("jimc", "ak", "alice");
        assert_eq!(ns.chunk_key(42), "jimc:ak:alice:c42");
        assert_eq!(ns.parse_chunk_key("jimc:ak:alice:c42"), Some(42));
        assert_eq!(ns.parse_chunk_key("jimc:ak:alice:c042"), None);
        assert_eq!(ns.parse_chunk_key("jimc:ak:alice:i"), None);
        assert_eq!(ns.parse_chunk_key("jimc:ak:bob:c1"), None);
    }
}
