//! The compact batch: what the JS glue hands the core for `cacheMsg`.
//!
//! On iOS the module runs in an interpreter, and a string crosses into it
//! through an interpreted UTF-8 loop (~0.6 µs a character in
//! JavaScriptCore without JIT), while copying a `Float64Array` into linear
//! memory is one native call. So the glue reads each SDK message with
//! property reads and hands the fields [`crate::payload`] looks at over as
//! **numbers**, by position, plus one small JSON array (the *table*) of the
//! values that are not plain integers, each distinct string once:
//!
//! ```text
//! slots: [n_entries,
//!         msg_type, from_gid, key, from_username, from_appkey,
//!         unread_msg_count, receipt_msgs,                     × n_entries (sync entries' own fields)
//!         0, entry, body number,
//!            msg_id, ctime_ms, msg_type, from_gid, key, from_username, from_appkey,
//!            target_type, target_id, target_appkey, from_id, content.from_appkey,
//!            create_time, content.msg_type, from_name, target_name,  a message read by the glue
//!         1, entry, item, ...]                                anything else, as it was
//! table: JSON array of values
//! ```
//!
//! A field is `NaN` when missing or `null`, its value when it is a safe
//! integer ≥ 0, and `-(i + 1)` for the table's value `i` otherwise (strings,
//! objects, other numbers). `entry` is the index of the message's sync entry,
//! or -1. The core reads each field as the value it stood for (an integer
//! as itself, never printed and parsed back; table values borrowed from the table's
//! text), so the payload reader decides exactly as on the whole payload.
//! Whatever the glue does not recognise (not an object, no `content` object,
//! an entry whose `msgs` is not an array) travels as the original item, and
//! the payload reader's own lenient path decides it, with the same reasons:
//! the decisions stay in one place. `tests/compact.rs` checks that both
//! routes give the same batch for every fixture and hostile input.
//!
//! Bodies are not in the batch. A message's *body number* names its
//! `content` in the glue; once the store knows which messages it will keep
//! (not duplicates, not below the eviction floor), it asks the glue for
//! those bodies only, as one JSON array of `[msg_body, at_list]` pairs
//! ([`read_bodies`]). On a re-sync, where almost every message is a
//! duplicate, almost no body crosses into the module.

use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::payload::{self, Account, Batch, ContentIn, EntryFields, Hint, Item, LookUp, Looked, Pending, MAX_SAFE};
use crate::raw::{Raw, Scanner};

/// Fields of a sync entry the glue reads.
const ENTRY_FIELDS: usize = 7;
/// Fields of a message the glue reads (the body number apart).
const MESSAGE_FIELDS: usize = 16;

/// One field as the glue passed it.
#[derive(Debug, Clone, Copy)]
enum Cell {
    None,
    /// A safe integer ≥ 0.
    Int(u64),
    /// The table's value at this index.
    Table(usize),
}

fn unreadable(what: &str) -> Error {
    Error::BadPayload(format!("compact batch from the glue is unreadable: {what}"))
}

/// Reads the slots front to back.
struct SlotReader<'s> {
    slots: &'s [f64],
    at: usize,
    table_len: usize,
}

impl SlotReader<'_> {
    fn next(&mut self) -> Result<f64> {
        let v = *self.slots.get(self.at).ok_or_else(|| unreadable("it ends early"))?;
        self.at += 1;
        Ok(v)
    }

    /// An integer from `min` up (a count, a tag, an entry number).
    fn integer(&mut self, min: i64) -> Result<i64> {
        let v = self.next()?;
        if v.fract() != 0.0 || v < min as f64 || v > MAX_SAFE as f64 {
            return Err(unreadable("a count or entry number is not an integer in range"));
        }
        Ok(v as i64)
    }

    fn cell(&mut self) -> Result<Cell> {
        let v = self.next()?;
        if v.is_nan() {
            Ok(Cell::None)
        } else if v >= 0.0 && v.fract() == 0.0 && v <= MAX_SAFE as f64 {
            Ok(Cell::Int(v as u64))
        } else if v < 0.0 && (-v - 1.0).fract() == 0.0 && -v - 1.0 < self.table_len as f64 {
            Ok(Cell::Table((-v - 1.0) as usize))
        } else {
            Err(unreadable("a field is neither an integer nor a table index"))
        }
    }

    /// Reads `f.len()` cells into `f`, in place (on iOS every struct moved
    /// by value is an interpreted copy loop).
    fn fill(&mut self, f: &mut [Cell]) -> Result<()> {
        for c in f.iter_mut() {
            *c = self.cell()?;
        }
        Ok(())
    }
}

/// The table's values, as their JSON texts.
fn read_table(table: &str) -> Result<Vec<Raw<'_>>> {
    let bad = |_| unreadable("its table is not a JSON array");
    let mut s = Scanner::new(table);
    let mut values = Vec::new();
    s.expect("[").map_err(bad)?;
    if s.any_elements() {
        loop {
            values.push(s.value().map_err(bad)?.marked());
            if !s.more().map_err(bad)? {
                break;
            }
        }
    }
    if !s.at_end() {
        return Err(unreadable("its table has text after its end"));
    }
    Ok(values)
}

/// The value a cell stands for; `None` for a missing field or `null`.
fn raw_of<'a>(c: Cell, table: &[Raw<'a>]) -> Option<Raw<'a>> {
    match c {
        Cell::None => None,
        Cell::Int(n) => Some(Raw::integer(n)),
        Cell::Table(i) => Some(table[i]).filter(|r| r.get() != "null"),
    }
}

/// Parses a compact batch (see the module docs) into the same [`Batch`]
/// [`payload::parse_messages_json`] makes of the payload it was read from.
pub fn parse_compact(slots: &[f64], table: &str, acct: Account) -> Result<Batch> {
    parse_compact_looking(slots, table, acct, &mut |_, _, _, _| Looked::Not)
}

/// [`parse_compact`], asking `look` (the store) about each message once its
/// identity is read: a message stored already or below the floor is not
/// built further (its strings, its sender's name), only counted by the call.
pub(crate) fn parse_compact_looking(slots: &[f64], table: &str, acct: Account, look: LookUp) -> Result<Batch> {
    let table = read_table(table)?;
    let mut r = SlotReader { slots, at: 0, table_len: table.len() };
    let n_hints = r.integer(0)? as usize;
    if n_hints > slots.len() / ENTRY_FIELDS {
        return Err(unreadable("more entries than slots"));
    }
    let mut hint_cells: Vec<[Cell; ENTRY_FIELDS]> = vec![[Cell::None; ENTRY_FIELDS]; n_hints];
    for h in hint_cells.iter_mut() {
        r.fill(h)?;
    }
    let raw = |c: Cell| raw_of(c, &table);
    let hints: Vec<Hint> = hint_cells
        .iter()
        .map(|h| {
            payload::entry_hint(EntryFields {
                msg_type: raw(h[0]),
                from_gid: raw(h[1]),
                key: raw(h[2]),
                from_username: raw(h[3]),
                from_appkey: raw(h[4]),
                unread_msg_count: raw(h[5]),
                receipt_msgs: raw(h[6]),
            })
        })
        .collect();
    let entry_of = |i: i64| usize::try_from(i).ok().filter(|&i| i < hints.len());
    // Each entry's first accepted message names its conversation.
    let mut first: Vec<Option<ConvId>> = vec![None; hints.len()];
    let mut nested = Vec::new();
    let mut batch = Batch::default();
    batch.messages.reserve(slots.len() / (MESSAGE_FIELDS + 3));
    let no_hint = Hint::default();
    while r.at < slots.len() {
        let tag = r.integer(0)?;
        let entry = entry_of(r.integer(-1)?);
        let before = batch.messages.len();
        match tag {
            0 => {
                let body = u32::try_from(r.integer(0)?).map_err(|_| unreadable("a body number is out of range"))?;
                let mut f = [Cell::None; MESSAGE_FIELDS];
                r.fill(&mut f)?;
                let envelope = Item { msg_id: raw(f[0]), ctime_ms: raw(f[1]), msg_type: raw(f[2]), from_gid: raw(f[3]), key: raw(f[4]), from_username: raw(f[5]), from_appkey: raw(f[6]), ..Item::default() };
                let content = ContentIn {
                    target_type: raw(f[7]),
                    target_id: raw(f[8]),
                    target_appkey: raw(f[9]),
                    from_id: raw(f[10]),
                    from_appkey: raw(f[11]),
                    create_time: raw(f[12]),
                    msg_type: raw(f[13]),
                    msg_body: None,
                    at_list: None,
                    from_name: raw(f[14]),
                    target_name: raw(f[15]),
                };
                let hint = entry.map_or(&no_hint, |e| &hints[e]);
                payload::push(payload::parse_message_with(&envelope, Some(&content), hint, acct, Some((body, &mut *look))), &mut batch);
            }
            1 => {
                let item = raw(r.cell()?).unwrap_or(Raw::trusted("null"));
                match entry {
                    Some(e) => payload::parse_entry_message(item, &hints[e], acct, &mut batch),
                    None => nested.extend(payload::parse_item(item, acct, &mut batch)),
                }
            }
            _ => return Err(unreadable("an item tag is neither 0 nor 1")),
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

/// Gives the messages at `at` (each [`Pending::Later`]) their bodies from
/// the glue's answer to a request for theirs (see [`read_bodies`]).
pub fn give_bodies(batch: &mut Batch, at: &[usize], text: &str) -> Result<()> {
    for (&i, (msg_body, at_list)) in at.iter().zip(read_bodies(text, at.len())?) {
        let m = &mut batch.messages[i];
        if let Pending::Later { msg_type, .. } = std::mem::replace(&mut m.body, Pending::Ready) {
            m.take_body(&msg_type, msg_body, at_list);
        }
    }
    Ok(())
}

/// The glue's answer to a request for `n` bodies: a JSON array of `n`
/// `[msg_body, at_list]` pairs (`null` for a missing field).
pub fn read_bodies(text: &str, n: usize) -> Result<Vec<(Option<Raw<'_>>, Option<Raw<'_>>)>> {
    let bad = |_| unreadable("the bodies are not an array of [msg_body, at_list] pairs");
    let mut s = Scanner::new(text);
    let mut pairs = Vec::with_capacity(n);
    s.expect("[").map_err(bad)?;
    if s.any_elements() {
        loop {
            s.expect("[").map_err(bad)?;
            let msg_body = s.optional().map_err(bad)?;
            s.expect(",").map_err(bad)?;
            let at_list = s.optional().map_err(bad)?;
            s.expect("]").map_err(bad)?;
            pairs.push((msg_body, at_list));
            if !s.more().map_err(bad)? {
                break;
            }
        }
    }
    if !s.at_end() || pairs.len() != n {
        return Err(unreadable("the bodies do not match the request"));
    }
    Ok(pairs)
}
