//! Local echoes: messages being sent, shown until stored or given up (see
//! [`crate::echo`]).

use super::{Call, Cache};
use crate::conversation::ConvId;
use crate::echo::{self, Echo, EchoView, Status};
use crate::error::{Error, Result};
use crate::payload::Batch;
use crate::storage::Storage;

impl<S: Storage> Cache<S> {
    /// An echo as the API shows it (its status as this process sees it).
    pub fn echo_view<'a>(&'a self, e: &'a Echo) -> EchoView<'a> {
        e.view(&self.cfg.username, &self.cfg.session)
    }

    pub(super) fn echo_at(&self, local_id: &str) -> Option<usize> {
        self.index.echoes.iter().position(|e| e.local_id == local_id)
    }

    /// A send's echo once `cacheSent` ran: gone when its message is stored,
    /// failed (with the reason) when the send's data says it failed.
    pub(super) fn resolve_echo(&mut self, call: &mut Call, local_id: &str, batch: &Batch) {
        let Some(i) = self.echo_at(local_id) else { return };
        if !batch.messages.is_empty() {
            self.index.echoes.remove(i);
            call.changed = true;
        } else if let Some(r) = batch.rejected.first() {
            let e = &mut self.index.echoes[i];
            e.status = Status::Failed;
            e.reason = Some(r.reason.clone());
            call.changed = true;
        }
    }

    /// `addPending(conversationId, {type, body, localId?})`: stores an echo
    /// and returns it; the `localId` of a failed echo sends it again. `now`
    /// is the caller's clock (ms).
    pub fn add_pending(&mut self, conv: &ConvId, kind: &str, body: &str, local_id: Option<&str>, now: u64) -> Result<Echo> {
        self.ready()?;
        let (kind, body) = echo::checked(kind, body)?;
        if let Some(id) = local_id {
            echo::checked_local_id(id)?;
        }
        let session = self.cfg.session.clone();
        if let Some(i) = local_id.and_then(|id| self.echo_at(id)) {
            let e = &self.index.echoes[i];
            if e.conv != *conv {
                return Err(Error::BadArgument(format!("localId {:?} is an echo of {}, not {conv}", e.local_id, e.conv)));
            }
            if e.status_in(&session).0 == Status::Sending {
                return Ok(e.clone());
            }
            let mut retry = self.index.echoes.remove(i);
            retry.kind = kind;
            retry.body = body;
            retry.time = now;
            retry.status = Status::Sending;
            retry.reason = None;
            retry.session = session;
            self.index.echoes.push(retry.clone());
            self.simple_commit(Call { changed: true, ..Default::default() })?;
            return Ok(retry);
        }
        if self.index.echoes.len() >= echo::MAX_ECHOES {
            return Err(Error::BadArgument(format!(
                "{} messages are already pending: send or discard some first",
                echo::MAX_ECHOES
            )));
        }
        let local_id = match local_id {
            Some(id) => id.to_string(),
            None => self.fresh_local_id(now),
        };
        let e = Echo { local_id, conv: conv.clone(), kind, body, time: now, status: Status::Sending, reason: None, session };
        self.index.echoes.push(e.clone());
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(e)
    }

    pub(super) fn fresh_local_id(&self, now: u64) -> String {
        let mut n = self.index.echoes.len() as u64;
        loop {
            let mut id = String::from("local-");
            crate::text::push_decimal(&mut id, now);
            id.push('-');
            crate::text::push_decimal(&mut id, n);
            if self.echo_at(&id).is_none() {
                return id;
            }
            n += 1;
        }
    }

    /// `sendFailed(localId, reason?)`: the echo shows `failed`. Returns
    /// whether there was such an echo.
    pub fn send_failed(&mut self, local_id: &str, reason: Option<&str>) -> Result<bool> {
        self.ready()?;
        let Some(i) = self.echo_at(local_id) else { return Ok(false) };
        let e = &mut self.index.echoes[i];
        let reason = reason.and_then(crate::record::capped_reason);
        if e.status == Status::Failed && e.reason == reason {
            return Ok(true);
        }
        e.status = Status::Failed;
        e.reason = reason;
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(true)
    }

    /// `discardPending(localId)`: removes an echo. Returns whether it existed.
    pub fn discard_pending(&mut self, local_id: &str) -> Result<bool> {
        self.ready()?;
        let Some(i) = self.echo_at(local_id) else { return Ok(false) };
        self.index.echoes.remove(i);
        self.simple_commit(Call { changed: true, ..Default::default() })?;
        Ok(true)
    }

    /// `pending(conversationId?)`: echoes, sending and failed, oldest first.
    pub fn pending(&self, conv: Option<&ConvId>) -> Vec<EchoView<'_>> {
        self.index
            .echoes
            .iter()
            .filter(|e| conv.is_none_or(|c| *c == e.conv))
            .map(|e| self.echo_view(e))
            .collect()
    }

}
