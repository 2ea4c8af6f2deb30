//! What calls return: per-call reports and the read-side views.
//!
//! These serialise to exactly the JSON the JS API hands out (camelCase, ids as
//! numbers below 2^53, `null` rather than absent where the API says so).

use serde::Serialize;

use crate::echo::EchoView;
use crate::payload::Rejection;
use crate::record::RecordView;

/// A stored message or a local echo (a message being sent).
#[derive(Serialize)]
#[serde(untagged)]
pub enum MessageView<'a> {
    Record(RecordView<'a>),
    Echo(EchoView<'a>),
}

impl<'a> MessageView<'a> {
    /// The stored message, unless this is an echo.
    pub fn record(&self) -> Option<&RecordView<'a>> {
        match self {
            MessageView::Record(r) => Some(r),
            MessageView::Echo(_) => None,
        }
    }
}

/// The outcome of one `cacheMsg` / `cacheSent` / `applyEvent` call.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// New messages stored.
    pub added: u32,
    /// Messages already stored (merged: a retraction may have been applied).
    pub duplicates: u32,
    /// Malformed messages or events, not stored; see `reasons`.
    pub rejected: u32,
    /// Stored messages turned into tombstones by this call.
    pub retracted: u32,
    /// Messages removed by the budget or per-conversation cap during this
    /// call, plus incoming ones older than what their conversation keeps.
    pub evicted: u32,
    /// Chat-room messages and non-retraction events: skipped on purpose;
    /// unread updates of conversations the cache does not show.
    pub ignored: u32,
    /// Your own messages whose read-receipt count this call lowered.
    pub receipts: u32,
    /// Conversations whose unread count, name or avatar this call changed.
    pub updated: u32,
    /// Receipts and conversation profiles remembered until their message or
    /// conversation arrives.
    pub pending: u32,
    /// Conversations this call changed.
    pub conversations: Vec<String>,
    /// One entry per rejected message or event.
    pub reasons: Vec<Reason>,
}

/// Why one message or event was rejected.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reason {
    pub id: Option<u64>,
    pub reason: String,
}

impl Report {
    pub fn reject(&mut self, rejections: &[Rejection]) {
        for r in rejections {
            self.rejected += 1;
            self.reasons.push(Reason { id: r.id, reason: r.reason.clone() });
        }
    }

    pub fn touch(&mut self, conv: &str) {
        // Newest first: a batch's messages come grouped by conversation. The
        // ends differ first (ids share their `single:<appkey>:` start).
        let same = |c: &String| c.len() == conv.len() && c.as_bytes().iter().rev().eq(conv.as_bytes().iter().rev());
        if !self.conversations.iter().rev().any(same) {
            self.conversations.push(conv.to_string());
        }
    }
}

/// One row of the conversation list.
#[derive(Serialize)]
pub struct ConversationView<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The peer's username, or the gid as a string.
    pub target: &'a str,
    /// The peer's appkey (single chats); `null` for groups.
    pub appkey: Option<&'a str>,
    pub last: Option<MessageView<'a>>,
    pub unread: u32,
    pub count: u64,
    /// From `getConversation` or the conversation's messages; `null` if unknown.
    pub name: Option<&'a str>,
    /// A `media_id`, or `null`.
    pub avatar: Option<&'a str>,
}

/// One page of messages, oldest to newest.
#[derive(Serialize)]
pub struct PageView<'a> {
    pub messages: Vec<MessageView<'a>>,
    /// Cursor for the next older page, or `null` at the beginning.
    pub before: Option<String>,
}

/// Storage use.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub bytes: u64,
    pub budget_bytes: u64,
    pub keys: u64,
    pub conversations: u64,
    pub messages: u64,
    /// Retractions remembered for messages not seen yet.
    pub pending_retractions: u64,
    /// Messages lost to damaged or missing storage values since open.
    pub dropped: u64,
}

/// What opening the cache found and repaired.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OpenReport {
    /// Set when the stored cache could not be used and was cleared.
    pub reset: Option<String>,
    /// The index was missing or damaged and was rebuilt from the chunks.
    pub rebuilt: bool,
    /// Unreferenced keys of ours that were removed (left by a crash).
    pub orphans_removed: u32,
    /// Chunks the index referenced that were missing.
    pub chunks_dropped: u32,
    /// Messages in those chunks.
    pub messages_dropped: u64,
}
