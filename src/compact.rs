//! The compact batch: what the JS glue hands the core for `cacheMsg`.
//!
//! On iOS the module runs in an interpreter, so every byte the core scans
//! costs far more than the engine's native `JSON.stringify`. The glue
//! therefore reads each SDK message with property reads and passes only the
//! fields [`crate::payload`] looks at, by position, in one native
//! `JSON.stringify` of the whole batch:
//!
//! ```text
//! {"h": [[msg_type, from_gid, key, from_username, from_appkey], ...],   sync entries' hints
//!  "m": [[h, msg_id, ctime_ms, msg_type, from_gid, key, from_username, from_appkey,
//!         target_type, target_id, target_appkey, from_id, content.from_appkey,
//!         create_time, content.msg_type, msg_body, at_list], ...       a message read by the glue
//!        [h, item], ...]}                                               anything else, as it was
//! ```
//!
//! `h` is the index of the message's sync entry in `"h"`, or -1. A missing
//! field is `null`, which the payload reader treats as absent. Whatever the
//! glue does not recognise (not an object, no `content` object, an entry
//! whose `msgs` is not an array) travels as the original item, and the
//! payload reader's own lenient path decides it, with the same reasons: the
//! decisions stay in one place. `tests/compact.rs` checks that both routes
//! give the same batch for every fixture and hostile input.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::payload::{self, Account, Batch, Hint, Item, ContentIn};

type Raw<'a> = &'a RawValue;

/// A sync entry's fields that fill gaps in its messages.
type EntryHint<'a> = (Option<Raw<'a>>, Option<Raw<'a>>, Option<Raw<'a>>, Option<Raw<'a>>, Option<Raw<'a>>);

#[derive(Deserialize)]
struct CompactIn<'a> {
    #[serde(borrow)]
    h: Vec<EntryHint<'a>>,
    #[serde(borrow)]
    m: Vec<CompactItem<'a>>,
}

/// One element of `"m"`.
enum CompactItem<'a> {
    /// A message the glue read: its entry and its fields.
    Read { entry: i64, fields: [Option<Raw<'a>>; 16] },
    /// Anything else, as the SDK gave it.
    AsIs { entry: i64, item: Raw<'a> },
}

impl<'de: 'a, 'a> Deserialize<'de> for CompactItem<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CompactItem<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("[entry, item] or [entry, 16 fields]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
                let entry: i64 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let first: Raw<'de> = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                let Some(second) = seq.next_element::<Option<Raw<'de>>>()? else {
                    return Ok(CompactItem::AsIs { entry, item: first });
                };
                let mut fields: [Option<Raw<'de>>; 16] = [None; 16];
                fields[0] = Some(first).filter(|r| r.get() != "null");
                fields[1] = second;
                for (i, f) in fields.iter_mut().enumerate().skip(2) {
                    *f = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(i + 1, &self))?;
                }
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(18, &self));
                }
                Ok(CompactItem::Read { entry, fields })
            }
        }
        d.deserialize_seq(V)
    }
}

/// Parses a compact batch (see the module docs) into the same [`Batch`]
/// [`payload::parse_messages_json`] makes of the payload it was read from.
pub fn parse_compact(text: &str, acct: Account) -> Result<Batch> {
    let c: CompactIn = serde_json::from_str(text)
        .map_err(|e| Error::BadPayload(format!("compact batch from the glue is unreadable: {e}")))?;
    let hints: Vec<Hint> = c.h.iter().map(|h| payload::entry_hint(h.0, h.1, h.2, h.3, h.4)).collect();
    let hint_of = |i: i64| usize::try_from(i).ok().and_then(|i| hints.get(i));
    let mut batch = Batch::default();
    for item in c.m {
        match item {
            CompactItem::Read { entry, fields: f } => {
                let envelope = Item { msg_id: f[0], ctime_ms: f[1], msg_type: f[2], from_gid: f[3], key: f[4], from_username: f[5], from_appkey: f[6], ..Item::default() };
                let content = ContentIn {
                    target_type: f[7],
                    target_id: f[8],
                    target_appkey: f[9],
                    from_id: f[10],
                    from_appkey: f[11],
                    create_time: f[12],
                    msg_type: f[13],
                    msg_body: f[14],
                    at_list: f[15],
                };
                let hint = hint_of(entry).cloned().unwrap_or_default();
                payload::push(payload::parse_message(&envelope, Some(content), hint, acct), &mut batch);
            }
            CompactItem::AsIs { entry, item } => match hint_of(entry) {
                Some(hint) => payload::parse_entry_message(item, hint, acct, &mut batch),
                None => payload::parse_item(item, acct, &mut batch),
            },
        }
    }
    payload::one_conversation_per_id(&mut batch);
    Ok(batch)
}
