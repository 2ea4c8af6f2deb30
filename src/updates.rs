//! The update log: what one call changes in storage, as the store applies it.
//!
//! The cache's model (conversations, their chunks, dedup, order, unread,
//! retraction; see [`crate::cache`]) changes only memory while a call runs.
//! Its commit planner then turns the call into a list of [`Update`]s, and
//! [`crate::store::Store::apply`] applies that list as one commit. The log
//! says *what* changes; the store alone decides the copy-on-write order (the
//! [`Phase`] of each update) and keeps the byte accounting, so the planner
//! may push updates in any order.
//!
//! Chunks are named by key number (the model allocates them from the index's
//! `next_key`); the store turns numbers into storage keys.

use crate::index::{ChunkRef, ChunkValue, IndexValue};
use crate::record::Record;

/// One change to storage.
#[derive(Debug, Clone)]
pub enum Update {
    /// A committed chunk the call gave up (evicted, or found damaged): freed
    /// first, so that its room serves the new values.
    RemoveChunk(ChunkRef),
    /// A chunk under a fresh key: its records (kept parsed once written) and
    /// its value.
    NewItemsChunk { at: ChunkRef, value: ChunkValue, records: Vec<Record> },
    /// The directory of older chunks under a fresh key.
    NewDirectory { at: ChunkRef, value: String },
    /// The index: the commit point. Every new value above is written before
    /// it, every removal below after it.
    Index { value: IndexValue },
    /// A committed chunk replaced by a new one or dropped with its
    /// conversation: removed once the index no longer names it.
    RemoveReplacedChunk(ChunkRef),
    /// The directory a new one (or none) replaces.
    RemoveDirectory(ChunkRef),
}

/// When an update is applied, relative to the others of its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before anything is written: frees room.
    Free,
    /// New values under fresh keys: nothing names them yet.
    Write,
    /// The index write: the commit point.
    Commit,
    /// After the commit point: what nothing names any more.
    Clean,
}

impl Update {
    pub fn phase(&self) -> Phase {
        match self {
            Update::RemoveChunk(_) => Phase::Free,
            Update::NewItemsChunk { .. } | Update::NewDirectory { .. } => Phase::Write,
            Update::Index { .. } => Phase::Commit,
            Update::RemoveReplacedChunk(_) | Update::RemoveDirectory(_) => Phase::Clean,
        }
    }
}

/// One call's updates, in the order the store applies them.
#[derive(Debug, Default)]
pub struct Updates {
    log: Vec<Update>,
}

impl Updates {
    pub fn push(&mut self, u: Update) {
        self.log.push(u);
    }

    /// The updates in commit order (stable within a phase).
    pub fn into_ordered(mut self) -> Vec<Update> {
        self.log.sort_by_key(Update::phase);
        self.log
    }

    pub fn iter(&self) -> impl Iterator<Item = &Update> {
        self.log.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_order_does_not_depend_on_the_push_order() {
        let at = ChunkRef { key: 1, bytes: 10 };
        let mut u = Updates::default();
        u.push(Update::RemoveReplacedChunk(at));
        u.push(Update::Index { value: "{}".into() });
        u.push(Update::NewDirectory { at, value: "[]".into() });
        u.push(Update::RemoveChunk(at));
        let phases: Vec<Phase> = u.into_ordered().iter().map(Update::phase).collect();
        assert_eq!(phases, [Phase::Free, Phase::Write, Phase::Commit, Phase::Clean]);
    }
}
