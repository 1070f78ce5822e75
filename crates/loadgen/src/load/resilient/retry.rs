//! Sends the server refused with `unavailable` (its store is down: nothing was saved). The
//! client keeps them pending, as it keeps unacked messages over a reconnect. It does not
//! write them all again at once: the server takes a connection's frames one at a time and
//! each would wait out the store's timeout in turn. Instead it probes with the oldest
//! pending message alone, with backoff, and holds new messages back; the first ack (the
//! probe's, or of anything still on the wire) means the store is back, and every pending
//! message is written, in send order, with its original client id.

use futures_util::SinkExt;
use tokio::time::Instant;

use super::{Client, Closed};
use crate::recovery::Recovery;
use crate::resume::backoff;
use crate::wire;

impl Client {
    /// The server refused `client_id` for now (the outbox has it off the wire already).
    pub(super) fn on_refused(&mut self, client_id: &str) {
        Recovery::add(&self.recovery.refused, 1);
        if !self.holding {
            self.holding = true;
            self.probe = None;
            self.probe_attempt = 0;
            self.schedule_probe();
        } else if self.probe.as_deref() == Some(client_id) {
            self.probe = None;
            self.schedule_probe();
        }
    }

    fn schedule_probe(&mut self) {
        self.probe_attempt += 1;
        self.probe_at = Some(Instant::now() + backoff(self.probe_attempt, self.jitter()));
    }

    /// Writes the oldest pending message alone; nothing pending off the wire ends holding.
    pub(super) async fn probe(&mut self) -> Result<(), Closed> {
        self.probe_at = None;
        let Some(ws) = self.ws.as_mut() else {
            return Ok(());
        };
        let Some(index) = self.outbox.unsent().first().copied() else {
            self.holding = false;
            return Ok(());
        };
        let Some((m, _)) = self.outbox.write(index) else {
            return Ok(());
        };
        Recovery::add(&self.recovery.resent, 1);
        let frame = wire::send(&self.convs[m.conv].id, &m.client_id, &m.text);
        self.probe = Some(m.client_id.clone());
        ws.send(frame).await.map_err(|_| Closed)
    }

    /// An ack arrived: if messages were held back, the store is back: write them all.
    pub(super) async fn release(&mut self) -> Result<(), Closed> {
        if !self.holding {
            return Ok(());
        }
        self.stop_holding();
        self.resend().await
    }

    /// Forgets the probing (the store answered, or the socket is gone and a reconnect
    /// writes everything pending anyway).
    pub(super) fn stop_holding(&mut self) {
        self.holding = false;
        self.probe = None;
        self.probe_at = None;
        self.probe_attempt = 0;
    }
}
