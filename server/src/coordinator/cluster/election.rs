//! Leading: the lease, reigns begun and ended, the single node's reign.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{INBOX, Input, LEASE, LeaderRef, Mode, Reign, Shared};
use crate::coordinator::actor::Actor;
use crate::coordinator::error::CoordResult;
use crate::coordinator::wire::{NodeId, Request};
use crate::views::now_ms;

impl Shared {
    // --- reigns -----------------------------------------------------------------------------

    /// Makes this node the leader in `term`: from now on requests queue in the actor's inbox.
    fn install_reign(
        &self,
        term: u64,
        stop: &CancellationToken,
    ) -> (mpsc::Receiver<Input>, CancellationToken) {
        let (inbox, rx) = mpsc::channel(INBOX);
        let reign_stop = stop.child_token();
        *self.reign.lock().unwrap_or_else(|p| p.into_inner()) = Some(Reign {
            term,
            inbox,
            stop: reign_stop.clone(),
        });
        self.set_leader(Some(LeaderRef {
            node: self.me.clone(),
            term,
        }));
        (rx, reign_stop)
    }

    /// The only node: leads from the start. Fails when the store cannot be read.
    pub(crate) async fn lead_alone(
        self: &Arc<Self>,
        stop: &CancellationToken,
    ) -> CoordResult<JoinHandle<()>> {
        let (rx, reign_stop) = self.install_reign(1, stop);
        let actor = match Actor::load(Arc::clone(self), 1).await {
            Ok(actor) => actor,
            Err(e) => {
                self.end_reign(1);
                return Err(e);
            }
        };
        Ok(tokio::spawn(actor.run(rx, reign_stop)))
    }

    /// Starts leading in `term`: the actor is rebuilt from the store in the background while
    /// requests already queue in its inbox. Returns the actor's task.
    fn begin_reign(self: &Arc<Self>, term: u64, stop: &CancellationToken) -> JoinHandle<()> {
        let (rx, reign_stop) = self.install_reign(term, stop);
        tracing::info!(node = %self.me, term, "this node coordinates the cluster");
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let actor = match Actor::load(Arc::clone(&shared), term).await {
                Ok(actor) => actor,
                Err(e) => {
                    tracing::warn!(error = %e, term, "could not load the coordinator; stepping down");
                    shared.end_reign(term);
                    return;
                }
            };
            actor.announce_reign().await;
            // Our own sockets, through the inbox like every other node's (spawned: the
            // actor must be draining it).
            let own = Arc::clone(&shared);
            tokio::spawn(async move { own.send_snapshot().await });
            actor.run(rx, reign_stop).await;
        })
    }

    /// Stops leading if still in `term`.
    fn end_reign(&self, term: u64) {
        let mut reign = self.reign.lock().unwrap_or_else(|p| p.into_inner());
        if reign.as_ref().is_some_and(|r| r.term == term) {
            if let Some(r) = reign.take() {
                r.stop.cancel();
            }
            drop(reign);
            tracing::info!(node = %self.me, term, "this node stopped coordinating");
            self.leader.send_if_modified(|now| {
                let mine = now.as_ref().is_some_and(|l| l.node == self.me);
                if mine {
                    *now = None;
                }
                mine
            });
        }
    }

    fn reign_term(&self) -> Option<u64> {
        self.current_reign().map(|r| r.term)
    }

    /// Claims the lease every `lease / 5` until `stop`; leads while holding it. Gives it up
    /// when stopping, so another node takes over at once.
    pub(crate) async fn elect(self: Arc<Self>, stop: CancellationToken) {
        let Mode::Cluster { lease } = self.mode else {
            return;
        };
        let ttl_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        let mut tick = tokio::time::interval(lease / 5);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut valid_until = Instant::now();
        let mut actor: Option<JoinHandle<()>> = None;
        let mut failures = 0u32;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            let asked = Instant::now();
            match self
                .store
                .claim_lease(LEASE, self.me.as_str(), now_ms(), ttl_ms)
                .await
            {
                Ok(held) if held.holder == self.me.as_str() => {
                    failures = 0;
                    valid_until = asked + lease;
                    if self.reign_term() != Some(held.term) {
                        if let Some(term) = self.reign_term() {
                            self.end_reign(term);
                        }
                        actor = Some(self.begin_reign(held.term, &stop));
                    }
                }
                Ok(held) => {
                    failures = 0;
                    if let Some(term) = self.reign_term() {
                        self.end_reign(term);
                    }
                    self.set_leader(Some(LeaderRef {
                        node: NodeId::from_lease(held.holder),
                        term: held.term,
                    }));
                    let dirty = self.outbox.lock().await.dirty;
                    if dirty && self.bus.is_ready() {
                        self.send_snapshot().await;
                    }
                    self.tell(Request::Alive {
                        node: self.me.clone(),
                    })
                    .await;
                }
                Err(e) => {
                    failures += 1;
                    if failures == 1 || failures.is_multiple_of(30) {
                        tracing::warn!(error = %e, failures, "could not claim the coordinator lease");
                    }
                    if let Some(term) = self.reign_term()
                        && Instant::now() >= valid_until
                    {
                        self.end_reign(term);
                    }
                }
            }
        }
        if let Some(term) = self.reign_term() {
            self.end_reign(term);
            if let Err(e) = self
                .store
                .release_lease(LEASE, self.me.as_str(), now_ms())
                .await
            {
                tracing::warn!(error = %e, "could not release the coordinator lease");
            }
        }
        if let Some(actor) = actor {
            let _ = actor.await;
        }
    }
}
