//! The read side: the conversation list, pages of messages (and the plan
//! the glue reads a page from itself), the chunks a search reads, stats.

use super::{Call, Cache, Forget};
use crate::conversation::ConvId;
use crate::echo::{Echo, EchoView};
use crate::error::{Error, Result};
use crate::index::{ChunkMeta, Conv, Slot};
use crate::record::{Pos, Record};
use crate::report::{ConversationView, MessageView, PageView, Stats};
use crate::storage::Storage;

/// A chunk a page is read from: its storage key and record count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedPage {
    pub key: String,
    pub count: u32,
}

/// What the glue reads a page from (see [`Cache::page_plan`]).
#[derive(serde::Serialize)]
pub struct PagePlan<'a> {
    pub chunks: Vec<PlannedPage>,
    /// The conversation's echoes, for the newest page only.
    pub echoes: Option<Vec<EchoView<'a>>>,
}

/// A chunk `search` reads: its storage key, conversation and newest record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChunk {
    pub key: String,
    pub conv: ConvId,
    pub last: Pos,
}

impl<S: Storage> Cache<S> {
    /// `conversations()`: most recently active first. A conversation with
    /// local echoes shows its newest one as `last` (also one with no stored
    /// message yet: the first message to someone).
    pub fn conversations(&self) -> Vec<ConversationView<'_>> {
        // Each shown conversation: its entry (none for a first message still
        // being sent) and its newest echo. Removed conversations stay as
        // invisible entries (no last record).
        type Row<'a> = (Option<&'a Conv>, Option<&'a Echo>);
        let mut rows: std::collections::BTreeMap<&ConvId, Row> = std::collections::BTreeMap::new();
        for (id, c) in self.index.convs.iter().filter(|(_, c)| c.last.is_some()) {
            rows.insert(id, (Some(c), None));
        }
        for e in &self.index.echoes {
            rows.entry(&e.conv).or_insert((self.index.convs.get(&e.conv), None)).1 = Some(e);
        }
        let activity = |(c, e): &Row| {
            let newest = c.map_or(0, |c| c.activity()).max(e.map_or(0, |e| e.time));
            (newest, c.and_then(|c| c.last.as_ref()).map(|r| r.id))
        };
        let mut list: Vec<_> = rows.into_iter().collect();
        list.sort_by(|a, b| activity(&b.1).cmp(&activity(&a.1)).then_with(|| a.0.cmp(b.0)));
        list.into_iter()
            .map(|(id, (c, echo))| ConversationView {
                id: id.as_str(),
                kind: id.kind().as_str(),
                target: id.target(),
                appkey: id.appkey(),
                last: match echo {
                    Some(e) => Some(MessageView::Echo(self.echo_view(e))),
                    None => c.and_then(|c| c.last.as_ref()).map(|r| MessageView::Record(r.view())),
                },
                unread: c.map_or(0, |c| c.unread),
                count: c.map_or(0, Conv::count),
                name: c.and_then(|c| c.name.as_deref()),
                avatar: c.and_then(|c| c.avatar.as_deref()),
            })
            .collect()
    }

    /// `messages(id, {limit, before})`: up to `limit` records older than
    /// `before` (newest page when `None`), oldest first, and the cursor of
    /// the next older page.
    pub fn messages(&mut self, id: &ConvId, limit: usize, before: Option<Pos>) -> Result<(Vec<Record>, Option<Pos>)> {
        self.ready()?;
        check_limit(limit)?;
        let mut out: Vec<Record> = Vec::with_capacity(limit + 1);
        let Some(conv) = self.index.convs.get(id) else { return Ok((out, None)) };
        let mut si = conv.slots.len();
        while si > 0 && out.len() <= limit {
            si -= 1;
            let m = committed(&self.index.convs[id].slots[si]);
            if before.is_some_and(|b| m.first >= b) {
                continue;
            }
            let Some(records) = self.store.chunk(id, m.key)? else {
                // Damaged chunk: forget it now; the next commit persists that
                // and removes its key.
                let mut scratch = Call::default();
                self.forget_slot(&mut scratch, id, si, Forget::Damaged);
                scratch.early.into_iter().for_each(|r| self.store.add_stray(r));
                continue;
            };
            for r in records.iter().rev() {
                if before.is_none_or(|b| r.pos() < b) {
                    out.push(r.clone());
                    if out.len() > limit {
                        break;
                    }
                }
            }
        }
        let more = out.len() > limit;
        out.truncate(limit);
        out.reverse();
        let cursor = if more { out.first().map(Record::pos) } else { None };
        Ok((out, cursor))
    }

    /// What the glue reads for a page of `id` itself (on iOS the engine's
    /// `JSON.parse` of a stored chunk is native, the module's is
    /// interpreted): the chunks that can hold it, newest first, each with
    /// its key and record count, enough of them for `limit` records before
    /// `before`; and, for the newest page, the conversation's echoes. The
    /// glue falls back to [`Cache::messages`] when a chunk does not check out.
    pub fn page_plan(&mut self, id: &ConvId, limit: usize, before: Option<Pos>) -> Result<PagePlan<'_>> {
        self.ready()?;
        check_limit(limit)?;
        let mut chunks = Vec::new();
        let mut held = 0usize;
        for slot in self.index.convs.get(id).map(|c| c.slots.as_slice()).unwrap_or(&[]).iter().rev() {
            let m = committed(slot);
            if before.is_some_and(|b| m.first >= b) {
                continue;
            }
            chunks.push(PlannedPage { key: self.store.ns().chunk_key(m.key), count: m.count });
            // The chunk `before` falls into may hold none before it.
            if before.is_none_or(|b| m.last < b) {
                held += m.count as usize;
            }
            if held > limit {
                break;
            }
        }
        let echoes = before.is_none().then(|| self.index.echoes.iter().filter(|e| e.conv == *id).map(|e| self.echo_view(e)).collect());
        Ok(PagePlan { chunks, echoes })
    }

    /// `messages` as the JS view.
    pub fn page_view<'a>(records: &'a [Record], before: Option<Pos>) -> PageView<'a> {
        PageView { messages: records.iter().map(|r| MessageView::Record(r.view())).collect(), before: before.map(Pos::cursor) }
    }

    /// [`Cache::page_view`] of the page of `conv` asked for with `asked`:
    /// the newest page (`asked` is `None`) ends with the conversation's
    /// local echoes, oldest first.
    pub fn page_view_with_echoes<'a>(&'a self, conv: &ConvId, records: &'a [Record], asked: Option<Pos>, before: Option<Pos>) -> PageView<'a> {
        let mut page = Cache::<S>::page_view(records, before);
        if asked.is_none() {
            page.messages.extend(self.index.echoes.iter().filter(|e| e.conv == *conv).map(|e| MessageView::Echo(self.echo_view(e))));
        }
        page
    }

    /// `stats()`.
    pub fn stats(&mut self) -> Stats {
        self.budget = self.store.budget_now(self.cfg.budget_bytes);
        let chunks: u64 = self.index.convs.values().map(|c| c.slots.len() as u64).sum();
        Stats {
            bytes: self.store.total_bytes(),
            budget_bytes: self.budget,
            keys: chunks + (self.store.index_bytes() > 0) as u64 + self.index.dir.is_some() as u64 + self.store.stray_count() as u64,
            conversations: self.index.convs.values().filter(|c| c.last.is_some()).count() as u64,
            messages: self.index.convs.values().map(Conv::count).sum(),
            pending_retractions: self.index.pending.len() as u64,
            dropped: self.dropped,
        }
    }

    /// What `search` reads, newest first: every chunk of `conv` (or of
    /// every conversation) holding something older than `before`, ordered by
    /// its newest record. The glue scans their values with the engine's
    /// native string search and merges the hits in this order (a record of
    /// a later chunk is never newer than that chunk's `last`).
    pub fn search_plan(&mut self, text: &str, conv: Option<&ConvId>, before: Option<Pos>) -> Result<Vec<PlannedChunk>> {
        self.ready()?;
        if text.trim().is_empty() {
            return Err(Error::BadArgument("search text is empty".into()));
        }
        let mut chunks = Vec::new();
        for (id, c) in &self.index.convs {
            if conv.is_some_and(|want| want != id) {
                continue;
            }
            for slot in &c.slots {
                if let Slot::Stored(m) = slot {
                    if before.is_none_or(|b| m.first < b) {
                        chunks.push(PlannedChunk { key: self.store.ns().chunk_key(m.key), conv: id.clone(), last: m.last });
                    }
                }
            }
        }
        chunks.sort_by_key(|c| std::cmp::Reverse(c.last));
        Ok(chunks)
    }

}

/// A slot between calls: every chunk is committed then.
fn committed(slot: &Slot) -> ChunkMeta {
    match slot {
        Slot::Stored(m) => *m,
        Slot::Dirty(_) => unreachable!("no changed chunks between calls"),
    }
}

/// A page's `limit`.
fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > 1000 {
        return Err(Error::BadArgument(format!("limit must be between 1 and 1000, got {limit}")));
    }
    Ok(())
}

