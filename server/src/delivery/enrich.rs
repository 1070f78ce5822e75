//! The last message and receipts of the conversations an attendant is shown, so their list
//! draws every item (preview, unread mark) without one history request per conversation.
//!
//! Read here, on the way to the attendant's connections, never by the coordinator: its actor
//! takes one decision at a time, and waiting on these reads would hold up every assignment.
//! An `assigned` frame is completed as a value, once for all of its attendant's connections
//! (the first to need it reads; the others wait for that read).

use chimpassist_protocol::{ConversationView, ServerToAttendant};
use futures_util::{StreamExt, stream};

use super::outbox::{OutboxRx, STATE_CAP, outbox};
use super::{Delivery, Frame, Outbound};
use crate::views::message_view;

/// Conversations read at once for a `welcome`: an attendant who sees 1,000 open
/// conversations waits for ~63 rounds of reads, not 1,000, and the store is not flooded.
const CONCURRENT_READS: usize = 16;
/// Frames between the relay and the writer. Small, so the hub's queue (which cuts slow
/// connections) stays the one that fills up.
const RELAY_QUEUE: usize = 8;

/// Adds the details to every view, keeping their order.
pub async fn with_details(
    delivery: &Delivery,
    views: Vec<ConversationView>,
) -> Vec<ConversationView> {
    stream::iter(views)
        .map(|view| with_detail(delivery, view))
        .buffered(CONCURRENT_READS)
        .collect()
        .await
}

/// Adds the last message and receipts to one view. They are a convenience for the list,
/// so a failed read leaves them out (logged) instead of failing the frame.
///
/// The coordinator's views carry `last_seq` as of the conversation's last state change
/// (messages do not pass through it), so it is raised to the last message's here.
async fn with_detail(delivery: &Delivery, mut view: ConversationView) -> ConversationView {
    let (last, receipts) = tokio::join!(
        delivery.store.messages_before(&view.id, None, 1),
        delivery.store.receipts(&view.id)
    );
    match last {
        Ok(messages) => {
            view.last_message = messages.first().map(|m| message_view(m, &delivery.links));
            if let Some(m) = &view.last_message {
                view.last_seq = view.last_seq.max(m.seq);
            }
        }
        Err(e) => tracing::warn!(conversation = %view.id, error = %e, "last message not read"),
    }
    match receipts {
        Ok(receipts) => view.receipts = Some(receipts),
        Err(e) => tracing::warn!(conversation = %view.id, error = %e, "receipts not read"),
    }
    view
}

/// Relays an attendant connection's frames from the hub to its writer, completing each
/// `assigned` frame on the way. Later frames wait for it, so the order is kept. Ends when
/// either side closes.
pub fn complete_assigned(delivery: Delivery, mut from_hub: OutboxRx) -> OutboxRx {
    let (tx, rx) = outbox(RELAY_QUEUE, STATE_CAP);
    tokio::spawn(async move {
        while let Some(frame) = from_hub.recv().await {
            let frame = complete(&delivery, frame).await;
            if !tx.send(frame).await {
                break;
            }
        }
    });
    rx
}

/// An `assigned` frame with its details; any other frame as it is.
async fn complete(delivery: &Delivery, frame: Outbound) -> Outbound {
    let Frame::Attendant(ServerToAttendant::Assigned { conversation }) = frame.frame() else {
        return frame;
    };
    frame
        .completed(|| async {
            let conversation = with_detail(delivery, conversation.clone()).await;
            Outbound::from(ServerToAttendant::Assigned { conversation })
        })
        .await
}
