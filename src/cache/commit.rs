//! The commit planner: the model's changes after a call → one [`Updates`]
//! log for the store.
//!
//! In order: the per-conversation cap; every changed chunk encoded by the
//! store under a fresh key (split when it outgrew the chunk size), its slot
//! `Stored` again; eviction ([`crate::budget`]'s order) until the commit's
//! peak — every value it writes present next to every value it replaces —
//! fits the budget; the index made to fit one key. Nothing is written until
//! the log is complete.

use std::collections::BTreeSet;

use super::{Call, Cache, Fail, Forget};
use crate::budget::{choose_victim, eviction_order};
use crate::conversation::ConvId;
use crate::error::Error;
use crate::index::{ChunkRef, Dirty, Index, Slot};
use crate::record::Record;
use crate::report::Report;
use crate::storage::Storage;
use crate::store::{DirPlan, FreshChunk, IndexPlan};
use crate::updates::{Update, Updates};

impl<S: Storage> Cache<S> {
    /// Plans and applies the commit of the call `call` describes. `extra`:
    /// bytes to leave free beyond the budget (after a quota error).
    pub(super) fn commit(&mut self, call: &mut Call, rep: &mut Report, extra: u64) -> Result<(), Fail> {
        self.apply_cap(call, rep)?;
        let mut fresh = self.encode_changed(call);
        if !call.changed && fresh.is_empty() && call.early.is_empty() && call.post.is_empty() {
            return Ok(());
        }
        self.budget = self.store.budget(self.cfg.budget_bytes);
        let budget = self.budget.saturating_sub(extra);
        // Computed only when something must go (it copies every conversation id).
        let mut order: Option<Vec<ConvId>> = None;
        let committed_dir = self.index.dir;
        let mut plan = self.store.encode_index(&mut self.index, committed_dir);
        while self.peak_bytes(call, &fresh, &plan, committed_dir) > budget {
            let order = order.get_or_insert_with(|| eviction_order(&self.index));
            let Some(victim) = choose_victim(&self.index, order).cloned() else {
                return Err(Fail::Other(Error::StorageFull(format!(
                    "budget of {budget} bytes cannot hold even the index ({} bytes)",
                    self.store.index_key_bytes(&plan.value)
                ))));
            };
            self.evict_first(call, &mut fresh, &victim, rep);
            plan = self.store.encode_index(&mut self.index, committed_dir);
        }
        // The index itself must fit one key: forget idle conversations.
        while self.store.index_key_bytes(&plan.value) > self.cfg.key_limit_bytes {
            let order = order.get_or_insert_with(|| eviction_order(&self.index));
            let Some(victim) = order.iter().find(|id| self.index.convs.contains_key(*id)).cloned() else { break };
            while !self.index.convs[&victim].slots.is_empty() {
                self.evict_first(call, &mut fresh, &victim, rep);
            }
            self.index.convs.remove(&victim);
            self.epoch += 1;
            plan = self.store.encode_index(&mut self.index, committed_dir);
        }
        let updates = updates(call, fresh, plan, committed_dir);
        self.store.apply(updates, &self.index)?;
        Ok(())
    }

    /// The per-conversation cap: oldest chunks go first, then the front of
    /// the last chunk.
    pub(super) fn apply_cap(&mut self, call: &mut Call, rep: &mut Report) -> Result<(), Fail> {
        let max = self.cfg.max_messages_per_conversation as u64;
        let over: Vec<ConvId> = self.index.convs.iter().filter(|(_, c)| c.count() > max).map(|(id, _)| id.clone()).collect();
        for id in &over {
            while self.index.convs[id].count() > max {
                if self.index.convs[id].slots.len() > 1 {
                    self.forget_slot(call, id, 0, Forget::Evicted(rep));
                    continue;
                }
                if !self.make_dirty(id, 0)? {
                    self.forget_slot(call, id, 0, Forget::Damaged);
                    continue;
                }
                let conv = self.index.convs.get_mut(id).expect("present");
                let Slot::Dirty(d) = &mut conv.slots[0] else { unreachable!("made dirty") };
                d.base = None;
                let excess = d.records.len() - max as usize;
                let gone: Vec<Record> = d.records.drain(..excess).collect();
                if let Some(l) = gone.last() {
                    conv.raise_floor(l.pos());
                }
                self.epoch += 1;
                rep.evicted += excess as u32;
                rep.touch(id.as_str());
                call.changed = true;
            }
        }
        Ok(())
    }

    /// Has the store encode every changed chunk under a fresh key; each
    /// slot is `Stored` again, as it will be once the commit is applied. A
    /// chunk left empty only frees what it replaces.
    pub(super) fn encode_changed(&mut self, call: &mut Call) -> Vec<FreshChunk> {
        let chunk_bytes = self.chunk_bytes() as usize;
        let Index { convs, next_key, .. } = &mut self.index;
        let mut fresh = Vec::new();
        for (id, conv) in convs.iter_mut() {
            if !conv.slots.iter().any(|s| matches!(s, Slot::Dirty(_))) {
                continue;
            }
            for slot in std::mem::take(&mut conv.slots) {
                match slot {
                    Slot::Dirty(d) if d.records.is_empty() => call.early.extend(d.origins),
                    Slot::Dirty(d) => {
                        for f in self.store.encode_chunks(id, d, next_key, chunk_bytes) {
                            conv.slots.push(Slot::Stored(f.meta()));
                            fresh.push(f);
                        }
                    }
                    stored => conv.slots.push(stored),
                }
            }
        }
        fresh
    }

    /// Evicts the oldest chunk of `id`; when it is one this commit would
    /// write, it is not written and what it replaces is freed instead.
    pub(super) fn evict_first(&mut self, call: &mut Call, fresh: &mut Vec<FreshChunk>, id: &ConvId, rep: &mut Report) {
        let conv = self.index.convs.get_mut(id).expect("present");
        if let Slot::Stored(m) = &conv.slots[0] {
            if let Some(i) = fresh.iter().position(|f| f.at.key == m.key) {
                let f = fresh.remove(i);
                conv.slots[0] = Slot::Dirty(Dirty { records: f.records, base: None, origins: f.replaces });
            }
        }
        self.forget_slot(call, id, 0, Forget::Evicted(rep));
    }

    /// Bytes in storage at the worst moment of the commit being planned:
    /// after the new values are written, before what they replace is removed.
    pub(super) fn peak_bytes(&self, call: &Call, fresh: &[FreshChunk], plan: &IndexPlan, committed_dir: Option<ChunkRef>) -> u64 {
        let replaced: u64 = superseded(fresh).iter().chain(&call.post).map(|r| r.bytes as u64).sum();
        let old_dir = match plan.dir {
            DirPlan::Keep => 0,
            _ => committed_dir.map_or(0, |d| d.bytes as u64),
        };
        let index = self.store.index_key_bytes(&plan.value).max(self.store.index_bytes());
        self.store.held_bytes(&self.index) + replaced + old_dir + index
    }
}

/// The committed chunks the fresh ones replace, each once.
fn superseded(fresh: &[FreshChunk]) -> Vec<ChunkRef> {
    let mut seen = BTreeSet::new();
    fresh.iter().flat_map(|f| &f.replaces).filter(|r| seen.insert(r.key)).copied().collect()
}

/// The log of a planned commit.
fn updates(call: &Call, fresh: Vec<FreshChunk>, plan: IndexPlan, committed_dir: Option<ChunkRef>) -> Updates {
    let replaced = superseded(&fresh);
    let kept: BTreeSet<u64> = replaced.iter().map(|r| r.key).collect();
    let mut freed = BTreeSet::new();
    let mut u = Updates::default();
    // An evicted changed chunk's originals go early unless a surviving chunk
    // still holds some of their records.
    for r in call.early.iter().chain(call.evicted_origins.iter().filter(|r| !kept.contains(&r.key))) {
        if freed.insert(r.key) {
            u.push(Update::RemoveChunk(*r));
        }
    }
    for f in fresh {
        u.push(Update::NewItemsChunk { at: f.at, value: f.value, records: f.records });
    }
    let dir_replaced = match plan.dir {
        DirPlan::Keep => false,
        DirPlan::Drop => true,
        DirPlan::Write { at, value } => {
            u.push(Update::NewDirectory { at, value });
            true
        }
    };
    if let (true, Some(d)) = (dir_replaced, committed_dir) {
        u.push(Update::RemoveDirectory(d));
    }
    u.push(Update::Index { value: plan.value });
    for r in replaced.iter().chain(&call.post) {
        u.push(Update::RemoveReplacedChunk(*r));
    }
    u
}
