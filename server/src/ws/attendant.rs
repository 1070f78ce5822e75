//! The attendant socket: authenticated by the login cookie before the upgrade; chat
//! operations limited to the conversations the attendant holds.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::ws::WebSocket;
use chimpassist_protocol::{
    AttendantToServer, ClientMessageId, ConversationId, ErrorBody, ErrorCode, PROTOCOL_VERSION,
    Party, ServerToAttendant, ServerToCustomer, encode,
};
use chimpassist_store::Attendant;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::connection::{OUTBOUND_QUEUE, send_text};
use super::details;
use super::messaging::{
    Author, append_and_deliver, history_page, open_route, publish, record_receipt,
};
use super::peer::{Failure, Peer, await_hello, reply, run};
use crate::bus::BusEvent;
use crate::coordinator::Route;
use crate::error::{AppError, AppResult};
use crate::hub::{Outbound, outbound_attendant};
use crate::state::AppState;
use crate::views::attendant_view;

struct AttendantPeer {
    state: Arc<AppState>,
    me: Attendant,
    tx: mpsc::Sender<Outbound>,
}

/// Runs one attendant connection to its end.
pub(super) async fn serve(socket: WebSocket, state: Arc<AppState>, me: Attendant) {
    let (mut sink, mut stream) = socket.split();
    let Some(resume) =
        await_hello::<AttendantPeer, _>(&mut sink, &mut stream, &state, |frame| match frame {
            AttendantToServer::Hello { protocol, resume } => Some((protocol, resume)),
            _ => None,
        })
        .await
    else {
        return;
    };
    let (registration, rx) = state.hub.register_attendant(me.id.clone(), OUTBOUND_QUEUE);
    let rx = details::complete_assigned(Arc::clone(&state), rx);
    let _gauge = state.metrics.connection("attendant");
    // Without a welcome (no coordinator reachable) the socket closes after the error, and
    // the client reconnects with backoff.
    let (welcome, welcomed) = match state.coordinator.attendant_connected(me.clone()).await {
        Ok((presence, conversations)) => (
            ServerToAttendant::Welcome {
                protocol: PROTOCOL_VERSION,
                me: attendant_view(&me),
                presence,
                conversations: details::with_details(&state, conversations).await,
                max_text_bytes: u32::try_from(state.config.max_text_bytes).unwrap_or(u32::MAX),
            },
            true,
        ),
        Err(e) => (ServerToAttendant::error(e.body()), false),
    };
    let ok = send_text(&mut sink, encode(&welcome)).await && welcomed;
    let points: Vec<_> = resume.into_iter().take(200).collect();
    let registered = (registration, rx);
    run(&state, sink, stream, registered, &points, ok, |tx| {
        AttendantPeer {
            state: Arc::clone(&state),
            me: me.clone(),
            tx,
        }
    })
    .await;
    state.coordinator.attendant_disconnected(me.id).await;
}

impl AttendantPeer {
    /// The customer of an open conversation this attendant holds.
    async fn held(
        &self,
        conversation: &ConversationId,
    ) -> AppResult<chimpassist_protocol::CustomerId> {
        let mine = |route: &Route| route.attendant.as_ref() == Some(&self.me.id);
        match open_route(&self.state, conversation, mine).await? {
            Some(route) if mine(&route) => Ok(route.customer),
            Some(_) => Err(AppError::client(
                ErrorCode::Forbidden,
                "this conversation is not assigned to you",
            )),
            None => Err(AppError::client(
                ErrorCode::Conflict,
                "the conversation is not open",
            )),
        }
    }

    async fn send_message(
        &self,
        conversation: ConversationId,
        client_id: ClientMessageId,
        text: chimpassist_protocol::MessageText,
    ) -> AppResult<()> {
        let customer = self.held(&conversation).await?;
        let author = Author {
            party: Party::Attendant,
            id: self.me.id.to_string(),
            name: self.me.name.clone(),
        };
        let (stored, _) = append_and_deliver(
            &self.state,
            conversation,
            client_id,
            author,
            text,
            &customer,
            Some(&self.me.id),
        )
        .await?;
        reply(
            &self.tx,
            outbound_attendant(&ServerToAttendant::Ack {
                conversation,
                client_id,
                seq: stored.seq,
                timestamp: stored.timestamp,
            }),
        )
        .await;
        self.state
            .coordinator
            .attendant_replied(self.me.id.clone(), conversation)
            .await;
        Ok(())
    }
}

#[async_trait]
impl Peer for AttendantPeer {
    type In = AttendantToServer;

    fn message_frame(message: chimpassist_protocol::MessageView) -> String {
        encode(&ServerToAttendant::Message { message })
    }

    fn resync_frame(conversation: ConversationId, latest_seq: u64) -> String {
        encode(&ServerToAttendant::Resync {
            conversation,
            latest_seq,
        })
    }

    fn error_frame(body: ErrorBody, client_id: Option<ClientMessageId>) -> Outbound {
        outbound_attendant(&ServerToAttendant::Error {
            code: body.code,
            message: body.message,
            client_id,
        })
    }

    async fn handle(&mut self, frame: AttendantToServer) -> Result<(), Failure> {
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
            } => {
                self.send_message(conversation, client_id, text)
                    .await
                    .map_err(|error| Failure {
                        error,
                        client_id: Some(client_id),
                    })?;
            }
            AttendantToServer::Receipt {
                conversation,
                kind,
                up_to_seq,
            } => {
                self.held(&conversation).await?;
                let c = self
                    .state
                    .store
                    .get_conversation(&conversation)
                    .await
                    .map_err(AppError::from)?
                    .ok_or_else(|| AppError::not_found("conversation"))?;
                record_receipt(&self.state, &c, Party::Attendant, kind, up_to_seq).await?;
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
                publish(&self.state, BusEvent::Customer { customer, frame }).await;
            }
            AttendantToServer::NextCustomer { queue } => {
                coordinator.next_customer(self.me.id.clone(), queue).await?;
            }
            AttendantToServer::Transfer { conversation, to } => {
                coordinator
                    .transfer(self.me.clone(), conversation, to)
                    .await?;
            }
            AttendantToServer::Resolve { conversation } => {
                coordinator.resolve(self.me.clone(), conversation).await?;
            }
            AttendantToServer::Reopen { conversation } => {
                coordinator.reopen(self.me.clone(), conversation).await?;
            }
            AttendantToServer::History {
                conversation,
                before_seq,
                limit,
            } => {
                let (messages, more) =
                    history_page(&self.state, &conversation, before_seq, limit).await?;
                let frame = ServerToAttendant::History {
                    conversation,
                    messages,
                    more,
                };
                reply(&self.tx, outbound_attendant(&frame)).await;
            }
            AttendantToServer::Ping { nonce } => {
                reply(
                    &self.tx,
                    outbound_attendant(&ServerToAttendant::Pong { nonce }),
                )
                .await;
            }
        }
        Ok(())
    }
}
