//! The customer socket: identity at `hello`, then chat operations on the customer's own
//! conversations only.

mod say;

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::ws::WebSocket;
use chimpassist_protocol::{
    ClientMessageId, ConversationId, ConversationStatus, ConversationView, CustomerPresence,
    CustomerToServer, ErrorCode, PROTOCOL_VERSION, Party, PreChat, QueueId, ServerToAttendant,
    ServerToCustomer, encode,
};
use chimpassist_store::{Conversation, Customer};
use futures_util::StreamExt;

use super::calls::{self, CallFrame, CallsHere};
use super::connection::{OUTBOUND_QUEUE, send_text};
use super::history::history_page;
use super::peer::{Failure, Greeted, Peer, Step, await_hello, reply, run};
use crate::bus::BusEvent;
use crate::coordinator::Caller;
use crate::delivery::outbox::OutboxTx;
use crate::delivery::{
    Answers, Author, Found, Sent, Submitted, attached, find_route, publish, record_receipt,
};
use crate::domain;
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::{attendant_public, conversation_view, customer_view};
use crate::visits::{self, Agent, Report};

struct CustomerPeer {
    state: Arc<AppState>,
    customer: Customer,
    /// Where the connection comes from: chat requests are limited per network.
    client: ClientIp,
    tx: OutboxTx,
    /// The calls this connection joined: hung up when it closes.
    calls: CallsHere,
    /// The browser and OS its `User-Agent` names, for the visitor's context.
    agent: Agent,
    /// The page's origin the socket came from (`Origin`), if a browser said it.
    site: Option<String>,
}

/// Runs one customer connection to its end.
pub(super) async fn serve(
    socket: WebSocket,
    state: Arc<AppState>,
    client: ClientIp,
    agent: Agent,
    site: Option<String>,
) {
    let (mut sink, mut stream) = socket.split();
    let Some((token, user, resume)) =
        await_hello::<CustomerPeer, Hello>(&mut sink, &mut stream, &state, |frame| match frame {
            CustomerToServer::Hello {
                protocol,
                token,
                user,
                resume,
            } => Some((protocol, (token, user, resume))),
            _ => None,
        })
        .await
    else {
        return;
    };
    let grant = match state
        .auth
        .resolve_customer(token.as_deref(), user.as_ref(), client)
        .await
    {
        Ok(grant) => grant,
        Err(e) => {
            send_text(&mut sink, encode(&ServerToCustomer::error(e.body()))).await;
            return;
        }
    };
    let customer = grant.customer;
    // Attributes the site signed: kept before the welcome, so the desk sees them at once.
    // Past the limits they are the site's bug, logged for its developers; the visitor still
    // chats (refusing the hello would lock them out until the site is fixed).
    if let Some(changes) = &grant.attributes
        && let Err(e) = visits::set_attributes(&state, &customer.id, changes).await
    {
        tracing::warn!(customer = %customer.id, error = %e, "the identity token's attributes were not kept");
    }
    let (registration, rx) = state
        .delivery
        .hub
        .register_customer(customer.id.clone(), OUTBOUND_QUEUE);
    let _gauge = state.metrics.connection("customer");
    state.coordinator.customer_connected(customer.clone()).await;

    let welcome = match welcome(&state, &customer, grant.token).await {
        Ok(frame) => frame,
        Err(e) => ServerToCustomer::error(e.body()),
    };
    let mut ok = send_text(&mut sink, encode(&welcome)).await;
    let own: Vec<_> = match own_points(&state, &customer, resume).await {
        Ok(points) => points,
        Err(e) => {
            ok = ok && send_text(&mut sink, encode(&ServerToCustomer::error(e.body()))).await;
            Vec::new()
        }
    };
    let registered = (registration, rx);
    let hello = Greeted {
        resume: &own,
        welcomed: ok,
        batch: false,
    };
    let joined = CallsHere::default();
    run(&state, sink, stream, registered, hello, |tx| CustomerPeer {
        state: Arc::clone(&state),
        customer: customer.clone(),
        client,
        tx,
        calls: joined.clone(),
        agent: agent.clone(),
        site: site.clone(),
    })
    .await;
    joined
        .hang_up_all(&state, Caller::Customer(customer.id.clone()))
        .await;
    state.coordinator.customer_disconnected(customer.id).await;
}

type Hello = (
    Option<String>,
    Option<chimpassist_protocol::UserClaim>,
    Vec<chimpassist_protocol::ResumePoint>,
);

async fn welcome(
    state: &AppState,
    customer: &Customer,
    token: String,
) -> AppResult<ServerToCustomer> {
    let latest = state
        .store
        .customer_conversations(&customer.id, 0, 1)
        .await?;
    let (conversation, may_call) = match latest.into_iter().next() {
        Some(c) => (
            Some(view_of(state, &c, customer).await?),
            may_call(state, &c).await?,
        ),
        None => (None, false),
    };
    Ok(ServerToCustomer::Welcome {
        protocol: PROTOCOL_VERSION,
        customer: customer_view(customer),
        token,
        conversation,
        max_text_bytes: u32::try_from(state.config.max_text_bytes).unwrap_or(u32::MAX),
        max_attachment_bytes: state.config.max_attachment_bytes,
        may_call,
        page_tracking: state.config.page_tracking,
        email_replies: state.config.smtp_url.is_some(),
    })
}

/// Whether the customer may ask for a call in `c` now: it is held by an attendant and its
/// queue lets customers call (the same rule the coordinator applies to the request).
async fn may_call(state: &AppState, c: &Conversation) -> AppResult<bool> {
    if c.attendant_id.is_none() || !c.status.is_open() {
        return Ok(false);
    }
    Ok(state
        .store
        .get_queue(&c.queue_id)
        .await?
        .is_some_and(|q| q.calls.lets(chimpassist_protocol::Party::Customer)))
}

async fn view_of(
    state: &AppState,
    c: &Conversation,
    customer: &Customer,
) -> AppResult<chimpassist_protocol::ConversationView> {
    let attendant = match &c.attendant_id {
        Some(a) => state.store.get_attendant(a).await?,
        None => None,
    };
    let presence = state.coordinator.presence_of_customer(&customer.id);
    let mut view = conversation_view(
        c,
        customer,
        attendant.as_ref().map(attendant_public),
        presence,
    );
    // A bot's hold is the coordinator's, not the store's: read from the replica.
    view.bot = state.coordinator.route(&c.id).and_then(|r| r.bot);
    Ok(view)
}

/// Keeps only resume points of conversations this customer owns.
async fn own_points(
    state: &AppState,
    customer: &Customer,
    points: Vec<chimpassist_protocol::ResumePoint>,
) -> AppResult<Vec<chimpassist_protocol::ResumePoint>> {
    let mut own = Vec::new();
    for p in points.into_iter().take(20) {
        if let Some(c) = state.store.get_conversation(&p.conversation).await?
            && c.customer_id == customer.id
        {
            own.push(p);
        }
    }
    Ok(own)
}

impl CustomerPeer {
    /// The conversation if it is this customer's; `not_found` otherwise (no probing).
    async fn owned(&self, id: &ConversationId) -> AppResult<Conversation> {
        self.state
            .store
            .get_conversation(id)
            .await?
            .filter(|c| c.customer_id == self.customer.id)
            .ok_or_else(|| AppError::not_found("conversation"))
    }

    /// Authorises a message and queues it in the store; [`Peer::committed`] finishes it.
    async fn send_message(
        &self,
        conversation: ConversationId,
        client_id: ClientMessageId,
        text: chimpassist_protocol::MessageText,
        attachments: Vec<chimpassist_protocol::FileId>,
    ) -> AppResult<Submitted> {
        let author = Author {
            party: Party::Customer,
            id: self.customer.id.to_string(),
            name: self.customer.name.clone(),
        };
        self.submit_as(author, conversation, client_id, text, attachments)
            .await
    }

    /// Authorises a message of `author` in a conversation of this customer and queues it in
    /// the store.
    async fn submit_as(
        &self,
        author: Author,
        conversation: ConversationId,
        client_id: ClientMessageId,
        text: chimpassist_protocol::MessageText,
        attachments: Vec<chimpassist_protocol::FileId>,
    ) -> AppResult<Submitted> {
        let me = &self.customer.id;
        // One read at most: the replica's route, else the store's record, open or not.
        let (open, attendant) =
            match find_route(&self.state.delivery, &conversation, |r| r.customer == *me).await? {
                Found::Replica(route) => (true, route.attendant),
                Found::Store(Some(c)) if c.customer_id == *me => {
                    let open = c.status.is_open();
                    (open, c.attendant_id.filter(|_| open))
                }
                Found::Store(_) => return Err(AppError::not_found("conversation")),
            };
        let files = attached(&self.state.delivery, &conversation, &author.id, attachments).await?;
        let sent = Sent::new(conversation, client_id, open, me, attendant.as_ref());
        Ok(sent.submit(&self.state.delivery, author, text, files))
    }

    /// Keeps the address the visitor left in the chat (mail: `crate::mail`). An address
    /// whose owner turned mail off stays off.
    async fn leave_email(&mut self, raw: &str) -> AppResult<()> {
        if self.customer.profile_verified {
            return Err(AppError::client(
                ErrorCode::Forbidden,
                "the site keeps this visitor's e-mail address",
            ));
        }
        let email = domain::email(raw)
            .ok_or_else(|| AppError::invalid("email is not an e-mail address"))?;
        self.state
            .store
            .update_customer_profile(
                &self.customer.id,
                self.customer.name.clone(),
                self.customer.avatar_url.clone(),
                Some(email.clone()),
            )
            .await?;
        self.customer.email = Some(email);
        Ok(())
    }

    /// Asks for a conversation. Limited per client network: `CHATS_PER_MINUTE_PER_IP`
    /// requests, and `MAX_OPEN_CONVERSATIONS_PER_IP` open at once (the coordinator counts).
    async fn start_chat(
        &mut self,
        queue: Option<QueueId>,
        prechat: Option<PreChat>,
    ) -> AppResult<ConversationView> {
        self.state.edge.throttles.chats.check(self.client)?;
        let prechat = prechat.unwrap_or_default();
        let subject = prechat
            .problem
            .as_deref()
            .and_then(|p| domain::bounded_text(p, domain::MAX_SUBJECT_CHARS));
        if !self.customer.verified {
            let name = prechat.name.as_deref().and_then(domain::display_name);
            let email = prechat.email.as_deref().and_then(domain::email);
            if name.is_some() || email.is_some() {
                let name = name.unwrap_or_else(|| self.customer.name.clone());
                let email = email.or_else(|| self.customer.email.clone());
                self.state
                    .store
                    .update_customer_profile(
                        &self.customer.id,
                        name.clone(),
                        self.customer.avatar_url.clone(),
                        email.clone(),
                    )
                    .await?;
                self.customer.name = name;
                self.customer.email = email;
            }
        }
        let queue = queue.unwrap_or_else(QueueId::default_queue);
        Ok(self
            .state
            .coordinator
            .start_chat(
                self.customer.clone(),
                queue,
                subject,
                Some(self.client.network()),
            )
            .await?)
    }
}

#[async_trait]
impl Peer for CustomerPeer {
    type In = CustomerToServer;

    type Out = ServerToCustomer;

    fn pipelines(frame: &CustomerToServer) -> bool {
        matches!(frame, CustomerToServer::Send { .. })
    }

    async fn handle(&mut self, frame: CustomerToServer) -> Result<Step, Failure> {
        match frame {
            CustomerToServer::Hello { .. } => {
                return Err(AppError::client(ErrorCode::Conflict, "already said hello").into());
            }
            CustomerToServer::StartChat { queue, prechat } => {
                self.start_chat(queue, prechat).await?;
            }
            CustomerToServer::Say {
                greeting,
                client_id,
                queue,
                text,
            } => {
                let said = say::Said {
                    greeting,
                    client_id,
                    queue,
                    text,
                };
                return self.say(said).await.map_err(|error| Failure {
                    error,
                    answers: Some(Answers::Send(client_id)),
                });
            }
            CustomerToServer::Send {
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
            CustomerToServer::Receipt {
                conversation,
                kind,
                up_to_seq,
            } => {
                let c = self.owned(&conversation).await?;
                record_receipt(&self.state.delivery, &c, Party::Customer, kind, up_to_seq).await?;
            }
            CustomerToServer::Typing {
                conversation,
                state,
            } => {
                if let Some(route) = self.state.coordinator.route(&conversation)
                    && route.customer == self.customer.id
                    && let Some(attendant) = route.attendant
                {
                    let frame = ServerToAttendant::Typing {
                        conversation,
                        state,
                    };
                    publish(
                        &self.state.delivery,
                        BusEvent::Attendant { attendant, frame },
                    )
                    .await;
                }
            }
            CustomerToServer::Presence { state } => {
                if state != CustomerPresence::Gone {
                    self.state
                        .coordinator
                        .customer_presence(self.customer.id.clone(), state)
                        .await;
                }
            }
            CustomerToServer::LeaveEmail { email } => self.leave_email(&email).await?,
            CustomerToServer::EndChat { conversation } => {
                self.state
                    .coordinator
                    .end_chat(self.customer.id.clone(), conversation)
                    .await?;
            }
            CustomerToServer::Rate {
                conversation,
                rating,
            } => {
                rating.validate().map_err(AppError::from)?;
                let c = self.owned(&conversation).await?;
                if !matches!(
                    c.status,
                    ConversationStatus::Resolved | ConversationStatus::Expired
                ) {
                    return Err(AppError::client(
                        ErrorCode::Conflict,
                        "rate the conversation after it ended",
                    )
                    .into());
                }
                self.state
                    .store
                    .set_rating(&conversation, rating, crate::views::now_ms())
                    .await
                    .map_err(AppError::from)?;
                self.state.coordinator.rated(conversation).await;
            }
            CustomerToServer::History {
                conversation,
                before_seq,
                limit,
            } => {
                self.owned(&conversation).await?;
                let (messages, more) =
                    history_page(&self.state, &conversation, before_seq, limit).await?;
                // The newest page comes with the receipts, so a reloaded widget shows the
                // right ticks at once instead of waiting for the next receipt.
                let receipts = if before_seq.is_none() {
                    Some(
                        self.state
                            .store
                            .receipts(&conversation)
                            .await
                            .map_err(AppError::from)?,
                    )
                } else {
                    None
                };
                let frame = ServerToCustomer::History {
                    conversation,
                    messages,
                    more,
                };
                reply(&self.tx, frame).await;
                if let Some(receipts) = receipts {
                    let frame = ServerToCustomer::Receipt {
                        conversation,
                        receipts,
                    };
                    reply(&self.tx, frame).await;
                }
            }
            frame @ (CustomerToServer::CallInvite { .. }
            | CustomerToServer::CallAccept { .. }
            | CustomerToServer::CallDecline { .. }
            | CustomerToServer::CallHangup { .. }
            | CustomerToServer::CallSignal { .. }) => {
                if let Ok(call) = CallFrame::try_from(frame) {
                    let by = Caller::Customer(self.customer.id.clone());
                    calls::handle::<ServerToCustomer>(&self.state, by, &self.calls, &self.tx, call)
                        .await?;
                }
            }
            CustomerToServer::Page(page) => {
                // A page of a site allowed to open the chat, and of the one this socket
                // came from when the browser said which.
                let config = &self.state.config;
                let on_site = |origin: &str| {
                    config.origin_allowed(origin)
                        && self.site.as_deref().is_none_or(|site| site == origin)
                };
                let report = Report::parse(page, config.page_tracking, on_site)?;
                visits::record(&self.state, &self.customer.id, report, &self.agent).await?;
            }
            CustomerToServer::SetAttributes { attributes } => {
                visits::set_attributes(&self.state, &self.customer.id, &attributes).await?;
            }
            CustomerToServer::Ping { nonce } => {
                reply(&self.tx, ServerToCustomer::Pong { nonce }).await;
            }
        }
        Ok(Step::Done)
    }

    async fn committed(&mut self, sent: &Sent) -> AppResult<()> {
        if !sent.open {
            // Written into a closed conversation: it goes back to the queue.
            self.state
                .coordinator
                .customer_wrote(sent.conversation)
                .await;
        }
        Ok(())
    }
}
