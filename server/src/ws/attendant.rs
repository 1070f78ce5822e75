//! The attendant socket: authenticated by the login cookie before the upgrade; chat
//! operations limited to the conversations the attendant holds, reads to those they may see
//! ([`crate::access`]).
//!
//! The socket lives only as long as its session: a revocation closes it at once (the hub
//! cuts it, on every node), and every heartbeat it reads its session again, so a session that
//! expired, was deleted, or whose account was disabled or changed role or queues ends even if
//! that cut was lost. Operations decided by the coordinator name the attendant by id only: it
//! authorises from its own current record.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::ws::WebSocket;
use chimpassist_protocol::{
    AttendantToServer, ClientMessageId, ConversationId, ErrorCode, PROTOCOL_VERSION, Party,
    ResumePoint, ServerToAttendant, ServerToCustomer, encode,
};
use chimpassist_store::{Attendant, Conversation, Visibility};
use futures_util::StreamExt;

use super::calls::{self, CallFrame, CallsHere};
use super::connection::{OUTBOUND_QUEUE, send_text};
use super::history::history_page;
use super::peer::{Failure, Greeted, Peer, Step, await_hello, reply, run};
use crate::access;
use crate::auth::SignedIn;
use crate::bus::BusEvent;
use crate::coordinator::{Caller, Route};
use crate::delivery::outbox::OutboxTx;
use crate::delivery::{
    Answers, Author, Desk, Found, Sent, Submitted, attached, enrich, find_route, publish,
    record_receipt,
};
use crate::error::{AppError, AppResult};
use crate::revoke::CloseReason;
use crate::state::AppState;
use crate::views::attendant_view;

struct AttendantPeer {
    state: Arc<AppState>,
    /// The account as last read (at connect, then every heartbeat): its name signs messages.
    me: Attendant,
    /// The stored hash of the session's token, to read the session again.
    token_hash: String,
    tx: OutboxTx,
    /// The calls this connection joined: hung up when it closes (a revoked session's too).
    calls: CallsHere,
}

/// Runs one attendant connection to its end.
pub(super) async fn serve(socket: WebSocket, state: Arc<AppState>, session: SignedIn) {
    let me = session.me.clone();
    let (mut sink, mut stream) = socket.split();
    let Some((resume, batch)) =
        await_hello::<AttendantPeer, _>(&mut sink, &mut stream, &state, |frame| match frame {
            AttendantToServer::Hello {
                protocol,
                resume,
                batch,
            } => Some((protocol, (resume, batch))),
            _ => None,
        })
        .await
    else {
        return;
    };
    let desk = Arc::new(Desk::new(session.session.clone(), Visibility::of(&me)));
    let (registration, rx) =
        state
            .delivery
            .hub
            .register_attendant(me.id.clone(), Arc::clone(&desk), OUTBOUND_QUEUE);
    let rx = enrich::complete_assigned(state.delivery.clone(), rx);
    let _gauge = state.metrics.connection("attendant");
    // Without a welcome (no coordinator reachable) the socket closes after the error, and
    // the client reconnects with backoff.
    let (welcome, welcomed) = match state.coordinator.attendant_connected(&me).await {
        Ok((presence, conversations)) => {
            desk.shown(conversations.iter().map(|c| c.id));
            (
                ServerToAttendant::Welcome {
                    protocol: PROTOCOL_VERSION,
                    me: attendant_view(&me),
                    presence,
                    conversations: enrich::with_details(&state.delivery, conversations).await,
                    max_text_bytes: u32::try_from(state.config.max_text_bytes).unwrap_or(u32::MAX),
                    max_attachment_bytes: state.config.max_attachment_bytes,
                },
                true,
            )
        }
        Err(e) => (ServerToAttendant::error(AppError::from(e).body()), false),
    };
    let ok = send_text(&mut sink, encode(&welcome)).await && welcomed;
    let points = visible_points(&state, &me, resume).await;
    let registered = (registration, rx);
    let token_hash = session.token_hash().to_owned();
    let hello = Greeted {
        resume: &points,
        welcomed: ok,
        batch,
    };
    let joined = CallsHere::default();
    run(&state, sink, stream, registered, hello, |tx| {
        AttendantPeer {
            state: Arc::clone(&state),
            me: me.clone(),
            token_hash,
            tx,
            calls: joined.clone(),
        }
    })
    .await;
    joined
        .hang_up_all(&state, Caller::Attendant(me.id.clone()))
        .await;
    state.coordinator.attendant_disconnected(me.id).await;
}

/// The resume points of conversations this attendant may see (at most 200); the others are
/// dropped, like a customer's points on conversations not theirs.
async fn visible_points(
    state: &AppState,
    me: &Attendant,
    points: Vec<ResumePoint>,
) -> Vec<ResumePoint> {
    let mut kept = Vec::new();
    for point in points.into_iter().take(200) {
        match access::conversation(state, me, &point.conversation).await {
            Ok(_) => kept.push(point),
            Err(e) => {
                tracing::debug!(conversation = %point.conversation, error = %e, "resume point dropped")
            }
        }
    }
    kept
}

/// Why an attendant may not write in a conversation they do not hold.
fn refused(open: bool) -> AppError {
    if open {
        AppError::client(
            ErrorCode::Forbidden,
            "this conversation is not assigned to you",
        )
    } else {
        AppError::client(ErrorCode::Conflict, "the conversation is not open")
    }
}

impl AttendantPeer {
    /// Whether a route names this attendant as the holder.
    fn mine(&self, route: &Route) -> bool {
        route.attendant.as_ref() == Some(&self.me.id)
    }

    /// The customer of an open conversation this attendant holds.
    async fn held(
        &self,
        conversation: &ConversationId,
    ) -> AppResult<chimpassist_protocol::CustomerId> {
        let found = find_route(&self.state.delivery, conversation, |r| self.mine(r)).await?;
        self.holds(found.open_route()).map(|route| route.customer)
    }

    /// The record of an open conversation this attendant holds, read once: when the replica
    /// says it is theirs, from the store; else the record that decided it.
    async fn held_record(&self, conversation: &ConversationId) -> AppResult<Conversation> {
        match find_route(&self.state.delivery, conversation, |r| self.mine(r)).await? {
            Found::Replica(_) => self
                .state
                .store
                .get_conversation(conversation)
                .await?
                .ok_or_else(|| AppError::not_found("conversation")),
            Found::Store(record) => match record.filter(|c| c.status.is_open()) {
                Some(c) if c.attendant_id.as_ref() == Some(&self.me.id) => Ok(c),
                open => Err(refused(open.is_some())),
            },
        }
    }

    /// `route` if it is open and this attendant's; else why not.
    fn holds(&self, route: Option<Route>) -> AppResult<Route> {
        match route {
            Some(route) if self.mine(&route) => Ok(route),
            open => Err(refused(open.is_some())),
        }
    }

    /// Authorises a message and queues it in the store; [`Peer::committed`] finishes it.
    async fn send_message(
        &self,
        conversation: ConversationId,
        client_id: ClientMessageId,
        text: chimpassist_protocol::MessageText,
        attachments: Vec<chimpassist_protocol::FileId>,
    ) -> AppResult<Submitted> {
        let customer = self.held(&conversation).await?;
        let author = Author {
            party: Party::Attendant,
            id: self.me.id.to_string(),
            name: self.me.name.clone(),
        };
        let files = attached(&self.state.delivery, &conversation, &author.id, attachments).await?;
        let sent = Sent::new(conversation, client_id, true, &customer, Some(&self.me.id));
        Ok(sent.submit(&self.state.delivery, author, text, files))
    }
}

#[async_trait]
impl Peer for AttendantPeer {
    type In = AttendantToServer;

    type Out = ServerToAttendant;

    fn pipelines(frame: &AttendantToServer) -> bool {
        matches!(frame, AttendantToServer::Send { .. })
    }

    async fn handle(&mut self, frame: AttendantToServer) -> Result<Step, Failure> {
        let coordinator = &self.state.coordinator;
        match frame {
            AttendantToServer::Hello { .. } => {
                return Err(AppError::client(ErrorCode::Conflict, "already said hello").into());
            }
            AttendantToServer::SetPresence { presence } => {
                coordinator
                    .set_presence(self.me.id.clone(), presence)
                    .await?;
            }
            // The socket's own traffic keeps it alive; the coordinator only counts sockets.
            AttendantToServer::Heartbeat => {}
            AttendantToServer::Send {
                conversation,
                client_id,
                text,
                attachments,
            } => {
                let submitted = self
                    .send_message(conversation, client_id, text, attachments)
                    .await
                    .map_err(|error| Failure {
                        error,
                        answers: Some(Answers::Send(client_id)),
                    })?;
                return Ok(Step::Committing(submitted));
            }
            AttendantToServer::Receipt {
                conversation,
                kind,
                up_to_seq,
            } => {
                let c = self.held_record(&conversation).await?;
                record_receipt(&self.state.delivery, &c, Party::Attendant, kind, up_to_seq).await?;
            }
            AttendantToServer::Typing {
                conversation,
                state,
            } => {
                let customer = self.held(&conversation).await?;
                let frame = ServerToCustomer::Typing {
                    conversation,
                    state,
                };
                publish(&self.state.delivery, BusEvent::Customer { customer, frame }).await;
            }
            AttendantToServer::NextCustomer { queue } => {
                coordinator.next_customer(self.me.id.clone(), queue).await?;
            }
            AttendantToServer::Transfer { conversation, to } => {
                coordinator
                    .transfer(self.me.id.clone(), conversation, to)
                    .await?;
            }
            AttendantToServer::Resolve { conversation } => {
                coordinator
                    .resolve(self.me.id.clone(), conversation)
                    .await?;
            }
            AttendantToServer::Reopen { conversation } => {
                coordinator.reopen(self.me.id.clone(), conversation).await?;
            }
            AttendantToServer::History {
                conversation,
                before_seq,
                limit,
            } => {
                access::conversation(&self.state, &self.me, &conversation).await?;
                let (messages, more) =
                    history_page(&self.state, &conversation, before_seq, limit).await?;
                let frame = ServerToAttendant::History {
                    conversation,
                    messages,
                    more,
                };
                reply(&self.tx, frame).await;
            }
            frame @ (AttendantToServer::CallInvite { .. }
            | AttendantToServer::CallAccept { .. }
            | AttendantToServer::CallDecline { .. }
            | AttendantToServer::CallHangup { .. }
            | AttendantToServer::CallSignal { .. }) => {
                if let Ok(call) = CallFrame::try_from(frame) {
                    let by = Caller::Attendant(self.me.id.clone());
                    calls::handle::<ServerToAttendant>(
                        &self.state,
                        by,
                        &self.calls,
                        &self.tx,
                        call,
                    )
                    .await?;
                }
            }
            AttendantToServer::Ping { nonce } => {
                reply(&self.tx, ServerToAttendant::Pong { nonce }).await;
            }
        }
        Ok(Step::Done)
    }

    async fn committed(&mut self, sent: &Sent) -> AppResult<()> {
        let me = self.me.id.clone();
        self.state
            .coordinator
            .attendant_replied(me, sent.conversation)
            .await;
        Ok(())
    }

    /// Reads the session again: gone, expired, or its account disabled ends the socket
    /// (4401); a new role or queues too (4403: the back-office reconnects with them). A store
    /// that does not answer ends nothing.
    async fn recheck(&mut self) -> Result<(), CloseReason> {
        match self
            .state
            .auth
            .session_by_hash(self.token_hash.clone())
            .await
        {
            Ok(now) if now.me.must_change_password => Err(CloseReason::SessionEnded),
            Ok(now) if now.me.role != self.me.role || now.me.queues != self.me.queues => {
                Err(CloseReason::RightsChanged)
            }
            Ok(now) => {
                self.me = now.me;
                Ok(())
            }
            Err(e) if e.code() == ErrorCode::Unauthenticated => Err(CloseReason::SessionEnded),
            Err(e) => {
                tracing::debug!(attendant = %self.me.id, error = %e, "session not re-read");
                Ok(())
            }
        }
    }
}
