//! What nodes tell each other about coordination, on the bus as [`crate::bus::BusEvent::Cluster`].
//!
//! One serialisable [`Request`] type serves both ways a request reaches the leader's actor:
//! through an in-process channel when this node leads, through the bus otherwise. So the
//! single-node server and a cluster run the very same decisions.
//!
//! The bus carries these messages as opaque JSON ([`ClusterPayload`]): this vocabulary is
//! the coordinator's, encoded and parsed only here. It names people by id, or by the few
//! fields the leader decides from ([`AttendantCard`], a customer's `CustomerView`): never a
//! stored record, so no password hash crosses the broker.

use chimpassist_protocol::{
    AttendantId, AttendantPublic, CallEndReason, CallId, CallMedia, CallSignal, ConversationId,
    ConversationView, CustomerId, CustomerPresence, CustomerView, Presence, QueueId,
    QueueObservations, Role, TransferTarget,
};
use chimpassist_store::{Attendant, Queue};
use serde::{Deserialize, Serialize};

use super::Route;
use super::calls::Caller;
use super::error::Failure;
use crate::bus::{BusEvent, ClusterPayload};

/// A server process in a cluster: random per start, so a restarted node is a new node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(String);

impl NodeId {
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string()[..12].to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The holder named by the store's lease (a node id this or another node wrote).
    pub(super) fn from_lease(holder: String) -> Self {
        Self(holder)
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An attendant as the coordinator needs them, and as they travel between nodes: never the
/// stored account (no login, no password hash, nothing about the password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendantCard {
    pub id: AttendantId,
    pub name: String,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub skill: String,
    pub queues: Vec<QueueId>,
    pub capacity: u32,
    pub disabled: bool,
}

impl From<&Attendant> for AttendantCard {
    fn from(a: &Attendant) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            avatar_url: a.avatar_url.clone(),
            role: a.role,
            skill: a.skill.clone(),
            queues: a.queues.clone(),
            capacity: a.capacity,
            disabled: a.disabled,
        }
    }
}

impl AttendantCard {
    /// What customers and colleagues see of them.
    pub fn public(&self) -> AttendantPublic {
        AttendantPublic {
            id: self.id.clone(),
            name: self.name.clone(),
            avatar_url: self.avatar_url.clone(),
        }
    }
}

/// Something a node asks of the coordinator (the leader's actor). Who asks is named by id
/// only: the leader authorises from its own current record of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    StartChat {
        /// As attendants see them: what the leader puts in conversation views.
        customer: CustomerView,
        queue: QueueId,
        subject: Option<String>,
        /// The client network it came from (the open-conversation cap counts by it).
        client: Option<std::net::IpAddr>,
    },
    EndChat {
        customer: CustomerId,
        conversation: ConversationId,
    },
    CustomerPresence {
        customer: CustomerId,
        state: CustomerPresence,
    },
    /// A customer wrote in a conversation this node saw no open route for.
    CustomerWrote {
        conversation: ConversationId,
    },
    Rated {
        conversation: ConversationId,
    },
    /// An attendant's socket opened on `entry`'s node: counts it, answers the welcome.
    AttendantConnected {
        node: NodeId,
        entry: Connections,
    },
    SetPresence {
        attendant: AttendantId,
        presence: Presence,
    },
    AttendantReplied {
        attendant: AttendantId,
        conversation: ConversationId,
    },
    NextCustomer {
        attendant: AttendantId,
        queue: Option<QueueId>,
    },
    Transfer {
        by: AttendantId,
        conversation: ConversationId,
        to: TransferTarget,
    },
    Resolve {
        by: AttendantId,
        conversation: ConversationId,
    },
    Reopen {
        by: AttendantId,
        conversation: ConversationId,
    },
    /// A bot gives the conversation it holds to people (in `queue`, else its own).
    HandOver {
        conversation: ConversationId,
        queue: Option<QueueId>,
    },
    /// An integration resolves an open conversation.
    ResolveForIntegration {
        conversation: ConversationId,
    },
    AttendantChanged {
        attendant: AttendantCard,
    },
    QueueChanged {
        queue: Queue,
    },
    /// How many sockets `node` holds now for one customer or attendant (0: none any more).
    /// Absolute, not a difference, so a repeated report changes nothing.
    Connections {
        node: NodeId,
        entry: Connections,
    },
    /// Everything `node` holds, in parts: entries of `node` missing from every part between
    /// `first` and `last` are gone. Sent to each new leader, and whenever the leader may have
    /// missed reports.
    NodeSnapshot {
        node: NodeId,
        first: bool,
        last: bool,
        entries: Vec<Connections>,
    },
    /// A follower is alive. The leader forgets the sockets of a node it stops hearing from.
    Alive {
        node: NodeId,
    },
    /// A follower may have missed replica updates: the leader publishes the whole replica.
    ReplicaWanted,
    CallInvite {
        by: Caller,
        conversation: ConversationId,
        call: CallId,
        media: CallMedia,
    },
    CallAnswer {
        by: Caller,
        call: CallId,
        accept: bool,
    },
    CallSignal {
        by: Caller,
        call: CallId,
        signal: CallSignal,
    },
    CallHangup {
        by: Caller,
        call: CallId,
        reason: CallEndReason,
    },
}

impl Request {
    /// Whether sending it again, after the leader that got it died, does no harm.
    pub(super) fn is_idempotent(&self) -> bool {
        matches!(
            self,
            Self::StartChat { .. }
                | Self::AttendantConnected { .. }
                | Self::SetPresence { .. }
                | Self::Connections { .. }
                | Self::NodeSnapshot { .. }
                | Self::Alive { .. }
                | Self::ReplicaWanted
                | Self::AttendantChanged { .. }
                | Self::QueueChanged { .. }
        )
    }
}

/// One customer's or attendant's sockets on one node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Connections {
    Customer {
        customer: CustomerView,
        count: u32,
        /// As this node last heard it: restores it on a new leader.
        presence: CustomerPresence,
    },
    /// By id: the leader reads the account itself when a socket opens.
    Attendant {
        attendant: AttendantId,
        count: u32,
        presence: Presence,
    },
}

/// The leader's answer to a request that wants one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Response {
    Done,
    Conversation {
        conversation: Box<ConversationView>,
    },
    Presence {
        presence: Presence,
    },
    Welcome {
        presence: Presence,
        conversations: Vec<ConversationView>,
    },
    Failed {
        error: Failure,
    },
    /// The addressed node does not lead (any more): ask the current leader.
    NotLeader,
}

/// A change to the read-mostly picture every node keeps of the leader's decisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case")]
pub enum ReplicaUpdate {
    /// `None`: the conversation is not open any more.
    Route {
        conversation: ConversationId,
        route: Option<Route>,
    },
    Customer {
        customer: CustomerId,
        presence: CustomerPresence,
    },
    Attendant {
        attendant: AttendantId,
        presence: Presence,
    },
    Queue {
        queue: QueueId,
        observations: QueueObservations,
        ewt_seconds: u32,
    },
}

/// A coordination message between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cluster", rename_all = "snake_case")]
pub enum ClusterMessage {
    /// To the node `to` believes leads. `id` is set when an answer is wanted.
    Request {
        from: NodeId,
        to: NodeId,
        id: Option<u64>,
        request: Box<Request>,
    },
    Reply {
        to: NodeId,
        id: u64,
        response: Response,
    },
    /// A leader's reign began (`epoch` 0) or it may have missed reports (a later epoch):
    /// every follower sends its whole [`Request::NodeSnapshot`].
    Leader { node: NodeId, term: u64, epoch: u64 },
    /// Replica updates from the leader, in order; `reset` starts a whole copy.
    Replica {
        from: NodeId,
        term: u64,
        reset: bool,
        updates: Vec<ReplicaUpdate>,
    },
}

impl ClusterMessage {
    /// As a bus event, for every node's coordinator.
    pub(crate) fn to_event(&self) -> Result<BusEvent, serde_json::Error> {
        ClusterPayload::encode(self).map(|message| BusEvent::Cluster { message })
    }

    /// Parses what another node's coordinator (or this one) published.
    pub(crate) fn parse(payload: &ClusterPayload) -> Result<Self, serde_json::Error> {
        payload.decode()
    }
}
