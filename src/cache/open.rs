//! Opening: reading the committed state, repairing what a crash or another
//! writer left behind, and rebuilding a lost index from its chunks.

use std::collections::BTreeMap;

use super::{Call, Cache, Fail, Forget};
use crate::conversation::ConvId;
use crate::error::{Error, Result};
use crate::index::{parse_any_chunk, ChunkRef, Conv, Dirty, Index, IndexProblem, Slot, READS_VERSIONS};
use crate::record::{Pos, Record};
use crate::report::{OpenReport, Report};
use crate::storage::Storage;

impl<S: Storage> Cache<S> {
    /// Reads the committed state into memory, sweeping unreferenced keys and
    /// forgetting chunks that are gone. Writes only when the index itself
    /// had to be rebuilt.
    pub(super) fn load(&mut self) -> Result<OpenReport> {
        let mut rep = OpenReport::default();
        self.index = Index::default();
        self.epoch += 1;
        let committed = self.store.read_committed()?;
        let keys = committed.keys;
        let mut rebuild = false;
        let mut index = match committed.index {
            None => {
                rebuild = keys.iter().any(|k| self.store.ns().parse_chunk_key(k).is_some());
                Index::default()
            }
            Some(stored) => match stored.and_then(|s| Index::from_stored(s, committed.directory.as_ref())) {
                Ok(i) => i,
                Err(IndexProblem::Version(v)) => {
                    rep.reset = Some(format!(
                        "stored cache has layout version {v}, this library reads versions {:?}: cleared", READS_VERSIONS
                    ));
                    self.store.remove_all(&keys)?;
                    return Ok(rep);
                }
                Err(IndexProblem::Corrupt(_)) => {
                    rebuild = true;
                    Index::default()
                }
            },
        };
        if rebuild {
            index = self.rebuild_from(&keys)?;
            rep.rebuilt = true;
        }
        let (swept, present) = self.store.sweep(&index, &keys);
        rep.orphans_removed = swept;
        self.index = index;
        // Forget chunks that are gone (in memory: the next commit persists
        // it, so opening never has to write, and cannot fail on a full
        // storage, unless the index itself must be rebuilt).
        let mut scratch = Call::default();
        let ids: Vec<ConvId> = self.index.convs.keys().cloned().collect();
        for id in &ids {
            let mut si = 0;
            while si < self.index.convs[id].slots.len() {
                match &self.index.convs[id].slots[si] {
                    Slot::Stored(m) if present.binary_search(&m.key).is_err() => {
                        rep.chunks_dropped += 1;
                        rep.messages_dropped += m.count as u64;
                        self.forget_slot(&mut scratch, id, si, Forget::Damaged);
                    }
                    _ => si += 1,
                }
            }
        }
        self.store.account(&self.index);
        if rebuild {
            let mut call = Call { changed: true, ..Default::default() };
            match self.commit(&mut call, &mut Report::default(), 0) {
                Ok(()) => {}
                Err(Fail::Quota(m)) => return Err(Error::StorageFull(m)),
                Err(Fail::Other(e)) => return Err(e),
            }
        }
        Ok(rep)
    }

    /// Rebuilds an index from whatever chunks of ours are readable.
    pub(super) fn rebuild_from(&mut self, keys: &[String]) -> Result<Index> {
        let mut index = Index::default();
        let mut by_id: BTreeMap<u64, (ConvId, Pos)> = BTreeMap::new();
        // Per conversation: its records by position, and the chunks they came from.
        type Gathered = (std::collections::BTreeMap<Pos, Record>, Vec<ChunkRef>);
        let mut convs: BTreeMap<ConvId, Gathered> = BTreeMap::new();
        for k in keys {
            let Some(n) = self.store.ns().parse_chunk_key(k) else { continue };
            index.next_key = index.next_key.max(n + 1);
            let Some(v) = self.store.value(k)? else { continue };
            let Some((conv, records)) = parse_any_chunk(&v) else { continue };
            let bytes = (k.len() + v.len()) as u32;
            let entry = convs.entry(conv.clone()).or_default();
            entry.1.push(ChunkRef { key: n, bytes });
            for r in records {
                match by_id.get(&r.id) {
                    Some((c, p)) => {
                        if r.retracted {
                            if let Some(old) = convs.get_mut(c).and_then(|e| e.0.get_mut(p)) {
                                old.retract();
                            }
                        }
                    }
                    None => {
                        by_id.insert(r.id, (conv.clone(), r.pos()));
                        convs.get_mut(&conv).expect("inserted").0.insert(r.pos(), r);
                    }
                }
            }
        }
        for (id, (records, origins)) in convs {
            let records: Vec<Record> = records.into_values().collect();
            let mut conv = Conv::new();
            conv.last = records.last().cloned();
            conv.read_at = conv.activity();
            conv.slots.push(Slot::Dirty(Dirty { records, base: None, origins }));
            index.convs.insert(id, conv);
        }
        Ok(index)
    }

    /// After a failed call: back to what storage holds.
    pub(super) fn reload(&mut self) -> Result<()> {
        match self.load() {
            Ok(_) => {
                self.poisoned = false;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Reloads the committed state from storage: after another handle of the
    /// same account (another `openCache` in this process) committed. The JS
    /// glue calls it when its store sees that the index was written by
    /// someone else since this cache last read or wrote it.
    pub fn refresh(&mut self) -> Result<()> {
        self.reload()
    }

    pub(super) fn ready(&mut self) -> Result<()> {
        if self.poisoned {
            self.reload()?;
        }
        Ok(())
    }

}
