//! The conversation model: where a message goes, whether it is a duplicate,
//! retractions, receipts, unread counts and names. It changes only memory
//! (the index and the chunks it turns [`Slot::Dirty`]); reads go through the
//! store; the commit planner (`commit`) persists the result.

use std::collections::VecDeque;

use super::{Call, Cache, Fail, MAX_PENDING_PROFILES, MAX_PENDING_RECEIPTS, MAX_PENDING_RETRACTIONS};
use crate::chat_state::{self, ProfileSet, Receipt, StateChanges};
use crate::conversation::ConvId;
use crate::error::Result;
use crate::index::{Conv, Dirty, Index, Slot};
use crate::store::{Positions, Store};
use crate::payload::{Batch, Incoming, Looked, Pending, Rejection, Retraction};
use crate::record::{Pos, Record};
use crate::report::Report;
use crate::storage::Storage;

/// Lookup of an id in one chunk.
enum Found {
    At(usize),
    No,
    /// The chunk is missing or unreadable: drop it.
    Damaged,
}

/// Why a chunk leaves a conversation (see [`Cache::forget_slot`]).
pub(super) enum Forget<'a> {
    /// Given up by the eviction policy or the per-conversation cap: the
    /// call's report counts it.
    Evicted(&'a mut Report),
    /// Missing, unreadable, or not what its index entry says.
    Damaged,
}

/// Where [`Cache::insert`] put a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placed {
    /// Stored now, or found stored.
    Kept,
    /// Older than what its conversation keeps.
    Evicted,
    /// Its body cannot be stored.
    Rejected,
}

impl<S: Storage> Cache<S> {
    // ---- inserting and retracting ------------------------------------

    /// Stores `m`, or finds it stored (a duplicate) or below the floor
    /// (evicted), or rejects it because its body cannot be stored.
    pub(super) fn insert(&mut self, call: &mut Call, m: &Incoming, rep: &mut Report) -> std::result::Result<Placed, Fail> {
        let (conv_id, server_time) = (&m.conv, m.server_time);
        let unusable = match &m.body {
            Pending::Ready => None,
            Pending::Invalid(reason) => Some(reason.as_str()),
            Pending::Later { .. } => Some("internal: its body was not read from the glue"),
        };
        if let Some(reason) = unusable {
            // Still a duplicate of a stored message, or evicted, if it is one
            // (known already when the look-up before the bodies found it so).
            if !m.looked.kept() && self.will_store(conv_id, &m.record, server_time)? {
                rep.reject(&[Rejection { id: Some(m.record.id), reason: reason.to_string() }]);
                return Ok(Placed::Rejected);
            }
        }
        let searched = m.looked == Looked::Absent;
        // Copied only once it is stored: most of a re-sync is duplicates.
        let mut rec = std::borrow::Cow::Borrowed(&m.record);
        if let Some(i) = self.index.pending.iter().position(|&p| p == rec.id) {
            self.index.pending.remove(i);
            rec.to_mut().retract();
            call.changed = true;
        }
        if let Some(i) = self.index.pending_receipts.iter().position(|p| p.id == rec.id) {
            let early = self.index.pending_receipts.remove(i).expect("found");
            rec.to_mut().take_receipt(early.unread);
            call.changed = true;
        }
        let pos = rec.pos();
        match self.index.convs.get(conv_id) {
            Some(c) if c.floor.is_some_and(|f| pos <= f) => {
                rep.evicted += 1;
                return Ok(Placed::Evicted);
            }
            // Found by the look-up before the bodies, and nothing to change in it.
            Some(_) if m.looked == Looked::Stored && matches!(rec, std::borrow::Cow::Borrowed(_)) => {
                rep.duplicates += 1;
                return Ok(Placed::Kept);
            }
            Some(_) => {}
            None => {
                self.index.convs.insert(conv_id.clone(), Conv::default());
            }
        }
        loop {
            let conv = self.index.convs.get_mut(conv_id).expect("present");
            if conv.slots.is_empty() {
                conv.slots.push(Slot::Dirty(Dirty { records: vec![(*rec).clone()], base: None, origins: vec![] }));
                self.added(call, conv_id, &rec, rep);
                return Ok(Placed::Kept);
            }
            let newest = conv.slots.len() - 1;
            let si = locate(&conv.slots, pos);
            let mut damaged = None;
            let look = if searched { Candidates::All(0) } else { candidates(&conv.slots, pos, server_time) };
            for cand in look {
                match self.find(conv_id, cand, rec.id, Some(pos))? {
                    Found::At(i) => {
                        rep.duplicates += 1;
                        if rec.retracted {
                            self.retract_at(call, conv_id, cand, i, rep)?;
                        }
                        if let Some(unread) = rec.receipt {
                            self.receipt_at(call, conv_id, cand, i, unread, rep)?;
                        }
                        return Ok(Placed::Kept);
                    }
                    Found::Damaged => {
                        damaged = Some(cand);
                        break;
                    }
                    Found::No => {}
                }
            }
            if let Some(d) = damaged {
                self.forget_slot(call, conv_id, d, Forget::Damaged);
                continue;
            }
            // Append past a full newest chunk: start a new chunk rather than
            // rewriting the full one.
            let chunk_bytes = self.chunk_bytes() as usize;
            let conv = self.index.convs.get_mut(conv_id).expect("present");
            if si == newest {
                if let Slot::Stored(m) = &conv.slots[si] {
                    if m.last < pos && m.bytes as usize + rec.stored_len() + 1 > chunk_bytes {
                        conv.slots.push(Slot::Dirty(Dirty { records: vec![(*rec).clone()], base: None, origins: vec![] }));
                        self.added(call, conv_id, &rec, rep);
                        return Ok(Placed::Kept);
                    }
                }
            }
            if !self.make_dirty(conv_id, si)? {
                self.forget_slot(call, conv_id, si, Forget::Damaged);
                continue;
            }
            let conv = self.index.convs.get_mut(conv_id).expect("present");
            let Slot::Dirty(d) = &mut conv.slots[si] else { unreachable!("made dirty") };
            let at = d.records.partition_point(|r| r.pos() < pos);
            if at < d.records.len() {
                d.base = None; // not an append: serialise the whole chunk
            }
            d.records.insert(at, (*rec).clone());
            self.added(call, conv_id, &rec, rep);
            return Ok(Placed::Kept);
        }
    }

    /// Whether [`Cache::insert`] would store a message (not find it stored
    /// or below the floor), without changing anything but the loaded set.
    /// A damaged chunk on the way counts as "would store".
    pub(super) fn will_store(&mut self, conv_id: &ConvId, rec: &Record, server_time: bool) -> Result<bool> {
        self.look_for(conv_id, rec, server_time).map(|l| !l.kept())
    }

    /// Where [`Cache::insert`] would find a message, read-only.
    pub(super) fn look_for(&mut self, conv_id: &ConvId, rec: &Record, server_time: bool) -> Result<Looked> {
        look_up(&self.index, &mut self.store, conv_id, rec.id, rec.pos(), server_time)
    }

    /// Reads from the glue (`bodies`: item numbers -> a JSON array of
    /// `[msg_body, at_list]` pairs) the bodies of the compact batch's
    /// messages this call will store; the others (duplicates, evicted) never
    /// cross into the module.
    pub(super) fn fetch_bodies(&mut self, batch: &mut Batch, bodies: &mut dyn FnMut(&[u32]) -> Result<String>) -> Result<()> {
        let mut wanted = Vec::new();
        let mut at = Vec::new();
        let Batch { messages, repeated, .. } = &mut *batch;
        for (i, m) in messages.iter_mut().enumerate() {
            let Pending::Later { n, .. } = m.body else { continue };
            // Looked up as it was read (`compact::parse_compact_looking`);
            // a later copy in this batch would not be searched for.
            if m.looked == Looked::Absent && repeated.binary_search(&m.record.id).is_ok() {
                m.looked = Looked::Not;
            }
            if !m.looked.kept() {
                wanted.push(n);
                at.push(i);
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        crate::compact::give_bodies(batch, &at, &bodies(&wanted)?)
    }

    pub(super) fn added(&mut self, call: &mut Call, conv_id: &ConvId, rec: &Record, rep: &mut Report) {
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        if conv.last.is_none() {
            // The conversation's row appears: take what getConversation said of it.
            if let Some(i) = self.index.pending_profiles.iter().position(|p| p.conv == *conv_id) {
                let p = self.index.pending_profiles.remove(i).expect("found");
                conv.take_profile(&p.profile);
            }
        }
        rep.added += 1;
        rep.touch(conv_id.as_str());
        call.changed = true;
        if !rec.out && !rec.retracted && rec.time > conv.read_at {
            conv.unread += 1;
        }
        // The conversation's `last` is set once the call's messages are in
        // (`take_newest`), not copied for each of a sync's new messages.
        if conv.last.as_ref().is_none_or(|l| rec.pos() > l.pos()) && call.newer.last() != Some(conv_id) && !call.newer.contains(conv_id) {
            call.newer.push(conv_id.clone());
        }
    }

    /// Makes `last` the newest message of each conversation the call added
    /// a newer message to (it sits at the end of the conversation's newest
    /// chunk, which the call changed).
    pub(super) fn take_newest(&mut self, call: &Call) {
        for id in &call.newer {
            let conv = self.index.convs.get_mut(id).expect("present");
            if let Some(Slot::Dirty(d)) = conv.slots.last() {
                if let Some(r) = d.records.last().filter(|r| conv.last.as_ref().is_none_or(|l| r.pos() > l.pos())) {
                    conv.last = Some(r.clone());
                }
            }
        }
    }

    /// Where message `id` is stored in a conversation: (slot, index), newest
    /// chunks first. Damaged chunks met on the way are dropped.
    pub(super) fn find_record(&mut self, call: &mut Call, conv_id: &ConvId, id: u64) -> Result<Option<(usize, usize)>> {
        let Some(conv) = self.index.convs.get(conv_id) else { return Ok(None) };
        let mut si = conv.slots.len();
        while si > 0 {
            si -= 1;
            match self.find(conv_id, si, id, None)? {
                Found::At(i) => return Ok(Some((si, i))),
                Found::Damaged => self.forget_slot(call, conv_id, si, Forget::Damaged),
                Found::No => {}
            }
        }
        Ok(None)
    }

    pub(super) fn retract(&mut self, call: &mut Call, r: &Retraction, rep: &mut Report) -> std::result::Result<(), Fail> {
        for &id in &r.ids {
            let mut done = false;
            if let Some(conv_id) = &r.conv {
                if let Some((si, i)) = self.find_record(call, conv_id, id)? {
                    self.retract_at(call, conv_id, si, i, rep)?;
                    done = true;
                }
            }
            if !done && !self.index.pending.contains(&id) {
                remember(&mut self.index.pending, id, MAX_PENDING_RETRACTIONS);
                self.epoch += 1;
                call.changed = true;
            }
        }
        Ok(())
    }

    /// Changes record `i` of slot `si` in place with `edit`, which also
    /// gets the conversation's unread count and read mark: its chunk becomes
    /// dirty (rewritten whole) and the conversation's `last` follows. Returns
    /// false when the chunk was damaged (it is dropped).
    pub(super) fn edit_record(
        &mut self,
        call: &mut Call,
        conv_id: &ConvId,
        si: usize,
        i: usize,
        edit: impl FnOnce(&mut Record, &mut u32, u64),
    ) -> std::result::Result<bool, Fail> {
        if !self.make_dirty(conv_id, si)? {
            self.forget_slot(call, conv_id, si, Forget::Damaged);
            return Ok(false);
        }
        let Conv { slots, unread, read_at, last, .. } = self.index.convs.get_mut(conv_id).expect("present");
        let Slot::Dirty(d) = &mut slots[si] else { unreachable!("made dirty") };
        d.base = None;
        let rec = &mut d.records[i];
        edit(rec, unread, *read_at);
        if last.as_ref().is_some_and(|l| l.id == rec.id) {
            *last = Some(rec.clone());
        }
        call.changed = true;
        Ok(true)
    }

    /// Tombstones record `i` of slot `si`, unless it already is one.
    pub(super) fn retract_at(&mut self, call: &mut Call, conv_id: &ConvId, si: usize, i: usize, rep: &mut Report) -> std::result::Result<(), Fail> {
        if self.records(conv_id, si)?.is_some_and(|r| r[i].retracted) {
            return Ok(());
        }
        let done = self.edit_record(call, conv_id, si, i, |rec, unread, read_at| {
            rec.retract();
            if !rec.out && rec.time > read_at && *unread > 0 {
                *unread -= 1;
            }
        })?;
        if done {
            rep.retracted += 1;
            rep.touch(conv_id.as_str());
        }
        Ok(())
    }

    // ---- receipts, unread counts, names ---------------------------------

    /// Applies what a call says besides messages, once its messages are in.
    pub(super) fn apply_state(&mut self, call: &mut Call, state: &StateChanges, rep: &mut Report) -> std::result::Result<(), Fail> {
        for set in &state.receipts {
            for r in &set.receipts {
                self.apply_receipt(call, &set.conv, *r, rep)?;
            }
        }
        for u in &state.unread {
            self.set_unread(call, &u.conv, u.count, rep)?;
        }
        for p in &state.profiles {
            self.apply_profile(call, p, rep);
        }
        Ok(())
    }

    /// A receipt of message `r.id`: applied to the stored record, or
    /// remembered until the message arrives.
    pub(super) fn apply_receipt(&mut self, call: &mut Call, conv_id: &ConvId, r: Receipt, rep: &mut Report) -> std::result::Result<(), Fail> {
        if let Some((si, i)) = self.find_record(call, conv_id, r.id)? {
            return self.receipt_at(call, conv_id, si, i, r.unread, rep);
        }
        let pending = &mut self.index.pending_receipts;
        match pending.iter_mut().find(|p| p.id == r.id) {
            Some(p) if p.unread <= r.unread => {}
            Some(p) => {
                p.unread = r.unread;
                call.changed = true;
                self.epoch += 1;
            }
            None => {
                remember(pending, r, MAX_PENDING_RECEIPTS);
                call.changed = true;
                self.epoch += 1;
            }
        }
        rep.pending += 1;
        Ok(())
    }

    /// Gives record `i` of slot `si` a receipt count, when it is your own
    /// message and the count is smaller than the one it has.
    pub(super) fn receipt_at(&mut self, call: &mut Call, conv_id: &ConvId, si: usize, i: usize, unread: u32, rep: &mut Report) -> std::result::Result<(), Fail> {
        let takes = |r: &Record| r.out && r.receipt.is_none_or(|n| n > unread);
        if !self.records(conv_id, si)?.is_some_and(|r| takes(&r[i])) {
            return Ok(());
        }
        if self.edit_record(call, conv_id, si, i, |rec, _, _| {
            rec.take_receipt(unread);
        })? {
            rep.receipts += 1;
            rep.touch(conv_id.as_str());
        }
        Ok(())
    }

    /// Sets a conversation's unread count as the SDK counts it, and moves
    /// its read mark so that exactly the newest `count` incoming messages
    /// are after it (a retraction then uncounts only those). A
    /// conversation the cache does not show is not created.
    pub(super) fn set_unread(&mut self, call: &mut Call, conv_id: &ConvId, count: u32, rep: &mut Report) -> std::result::Result<(), Fail> {
        let shown = |c: &&Conv| c.last.is_some() || self.index.echoes.iter().any(|e| e.conv == *conv_id);
        let Some(conv) = self.index.convs.get(conv_id).filter(shown) else {
            rep.ignored += 1;
            return Ok(());
        };
        let read_at = match count {
            0 => conv.activity().max(conv.read_at),
            n => self.unread_mark(conv_id, n)?,
        };
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        if conv.unread != count || conv.read_at != read_at {
            conv.unread = count;
            conv.read_at = read_at;
            call.update(conv_id, rep);
        }
        Ok(())
    }

    /// Just before the `n`-th newest incoming, not retracted message; 0
    /// when there are fewer.
    pub(super) fn unread_mark(&mut self, conv_id: &ConvId, n: u32) -> Result<u64> {
        let mut left = n;
        let mut si = self.index.convs[conv_id].slots.len();
        while si > 0 {
            si -= 1;
            let records = match &self.index.convs[conv_id].slots[si] {
                Slot::Stored(m) => self.store.chunk(conv_id, m.key)?.unwrap_or(&[]),
                Slot::Dirty(d) => &d.records,
            };
            for r in records.iter().rev() {
                if !r.out && !r.retracted {
                    left -= 1;
                    if left == 0 {
                        return Ok(r.time.saturating_sub(1));
                    }
                }
            }
        }
        Ok(0)
    }

    /// A conversation's name from one of its messages.
    pub(super) fn name_from_message(&mut self, call: &mut Call, conv_id: &ConvId, name: &str, at: crate::record::Pos, rep: &mut Report) {
        if let Some(conv) = self.index.convs.get_mut(conv_id) {
            if conv.name_from_message(name, at) {
                call.update(conv_id, rep);
            }
        }
    }

    /// A `getConversation` entry: applied to a conversation the cache
    /// shows, else remembered until its first message arrives.
    pub(super) fn apply_profile(&mut self, call: &mut Call, p: &ProfileSet, rep: &mut Report) {
        if let Some(conv) = self.index.convs.get_mut(&p.conv).filter(|c| c.last.is_some()) {
            if conv.take_profile(&p.profile) {
                call.update(&p.conv, rep);
            }
            return;
        }
        if p.profile == chat_state::Profile::default() {
            return;
        }
        let pending = &mut self.index.pending_profiles;
        match pending.iter_mut().find(|q| q.conv == p.conv) {
            Some(q) if q.profile == p.profile => {}
            Some(q) => {
                q.profile.name = p.profile.name.clone().or(q.profile.name.take());
                q.profile.avatar = p.profile.avatar.clone().or(q.profile.avatar.take());
                call.changed = true;
            }
            None => {
                remember(pending, p.clone(), MAX_PENDING_PROFILES);
                call.changed = true;
            }
        }
        rep.pending += 1;
    }

    // ---- chunk access --------------------------------------------------

    /// The records of slot `si`, read in full if only their positions are
    /// held. `None`: no such slot, or its chunk is missing or damaged.
    pub(super) fn records(&mut self, conv_id: &ConvId, si: usize) -> Result<Option<&[Record]>> {
        let Some(slot) = self.index.convs.get(conv_id).and_then(|c| c.slots.get(si)) else { return Ok(None) };
        match slot {
            Slot::Stored(m) => self.store.chunk(conv_id, m.key),
            Slot::Dirty(d) => Ok(Some(&d.records)),
        }
    }

    /// Looks for record `id` in slot `si`; `at`: where it sits if its copy
    /// has the same position (tried first).
    fn find(&mut self, conv_id: &ConvId, si: usize, id: u64, at: Option<Pos>) -> Result<Found> {
        find_in_slot(&self.index.convs[conv_id].slots[si], &mut self.store, conv_id, id, at)
    }

    /// Turns slot `si` into a `Dirty` one owning its records. `false`: its
    /// chunk is missing or damaged.
    pub(super) fn make_dirty(&mut self, conv_id: &ConvId, si: usize) -> Result<bool> {
        let at = match &self.index.convs[conv_id].slots[si] {
            Slot::Dirty(_) => return Ok(true),
            Slot::Stored(m) => m.chunk_ref(),
        };
        let Some(d) = self.store.take_chunk(conv_id, at)? else { return Ok(false) };
        self.index.convs.get_mut(conv_id).expect("present").slots[si] = Slot::Dirty(d);
        Ok(true)
    }

    /// The one way a chunk leaves a conversation: evicted by policy, or
    /// found damaged or missing. Everything at or before an evicted chunk
    /// (or a lost oldest one) is below the conversation's floor from now
    /// on; the committed chunks it stands for are removed by the commit
    /// (an evicted changed chunk's only unless another chunk still holds
    /// their records).
    pub(super) fn forget_slot(&mut self, call: &mut Call, conv_id: &ConvId, si: usize, why: Forget) {
        self.epoch += 1;
        let conv = self.index.convs.get_mut(conv_id).expect("present");
        let slot = conv.slots.remove(si);
        let evicted = matches!(why, Forget::Evicted(_));
        if evicted || si == 0 {
            if let Some(l) = slot.last() {
                conv.raise_floor(l);
            }
        }
        match why {
            Forget::Evicted(rep) => {
                rep.evicted += slot.count();
                rep.touch(conv_id.as_str());
            }
            Forget::Damaged => self.dropped += slot.count() as u64,
        }
        match slot {
            Slot::Dirty(d) if evicted => call.evicted_origins.extend(d.origins),
            slot => call.early.extend(slot.stored_refs()),
        }
        call.changed = true;
    }
}

/// Where a message `id` at `pos` is, as [`Cache::insert`] would find it,
/// changing nothing but the store's set of parsed chunks. A free function
/// over the two parts it reads, so that the compact reader can ask it while
/// the cache lends its account (`Cache::cache_compact`).
pub(super) fn look_up<S: Storage>(index: &Index, store: &mut Store<S>, conv_id: &ConvId, id: u64, pos: Pos, server_time: bool) -> Result<Looked> {
    let Some(conv) = index.convs.get(conv_id) else { return Ok(Looked::Absent) };
    if conv.floor.is_some_and(|f| pos <= f) {
        return Ok(Looked::Evicted);
    }
    if conv.slots.is_empty() {
        return Ok(Looked::Absent);
    }
    for cand in candidates(&conv.slots, pos, server_time) {
        match find_in_slot(&conv.slots[cand], store, conv_id, id, Some(pos))? {
            Found::At(_) => return Ok(Looked::Stored),
            Found::Damaged => return Ok(Looked::Not),
            Found::No => {}
        }
    }
    Ok(Looked::Absent)
}

/// Looks for record `id` in `slot` of `conv_id`; `at`: where it sits if its
/// copy has the same position (tried first).
fn find_in_slot<S: Storage>(slot: &Slot, store: &mut Store<S>, conv_id: &ConvId, id: u64, at: Option<Pos>) -> Result<Found> {
    let m = match slot {
        Slot::Dirty(d) => return Ok(position(Positions::Records(&d.records), id, at)),
        Slot::Stored(m) => *m,
    };
    let Some(records) = store.positions(conv_id, m.key)? else { return Ok(Found::Damaged) };
    if records.len() != m.count as usize {
        // The value does not match its index entry: not ours to trust.
        store.unhold(m.key);
        return Ok(Found::Damaged);
    }
    Ok(position(records, id, at))
}

/// Adds to a bounded list of things waiting for their message or
/// conversation; the oldest go first.
fn remember<T>(list: &mut VecDeque<T>, item: T, max: usize) {
    list.push_back(item);
    while list.len() > max {
        list.pop_front();
    }
}

/// Where record `id` is in a chunk's records.
/// A copy usually has the same position: a binary search finds it; a copy
/// stored with another time (the sender's clock) needs the scan.
fn position(records: Positions, id: u64, at: Option<Pos>) -> Found {
    let n = records.len();
    if let Some(pos) = at {
        // The first record not before `pos` (a binary search).
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if records.at(mid) < pos {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo < n && records.at(lo).id == id {
            return Found::At(lo);
        }
    }
    (0..n).find(|&i| records.at(i).id == id).map_or(Found::No, Found::At)
}

/// Where a copy of a message at `pos` can be: the chunk of its position and
/// the newest chunk; every chunk, newest first, when its time is only the
/// sender's guess.
fn candidates(slots: &[Slot], pos: Pos, server_time: bool) -> Candidates {
    let newest = slots.len() - 1;
    if !server_time {
        return Candidates::All(newest + 1);
    }
    match locate(slots, pos) {
        si if si == newest => Candidates::Some { slots: [newest, newest], next: 0, len: 1 },
        si => Candidates::Some { slots: [si, newest], next: 0, len: 2 },
    }
}

/// The slots [`candidates`] names, in order, without allocating (it runs
/// for every message of a sync).
enum Candidates {
    /// The first `len` of `slots`.
    Some { slots: [usize; 2], next: usize, len: usize },
    /// Every slot below this, newest first.
    All(usize),
}

impl Iterator for Candidates {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        match self {
            Candidates::Some { slots, next, len } => (*next < *len).then(|| {
                *next += 1;
                slots[*next - 1]
            }),
            Candidates::All(below) => (*below > 0).then(|| {
                *below -= 1;
                *below
            }),
        }
    }
}

/// The slot a position belongs to: the last one starting at or before it.
fn locate(slots: &[Slot], pos: Pos) -> usize {
    let n = slots.partition_point(|s| s.first().is_some_and(|f| f <= pos));
    n.saturating_sub(1)
}

