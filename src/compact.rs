//! The compact batch: what the JS glue hands the core for `cacheMsg`.
//!
//! On iOS the module runs in an interpreter, so every byte the core scans
//! costs far more than the engine's native `JSON.stringify`. The glue
//! therefore reads each SDK message with property reads and passes only the
//! fields [`crate::payload`] looks at, by position, in one native
//! `JSON.stringify` of the whole batch:
//!
//! ```text
//! {"h": [[msg_type, from_gid, key, from_username, from_appkey,
//!         unread_msg_count, receipt_msgs], ...],                        sync entries' own fields
//!  "m": [[h, msg_id, ctime_ms, msg_type, from_gid, key, from_username, from_appkey,
//!         target_type, target_id, target_appkey, from_id, content.from_appkey,
//!         create_time, content.msg_type, msg_body, at_list,
//!         from_name, target_name], ...                                  a message read by the glue
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

use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::payload::{self, Account, Batch, ContentIn, EntryFields, Hint, Item};
use crate::raw::{Raw, ScanError, Scanner};

/// Fields of a message the glue reads.
const MESSAGE_FIELDS: usize = 18;

/// A message the glue read: its entry (-1: none) and its fields.
struct Fields<'a> {
    entry: i64,
    f: [Option<Raw<'a>>; MESSAGE_FIELDS],
}

/// One element of `"m"`.
enum CompactItem<'a> {
    Read(Fields<'a>),
    /// Anything else, as the SDK gave it, with its entry.
    AsIs { entry: i64, item: Raw<'a> },
}

/// Reads `"h"`: each entry's own seven fields.
fn read_hints<'a>(s: &mut Scanner<'a>) -> std::result::Result<Vec<Hint<'a>>, ScanError> {
    let mut hints = Vec::new();
    s.expect("[")?;
    if !s.any_elements() {
        return Ok(hints);
    }
    loop {
        s.expect("[")?;
        let mut h = [None; 7];
        for (i, slot) in h.iter_mut().enumerate() {
            if i > 0 {
                s.expect(",")?;
            }
            *slot = s.optional()?;
        }
        s.expect("]")?;
        hints.push(payload::entry_hint(EntryFields {
            msg_type: h[0],
            from_gid: h[1],
            key: h[2],
            from_username: h[3],
            from_appkey: h[4],
            unread_msg_count: h[5],
            receipt_msgs: h[6],
        }));
        if !s.more()? {
            return Ok(hints);
        }
    }
}

/// Reads one element of `"m"`.
fn read_item<'a>(s: &mut Scanner<'a>) -> std::result::Result<CompactItem<'a>, ScanError> {
    s.expect("[")?;
    let entry = s.integer()?;
    s.expect(",")?;
    let first = s.value()?;
    if !s.more()? {
        return Ok(CompactItem::AsIs { entry, item: first });
    }
    let mut f: [Option<Raw<'a>>; MESSAGE_FIELDS] = [None; MESSAGE_FIELDS];
    f[0] = Some(first).filter(|r| r.get() != "null");
    for (i, slot) in f.iter_mut().enumerate().skip(1) {
        if i > 1 {
            s.expect(",")?;
        }
        *slot = s.optional()?;
    }
    s.expect("]")?;
    Ok(CompactItem::Read(Fields { entry, f }))
}

/// Parses a compact batch (see the module docs) into the same [`Batch`]
/// [`payload::parse_messages_json`] makes of the payload it was read from.
pub fn parse_compact(text: &str, acct: Account) -> Result<Batch> {
    let bad = |e: ScanError| Error::BadPayload(format!("compact batch from the glue is unreadable at byte {}", e.0));
    let mut s = Scanner::new(text);
    s.expect("{").and_then(|_| s.expect("\"h\"")).and_then(|_| s.expect(":")).map_err(bad)?;
    let hints = read_hints(&mut s).map_err(bad)?;
    s.expect(",").and_then(|_| s.expect("\"m\"")).and_then(|_| s.expect(":")).and_then(|_| s.expect("[")).map_err(bad)?;
    let mut items = Vec::new();
    if s.any_elements() {
        loop {
            items.push(read_item(&mut s).map_err(bad)?);
            if !s.more().map_err(bad)? {
                break;
            }
        }
    }
    s.expect("}").map_err(bad)?;
    if !s.at_end() {
        return Err(Error::BadPayload("compact batch from the glue has text after its end".into()));
    }
    let entry_of = |i: i64| usize::try_from(i).ok().filter(|&i| i < hints.len());
    // Each entry's first accepted message names its conversation.
    let mut first: Vec<Option<ConvId>> = vec![None; hints.len()];
    let mut nested = Vec::new();
    let mut batch = Batch::default();
    for item in items {
        let before = batch.messages.len();
        let entry = match &item {
            CompactItem::Read(f) => entry_of(f.entry),
            CompactItem::AsIs { entry, .. } => entry_of(*entry),
        };
        match item {
            CompactItem::Read(Fields { f, .. }) => {
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
                    from_name: f[16],
                    target_name: f[17],
                };
                let hint = entry.map(|e| hints[e].clone()).unwrap_or_default();
                payload::push(payload::parse_message(&envelope, Some(content), hint, acct), &mut batch);
            }
            CompactItem::AsIs { item, .. } => match entry {
                Some(e) => payload::parse_entry_message(item, &hints[e], acct, &mut batch),
                None => nested.extend(payload::parse_item(item, acct, &mut batch)),
            },
        }
        if let (Some(e), Some(m)) = (entry, batch.messages.get(before)) {
            if first[e].is_none() {
                first[e] = Some(m.conv.clone());
            }
        }
    }
    for (hint, first) in hints.into_iter().zip(first).chain(nested) {
        payload::entry_state(&hint, first, acct, &mut batch);
    }
    payload::one_conversation_per_id(&mut batch);
    Ok(batch)
}
