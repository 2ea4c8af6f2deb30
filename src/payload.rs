//! Normalisation of JMessage payloads into records.
//!
//! The SDK hands the app the same messages in several shapes (see
//! `shared/notes/jmessage-payloads.md`): `onSyncConversation` gives an array of
//! per-conversation entries `{msg_type, from_username?, from_gid?, msgs: []}`
//! (the legacy 1.0 SDK only `{key, msgs}`), `onMsgReceive` a flat
//! `{messages: []}` that can mix conversations and has no top-level sender for
//! groups, a send's `onSuccess(data, msg)` splits one message across two
//! objects, and retractions come as events (`event_type` 55, ids in `msg_ids`
//! or `msgid_list`). This module accepts all of them and produces
//! [`Incoming`] records keyed by [`ConvId`], taking every fact from the most
//! reliable field: the sender is always `content.from_id`, the time the server's
//! `ctime_ms`, the conversation derived from `content` (the entry's fields only
//! fill gaps).
//!
//! A malformed message never fails the batch: it becomes a [`Rejection`] with
//! a reason, and the valid messages around it are kept. Only a payload that is
//! not a batch at all is an [`Error::BadPayload`].

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::chat_state::{self, StateChanges};
use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::fields::{self, msg_id, positive, short, starts, string, truthy, type_name, uint};
pub(crate) use crate::fields::{Raw, MAX_SAFE};
use crate::record::{capped_name, empty_body, Kind, Record};

/// The largest stored record accepted, in bytes of its storage form. The
/// server limits a message body to 4 KB; anything far above is hostile.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Values of `ctime_ms` below this are taken as seconds (1973 in ms).
const SECONDS_BELOW: u64 = 100_000_000_000;

/// The logged-in account; decides what is "out" and fills missing appkeys.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub appkey: &'a str,
    pub username: &'a str,
}

/// A normalised message and the conversation it belongs to.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub conv: ConvId,
    pub record: Record,
    /// `false` when the time fell back to the sender's `create_time` (no
    /// server `ctime_ms`): a later copy may carry a different time, so dedup
    /// must look for the id in the whole conversation.
    pub server_time: bool,
    /// The conversation's name as this message gives it: a group's
    /// `target_name`; in a single chat the `target_name` of your own message
    /// or the `from_name` of the peer's.
    pub name: Option<String>,
    /// Whether `record`'s kind and body are final.
    pub body: Pending,
    /// What the store found when it looked the message up before reading
    /// bodies (see `Cache::cache_compact`), so that it need not look again.
    pub(crate) looked: Looked,
    /// Its body number in the compact batch, if it came in one.
    pub(crate) item: Option<u32>,
}

/// What looking a message up in the store found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Looked {
    /// Not looked up (the whole-payload route), or nothing certain (a
    /// damaged chunk on the way, another message of the batch with its id).
    Not,
    /// In none of the chunks a copy could be in: stored without a second
    /// search.
    Absent,
    /// Stored already: a duplicate, unless a pending retraction or receipt
    /// has to change the stored copy.
    Stored,
    /// Below the conversation's floor: given up by eviction.
    Evicted,
}

impl Looked {
    /// Whether the store keeps what it has instead of storing the message.
    pub(crate) fn kept(self) -> bool {
        matches!(self, Looked::Stored | Looked::Evicted)
    }
}

/// The state of an incoming message's body. The store builds (or asks the
/// glue for) a body only for a message it will keep: on a re-sync most
/// messages are duplicates, and their bodies never cross into the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// `record.kind` and `record.body` are final.
    Ready,
    /// The body cannot be stored, for this reason: the message is rejected
    /// if it would be stored (a duplicate of a stored message stays one).
    Invalid(String),
    /// Still with the glue: item `n` of the compact batch, whose
    /// `content.msg_type` is this (see [`crate::compact`]).
    Later { n: u32, msg_type: String },
}

impl Incoming {
    /// Gives the message the body built from `msg_body` and `at_list`
    /// (or the reason it has none).
    pub(crate) fn take_body(&mut self, msg_type: &str, msg_body: Option<Raw>, at_list: Option<Raw>) {
        let content = ContentIn { msg_body, at_list, ..ContentIn::default() };
        self.body = match build_body(msg_type, &content) {
            Ok((kind, body)) => {
                self.record.kind = kind;
                self.record.body = body;
                match too_large(&self.record) {
                    Some(reason) => Pending::Invalid(reason),
                    None => Pending::Ready,
                }
            }
            Err(reason) => Pending::Invalid(reason),
        };
    }
}

/// Why a record cannot be stored for its size, if it cannot.
fn too_large(record: &Record) -> Option<String> {
    // Cheap bound first; the exact size only for large messages.
    if record.body.get().len() + record.from.len() * 6 + 100 <= MAX_RECORD_BYTES {
        return None;
    }
    let len = record.stored_len();
    (len > MAX_RECORD_BYTES).then(|| format!("message too large: {len} bytes stored (limit {MAX_RECORD_BYTES})"))
}

/// A message that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub id: Option<u64>,
    pub reason: String,
}

/// The messages of one call.
#[derive(Debug, Default)]
pub struct Batch {
    pub messages: Vec<Incoming>,
    pub rejected: Vec<Rejection>,
    /// Not conversation messages (chat-room messages): skipped on purpose.
    pub ignored: usize,
    /// What sync entries say besides their messages (unread counts and
    /// receipts), applied once the messages are stored; and what the calls
    /// for receipts, unread updates and conversation lists carry.
    pub state: StateChanges,
    /// The ids more than one message of the batch has, sorted (found by
    /// `one_conversation_per_id`, which sorts them anyway).
    pub(crate) repeated: Vec<u64>,
}

impl Batch {
    /// Moves the messages whose body cannot be stored to `rejected`, as a
    /// caller that stores every message would see them (the store itself
    /// decides that only for the messages it keeps).
    pub fn settle(mut self) -> Batch {
        let mut kept = Vec::with_capacity(self.messages.len());
        for m in self.messages {
            match m.body {
                Pending::Invalid(reason) => self.rejected.push(Rejection { id: Some(m.record.id), reason }),
                _ => kept.push(m),
            }
        }
        self.messages = kept;
        self
    }
}

/// A retraction (`event_type` 55).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// `None` when the event names no conversation we can derive.
    pub conv: Option<ConvId>,
    pub ids: Vec<u64>,
}

/// The events of one call.
#[derive(Debug, Default)]
pub struct Events {
    pub retractions: Vec<Retraction>,
    pub rejected: Vec<Rejection>,
    /// Events that do not concern stored messages (group changes, logins...).
    pub ignored: usize,
}

/// What the SDK callback was: the second argument of `cacheMsg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `onSyncConversation`: offline and roaming sync.
    History,
    /// `onMsgReceive`: realtime batches.
    Realtime,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode> {
        match s {
            "history" => Ok(Mode::History),
            "realtime" => Ok(Mode::Realtime),
            other => Err(Error::BadArgument(format!(
                "mode must be 'history' or 'realtime', got {other:?}"
            ))),
        }
    }
}

/// Entry-level facts that fill gaps in a sync message.
#[derive(Default, Clone)]
pub(crate) struct Hint<'a> {
    gid: Option<u64>,
    peer: Option<Cow<'a, str>>,
    peer_appkey: Option<Cow<'a, str>>,
    /// `unread_msg_count` and `receipt_msgs`, read once the entry's messages are.
    unread: Option<Raw<'a>>,
    receipts: Option<Raw<'a>>,
}

/// The fields of a sync entry besides its messages, as the glue passes them.
#[derive(Clone, Copy, Default)]
pub(crate) struct EntryFields<'a> {
    pub(crate) msg_type: Option<Raw<'a>>,
    pub(crate) from_gid: Option<Raw<'a>>,
    pub(crate) key: Option<Raw<'a>>,
    pub(crate) from_username: Option<Raw<'a>>,
    pub(crate) from_appkey: Option<Raw<'a>>,
    pub(crate) unread_msg_count: Option<Raw<'a>>,
    pub(crate) receipt_msgs: Option<Raw<'a>>,
}

/// Parses what `onSyncConversation` or `onMsgReceive` delivered, given as
/// the JSON text of the callback's argument. The shape is recognised from the
/// data, so either mode accepts an array of entries, one entry,
/// `{messages: [...]}`, an array of messages or one message; `mode` is
/// validated by the caller and kept for the API's symmetry with the SDK.
///
/// The envelope is read into borrowed views of the text (`Item`,
/// `ContentIn`, `BodyIn`): unknown fields are skipped, not built, and
/// body fields are copied as raw JSON. No generic JSON tree is built: on
/// iOS the module runs in an interpreter, where that difference is large.
pub fn parse_messages_json(text: &str, mode: Mode, acct: Account) -> Result<Batch> {
    read_messages_json(text, mode, acct).map(Batch::settle)
}

/// [`parse_messages_json`] as the store takes it: a message whose body
/// cannot be stored is still in `messages`, [`Pending::Invalid`].
pub(crate) fn read_messages_json(text: &str, _mode: Mode, acct: Account) -> Result<Batch> {
    let mut batch = Batch::default();
    let mut entries = Vec::new();
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let items: Vec<Raw> = serde_json::from_str(text).map_err(bad_json)?;
            for item in items {
                entries.extend(parse_item(item, acct, &mut batch));
            }
        }
        Some(b'{') => {
            let top: Item = serde_json::from_str(text).map_err(bad_json)?;
            match top.messages.filter(|r| starts(*r, b'[')) {
                Some(list) => {
                    let items: Vec<Raw> = serde_json::from_str(list.get()).map_err(bad_json)?;
                    for item in items {
                        entries.extend(parse_item(item, acct, &mut batch));
                    }
                }
                None if top.msgs.is_some() => entries.extend(parse_entry(&top, acct, &mut batch)),
                None if top.content.is_some() || top.msg_id.is_some() => {
                    push(parse_message(&top, None, &Hint::default(), acct), &mut batch)
                }
                None => {
                    return Err(Error::BadPayload(
                        "expected a sync entry array, {messages: [...]}, or a message; got an object with none of msgs, messages, content".into(),
                    ))
                }
            }
        }
        _ => {
            let v: Raw = serde_json::from_str(text).map_err(bad_json)?;
            return Err(Error::BadPayload(format!(
                "expected an array or object from onSyncConversation/onMsgReceive, got {}",
                type_name(v)
            )));
        }
    }
    for (hint, first) in &entries {
        entry_state(hint, first.clone(), acct, &mut batch);
    }
    one_conversation_per_id(&mut batch);
    Ok(batch)
}

/// A parsed sync entry, whose unread count and receipts are read once every
/// message of the batch is ([`entry_state`]): its fields, and the
/// conversation of its first accepted message.
pub(crate) type ParsedEntry<'a> = (Hint<'a>, Option<ConvId>);

/// A `msg_id` names one message, in one conversation. A batch that files the
/// same id under two conversations is inconsistent: the first wins, the others
/// are rejected. (Across calls the store looks for an id only in the
/// conversation its message claims; the server never reuses an id.)
pub(crate) fn one_conversation_per_id(batch: &mut Batch) {
    if batch.messages.len() < 2 {
        return;
    }
    // Sorted by (id, position): the first of each id is the one that wins.
    // (No hashing or id clones: this runs for every sync batch.)
    let mut order: Vec<(u64, usize)> = batch.messages.iter().enumerate().map(|(i, m)| (m.record.id, i)).collect();
    order.sort_unstable();
    batch.repeated = order.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[0].0).collect();
    batch.repeated.dedup();
    let mut winner = vec![usize::MAX; batch.messages.len()];
    for w in 0..order.len() {
        let first = if w > 0 && order[w - 1].0 == order[w].0 { winner[order[w - 1].1] } else { order[w].1 };
        winner[order[w].1] = first;
    }
    if winner.iter().enumerate().all(|(i, &w)| w == i || batch.messages[w].conv == batch.messages[i].conv) {
        return;
    }
    let convs: Vec<ConvId> = winner.iter().map(|&w| batch.messages[w].conv.clone()).collect();
    let mut kept = Vec::with_capacity(batch.messages.len());
    for (m, conv) in batch.messages.drain(..).zip(convs) {
        if conv == m.conv {
            kept.push(m);
        } else {
            batch.rejected.push(Rejection {
                id: Some(m.record.id),
                reason: format!("msg_id already used in this batch by a message of {conv}, not {}", m.conv),
            });
        }
    }
    batch.messages = kept;
}

/// A call argument: its JSON text, or a parsed value (serialised first).
/// The bindings pass text; the parsers read text without building a tree.
pub trait Json {
    fn json(&self) -> Cow<'_, str>;
}

impl Json for str {
    fn json(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl Json for Value {
    fn json(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

/// [`parse_messages_json`] for an already parsed value.
pub fn parse_messages(v: &Value, mode: Mode, acct: Account) -> Result<Batch> {
    parse_messages_json(&v.to_string(), mode, acct)
}

/// [`read_messages_json`] for an already parsed value.
pub(crate) fn read_messages(v: &Value, mode: Mode, acct: Account) -> Result<Batch> {
    read_messages_json(&v.to_string(), mode, acct)
}

fn bad_json(e: serde_json::Error) -> Error {
    Error::BadPayload(format!("payload is not valid JSON: {e}"))
}


/// A sync entry or a message: the fields we read, still raw JSON, except
/// `content` when `C` is [`ContentIn`] (the one-pass fast path).
#[derive(Deserialize)]
pub(crate) struct Item<'a, C = Raw<'a>> {
    #[serde(borrow, default)]
    pub(crate) msg_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) ctime_ms: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) msg_type: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_gid: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) key: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_username: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_appkey: Option<Raw<'a>>,
    #[serde(default = "Option::default", bound(deserialize = "C: Deserialize<'de>"))]
    pub(crate) content: Option<C>,
    #[serde(borrow, default)]
    pub(crate) msgs: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) messages: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) unread_msg_count: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) receipt_msgs: Option<Raw<'a>>,
}

impl<C> Default for Item<'_, C> {
    fn default() -> Self {
        Item {
            msg_id: None,
            ctime_ms: None,
            msg_type: None,
            from_gid: None,
            key: None,
            from_username: None,
            from_appkey: None,
            content: None,
            msgs: None,
            messages: None,
            unread_msg_count: None,
            receipt_msgs: None,
        }
    }
}

/// `content`: the message protocol object.
#[derive(Deserialize, Default)]
pub(crate) struct ContentIn<'a> {
    #[serde(borrow, default)]
    pub(crate) target_type: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) target_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) target_appkey: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_appkey: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) create_time: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) msg_type: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) msg_body: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) at_list: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_name: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) target_name: Option<Raw<'a>>,
}

/// `msg_body` of the known types (and `msg_body.video`): every field a chat
/// UI may need, raw.
#[derive(Deserialize, Default)]
struct BodyIn<'a> {
    #[serde(borrow, default)]
    text: Option<Raw<'a>>,
    #[serde(borrow, default)]
    media_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    media_crc32: Option<Raw<'a>>,
    #[serde(borrow, default)]
    width: Option<Raw<'a>>,
    #[serde(borrow, default)]
    height: Option<Raw<'a>>,
    #[serde(borrow, default)]
    format: Option<Raw<'a>>,
    #[serde(borrow, default)]
    fsize: Option<Raw<'a>>,
    #[serde(borrow, default)]
    hash: Option<Raw<'a>>,
    #[serde(borrow, default)]
    duration: Option<Raw<'a>>,
    #[serde(borrow, default)]
    fname: Option<Raw<'a>>,
    #[serde(borrow, default)]
    latitude: Option<Raw<'a>>,
    #[serde(borrow, default)]
    longitude: Option<Raw<'a>>,
    #[serde(borrow, default)]
    scale: Option<Raw<'a>>,
    #[serde(borrow, default)]
    label: Option<Raw<'a>>,
    #[serde(borrow, default)]
    lable: Option<Raw<'a>>,
    #[serde(borrow, default)]
    video: Option<Raw<'a>>,
    #[serde(borrow, default)]
    thumb: Option<Raw<'a>>,
    #[serde(borrow, default)]
    extras: Option<Raw<'a>>,
}

pub(crate) fn parse_item<'a>(item: Raw<'a>, acct: Account, batch: &mut Batch) -> Option<ParsedEntry<'a>> {
    if !starts(item, b'{') {
        batch.rejected.push(Rejection {
            id: None,
            reason: format!("neither a sync entry (msgs) nor a message (content): {}", type_name(item)),
        });
        return None;
    }
    if let Some(result) = parse_message_fast(item, &Hint::default(), acct) {
        push(result, batch);
        return None;
    }
    match serde_json::from_str::<Item>(item.get()) {
        Ok(it) if it.msgs.is_some() => return parse_entry(&it, acct, batch),
        Ok(it) if it.content.is_some() || it.msg_id.is_some() => push(parse_message(&it, None, &Hint::default(), acct), batch),
        Ok(_) => batch.rejected.push(Rejection {
            id: None,
            reason: "neither a sync entry (msgs) nor a message (content): an object".into(),
        }),
        Err(e) => batch.rejected.push(Rejection { id: None, reason: format!("unreadable message: {e}") }),
    }
    None
}

pub(crate) fn push(r: std::result::Result<Option<Incoming>, Rejection>, batch: &mut Batch) {
    match r {
        Ok(Some(m)) => batch.messages.push(m),
        Ok(None) => batch.ignored += 1,
        Err(rej) => batch.rejected.push(rej),
    }
}

fn parse_entry<'a>(entry: &Item<'a>, acct: Account, batch: &mut Batch) -> Option<ParsedEntry<'a>> {
    let msgs: Option<Vec<Raw>> = entry.msgs.filter(|r| starts(*r, b'[')).and_then(|r| serde_json::from_str(r.get()).ok());
    let Some(msgs) = msgs else {
        batch.rejected.push(Rejection { id: None, reason: "sync entry whose msgs is not an array".into() });
        return None;
    };
    let hint = entry_hint(EntryFields {
        msg_type: entry.msg_type,
        from_gid: entry.from_gid,
        key: entry.key,
        from_username: entry.from_username,
        from_appkey: entry.from_appkey,
        unread_msg_count: entry.unread_msg_count,
        receipt_msgs: entry.receipt_msgs,
    });
    let start = batch.messages.len();
    for m in msgs {
        parse_entry_message(m, &hint, acct, batch);
    }
    let first = batch.messages.get(start).map(|m| m.conv.clone());
    Some((hint, first))
}

/// The gaps a sync entry's own fields fill in its messages.
pub(crate) fn entry_hint(e: EntryFields<'_>) -> Hint<'_> {
    let group = e.msg_type.and_then(uint) == Some(4);
    Hint {
        gid: if group { positive(e.from_gid).or_else(|| positive(e.key)) } else { None },
        peer: string(e.from_username),
        peer_appkey: string(e.from_appkey),
        unread: e.unread_msg_count,
        receipts: e.receipt_msgs,
    }
}

/// A sync entry's unread count and receipts, once its messages are parsed.
/// Its conversation is that of its first accepted message (derived from
/// `content`, the reliable source), else the entry's own fields.
pub(crate) fn entry_state(hint: &Hint, first: Option<ConvId>, acct: Account, batch: &mut Batch) {
    let conv = first.or_else(|| match (hint.gid, hint.peer.as_deref()) {
        (Some(gid), _) => Some(ConvId::group(gid)),
        (None, Some(peer)) => Some(ConvId::single(hint.peer_appkey.as_deref().unwrap_or(acct.appkey), peer)),
        (None, None) => None,
    });
    let Some(conv) = conv else { return };
    // A number, or nothing: the SDK's own count.
    let number = hint.unread.filter(|r| !starts(*r, b'"'));
    if let Some(n) = number.and_then(uint).and_then(|n| u32::try_from(n).ok()) {
        batch.state.unread.push(chat_state::UnreadSet { conv: conv.clone(), count: n });
    }
    let Some(list) = hint.receipts.filter(|r| r.get() != "null") else { return };
    chat_state::receipt_list(list, conv, &mut batch.state, &mut batch.rejected);
}

/// One element of a sync entry's `msgs`.
pub(crate) fn parse_entry_message(m: Raw, hint: &Hint, acct: Account, batch: &mut Batch) {
    if !starts(m, b'{') {
        batch.rejected.push(Rejection { id: None, reason: format!("message is {}, not an object", type_name(m)) });
        return;
    }
    if let Some(result) = parse_message_fast(m, hint, acct) {
        return push(result, batch);
    }
    match serde_json::from_str::<Item>(m.get()) {
        Ok(it) => push(parse_message(&it, None, hint, acct), batch),
        Err(e) => batch.rejected.push(Rejection { id: None, reason: format!("unreadable message: {e}") }),
    }
}

/// A well-formed message in one pass over its text: `None` when it is not
/// (or is an entry), so that the lenient path can say exactly what is wrong.
fn parse_message_fast(raw: Raw, hint: &Hint, acct: Account) -> Option<std::result::Result<Option<Incoming>, Rejection>> {
    let m: Item<ContentIn> = serde_json::from_str(raw.get()).ok()?;
    if m.msgs.is_some() || m.messages.is_some() {
        return None;
    }
    let Item { msg_id, ctime_ms, msg_type, from_gid, key, from_username, from_appkey, content, .. } = m;
    let content = content?;
    let envelope = Item { msg_id, ctime_ms, msg_type, from_gid, key, from_username, from_appkey, ..Item::default() };
    Some(parse_message(&envelope, Some(&content), hint, acct))
}

/// One message of either shape, `content` already parsed or still raw in
/// `m`. `Ok(None)` means "not a conversation message" (chat rooms), which is
/// skipped, not rejected.
pub(crate) fn parse_message(m: &Item, content: Option<&ContentIn>, hint: &Hint, acct: Account) -> std::result::Result<Option<Incoming>, Rejection> {
    parse_message_with(m, content, hint, acct, None)
}

/// What the compact route's reader asks of the store for each message, once
/// it knows the message's conversation, id, position and whether its time
/// is the server's: whether it is stored already or below the floor.
pub(crate) type LookUp<'l> = &'l mut dyn FnMut(&ConvId, u64, crate::record::Pos, bool) -> Looked;

/// [`parse_message`], with the body left with the glue (`later`: its item
/// number in the compact batch) instead of built from `content`.
pub(crate) fn parse_message_with(
    m: &Item,
    content: Option<&ContentIn>,
    hint: &Hint,
    acct: Account,
    later: Option<(u32, LookUp)>,
) -> std::result::Result<Option<Incoming>, Rejection> {
    let id = msg_id(m.msg_id).map_err(|reason| Rejection { id: None, reason })?;
    let reject = |reason: String| Rejection { id: Some(id), reason };
    let parsed: ContentIn;
    let content = match content {
        Some(c) => c,
        None => {
            parsed = m
                .content
                .filter(|r| starts(*r, b'{'))
                .and_then(|r| serde_json::from_str(r.get()).ok())
                .ok_or_else(|| reject("missing content object".into()))?;
            &parsed
        }
    };
    let target_type = string(content.target_type);
    if target_type.as_deref() == Some("chatroom") {
        return Ok(None);
    }
    let from = string(content.from_id)
        .or_else(|| string(m.from_username))
        .ok_or_else(|| reject("missing content.from_id (sender)".into()))?;
    let (time, server_time) = raw_time(m.ctime_ms, content.create_time).map_err(reject)?;
    let msg_type = string(content.msg_type).ok_or_else(|| reject("missing content.msg_type".into()))?;

    let from_appkey = string(content.from_appkey).or_else(|| string(m.from_appkey));
    let from_appkey = from_appkey.as_deref().unwrap_or(acct.appkey);
    let out = from == acct.username && from_appkey == acct.appkey;

    let group = target_type.as_deref() == Some("group")
        || m.msg_type.and_then(uint) == Some(4)
        || (target_type.is_none() && hint.gid.is_some());
    let conv = if group {
        let gid = positive(m.from_gid)
            .or_else(|| positive(content.target_id))
            .or(hint.gid)
            .ok_or_else(|| reject("group message without a gid (from_gid or content.target_id)".into()))?;
        ConvId::group(gid)
    } else if out {
        let target = string(content.target_id);
        let peer = target
            .as_deref()
            .or(hint.peer.as_deref())
            .ok_or_else(|| reject("own message without content.target_id".into()))?;
        let target_appkey = string(content.target_appkey);
        let appkey = target_appkey
            .as_deref()
            .or_else(|| hint.peer.as_deref().filter(|p| *p == peer).and(hint.peer_appkey.as_deref()))
            .unwrap_or(from_appkey);
        ConvId::single(appkey, peer)
    } else {
        not_for_someone_else(content, acct).map_err(reject)?;
        ConvId::single(from_appkey, &from)
    };

    let name_field = if group || out { content.target_name } else { content.from_name };
    let name = string(name_field).and_then(|n| capped_name(&n));
    if let Some((n, look)) = later {
        let looked = look(&conv, id, crate::record::Pos { time, id }, server_time);
        if looked.kept() {
            // Stored already, or below the floor: the call needs no more of
            // it than who it is (and the name it gives its conversation).
            let record = Record::new(id, time, Kind::Unknown, String::new(), out, empty_body());
            return Ok(Some(Incoming { conv, record, server_time, name, body: Pending::Later { n, msg_type: String::new() }, looked, item: Some(n) }));
        }
        let mut incoming = message(id, time, from.into_owned(), out, conv, server_time, name, content);
        incoming.looked = looked;
        incoming.item = Some(n);
        incoming.body = Pending::Later { n, msg_type: msg_type.into_owned() };
        return Ok(Some(incoming));
    }
    let mut incoming = message(id, time, from.into_owned(), out, conv, server_time, name, content);
    incoming.take_body(&msg_type, content.msg_body, content.at_list);
    Ok(Some(incoming))
}

/// A message as read, its body still to come.
#[allow(clippy::too_many_arguments)]
fn message(id: u64, time: u64, from: String, out: bool, conv: ConvId, server_time: bool, name: Option<String>, content: &ContentIn) -> Incoming {
    let mut record = Record::new(id, time, Kind::Unknown, from, out, empty_body());
    record.from_name = string(content.from_name).and_then(|n| capped_name(&n));
    Incoming { conv, record, server_time, name, body: Pending::Ready, looked: Looked::Not, item: None }
}

/// An incoming single message names its recipient in `content.target_id`
/// (and `target_appkey`): when that is someone else, the message reached
/// this account by mistake (an SDK instance of a previous login still
/// delivering after an account switch) and is not filed under the sender.
/// Missing or empty fields are not evidence: older SDKs leave them out.
fn not_for_someone_else(content: &ContentIn, acct: Account) -> std::result::Result<(), String> {
    if let Some(target) = string(content.target_id).filter(|t| t != acct.username) {
        return Err(format!("not addressed to this account: content.target_id is {target:?}, not {:?}", acct.username));
    }
    if let Some(appkey) = string(content.target_appkey).filter(|a| a != acct.appkey) {
        return Err(format!("not addressed to this account: content.target_appkey is {appkey:?}, not {:?}", acct.appkey));
    }
    Ok(())
}

/// Server time in ms: `ctime_ms`, else `content.create_time` (sender clock,
/// seconds or ms). Values that look like seconds are scaled. The flag says
/// whether the server's time was used.
fn raw_time(ctime: Option<Raw>, create: Option<Raw>) -> std::result::Result<(u64, bool), String> {
    let (raw, field, seconds_below) = match (ctime, create) {
        (Some(v), _) => (v, "ctime_ms", SECONDS_BELOW),
        (None, Some(v)) => (v, "content.create_time", 1_000_000_000_000),
        (None, None) => return Err("no time: neither ctime_ms nor content.create_time".into()),
    };
    let t = uint(raw).ok_or_else(|| format!("{field} must be a positive integer, got {}", short(raw)))?;
    let t = if t < seconds_below { t.saturating_mul(1000) } else { t };
    if t == 0 || t > MAX_SAFE {
        return Err(format!("{field} out of range: {}", short(raw)));
    }
    Ok((t, field == "ctime_ms"))
}

/// Builds a JSON object from raw fields, skipping absent and null ones.
struct ObjectOut(String);

impl ObjectOut {
    fn new() -> Self {
        ObjectOut(String::with_capacity(96))
    }
    fn field(&mut self, key: &str, value: Option<Raw>) {
        if let Some(v) = value.filter(|v| v.get() != "null") {
            self.0.push(if self.0.is_empty() { '{' } else { ',' });
            self.0.push('"');
            self.0.push_str(key);
            self.0.push_str("\":");
            self.0.push_str(v.get());
        }
    }
    fn finish(mut self) -> Box<RawValue> {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        RawValue::from_string(self.0).unwrap_or_else(|_| empty_body())
    }
}

/// A text message's body that is already what its record keeps: exactly
/// `{"text":"…"}`, as `JSON.stringify` writes the usual one. Read without
/// building a [`BodyIn`]: on iOS that costs a fifth of a first sync.
fn text_only(mb: Raw) -> Option<Box<RawValue>> {
    let rest = mb.get().strip_prefix(r#"{"text":"#)?;
    let text = crate::raw::Scanner::new(rest).value().ok()?.get();
    if !text.starts_with('"') || &rest[text.len()..] != "}" {
        return None;
    }
    RawValue::from_string(mb.get().to_string()).ok()
}

/// The fields of `msg_body` a chat UI needs, per content type.
fn build_body(msg_type: &str, content: &ContentIn) -> std::result::Result<(Kind, Box<RawValue>), String> {
    if msg_type == "text" && content.at_list.is_none_or(|a| !starts(a, b'[')) {
        if let Some(body) = content.msg_body.and_then(text_only) {
            return Ok((Kind::Text, body));
        }
    }
    build_any_body(msg_type, content)
}

/// [`build_body`] for any body, field by field.
fn build_any_body(msg_type: &str, content: &ContentIn) -> std::result::Result<(Kind, Box<RawValue>), String> {
    let mb = content.msg_body.filter(|r| r.get() != "null");
    let known = matches!(msg_type, "text" | "image" | "voice" | "file" | "location" | "video");
    if !known {
        // Custom and unknown bodies are the developer's: keep any JSON.
        let body = mb.map(|r| r.get()).unwrap_or("{}");
        let json = if msg_type == "custom" {
            body.to_string()
        } else {
            format!(r#"{{"msg_type":{},"msg_body":{}}}"#, serde_json::to_string(msg_type).expect("a string serializes"), body)
        };
        let kind = if msg_type == "custom" { Kind::Custom } else { Kind::Unknown };
        return Ok((kind, RawValue::from_string(json).unwrap_or_else(|_| empty_body())));
    }
    let b: BodyIn = match mb {
        None => BodyIn::default(),
        Some(r) if starts(r, b'{') => {
            serde_json::from_str(r.get()).map_err(|e| format!("msg_body of a {msg_type} message is unreadable: {e}"))?
        }
        Some(r) => return Err(format!("msg_body of a {msg_type} message is {}", type_name(r))),
    };
    let need_str = |v: Option<Raw>, key: &str| match v {
        Some(r) if starts(r, b'"') => Ok(()),
        _ => Err(format!("{msg_type} message without msg_body.{key}")),
    };
    let is_number = |v: Option<Raw>| v.is_some_and(|r| matches!(r.get().as_bytes().first(), Some(b'-' | b'0'..=b'9')));
    let mut out = ObjectOut::new();
    let kind = match msg_type {
        "text" => {
            need_str(b.text, "text")?;
            out.field("text", b.text);
            Kind::Text
        }
        "image" => {
            need_str(b.media_id, "media_id")?;
            for (k, v) in [("media_id", b.media_id), ("media_crc32", b.media_crc32), ("width", b.width), ("height", b.height), ("format", b.format), ("fsize", b.fsize), ("hash", b.hash)] {
                out.field(k, v);
            }
            Kind::Image
        }
        "voice" => {
            need_str(b.media_id, "media_id")?;
            for (k, v) in [("media_id", b.media_id), ("media_crc32", b.media_crc32), ("duration", b.duration), ("format", b.format), ("fsize", b.fsize), ("hash", b.hash)] {
                out.field(k, v);
            }
            Kind::Voice
        }
        "file" => {
            need_str(b.media_id, "media_id")?;
            for (k, v) in [("media_id", b.media_id), ("media_crc32", b.media_crc32), ("fsize", b.fsize), ("fname", b.fname), ("hash", b.hash)] {
                out.field(k, v);
            }
            // The mini-program SDK sends videos as files flagged by extras.video.
            #[derive(Deserialize)]
            struct Flag<'a> {
                #[serde(borrow, default)]
                video: Option<Raw<'a>>,
            }
            let flag = b
                .extras
                .filter(|e| starts(*e, b'{'))
                .and_then(|e| serde_json::from_str::<Flag>(e.get()).ok())
                .and_then(|f| f.video)
                .filter(|v| truthy(*v));
            match flag {
                Some(v) => {
                    if starts(v, b'"') {
                        out.field("format", Some(v));
                    }
                    Kind::Video
                }
                None => Kind::File,
            }
        }
        "location" => {
            for (k, v) in [("latitude", b.latitude), ("longitude", b.longitude)] {
                if !is_number(v) {
                    return Err(format!("location message without numeric msg_body.{k}"));
                }
            }
            // The protocol doc spells it `lable`; accept that too.
            let label = b.label.filter(|r| r.get() != "null").or(b.lable.filter(|r| starts(*r, b'"')));
            for (k, v) in [("latitude", b.latitude), ("longitude", b.longitude), ("scale", b.scale), ("label", label)] {
                out.field(k, v);
            }
            Kind::Location
        }
        _ => {
            // Native video: the file is nested under msg_body.video.
            let video: BodyIn = b
                .video
                .filter(|v| starts(*v, b'{'))
                .and_then(|v| serde_json::from_str(v.get()).ok())
                .filter(|v: &BodyIn| v.media_id.is_some_and(|m| starts(m, b'"')))
                .ok_or_else(|| "video message without msg_body.video.media_id".to_string())?;
            for (k, v) in [("media_id", video.media_id), ("media_crc32", video.media_crc32), ("fsize", video.fsize), ("fname", video.fname), ("format", video.format), ("duration", b.duration), ("thumb", b.thumb.filter(|t| starts(*t, b'{')))] {
                out.field(k, v);
            }
            Kind::Video
        }
    };
    out.field("extras", b.extras.filter(|e| starts(*e, b'{')));
    out.field("at_list", content.at_list.filter(|a| starts(*a, b'[')));
    Ok((kind, out.finish()))
}

/// `onEventNotification` (one object) or `onSyncEvent` (an array), as JSON
/// text. Only retractions (`event_type` 55) concern the store; other events
/// are counted as ignored.
pub fn parse_events(events: &(impl Json + ?Sized), acct: Account) -> Result<Events> {
    let text = events.json();
    let v = fields::argument(&text, "event")?;
    let items = match v.get().as_bytes().first() {
        Some(b'[') => fields::elements(v),
        Some(b'{') => vec![v],
        _ => return Err(Error::BadPayload(format!("expected an event object or an array of events, got {}", type_name(v)))),
    };
    let mut out = Events::default();
    for ev in items {
        let ev: EventIn = match fields::object(ev) {
            Ok(ev) => ev,
            Err(why) => {
                out.rejected.push(Rejection { id: None, reason: format!("event {why}") });
                continue;
            }
        };
        match fields::tag(ev.event_type) {
            Some(55) => match parse_retraction(&ev, acct) {
                Ok(r) => out.retractions.push(r),
                Err(reason) => out.rejected.push(Rejection { id: None, reason }),
            },
            Some(n) if n >= 0 => out.ignored += 1,
            _ => out.rejected.push(Rejection { id: None, reason: "event without a numeric event_type".into() }),
        }
    }
    Ok(out)
}

/// The fields of an event we read.
#[derive(Deserialize)]
struct EventIn<'a> {
    #[serde(borrow, default)]
    event_type: Option<Raw<'a>>,
    #[serde(borrow, default)]
    msg_ids: Option<Raw<'a>>,
    #[serde(borrow, default)]
    msgid_list: Option<Raw<'a>>,
    #[serde(borrow, default)]
    from_gid: Option<Raw<'a>>,
    #[serde(borrow, default)]
    gid: Option<Raw<'a>>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Raw<'a>>,
    #[serde(borrow, default)]
    from_username: Option<Raw<'a>>,
    #[serde(borrow, default)]
    from_appkey: Option<Raw<'a>>,
    #[serde(borrow, default)]
    to_usernames: Option<Raw<'a>>,
}

/// A user an event names.
#[derive(Deserialize)]
struct UserIn<'a> {
    #[serde(borrow, default)]
    username: Option<Raw<'a>>,
    #[serde(borrow, default)]
    appkey: Option<Raw<'a>>,
}

fn parse_retraction(o: &EventIn, acct: Account) -> std::result::Result<Retraction, String> {
    let list = o.msg_ids.or(o.msgid_list).ok_or("retraction without msg_ids or msgid_list")?;
    let ids: Vec<u64> = if starts(list, b'[') {
        fields::elements(list).into_iter().map(|v| msg_id(Some(v))).collect::<std::result::Result<_, _>>()?
    } else {
        vec![msg_id(Some(list))?]
    };
    if ids.is_empty() {
        return Err("retraction with an empty id list".into());
    }
    let gid = positive(o.from_gid).or_else(|| positive(o.gid));
    let is_group = fields::tag(o.kind) == Some(1) || gid.is_some();
    let conv = if is_group {
        gid.map(ConvId::group)
    } else {
        let from = string(o.from_username);
        let from_appkey = string(o.from_appkey);
        let from_appkey = from_appkey.as_deref().unwrap_or(acct.appkey);
        if from.as_deref() == Some(acct.username) && from_appkey == acct.appkey {
            // Retracted by yourself on another device: the peer is the target.
            o.to_usernames.filter(|t| starts(*t, b'[')).and_then(|t| fields::elements(t).into_iter().next()).and_then(|t| {
                let t: UserIn = fields::object(t).ok()?;
                let user = string(t.username)?;
                let appkey = string(t.appkey);
                Some(ConvId::single(appkey.as_deref().unwrap_or(acct.appkey), &user))
            })
        } else {
            from.map(|u| ConvId::single(from_appkey, &u))
        }
    };
    Ok(Retraction { conv, ids })
}

/// A send's `onSuccess(data, msg)`, each as JSON text: the id and server
/// time come from `data`, the content from `msg`, read like any message.
pub fn parse_sent(data: &(impl Json + ?Sized), msg: &(impl Json + ?Sized), acct: Account) -> Result<Batch> {
    let (data, msg) = (data.json(), msg.json());
    let (d, m) = (fields::argument(&data, "data")?, fields::argument(&msg, "msg")?);
    let (Ok(d), Ok(m)) = (fields::object::<SentData>(d), fields::object::<SentMsg>(m)) else {
        return Err(Error::BadPayload(format!(
            "cacheSent expects the two onSuccess arguments (data, msg) as objects, got {} and {}",
            type_name(d),
            type_name(m)
        )));
    };
    let mut batch = Batch::default();
    if let Some(code) = fields::tag(d.code).filter(|&c| c != 0) {
        batch.rejected.push(Rejection { id: d.msg_id.and_then(uint), reason: format!("send failed (code {code}); nothing to cache") });
        return Ok(batch);
    }
    // What the send's `msg.content` leaves out: you sent it, to its target.
    let me = serde_json::to_string(acct.username).expect("a string serializes");
    let target = m.target_id.or(m.target_gid).or(d.target_gid).map(|t| match starts(t, b'"') {
        true => t.get().to_string(),
        false => serde_json::to_string(t.get()).expect("a string serializes"),
    });
    let content = m.content.and_then(|c| fields::object::<ContentIn>(c).ok()).map(|mut c| {
        c.from_id = c.from_id.or(Some(Raw::trusted(&me)));
        c.target_id = c.target_id.or(target.as_deref().map(Raw::trusted));
        c
    });
    let group = content.as_ref().and_then(|c| string(c.target_type)).as_deref() == Some("group")
        || d.target_gid.is_some()
        || m.target_gid.is_some();
    let envelope = Item {
        msg_id: d.msg_id.or(m.msg_id).filter(|r| r.get() != "null"),
        ctime_ms: d.ctime_ms.filter(|r| r.get() != "null"),
        msg_type: Some(Raw::trusted(if group { "4" } else { "3" })),
        // A content that is not an object is left to the reader to reject.
        content: if content.is_none() { m.content } else { None },
        ..Item::default()
    };
    push(parse_message(&envelope, content.as_ref(), &Hint::default(), acct), &mut batch);
    // Whether the send's message can be stored decides the echo (see
    // `Cache::cache_sent_echo`): settled now.
    Ok(batch.settle())
}

/// The fields of a send's `data` we read.
#[derive(Deserialize)]
struct SentData<'a> {
    #[serde(borrow, default)]
    code: Option<Raw<'a>>,
    #[serde(borrow, default, deserialize_with = "fields::present")]
    msg_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    ctime_ms: Option<Raw<'a>>,
    #[serde(borrow, default, deserialize_with = "fields::present")]
    target_gid: Option<Raw<'a>>,
}

/// The fields of a send's `msg` we read.
#[derive(Deserialize)]
struct SentMsg<'a> {
    #[serde(borrow, default)]
    content: Option<Raw<'a>>,
    #[serde(borrow, default)]
    msg_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    target_id: Option<Raw<'a>>,
    #[serde(borrow, default, deserialize_with = "fields::present")]
    target_gid: Option<Raw<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_only_body_is_what_the_field_by_field_path_builds() {
        let bodies = [
            r#"{"text":"hi"}"#, r#"{"text":""}"#, r#"{"text":"a\"b}"}"#, r#"{"text":"中文 \u00e9"}"#, r#"{"text":"x","extras":{}}"#,
            r#"{"text":5}"#, r#"{"text":"a"} "#, r#"{"text":"a"}}"#, r#"{"text":"\x"}"#, r#"{"text":"a","text":"b"}"#, r#"{"text" :"a"}"#,
        ];
        let mut fast = 0;
        for b in bodies {
            let content = ContentIn { msg_body: Some(Raw::trusted(b)), ..ContentIn::default() };
            if let Some(v) = text_only(Raw::trusted(b)) {
                fast += 1;
                let (kind, general) = build_any_body("text", &content).expect(b);
                assert_eq!((kind, general.get()), (Kind::Text, v.get()), "{b}");
            }
            let either = build_body("text", &content).map(|(k, v)| (k, v.get().to_string()));
            let general = build_any_body("text", &content).map(|(k, v)| (k, v.get().to_string()));
            assert_eq!(either, general, "{b}");
        }
        assert_eq!(fast, 4, "the plain ones take the short path");
    }
}
