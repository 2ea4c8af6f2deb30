//! What a chat UI shows besides the messages: unread counts as the SDK
//! counts them, read receipts of your own messages, conversation names and
//! avatars; and the parsers of the SDK callbacks that carry them.
//!
//! | call | SDK source | shape |
//! |---|---|---|
//! | `applyReceipts` | `onMsgReceiptChange` (one), `onSyncMsgReceipt` (array) | `{type: 3\|4, gid?, appkey?, username?, receipt_msgs: [{msg_id, unread_count, mtime?}]}` |
//! | `applyUnread` | `onMutiUnreadMsgUpdate` | `{type: 3, username, appkey, unreadCount}` / `{type: 4, gid, unreadCount}` |
//! | `applyConversations` | `getConversation().onSuccess` | `{code, message, conversations: [{type, appkey, username, nickName\|nickname, name, gid, key, avatar, unread_msg_count}]}` |
//!
//! A sync entry's `unread_msg_count` and `receipt_msgs` (see
//! [`crate::payload`]) become the same [`StateChanges`]. Malformed items are
//! [`Rejection`]s with a reason; the valid ones around them are kept.

use serde::Deserialize;

use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::fields::{self, msg_id, positive, short, string, type_name, Raw};
use crate::payload::{Account, Batch, Json, Rejection};
use crate::record::capped_name;

/// Longest avatar (`media_id`) kept, in bytes.
pub const MAX_AVATAR_BYTES: usize = 512;

/// "`id` has been read by all but `unread`" (0: read). Stored (a receipt
/// waiting for its message) as `[id, unread]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "StoredReceipt", into = "StoredReceipt")]
pub struct Receipt {
    pub id: u64,
    pub unread: u32,
}

type StoredReceipt = (u64, u32);

impl From<StoredReceipt> for Receipt {
    fn from((id, unread): StoredReceipt) -> Self {
        Receipt { id, unread }
    }
}

impl From<Receipt> for StoredReceipt {
    fn from(r: Receipt) -> Self {
        (r.id, r.unread)
    }
}

/// Receipts of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptSet {
    pub conv: ConvId,
    pub receipts: Vec<Receipt>,
}

/// "This conversation has `count` unread messages", as the SDK counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadSet {
    pub conv: ConvId,
    pub count: u32,
}

/// A conversation's name and avatar as `getConversation` gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Wins over names taken from messages, from then on.
    pub name: Option<String>,
    /// `Some("")` clears the avatar; `None` leaves it.
    pub avatar: Option<String>,
}

/// The profile of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSet {
    pub conv: ConvId,
    pub profile: Profile,
}

/// Everything besides messages that one call changes.
#[derive(Debug, Default)]
pub struct StateChanges {
    pub receipts: Vec<ReceiptSet>,
    pub unread: Vec<UnreadSet>,
    pub profiles: Vec<ProfileSet>,
}

impl StateChanges {
    pub fn is_empty(&self) -> bool {
        self.receipts.is_empty() && self.unread.is_empty() && self.profiles.is_empty()
    }
}

/// The items of a call that takes one object or an array of them.
fn items<'a>(v: Raw<'a>, what: &str) -> Result<Vec<Raw<'a>>> {
    match v.get().as_bytes().first() {
        Some(b'[') => Ok(fields::elements(v)),
        Some(b'{') => Ok(vec![v]),
        _ => Err(Error::BadPayload(format!("expected {what} (an object or an array of them), got {}", type_name(v)))),
    }
}

/// An item's fields, or a rejection saying why it has none.
fn object<'a, T: Deserialize<'a>>(v: Raw<'a>, what: &str, rejected: &mut Vec<Rejection>) -> Option<T> {
    fields::object(v).map_err(|why| rejected.push(Rejection { id: None, reason: format!("{what} {why}") })).ok()
}

/// An SDK object about one conversation (a receipt change, an unread
/// update, a `getConversation` entry): the fields that name it, and those
/// the callbacks carry. One struct, so each item is read once.
#[derive(Deserialize, Default)]
pub struct ConvObject<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Raw<'a>>,
    #[serde(borrow, default)]
    gid: Option<Raw<'a>>,
    #[serde(borrow, default)]
    key: Option<Raw<'a>>,
    #[serde(borrow, default)]
    username: Option<Raw<'a>>,
    #[serde(borrow, default)]
    appkey: Option<Raw<'a>>,
    #[serde(borrow, default)]
    receipt_msgs: Option<Raw<'a>>,
    #[serde(borrow, default, rename = "unreadCount")]
    unread_count: Option<Raw<'a>>,
    #[serde(borrow, default)]
    unread_msg_count: Option<Raw<'a>>,
    #[serde(borrow, default)]
    name: Option<Raw<'a>>,
    #[serde(borrow, default, rename = "nickName")]
    nick_name: Option<Raw<'a>>,
    #[serde(borrow, default)]
    nickname: Option<Raw<'a>>,
    #[serde(borrow, default)]
    avatar: Option<Raw<'a>>,
}

/// The conversation an SDK object names: `type` 4 (or a `gid`) with `gid`
/// or `key`; `type` 3 with `username` and `appkey` (empty: your own).
pub fn conversation_of(o: &ConvObject, acct: Account) -> std::result::Result<ConvId, String> {
    let kind = fields::tag(o.kind);
    let gid = positive(o.gid);
    if kind == Some(4) || (kind.is_none() && gid.is_some()) {
        let gid = gid.or_else(|| positive(o.key)).ok_or("group without a gid (gid or key)")?;
        return Ok(ConvId::group(gid));
    }
    if let Some(raw) = o.kind.filter(|_| kind.is_some_and(|k| k != 3)) {
        return Err(format!("type must be 3 (single) or 4 (group), got {}", short(raw)));
    }
    let user = string(o.username).ok_or("single conversation without a username")?;
    let appkey = string(o.appkey);
    Ok(ConvId::single(appkey.as_deref().unwrap_or(acct.appkey), &user))
}

/// One element of a `receipt_msgs` list.
#[derive(Deserialize)]
struct ReceiptIn<'a> {
    #[serde(borrow, default, deserialize_with = "fields::present")]
    msg_id: Option<Raw<'a>>,
    #[serde(borrow, default)]
    unread_count: Option<Raw<'a>>,
}

/// A `receipt_msgs` list of `conv` into `out`.
pub fn receipt_list(v: Raw, conv: ConvId, out: &mut StateChanges, rejected: &mut Vec<Rejection>) {
    if !fields::starts(v, b'[') {
        rejected.push(Rejection { id: None, reason: format!("receipt_msgs is {}, not an array", type_name(v)) });
        return;
    }
    let list = fields::elements(v);
    let mut receipts = Vec::with_capacity(list.len());
    for r in list {
        let Some(o) = object::<ReceiptIn>(r, "receipt", rejected) else { continue };
        let id = match msg_id(o.msg_id) {
            Ok(id) => id,
            Err(reason) => {
                rejected.push(Rejection { id: None, reason: format!("receipt: {reason}") });
                continue;
            }
        };
        match fields::count(o.unread_count) {
            Some(unread) => receipts.push(Receipt { id, unread }),
            None => rejected.push(Rejection { id: Some(id), reason: "receipt without a numeric unread_count".into() }),
        }
    }
    if !receipts.is_empty() {
        out.receipts.push(ReceiptSet { conv, receipts });
    }
}

/// `applyReceipts`: `onMsgReceiptChange`'s object or `onSyncMsgReceipt`'s
/// array, as JSON text.
pub fn parse_receipts(data: &(impl Json + ?Sized), acct: Account) -> Result<Batch> {
    let text = data.json();
    let mut batch = Batch::default();
    for item in items(fields::argument(&text, "receipts")?, "a receipt change")? {
        let Some(o) = object::<ConvObject>(item, "receipt change", &mut batch.rejected) else { continue };
        match conversation_of(&o, acct) {
            Ok(conv) => receipt_list(o.receipt_msgs.unwrap_or(Raw::trusted("null")), conv, &mut batch.state, &mut batch.rejected),
            Err(reason) => batch.rejected.push(Rejection { id: None, reason: format!("receipt change: {reason}") }),
        }
    }
    Ok(batch)
}

/// `applyUnread`: `onMutiUnreadMsgUpdate`'s object (an array of them too),
/// as JSON text.
pub fn parse_unread(data: &(impl Json + ?Sized), acct: Account) -> Result<Batch> {
    let text = data.json();
    let mut batch = Batch::default();
    for item in items(fields::argument(&text, "unread update")?, "an unread update")? {
        let Some(o) = object::<ConvObject>(item, "unread update", &mut batch.rejected) else { continue };
        let conv = conversation_of(&o, acct);
        match (conv, fields::count(o.unread_count)) {
            (Ok(conv), Some(count)) => batch.state.unread.push(UnreadSet { conv, count }),
            (Err(reason), _) => batch.rejected.push(Rejection { id: None, reason: format!("unread update: {reason}") }),
            (Ok(_), None) => batch.rejected.push(Rejection { id: None, reason: "unread update without a numeric unreadCount".into() }),
        }
    }
    Ok(batch)
}

/// `getConversation().onSuccess`'s data.
#[derive(Deserialize)]
struct ConversationsIn<'a> {
    #[serde(borrow, default)]
    code: Option<Raw<'a>>,
    #[serde(borrow, default)]
    conversations: Option<Raw<'a>>,
}

/// `applyConversations`: `getConversation().onSuccess`'s data (or its
/// `conversations` array), as JSON text.
pub fn parse_conversations(data: &(impl Json + ?Sized), acct: Account) -> Result<Batch> {
    let text = data.json();
    let v = fields::argument(&text, "conversations")?;
    let list = match v.get().as_bytes().first() {
        Some(b'{') => {
            let o: ConversationsIn = fields::object(v).map_err(|why| Error::BadPayload(format!("getConversation's data {why}")))?;
            if let Some(code) = fields::tag(o.code).filter(|&c| c != 0) {
                return Err(Error::BadPayload(format!("getConversation failed (code {code}): nothing to apply")));
            }
            o.conversations.filter(|c| fields::starts(*c, b'[')).ok_or_else(|| {
                Error::BadPayload("expected getConversation's data {code, message, conversations: [...]}".into())
            })?
        }
        Some(b'[') => v,
        _ => return Err(Error::BadPayload(format!("expected getConversation's data, got {}", type_name(v)))),
    };
    let mut batch = Batch::default();
    for item in fields::elements(list) {
        let Some(o) = object::<ConvObject>(item, "conversation", &mut batch.rejected) else { continue };
        match conversation_entry(&o, acct) {
            Ok((set, unread)) => {
                batch.state.profiles.push(set);
                batch.state.unread.extend(unread);
            }
            Err(reason) => batch.rejected.push(Rejection { id: None, reason: format!("conversation: {reason}") }),
        }
    }
    Ok(batch)
}

/// One `getConversation` entry: its profile, and its unread count if it
/// has one.
fn conversation_entry(o: &ConvObject, acct: Account) -> std::result::Result<(ProfileSet, Option<UnreadSet>), String> {
    let conv = conversation_of(o, acct)?;
    // A single chat's `name` is the username; builds differ on the nickname's spelling.
    let names = match conv.kind() {
        crate::ConvKind::Group => [o.name, None],
        crate::ConvKind::Single => [o.nick_name, o.nickname],
    };
    let name = names.into_iter().find_map(|f| fields::any_string(f).and_then(|s| capped_name(&s)));
    let avatar = match o.avatar {
        None => None,
        Some(a) if a.get() == "null" => None,
        Some(a) => match fields::any_string(Some(a)) {
            Some(s) if s.len() > MAX_AVATAR_BYTES => return Err(format!("avatar longer than {MAX_AVATAR_BYTES} bytes")),
            Some(s) => Some(s.trim().to_string()),
            None => return Err(format!("avatar is {}, not a media_id string", type_name(a))),
        },
    };
    let unread = fields::count(o.unread_msg_count).map(|count| UnreadSet { conv: conv.clone(), count });
    Ok((ProfileSet { conv, profile: Profile { name, avatar } }, unread))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};


    const ACCT: Account = Account { appkey: "ak", username: "me" };

    #[test]
    fn conversations_are_named_by_type_gid_key_username_and_appkey() {
        let conv = |v: Value| {
            let text = v.to_string();
            conversation_of(&fields::object(Raw::trusted(&text)).unwrap(), ACCT)
        };
        assert_eq!(conv(json!({"type": 4, "gid": 7})).unwrap(), ConvId::group(7));
        assert_eq!(conv(json!({"type": 4, "key": 7})).unwrap(), ConvId::group(7));
        assert_eq!(conv(json!({"gid": "7"})).unwrap(), ConvId::group(7));
        assert_eq!(conv(json!({"type": 3, "username": "bob", "appkey": ""})).unwrap(), ConvId::single("ak", "bob"));
        assert_eq!(conv(json!({"type": 3, "username": "bob", "appkey": "x"})).unwrap(), ConvId::single("x", "bob"));
        assert!(conv(json!({"type": 3})).is_err());
        assert!(conv(json!({"type": 4})).is_err());
        assert!(conv(json!({"type": 5, "username": "bob"})).is_err());
    }

    #[test]
    fn receipts_keep_good_items_and_give_reasons_for_bad_ones() {
        let b = parse_receipts(&json!([
            {"type": 3, "username": "bob", "receipt_msgs": [{"msg_id": 5, "unread_count": 0}, {"msg_id": -1, "unread_count": 0}, {"msg_id": 6}]},
            {"type": 4, "receipt_msgs": []},
            7
        ]), ACCT).unwrap();
        assert_eq!(b.state.receipts, vec![ReceiptSet { conv: ConvId::single("ak", "bob"), receipts: vec![Receipt { id: 5, unread: 0 }] }]);
        assert_eq!(b.rejected.len(), 4, "{:?}", b.rejected);
        assert!(parse_receipts(&json!("x"), ACCT).is_err());
    }

    #[test]
    fn unread_updates_need_a_numeric_count() {
        let b = parse_unread(&json!({"type": 4, "gid": 9, "unreadCount": 0}), ACCT).unwrap();
        assert_eq!(b.state.unread, vec![UnreadSet { conv: ConvId::group(9), count: 0 }]);
        let b = parse_unread(&json!({"type": 4, "gid": 9, "unreadCount": "2"}), ACCT).unwrap();
        assert!(b.state.unread.is_empty());
        assert_eq!(b.rejected.len(), 1);
    }

    #[test]
    fn conversation_lists_give_names_avatars_and_counts() {
        let b = parse_conversations(&json!({"code": 0, "conversations": [
            {"type": 3, "username": "bob", "appkey": "ak", "nickName": "Bob", "name": "bob", "avatar": "m1", "unread_msg_count": 2},
            {"type": 3, "username": "cy", "nickname": "Cy", "avatar": ""},
            {"type": 4, "gid": 9, "name": "", "unread_msg_count": 5},
            {"type": 4, "gid": 10, "avatar": 5},
        ]}), ACCT).unwrap();
        let p: Vec<_> = b.state.profiles.iter().map(|p| (p.conv.as_str(), p.profile.name.as_deref(), p.profile.avatar.as_deref())).collect();
        assert_eq!(p, vec![("single:ak:bob", Some("Bob"), Some("m1")), ("single:ak:cy", Some("Cy"), Some("")), ("group:9", None, None)]);
        assert_eq!(b.state.unread.iter().map(|u| u.count).collect::<Vec<_>>(), vec![2, 5]);
        assert_eq!(b.rejected.len(), 1);
        assert!(parse_conversations(&json!({"code": 880001, "message": "x"}), ACCT).is_err());
        assert!(parse_conversations(&json!({"code": 0}), ACCT).is_err());
    }
}
