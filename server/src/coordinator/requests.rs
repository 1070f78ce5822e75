//! One request at a time: what the actor does with each, and what it answers.

use tokio::time::Instant;

use super::actor::{Actor, done, failed};
use super::error::CoordError;
use super::model::QueueState;
use super::wire::{NodeId, Request, Response};

impl Actor {
    /// Handles one request of `from` (this node or another).
    pub(super) async fn handle(&mut self, from: &NodeId, request: Request) -> Response {
        match request {
            Request::StartChat {
                customer,
                queue,
                subject,
                client,
            } => match self.start_chat(customer, queue, subject, client).await {
                Ok(conversation) => Response::Conversation {
                    conversation: Box::new(conversation),
                },
                Err(e) => failed(e),
            },
            Request::EndChat {
                customer,
                conversation,
            } => done(self.end_chat(&customer, conversation).await),
            Request::CustomerPresence { customer, state } => {
                self.customer_presence(&customer, state).await;
                Response::Done
            }
            Request::CustomerWrote { conversation } => {
                self.customer_wrote(conversation).await;
                Response::Done
            }
            Request::Rated { conversation } => {
                self.rated(conversation).await;
                Response::Done
            }
            Request::AttendantConnected { node, entry } => {
                let id = match &entry {
                    super::wire::Connections::Attendant { attendant, .. } => attendant.clone(),
                    super::wire::Connections::Customer { .. } => {
                        return failed(CoordError::Invalid("not an attendant".into()));
                    }
                };
                self.connections(&node, entry).await;
                self.welcome(&id)
            }
            Request::SetPresence {
                attendant,
                presence,
            } => match self.set_presence(&attendant, presence).await {
                Ok(presence) => Response::Presence { presence },
                Err(e) => failed(e),
            },
            Request::AttendantReplied {
                attendant,
                conversation,
            } => {
                self.attendant_replied(&attendant, conversation).await;
                Response::Done
            }
            Request::NextCustomer { attendant, queue } => {
                match self.next_customer(&attendant, queue).await {
                    Ok(conversation) => Response::Conversation {
                        conversation: Box::new(conversation),
                    },
                    Err(e) => failed(e),
                }
            }
            Request::Transfer {
                by,
                conversation,
                to,
            } => done(self.transfer(&by, conversation, to).await),
            Request::Resolve { by, conversation } => done(self.resolve(&by, conversation).await),
            Request::Reopen { by, conversation } => done(self.reopen(&by, conversation).await),
            Request::HandOver {
                conversation,
                queue,
            } => done(self.hand_over(conversation, queue)),
            Request::ResolveForIntegration { conversation } => {
                done(self.resolve_for_integration(conversation))
            }
            Request::AttendantChanged { attendant } => {
                self.attendant_changed(attendant).await;
                Response::Done
            }
            Request::QueueChanged { queue } => {
                match self.model.queues.get_mut(&queue.id) {
                    Some(state) => {
                        let unbotted = queue.bot.is_none();
                        let id = queue.id.clone();
                        state.config = queue;
                        if unbotted {
                            self.release_bots_of(&id);
                        }
                    }
                    None => {
                        self.model
                            .queues
                            .insert(queue.id.clone(), QueueState::new(queue));
                    }
                }
                self.assign_waiting();
                Response::Done
            }
            Request::Connections { node, entry } => {
                self.connections(&node, entry).await;
                Response::Done
            }
            Request::NodeSnapshot {
                node,
                first,
                last,
                entries,
            } => {
                let now = Instant::now();
                if first {
                    self.nodes.begin_snapshot(&node, now);
                }
                for entry in entries {
                    self.connections(&node, entry).await;
                }
                if last {
                    let changes = self.nodes.end_snapshot(&node, now);
                    self.apply_changes(changes).await;
                }
                Response::Done
            }
            Request::Alive { node } => {
                self.nodes.heard(&node, Instant::now());
                Response::Done
            }
            Request::CallInvite {
                by,
                conversation,
                call,
                media,
            } => done(self.call_invite(&by, conversation, call, media)),
            Request::CallAnswer { by, call, accept } => done(self.call_answer(&by, call, accept)),
            Request::CallSignal { by, call, signal } => done(self.call_signal(&by, call, signal)),
            Request::CallHangup { by, call, reason } => done(self.call_hangup(&by, call, reason)),
            Request::ReplicaWanted => {
                if *from != *self.me() {
                    self.publish_whole_replica().await;
                }
                Response::Done
            }
        }
    }
}
