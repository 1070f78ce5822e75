//! The session coordinator: queues, assignment, presence, conversation lifecycle.
//!
//! One actor task owns the state and handles one request at a time, so no two decisions
//! race: a conversation is never given to two attendants, and an attendant is never given
//! more than their capacity. Every decision is written to the store with a compare-and-set
//! transition (which also checks capacity atomically) before anyone hears of it, so the store
//! stays the authority — the in-memory model is rebuilt from it whenever a node starts
//! leading. The requests that arrive together share one write ([`round`]).
//!
//! In a cluster one node leads (see [`cluster`]): the others hand it their requests over the
//! bus and keep a replica of its decisions ([`Replica`]). The hot path (messages, receipts,
//! typing) never goes through the actor: connections check membership against the replica.

mod actor;
mod announce;
mod bots;
mod call_ops;
mod calls;
mod cluster;
mod error;
mod lifecycle;
mod model;
mod nodes;
mod ops;
mod replica;
mod requests;
mod round;
mod sockets;
pub mod wire;
#[cfg(test)]
mod wire_tests;

use std::sync::Arc;
use std::time::Duration;

use chimpassist_protocol::{
    AttendantId, CallEndReason, CallId, CallMedia, CallSignal, ConversationId, ConversationStatus,
    ConversationView, CustomerId, CustomerPresence, Presence, QueueId, QueueObservations,
    TransferTarget,
};
use chimpassist_store::{Attendant, Customer, Queue, Store};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use calls::Caller;
pub use cluster::{LeaderRef, Mode};
pub use error::{CoordError, CoordResult, Failure};
pub use replica::Replica;
pub use wire::{AttendantCard, ClusterMessage, NodeId};

use crate::bus::{Bus, ClusterPayload};
use cluster::Shared;
use wire::{Request, Response};

/// Who may write in an open conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub customer: CustomerId,
    pub attendant: Option<AttendantId>,
    pub status: ConversationStatus,
    /// The bot holding it, by name (see `bots`): every node's views show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
}

/// Timing settings of the coordinator.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub session_keep_alive: Duration,
    pub attendant_keep_alive: Duration,
    /// How long a call rings unanswered before it is missed.
    pub call_ring: Duration,
}

/// What the coordinator allows anonymous visitors.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Open conversations (queued or ongoing) started from one client network at once.
    /// Counted by the leader from the addresses chat requests come with; conversations it
    /// loaded from the store (after a restart or a change of leader) count for nobody.
    pub open_conversations_per_ip: u32,
}

/// Cheap, cloneable handle to the coordinator, wherever it runs.
#[derive(Clone, Debug)]
pub struct Coordinator {
    shared: Arc<Shared>,
}

impl Coordinator {
    /// Starts coordinating until `stop` fires. A single node (`Mode::Solo`) rebuilds the
    /// actor from the store first, so a store that cannot be read fails the start; in a
    /// cluster the node joins the election in the background. The task ends after `stop`,
    /// once the lease (if held) is given up.
    pub async fn start(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        timing: Timing,
        mode: Mode,
        limits: Limits,
        stop: CancellationToken,
    ) -> CoordResult<(Self, JoinHandle<()>)> {
        let shared = Shared::new(store, bus, timing, mode, limits);
        let task = match mode {
            Mode::Solo => shared.lead_alone(&stop).await?,
            Mode::Cluster { .. } => tokio::spawn(Arc::clone(&shared).elect(stop)),
        };
        Ok((Self { shared }, task))
    }

    /// This node's id.
    pub fn node(&self) -> &NodeId {
        &self.shared.me
    }

    /// Who leads, as far as this node knows.
    pub fn leader(&self) -> Option<LeaderRef> {
        self.shared.leader()
    }

    /// Whether this node runs the coordinator now.
    pub fn is_leader(&self) -> bool {
        self.shared.is_leader()
    }

    /// A customer's presence now (`gone` when none of their connections is open).
    pub fn presence_of_customer(&self, customer: &CustomerId) -> CustomerPresence {
        self.shared.replica.customer(customer)
    }

    /// An attendant's presence now (`offline` once their keep-alive lapsed).
    pub fn presence_of_attendant(&self, attendant: &AttendantId) -> Presence {
        self.shared.replica.attendant(attendant)
    }

    /// The route of an open conversation as the replica knows it; may lag behind the
    /// leader (check a miss against the store).
    pub fn route(&self, conversation: &ConversationId) -> Option<Route> {
        self.shared.replica.route(conversation)
    }

    /// The attendant holding the customer's open conversation, as this node's replica knows.
    pub fn holder_of_customer(&self, customer: &CustomerId) -> Option<AttendantId> {
        self.shared.replica.holder_of_customer(customer)
    }

    pub fn observations(&self, queue: &QueueId) -> Option<(QueueObservations, u32)> {
        self.shared.replica.observations(queue)
    }

    /// Handles a coordination message from the bus. One that does not parse (a node of
    /// another version?) is dropped and handled as a gap: the coordinator may have missed
    /// something, so it repairs its picture of the other nodes.
    pub async fn on_message(&self, message: &ClusterPayload) {
        match ClusterMessage::parse(message) {
            Ok(message) => self.shared.on_message(&message).await,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable coordination message; handled as a gap");
                self.shared.on_gap().await;
            }
        }
    }

    /// This node's bus had a gap.
    pub async fn on_gap(&self) {
        self.shared.on_gap().await;
    }

    async fn call(&self, request: Request) -> CoordResult<Response> {
        into_result(self.shared.call(request).await)
    }

    async fn call_done(&self, request: Request) -> CoordResult<()> {
        self.call(request).await.map(|_| ())
    }

    async fn call_view(&self, request: Request) -> CoordResult<ConversationView> {
        match self.call(request).await? {
            Response::Conversation { conversation } => Ok(*conversation),
            other => Err(unexpected(&other)),
        }
    }

    async fn tell(&self, request: Request) {
        self.shared.tell(request).await;
    }

    /// `client`: the network the request came from, for the open-conversation cap.
    pub async fn start_chat(
        &self,
        customer: Customer,
        queue: QueueId,
        subject: Option<String>,
        client: Option<std::net::IpAddr>,
    ) -> CoordResult<ConversationView> {
        self.call_view(Request::StartChat {
            customer: crate::views::customer_view(&customer),
            queue,
            subject,
            client,
        })
        .await
    }

    pub async fn end_chat(
        &self,
        customer: CustomerId,
        conversation: ConversationId,
    ) -> CoordResult<()> {
        self.call_done(Request::EndChat {
            customer,
            conversation,
        })
        .await
    }

    pub async fn customer_connected(&self, customer: Customer) {
        self.shared
            .customer_connected(crate::views::customer_view(&customer))
            .await;
    }

    pub async fn customer_disconnected(&self, customer: CustomerId) {
        self.shared.customer_disconnected(&customer).await;
    }

    pub async fn customer_presence(&self, customer: CustomerId, state: CustomerPresence) {
        self.tell(Request::CustomerPresence { customer, state })
            .await;
    }

    pub async fn customer_wrote(&self, conversation: ConversationId) {
        self.tell(Request::CustomerWrote { conversation }).await;
    }

    pub async fn rated(&self, conversation: ConversationId) {
        self.tell(Request::Rated { conversation }).await;
    }

    /// Counts the socket and answers the welcome: the attendant's presence and the open
    /// conversations they may see (their queues' and their own; admins all).
    pub async fn attendant_connected(
        &self,
        attendant: &Attendant,
    ) -> CoordResult<(Presence, Vec<ConversationView>)> {
        match into_result(self.shared.attendant_connected(&attendant.id).await)? {
            Response::Welcome {
                presence,
                conversations,
            } => Ok((presence, conversations)),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn attendant_disconnected(&self, attendant: AttendantId) {
        self.shared.attendant_disconnected(&attendant).await;
    }

    pub async fn set_presence(
        &self,
        attendant: AttendantId,
        presence: Presence,
    ) -> CoordResult<Presence> {
        match self
            .call(Request::SetPresence {
                attendant,
                presence,
            })
            .await?
        {
            Response::Presence { presence } => Ok(presence),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn attendant_replied(&self, attendant: AttendantId, conversation: ConversationId) {
        // Only the first reply changes anything (`assigned` → `active`).
        if self
            .route(&conversation)
            .is_some_and(|r| r.status != ConversationStatus::Assigned)
        {
            return;
        }
        self.tell(Request::AttendantReplied {
            attendant,
            conversation,
        })
        .await;
    }

    pub async fn next_customer(
        &self,
        attendant: AttendantId,
        queue: Option<QueueId>,
    ) -> CoordResult<ConversationView> {
        self.call_view(Request::NextCustomer { attendant, queue })
            .await
    }

    /// `by` as the coordinator's current record has them: an admin may transfer any open
    /// conversation, others only theirs; a disabled account nothing.
    pub async fn transfer(
        &self,
        by: AttendantId,
        conversation: ConversationId,
        to: TransferTarget,
    ) -> CoordResult<()> {
        self.call_done(Request::Transfer {
            by,
            conversation,
            to,
        })
        .await
    }

    pub async fn resolve(&self, by: AttendantId, conversation: ConversationId) -> CoordResult<()> {
        self.call_done(Request::Resolve { by, conversation }).await
    }

    /// A bot hands the conversation it holds over to people, in `queue` or its own; a
    /// conflict when no bot holds it (people have it already, or it is closed).
    pub async fn hand_over(
        &self,
        conversation: ConversationId,
        queue: Option<QueueId>,
    ) -> CoordResult<()> {
        self.call_done(Request::HandOver {
            conversation,
            queue,
        })
        .await
    }

    /// An integration (an API token's holder) resolves an open conversation, whoever holds
    /// it; the scope was checked by the caller.
    pub async fn resolve_for_integration(&self, conversation: ConversationId) -> CoordResult<()> {
        self.call_done(Request::ResolveForIntegration { conversation })
            .await
    }

    /// Takes a closed conversation back, assigned to `by`: only one they may see (see
    /// [`chimpassist_store::Visibility`]), never by a disabled account.
    pub async fn reopen(&self, by: AttendantId, conversation: ConversationId) -> CoordResult<()> {
        self.call_done(Request::Reopen { by, conversation }).await
    }

    /// The account changed (or was created): the coordinator decides from the new record
    /// from now on.
    pub async fn attendant_changed(&self, attendant: Attendant) {
        self.tell(Request::AttendantChanged {
            attendant: AttendantCard::from(&attendant),
        })
        .await;
    }

    pub async fn queue_changed(&self, queue: Queue) {
        self.tell(Request::QueueChanged { queue }).await;
    }

    /// `by` starts a call in a conversation they are in (the holder, or its customer when
    /// the queue lets customers call).
    pub async fn call_invite(
        &self,
        by: Caller,
        conversation: ConversationId,
        call: CallId,
        media: CallMedia,
    ) -> CoordResult<()> {
        self.call_done(Request::CallInvite {
            by,
            conversation,
            call,
            media,
        })
        .await
    }

    /// The invited side accepts or declines.
    pub async fn call_answer(&self, by: Caller, call: CallId, accept: bool) -> CoordResult<()> {
        self.call_done(Request::CallAnswer { by, call, accept })
            .await
    }

    /// A browser's offer, answer or candidate, for the other side of an accepted call.
    pub async fn call_signal(
        &self,
        by: Caller,
        call: CallId,
        signal: CallSignal,
    ) -> CoordResult<()> {
        self.call_done(Request::CallSignal { by, call, signal })
            .await
    }

    /// `by` ends a call they are in.
    pub async fn call_hangup(
        &self,
        by: Caller,
        call: CallId,
        reason: CallEndReason,
    ) -> CoordResult<()> {
        self.call_done(Request::CallHangup { by, call, reason })
            .await
    }
}

/// The leader's answer as the caller's result.
fn into_result(response: Response) -> CoordResult<Response> {
    match response {
        Response::Failed { error } => Err(error.into()),
        Response::NotLeader => Err(unexpected(&response)),
        other => Ok(other),
    }
}

fn unexpected(response: &Response) -> CoordError {
    CoordError::Internal(format!(
        "the coordinator answered {response:?} to a request that does not take it"
    ))
}
