//! The session coordinator: queues, assignment, presence, conversation lifecycle.
//!
//! One actor task owns the state and handles one command at a time, so no two decisions
//! race on this node: a conversation is never given to two attendants, and an attendant is
//! never given more than their capacity. Every decision is first written to the store with a
//! compare-and-set transition (which also checks capacity atomically), so the store stays the
//! authority — the in-memory model is rebuilt from it at start.
//!
//! The hot path (messages, receipts, typing) does not go through the actor: connections check
//! membership against [`Routes`], a read-mostly map the actor keeps up to date.

mod actor;
mod lifecycle;
mod model;
mod ops;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, ConversationView, CustomerId,
    CustomerPresence, ErrorCode, Presence, QueueId, QueueObservations, TransferTarget,
};
use chimpassist_store::{Attendant, Customer, Queue, Store};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::error::{AppError, AppResult};

/// Who may write in an open conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub customer: CustomerId,
    pub attendant: Option<AttendantId>,
    pub status: ConversationStatus,
}

/// Open conversations → their participants. Written only by the actor.
pub type Routes = Arc<RwLock<HashMap<ConversationId, Route>>>;

/// Queue numbers as last computed, with the EWT of a newcomer.
pub type Observations = Arc<RwLock<HashMap<QueueId, (QueueObservations, u32)>>>;

/// Presence as the actor last set it, for readers that must not queue behind its decisions
/// (REST lists, the attendant directory). Only those not `gone` / `offline` are listed.
#[derive(Debug, Default)]
pub struct PresenceBoard {
    customers: HashMap<CustomerId, CustomerPresence>,
    attendants: HashMap<AttendantId, Presence>,
}

/// Written only by the actor.
pub type Presences = Arc<RwLock<PresenceBoard>>;

type Reply<T> = oneshot::Sender<AppResult<T>>;

/// Timing settings of the coordinator.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub session_keep_alive: Duration,
    pub attendant_keep_alive: Duration,
}

#[derive(Debug)]
pub(crate) enum Command {
    StartChat {
        customer: Customer,
        queue: QueueId,
        subject: Option<String>,
        reply: Reply<ConversationView>,
    },
    EndChat {
        customer: CustomerId,
        conversation: ConversationId,
        reply: Reply<()>,
    },
    CustomerConnected {
        customer: Customer,
    },
    CustomerDisconnected {
        customer: CustomerId,
    },
    CustomerPresence {
        customer: CustomerId,
        state: CustomerPresence,
    },
    CustomerWrote {
        conversation: ConversationId,
    },
    Rated {
        conversation: ConversationId,
    },
    AttendantConnected {
        attendant: Attendant,
        reply: Reply<(Presence, Vec<ConversationView>)>,
    },
    AttendantDisconnected {
        attendant: AttendantId,
    },
    AttendantSeen {
        attendant: AttendantId,
    },
    SetPresence {
        attendant: AttendantId,
        presence: Presence,
        reply: Reply<Presence>,
    },
    AttendantReplied {
        attendant: AttendantId,
        conversation: ConversationId,
    },
    NextCustomer {
        attendant: AttendantId,
        queue: Option<QueueId>,
        reply: Reply<ConversationView>,
    },
    Transfer {
        by: Attendant,
        conversation: ConversationId,
        to: TransferTarget,
        reply: Reply<()>,
    },
    Resolve {
        by: Attendant,
        conversation: ConversationId,
        reply: Reply<()>,
    },
    Reopen {
        by: Attendant,
        conversation: ConversationId,
        reply: Reply<()>,
    },
    AttendantChanged {
        attendant: Attendant,
    },
    QueueChanged {
        queue: Queue,
    },
}

/// Cheap, cloneable handle to the coordinator actor.
#[derive(Clone, Debug)]
pub struct Coordinator {
    tx: mpsc::Sender<Command>,
    routes: Routes,
    observations: Observations,
    presences: Presences,
}

impl Coordinator {
    /// Rebuilds the state from the store and starts the actor; it stops when `stop` fires.
    pub async fn start(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        timing: Timing,
        stop: CancellationToken,
    ) -> AppResult<(Self, JoinHandle<()>)> {
        let routes = Routes::default();
        let observations = Observations::default();
        let presences = Presences::default();
        let (tx, rx) = mpsc::channel(4096);
        let actor = actor::Actor::load(
            store,
            bus,
            timing,
            Arc::clone(&routes),
            Arc::clone(&observations),
            Arc::clone(&presences),
        )
        .await?;
        let task = tokio::spawn(actor.run(rx, stop));
        Ok((
            Self {
                tx,
                routes,
                observations,
                presences,
            },
            task,
        ))
    }

    /// A customer's presence now (`gone` when none of their connections is open).
    pub fn presence_of_customer(&self, customer: &CustomerId) -> CustomerPresence {
        self.presences
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .customers
            .get(customer)
            .copied()
            .unwrap_or_default()
    }

    /// An attendant's presence now (`offline` once their keep-alive lapsed).
    pub fn presence_of_attendant(&self, attendant: &AttendantId) -> Presence {
        self.presences
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .attendants
            .get(attendant)
            .copied()
            .unwrap_or(Presence::Offline)
    }

    pub fn route(&self, conversation: &ConversationId) -> Option<Route> {
        self.routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(conversation)
            .cloned()
    }

    pub fn observations(&self, queue: &QueueId) -> Option<(QueueObservations, u32)> {
        self.observations
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(queue)
            .cloned()
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> AppResult<T> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(make(reply)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Fire-and-forget notices (connection events); lost only when the server is stopping.
    async fn tell(&self, command: Command) {
        let _ = self.tx.send(command).await;
    }

    pub async fn start_chat(
        &self,
        customer: Customer,
        queue: QueueId,
        subject: Option<String>,
    ) -> AppResult<ConversationView> {
        self.call(|reply| Command::StartChat {
            customer,
            queue,
            subject,
            reply,
        })
        .await
    }

    pub async fn end_chat(
        &self,
        customer: CustomerId,
        conversation: ConversationId,
    ) -> AppResult<()> {
        self.call(|reply| Command::EndChat {
            customer,
            conversation,
            reply,
        })
        .await
    }

    pub async fn customer_connected(&self, customer: Customer) {
        self.tell(Command::CustomerConnected { customer }).await;
    }

    pub async fn customer_disconnected(&self, customer: CustomerId) {
        self.tell(Command::CustomerDisconnected { customer }).await;
    }

    pub async fn customer_presence(&self, customer: CustomerId, state: CustomerPresence) {
        self.tell(Command::CustomerPresence { customer, state })
            .await;
    }

    pub async fn customer_wrote(&self, conversation: ConversationId) {
        self.tell(Command::CustomerWrote { conversation }).await;
    }

    pub async fn rated(&self, conversation: ConversationId) {
        self.tell(Command::Rated { conversation }).await;
    }

    pub async fn attendant_connected(
        &self,
        attendant: Attendant,
    ) -> AppResult<(Presence, Vec<ConversationView>)> {
        self.call(|reply| Command::AttendantConnected { attendant, reply })
            .await
    }

    pub async fn attendant_disconnected(&self, attendant: AttendantId) {
        self.tell(Command::AttendantDisconnected { attendant })
            .await;
    }

    pub async fn attendant_seen(&self, attendant: AttendantId) {
        self.tell(Command::AttendantSeen { attendant }).await;
    }

    pub async fn set_presence(
        &self,
        attendant: AttendantId,
        presence: Presence,
    ) -> AppResult<Presence> {
        self.call(|reply| Command::SetPresence {
            attendant,
            presence,
            reply,
        })
        .await
    }

    pub async fn attendant_replied(&self, attendant: AttendantId, conversation: ConversationId) {
        self.tell(Command::AttendantReplied {
            attendant,
            conversation,
        })
        .await;
    }

    pub async fn next_customer(
        &self,
        attendant: AttendantId,
        queue: Option<QueueId>,
    ) -> AppResult<ConversationView> {
        self.call(|reply| Command::NextCustomer {
            attendant,
            queue,
            reply,
        })
        .await
    }

    pub async fn transfer(
        &self,
        by: Attendant,
        conversation: ConversationId,
        to: TransferTarget,
    ) -> AppResult<()> {
        self.call(|reply| Command::Transfer {
            by,
            conversation,
            to,
            reply,
        })
        .await
    }

    pub async fn resolve(&self, by: Attendant, conversation: ConversationId) -> AppResult<()> {
        self.call(|reply| Command::Resolve {
            by,
            conversation,
            reply,
        })
        .await
    }

    pub async fn reopen(&self, by: Attendant, conversation: ConversationId) -> AppResult<()> {
        self.call(|reply| Command::Reopen {
            by,
            conversation,
            reply,
        })
        .await
    }

    pub async fn attendant_changed(&self, attendant: Attendant) {
        self.tell(Command::AttendantChanged { attendant }).await;
    }

    pub async fn queue_changed(&self, queue: Queue) {
        self.tell(Command::QueueChanged { queue }).await;
    }
}

fn stopped() -> AppError {
    AppError::client(ErrorCode::Unavailable, "the server is shutting down")
}
