//! The durable message path and resume, shared by both sides.

use std::collections::HashMap;

use chimpassist_protocol::{
    AttendantId, ClientMessageId, ConversationId, CustomerId, MessageText, MessageView, Party,
    ResumePoint, Seq, ServerToAttendant, ServerToCustomer,
};
use chimpassist_store::{NewMessage, StoredMessage};

use super::connection::{MAX_REPLAY, WsSink, send_text};
use crate::bus::BusEvent;
use crate::coordinator::Route;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::{message_view, now_ms};

/// Who writes.
pub(super) struct Author {
    pub party: Party,
    pub id: String,
    pub name: String,
}

/// Stores a message (idempotently) and, if it is new, delivers it to the customer's and the
/// attendant's connections. Returns the stored message; the caller acks it.
pub(super) async fn append_and_deliver(
    state: &AppState,
    conversation: ConversationId,
    client_id: ClientMessageId,
    author: Author,
    text: MessageText,
    customer: &CustomerId,
    attendant: Option<&AttendantId>,
) -> AppResult<(StoredMessage, bool)> {
    let appended = state
        .store
        .append_message(NewMessage {
            conversation,
            client_id,
            sender_party: author.party,
            sender_id: author.id,
            sender_name: author.name,
            text,
            timestamp: now_ms(),
        })
        .await?;
    if appended.duplicate {
        state.metrics.messages_duplicate.inc();
        return Ok((appended.message, true));
    }
    state.metrics.messages_stored.inc();
    let view = message_view(&appended.message);
    deliver(state, view, customer, attendant).await;
    Ok((appended.message, false))
}

async fn deliver(
    state: &AppState,
    message: MessageView,
    customer: &CustomerId,
    attendant: Option<&AttendantId>,
) {
    if let Some(attendant) = attendant {
        publish(
            state,
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
        state,
        BusEvent::Customer {
            customer: customer.clone(),
            frame: ServerToCustomer::Message { message },
        },
    )
    .await;
}

/// The route of an open conversation: the replica's when it `fits` (names this writer),
/// else the store's, which the coordinator writes before anything else. So a replica that
/// lags behind the leader (a transfer an instant ago, a bus gap) never refuses a legitimate
/// writer; `None` when the conversation is not open.
pub(super) async fn open_route(
    state: &AppState,
    conversation: &ConversationId,
    fits: impl Fn(&Route) -> bool,
) -> AppResult<Option<Route>> {
    if let Some(route) = state.coordinator.route(conversation)
        && fits(&route)
    {
        return Ok(Some(route));
    }
    Ok(state
        .store
        .get_conversation(conversation)
        .await?
        .filter(|c| c.status.is_open())
        .map(|c| Route {
            customer: c.customer_id,
            attendant: c.attendant_id,
            status: c.status,
        }))
}

/// Hands `event` to the bus; a failure is logged, never returned: what it carries is stored
/// already, and clients resume from the store.
pub(crate) async fn publish(state: &AppState, event: BusEvent) {
    if let Err(e) = state.bus.publish(event).await {
        // Stored already; clients resume from the store. Not a warning per event: during a
        // broker outage that is one per message, and the bus warns of the outage itself.
        tracing::debug!(error = %e, "bus publish failed");
    }
}

/// Records a receipt of `party` in `conversation` (which the caller has authorised) and
/// relays the new receipt state to the customer and the assigned attendant. A receipt may not
/// point past the newest message: a bogus high value would mark future messages read.
pub(crate) async fn record_receipt(
    state: &AppState,
    conversation: &chimpassist_store::Conversation,
    party: Party,
    kind: chimpassist_protocol::ReceiptKind,
    up_to_seq: Seq,
) -> AppResult<()> {
    if up_to_seq > conversation.last_seq {
        return Err(crate::error::AppError::invalid(
            "up_to_seq is beyond the newest message",
        ));
    }
    let receipts = state
        .store
        .record_receipt(&conversation.id, party, kind, up_to_seq)
        .await?;
    if let Some(attendant) = &conversation.attendant_id {
        let frame = ServerToAttendant::Receipt {
            conversation: conversation.id,
            receipts: receipts.clone(),
        };
        let attendant = attendant.clone();
        publish(state, BusEvent::Attendant { attendant, frame }).await;
    }
    let frame = ServerToCustomer::Receipt {
        conversation: conversation.id,
        receipts,
    };
    let customer = conversation.customer_id.clone();
    publish(state, BusEvent::Customer { customer, frame }).await;
    Ok(())
}

/// What a resume yields for one conversation.
pub(super) enum Replay {
    Messages(Vec<StoredMessage>),
    TooFarBehind(Seq),
}

/// Reads what a client missed in one conversation.
pub(super) async fn missed(state: &AppState, point: &ResumePoint) -> AppResult<Replay> {
    let latest = state
        .store
        .get_conversation(&point.conversation)
        .await?
        .map_or(0, |c| c.last_seq);
    if latest.saturating_sub(point.last_seq) > MAX_REPLAY {
        return Ok(Replay::TooFarBehind(latest));
    }
    let messages = state
        .store
        .messages_after(&point.conversation, point.last_seq, MAX_REPLAY)
        .await?;
    Ok(Replay::Messages(messages))
}

/// Sends replays straight to the socket (before the writer starts) and returns the highest
/// seq sent per conversation, so the writer can drop live duplicates.
pub(super) async fn replay<F, R>(
    state: &AppState,
    sink: &mut WsSink,
    points: &[ResumePoint],
    message_frame: F,
    resync_frame: R,
) -> AppResult<HashMap<ConversationId, Seq>>
where
    F: Fn(MessageView) -> String,
    R: Fn(ConversationId, Seq) -> String,
{
    let mut replayed = HashMap::new();
    for point in points {
        match missed(state, point).await? {
            Replay::Messages(messages) => {
                let mut last = point.last_seq;
                for m in &messages {
                    if !send_text(sink, message_frame(message_view(m))).await {
                        break;
                    }
                    last = m.seq;
                }
                replayed.insert(point.conversation, last);
            }
            Replay::TooFarBehind(latest) => {
                send_text(sink, resync_frame(point.conversation, latest)).await;
                replayed.insert(point.conversation, latest);
            }
        }
    }
    Ok(replayed)
}

/// Clamp for history page sizes.
pub(super) fn page_limit(limit: Option<u32>) -> u64 {
    u64::from(limit.unwrap_or(50).clamp(1, 100))
}

/// Fetches one page (newest first) plus whether older messages exist.
pub(super) async fn history_page(
    state: &AppState,
    conversation: &ConversationId,
    before: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<(Vec<MessageView>, bool)> {
    let limit = page_limit(limit);
    let mut page = state
        .store
        .messages_before(conversation, before, limit + 1)
        .await?;
    let more = page.len() as u64 > limit;
    page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((page.iter().map(message_view).collect(), more))
}
