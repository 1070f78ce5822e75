//! The message path: who may write, store, then publish; and receipts, the same way.
//!
//! Everything here is stored before it is published, so a client that misses the live frame
//! finds it in the store when it resumes.

use chimpassist_protocol::{
    AttendantId, ClientMessageId, ConversationId, CustomerId, ErrorCode, FileId, FileInfo,
    MessageText, MessageView, Party, ReceiptKind, Seq, ServerToAttendant, ServerToCustomer,
};
use chimpassist_store::{Appended, Conversation, NewMessage, Pending, StoredMessage};

use super::Delivery;
use crate::bus::BusEvent;
use crate::coordinator::Route;
use crate::error::{AppError, AppResult};
use crate::views::{message_view, now_ms};

/// The files a `send` names, each uploaded by `author` to `conversation` beforehand, in the
/// order named (a repeated id once). Only stored files can be named, so a message is never
/// acked or delivered with a link to a file that is not there. `404` for any other id (another
/// conversation's or another sender's file is not told apart from none).
pub async fn attached(
    delivery: &Delivery,
    conversation: &ConversationId,
    author: &str,
    ids: Vec<FileId>,
) -> AppResult<Vec<FileInfo>> {
    let mut files: Vec<FileInfo> = Vec::with_capacity(ids.len());
    for id in ids {
        if files.iter().any(|f| f.id == id) {
            continue;
        }
        let record = delivery
            .store
            .get_file(&id)
            .await?
            .filter(|r| r.conversation == *conversation && r.uploader_id == author)
            .ok_or_else(|| {
                AppError::client(
                    ErrorCode::NotFound,
                    format!("file {id} not found: upload it to this conversation first"),
                )
            })?;
        files.push(record.info);
    }
    Ok(files)
}

/// Who writes.
#[derive(Debug)]
pub struct Author {
    pub party: Party,
    pub id: String,
    pub name: String,
}

/// Hands `event` to the bus; a failure is logged, never returned: what it carries is stored
/// already, and clients resume from the store. For connections and API handlers only: it
/// first waits while the node's delivery is far behind ([`crate::bus::Bus::room`]), which the
/// coordinator must never do.
pub async fn publish(delivery: &Delivery, event: BusEvent) {
    delivery.bus.room().await;
    if let Err(e) = delivery.bus.publish(event).await {
        // Stored already; clients resume from the store. Not a warning per event: during a
        // broker outage that is one per message, and the bus warns of the outage itself.
        tracing::debug!(error = %e, "bus publish failed");
    }
}

/// Where a conversation's route was found: see [`find_route`].
#[derive(Debug)]
pub enum Found {
    /// The coordinator's replica, naming this writer: an open conversation.
    Replica(Route),
    /// The store's record, open or not, read once; `None` when there is no such conversation.
    Store(Option<Conversation>),
}

impl Found {
    /// The route if the conversation is open.
    pub fn open_route(self) -> Option<Route> {
        match self {
            Self::Replica(route) => Some(route),
            Self::Store(Some(c)) if c.status.is_open() => Some(Route {
                customer: c.customer_id,
                attendant: c.attendant_id,
                status: c.status,
                // The store does not know of bots (the coordinator holds them).
                bot: None,
            }),
            Self::Store(_) => None,
        }
    }
}

/// The route of a conversation: the replica's when it `fits` (names this writer), else the
/// store's, which the coordinator writes before anything else. So a replica that lags behind
/// the leader (a transfer an instant ago, a bus gap) never refuses a legitimate writer. The
/// store's record is returned whole, so a caller that needs it does not read it again.
pub async fn find_route(
    delivery: &Delivery,
    conversation: &ConversationId,
    fits: impl Fn(&Route) -> bool,
) -> AppResult<Found> {
    if let Some(route) = delivery.coordinator.route(conversation)
        && fits(&route)
    {
        return Ok(Found::Replica(route));
    }
    Ok(Found::Store(
        delivery.store.get_conversation(conversation).await?,
    ))
}

/// A message queued in the store, not yet committed: await `commit`, then
/// [`Sent::deliver`].
///
/// Why two steps: a connection keeps reading its next frames while this commits (see
/// `ws::peer`), and the store takes queued messages in the order they were submitted.
pub struct Submitted {
    /// The store's answer.
    pub commit: Pending<Appended>,
    pub sent: Sent,
}

impl std::fmt::Debug for Submitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submitted")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

/// A submitted message's address, for its delivery once committed.
#[derive(Debug)]
pub struct Sent {
    pub conversation: ConversationId,
    pub client_id: ClientMessageId,
    /// Whether the conversation was open when the message was written (a customer writing
    /// into a closed one reopens it).
    pub open: bool,
    customer: CustomerId,
    attendant: Option<AttendantId>,
}

impl Sent {
    /// `open`: see [`Sent::open`]; `attendant`: who holds the conversation, if anyone.
    pub fn new(
        conversation: ConversationId,
        client_id: ClientMessageId,
        open: bool,
        customer: &CustomerId,
        attendant: Option<&AttendantId>,
    ) -> Self {
        Self {
            conversation,
            client_id,
            open,
            customer: customer.clone(),
            attendant: attendant.cloned(),
        }
    }

    /// Queues the message in the store (idempotently). Returns at once; see [`Submitted`].
    /// `attachments` come from [`attached`].
    pub fn submit(
        self,
        delivery: &Delivery,
        author: Author,
        text: MessageText,
        attachments: Vec<FileInfo>,
    ) -> Submitted {
        let commit = delivery.store.submit_message(NewMessage {
            conversation: self.conversation,
            client_id: self.client_id,
            sender_party: author.party,
            sender_id: author.id,
            sender_name: author.name,
            text,
            timestamp: now_ms(),
            call: None,
            attachments,
        });
        Submitted { commit, sent: self }
    }

    /// Once committed: if the message is new, delivers it to the customer's and the
    /// attendant's connections. Returns the stored message; the caller acks it.
    pub async fn deliver(&self, delivery: &Delivery, appended: Appended) -> StoredMessage {
        if appended.duplicate {
            delivery.metrics.messages_duplicate.inc();
            return appended.message;
        }
        delivery.metrics.messages_stored.inc();
        let view = message_view(&appended.message, &delivery.links);
        deliver(delivery, view, &self.customer, self.attendant.as_ref()).await;
        appended.message
    }
}

async fn deliver(
    delivery: &Delivery,
    message: MessageView,
    customer: &CustomerId,
    attendant: Option<&AttendantId>,
) {
    if let Some(attendant) = attendant {
        publish(
            delivery,
            BusEvent::Attendant {
                attendant: attendant.clone(),
                frame: ServerToAttendant::Message {
                    message: message.clone(),
                },
            },
        )
        .await;
    }
    publish(
        delivery,
        BusEvent::Customer {
            customer: customer.clone(),
            frame: ServerToCustomer::Message { message },
        },
    )
    .await;
}

/// Records a receipt of `party` in `conversation` (which the caller has authorised) and
/// relays the new receipt state to the customer and the assigned attendant. A receipt may not
/// point past the newest message: a bogus high value would mark future messages read.
pub async fn record_receipt(
    delivery: &Delivery,
    conversation: &Conversation,
    party: Party,
    kind: ReceiptKind,
    up_to_seq: Seq,
) -> AppResult<()> {
    if up_to_seq > conversation.last_seq {
        return Err(AppError::invalid("up_to_seq is beyond the newest message"));
    }
    let receipts = delivery
        .store
        .record_receipt(&conversation.id, party, kind, up_to_seq)
        .await?;
    if let Some(attendant) = &conversation.attendant_id {
        let frame = ServerToAttendant::Receipt {
            conversation: conversation.id,
            receipts: receipts.clone(),
        };
        let attendant = attendant.clone();
        publish(delivery, BusEvent::Attendant { attendant, frame }).await;
    }
    let frame = ServerToCustomer::Receipt {
        conversation: conversation.id,
        receipts,
    };
    let customer = conversation.customer_id.clone();
    publish(delivery, BusEvent::Customer { customer, frame }).await;
    Ok(())
}
