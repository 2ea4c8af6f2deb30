//! The byte budget and the eviction policy.
//!
//! **Counting.** Sizes are UTF-8 bytes of key + value, never less than
//! WeChat's own count on either platform (Android counts UTF-16 units; a
//! UTF-8 count can only be larger). The cache's total (index + chunks) stays
//! at or under the effective budget at every moment, including the moment in
//! the middle of a call when a rewritten chunk's old and new copies both exist.
//!
//! **Effective budget.** `min(budget_bytes, limit - others - margin)`, where
//! `others` is what the rest of the mini-program has stored (from
//! `getStorageInfoSync`), so the cache shrinks when the app's own data grows.
//!
//! **Eviction.** Whole chunks go, in this order: first the oldest chunk of the
//! least recently active conversation that still has more than one chunk; when
//! every conversation is down to its newest chunk, those go too, least
//! recently active conversation first. The index is never evicted (a
//! conversation keeps its list entry and last-message summary after losing
//! its messages). Each conversation remembers the newest evicted position as
//! its *floor*, so roaming re-deliveries of evicted messages are not stored
//! again only to be evicted again.

use crate::conversation::ConvId;
use crate::index::Index;
use crate::storage::Usage;

/// Room left for the rest of the app beyond what it already uses.
pub const SHARED_MARGIN: u64 = 64 * 1024;

/// The budget in force, given the configured one and the host's usage.
pub fn effective_budget(configured: u64, usage: Option<Usage>, ours: u64) -> u64 {
    match usage {
        Some(u) if u.limit_bytes > 0 => {
            let others = u.used_bytes.saturating_sub(ours);
            configured.min(u.limit_bytes.saturating_sub(others).saturating_sub(SHARED_MARGIN))
        }
        _ => configured,
    }
}

/// Conversations in eviction order: least recently active first.
/// Our own growth after which the host's usage is read again.
pub const REREAD_AFTER_BYTES: u64 = 64 * 1024;

/// The last reading of the host's app-wide usage (`getStorageInfoSync`, a
/// bridge call on a device that lists every key of the app), with our own
/// total at that moment. It is taken at open, after a quota error, and once
/// our own total has grown by [`REREAD_AFTER_BYTES`] since; between readings
/// the rest of the app is assumed to hold what it held. If it grew meanwhile,
/// a write meets the quota error, and the cache reads again, evicts and
/// retries.
#[derive(Debug, Clone, Copy)]
pub struct HostReading {
    usage: Option<Usage>,
    ours: u64,
}

impl HostReading {
    pub fn new(usage: Option<Usage>, ours: u64) -> HostReading {
        HostReading { usage, ours }
    }

    /// Whether to read again, our total being `ours` now.
    pub fn stale(&self, ours: u64) -> bool {
        ours > self.ours + REREAD_AFTER_BYTES
    }

    /// The budget in force (see [`effective_budget`]).
    pub fn budget(&self, configured: u64) -> u64 {
        effective_budget(configured, self.usage, self.ours)
    }
}

pub fn eviction_order(index: &Index) -> Vec<ConvId> {
    let mut ids: Vec<(u64, &ConvId)> = index.convs.iter().map(|(id, c)| (c.activity(), id)).collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id.clone()).collect()
}

/// The next victim: a conversation whose oldest chunk goes. `order` comes from
/// [`eviction_order`]; `protect` lists conversations whose last chunk must not
/// go (none in normal operation).
pub fn choose_victim<'a>(index: &Index, order: &'a [ConvId]) -> Option<&'a ConvId> {
    order
        .iter()
        .find(|id| index.convs.get(*id).is_some_and(|c| c.slots.len() > 1))
        .or_else(|| order.iter().find(|id| index.convs.get(*id).is_some_and(|c| !c.slots.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{ChunkMeta, Conv, Slot};
    use crate::record::{Kind, Pos, Record};

    fn conv(activity: u64, chunks: usize) -> Conv {
        let mut c = Conv::new();
        c.last = Some(Record::new(activity, activity, Kind::Text, "x".into(), false, crate::index::raw_json("{}")));
        for k in 0..chunks {
            let p = Pos { time: k as u64, id: k as u64 };
            c.slots.push(Slot::Stored(ChunkMeta { key: k as u64, first: p, last: p, count: 1, bytes: 10 }));
        }
        c
    }

    #[test]
    fn budget_shrinks_when_the_app_uses_more() {
        assert_eq!(effective_budget(8 << 20, None, 0), 8 << 20);
        let u = Usage { used_bytes: 1000, limit_bytes: 10 << 20 };
        assert_eq!(effective_budget(8 << 20, Some(u), 1000), 8 << 20);
        let u = Usage { used_bytes: 9 << 20, limit_bytes: 10 << 20 };
        assert_eq!(effective_budget(8 << 20, Some(u), 1 << 20), (2 << 20) - SHARED_MARGIN);
    }

    #[test]
    fn old_chunks_of_idle_conversations_go_first_newest_chunks_last() {
        let mut idx = Index::default();
        idx.convs.insert(ConvId::group(1), conv(100, 1));
        idx.convs.insert(ConvId::group(2), conv(200, 3));
        idx.convs.insert(ConvId::group(3), conv(300, 2));
        let order = eviction_order(&idx);
        assert_eq!(order, vec![ConvId::group(1), ConvId::group(2), ConvId::group(3)]);
        assert_eq!(choose_victim(&idx, &order), Some(&ConvId::group(2)));
        idx.convs.get_mut(&ConvId::group(2)).unwrap().slots.truncate(1);
        assert_eq!(choose_victim(&idx, &order), Some(&ConvId::group(3)));
        idx.convs.get_mut(&ConvId::group(3)).unwrap().slots.truncate(1);
        assert_eq!(choose_victim(&idx, &order), Some(&ConvId::group(1)));
    }
}
