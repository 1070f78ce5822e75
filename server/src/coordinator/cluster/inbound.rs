//! What the coordinator gets from the bus: requests for the leader, answers to this node's
//! calls, announcements and replica updates of the leader, gaps.

use std::sync::Arc;

use super::{Input, LeaderRef, Shared};
use crate::coordinator::wire::{ClusterMessage, NodeId, Request, Response};

impl Shared {
    // --- what arrives over the bus ----------------------------------------------------------

    /// Handles a coordination message from the bus (this node's own included: the bus hands a
    /// node its own events too).
    pub(crate) async fn on_message(self: &Arc<Self>, message: &ClusterMessage) {
        match message {
            ClusterMessage::Request {
                from,
                to,
                id,
                request,
            } if *to == self.me && *from != self.me => match self.current_reign() {
                Some(reign) => {
                    let input = Input::Remote {
                        from: from.clone(),
                        id: *id,
                        request: (**request).clone(),
                    };
                    if reign.inbox.send(input).await.is_err()
                        && let Some(id) = id
                    {
                        self.reply(from, *id, Response::NotLeader).await;
                    }
                }
                None => {
                    if let Some(id) = id {
                        self.reply(from, *id, Response::NotLeader).await;
                    }
                }
            },
            ClusterMessage::Reply { to, id, response } if *to == self.me => {
                let waiting = self
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(id);
                if let Some((_, tx)) = waiting {
                    let _ = tx.send(response.clone());
                }
            }
            ClusterMessage::Leader { node, term, epoch }
                if *node != self.me && self.admits(node, *term) =>
            {
                self.set_leader(Some(LeaderRef {
                    node: node.clone(),
                    term: *term,
                }));
                let heard = (node.clone(), *term, *epoch);
                let new = {
                    let mut last = self.announced.lock().unwrap_or_else(|p| p.into_inner());
                    let new = last.as_ref() != Some(&heard);
                    *last = Some(heard);
                    new
                };
                if new {
                    let shared = Arc::clone(self);
                    tokio::spawn(async move { shared.send_snapshot().await });
                }
            }
            ClusterMessage::Replica {
                from,
                term,
                reset,
                updates,
            } if *from != self.me && self.admits(from, *term) => {
                self.set_leader(Some(LeaderRef {
                    node: from.clone(),
                    term: *term,
                }));
                self.replica.apply(*reset, updates);
                if *reset {
                    tracing::info!(leader = %from, term, "replica copied whole from the coordinator");
                }
            }
            _ => {}
        }
    }

    /// Whether a message of `node` as leader in `term` is current (not from a past reign).
    fn admits(&self, node: &NodeId, term: u64) -> bool {
        match self.leader() {
            None => true,
            Some(known) => term > known.term || (term == known.term && *node == known.node),
        }
    }

    async fn reply(&self, to: &NodeId, id: u64, response: Response) {
        let message = ClusterMessage::Reply {
            to: to.clone(),
            id,
            response,
        };
        let sent = match message.to_event() {
            Ok(event) => self.bus.publish(event).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = sent {
            tracing::debug!(%error, "coordinator reply not sent");
        }
    }

    /// This node may have missed events: the leader's actor rebuilds its picture of the
    /// other nodes; a follower drops calls whose answers may be lost, re-reports its sockets
    /// and asks for the whole replica.
    pub(crate) async fn on_gap(self: &Arc<Self>) {
        if !self.clustered() {
            return;
        }
        if let Some(reign) = self.current_reign() {
            let _ = reign.inbox.send(Input::BusGap).await;
            return;
        }
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            shared.send_snapshot().await;
            shared.tell(Request::ReplicaWanted).await;
        });
    }
}
