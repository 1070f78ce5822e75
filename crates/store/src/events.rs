//! Which write records which webhook event, and what it says: defined once, here, and
//! applied by every backend inside the write itself (see [`crate::webhooks`]).
//!
//! | write | event |
//! |---|---|
//! | `create_conversation` | `conversation.created` |
//! | `transition` queued → assigned/active | `conversation.assigned` |
//! | `transition` changing the attendant or the queue of an open one | `conversation.transferred` |
//! | `transition` → resolved | `conversation.resolved` |
//! | `transition` → expired/abandoned | `conversation.ended` |
//! | `transition` of an ended one back to open | `conversation.reopened` |
//! | `append_message` (new, not a resend) | `message.created`, or `call.ended` for a call's record |
//! | `set_rating` | `csat.submitted` |
//! | `create_callback` | `callback.requested` |
//! | `erase_customer` | `contact.erased` |
//! | `update_customer_attributes` (when something changed) | `contact.updated` |

use chimpassist_protocol::webhook::{
    CallEventData, CallbackEventData, ContactErasedData, ContactUpdatedData, ConversationEventData,
    CsatEventData, MessageEventData, WebhookConversation, WebhookEvent, WebhookEventType,
    WebhookSender,
};
use chimpassist_protocol::{ConversationStatus, Rating, TimestampMs, WebhookEventId};

use crate::{Callback, Conversation, Customer, RecordedEvent, StoredMessage};

fn record(event: WebhookEvent, at: TimestampMs) -> RecordedEvent {
    RecordedEvent {
        id: WebhookEventId::new(),
        kind: event.kind(),
        at,
        data: event.data_json(),
    }
}

fn view(conv: &Conversation) -> WebhookConversation {
    WebhookConversation {
        id: conv.id,
        customer_id: conv.customer_id.clone(),
        queue_id: conv.queue_id.clone(),
        status: conv.status,
        attendant_id: conv.attendant_id.clone(),
        requested_at: conv.requested_at,
        subject: conv.subject.clone(),
    }
}

/// `conversation.created`.
pub fn created(conv: &Conversation) -> RecordedEvent {
    record(
        WebhookEvent::ConversationCreated(ConversationEventData {
            conversation: view(conv),
            previous_attendant_id: None,
            previous_queue_id: None,
        }),
        conv.requested_at,
    )
}

/// The event of a transition from `before` to `after` at `at`, if it makes one (an
/// attendant accepting an assigned conversation — assigned → active — does not).
pub fn transitioned(
    before: &Conversation,
    after: &Conversation,
    at: TimestampMs,
) -> Option<RecordedEvent> {
    let moved = before.attendant_id != after.attendant_id || before.queue_id != after.queue_id;
    let data = ConversationEventData {
        conversation: view(after),
        previous_attendant_id: None,
        previous_queue_id: None,
    };
    let event = if !before.status.is_open() {
        if !after.status.is_open() {
            return None;
        }
        WebhookEvent::ConversationReopened(data)
    } else {
        match after.status {
            ConversationStatus::Resolved => WebhookEvent::ConversationResolved(data),
            ConversationStatus::Expired | ConversationStatus::Abandoned => {
                WebhookEvent::ConversationEnded(data)
            }
            ConversationStatus::Assigned | ConversationStatus::Active
                if before.status == ConversationStatus::Queued && !moved_queue(before, after) =>
            {
                WebhookEvent::ConversationAssigned(data)
            }
            _ if moved => WebhookEvent::ConversationTransferred(ConversationEventData {
                previous_attendant_id: before.attendant_id.clone(),
                previous_queue_id: moved_queue(before, after).then(|| before.queue_id.clone()),
                ..data
            }),
            _ => return None,
        }
    };
    Some(record(event, at))
}

fn moved_queue(before: &Conversation, after: &Conversation) -> bool {
    before.queue_id != after.queue_id
}

/// The type of [`message`]'s event.
pub fn message_kind(msg: &StoredMessage) -> WebhookEventType {
    match msg.call {
        Some(_) => WebhookEventType::CallEnded,
        None => WebhookEventType::MessageCreated,
    }
}

/// `message.created`, or `call.ended` for the message that records a call.
pub fn message(msg: &StoredMessage) -> RecordedEvent {
    let fitted = fit(msg.text.as_str(), MAX_TEXT_JSON_BYTES);
    let event = match &msg.call {
        Some(call) => WebhookEvent::CallEnded(CallEventData {
            conversation_id: msg.conversation,
            seq: msg.seq,
            call: call.clone(),
        }),
        None => WebhookEvent::MessageCreated(MessageEventData {
            conversation_id: msg.conversation,
            seq: msg.seq,
            sender: WebhookSender {
                party: msg.sender_party,
                id: msg.sender_id.clone(),
                name: msg.sender_name.clone(),
            },
            text: fitted.0,
            text_truncated: fitted.1,
            timestamp: msg.timestamp,
            attachments: msg.attachments.clone(),
        }),
    };
    record(event, msg.timestamp)
}

/// Most bytes a message's text may take in an event's JSON, escapes included: with the rest
/// of a `message.created` (ids, names, up to ten attachments' metadata) the body stays
/// under Standard Webhooks' recommended 20 KB whatever the server's text limit.
pub const MAX_TEXT_JSON_BYTES: usize = 12_000;

/// `text` cut at a character boundary so that it takes at most `budget` bytes as a JSON
/// string, and whether it was cut.
fn fit(text: &str, budget: usize) -> (String, bool) {
    let mut used = 2; // the quotes
    for (at, c) in text.char_indices() {
        used += match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        };
        if used > budget {
            return (text[..at].to_owned(), true);
        }
    }
    (text.to_owned(), false)
}

/// `csat.submitted`: `conv` as it was rated.
pub fn rated(conv: &Conversation, rating: &Rating, at: TimestampMs) -> RecordedEvent {
    record(
        WebhookEvent::CsatSubmitted(CsatEventData {
            conversation_id: conv.id,
            customer_id: conv.customer_id.clone(),
            attendant_id: conv.attendant_id.clone(),
            score: rating.score,
            comment: rating.comment.clone(),
        }),
        at,
    )
}

/// `callback.requested`.
pub fn callback(cb: &Callback) -> RecordedEvent {
    record(
        WebhookEvent::CallbackRequested(CallbackEventData {
            id: cb.id,
            queue_id: cb.queue_id.clone(),
            customer_id: cb.customer_id.clone(),
            name: cb.name.clone(),
            phone: cb.phone.clone(),
            email: cb.email.clone(),
            preferred_time: cb.preferred_time.clone(),
            note: cb.note.clone(),
            created_at: cb.created_at,
        }),
        cb.created_at,
    )
}

/// `contact.erased`.
pub fn contact_erased(customer: &Customer, at: TimestampMs) -> RecordedEvent {
    record(
        WebhookEvent::ContactErased(ContactErasedData {
            customer_id: customer.id.clone(),
            site_id: customer.external_id.clone(),
            erased_at: at,
        }),
        at,
    )
}

/// `contact.updated`.
pub fn contact_updated(
    customer: &chimpassist_protocol::CustomerId,
    site_id: Option<String>,
    attributes: &chimpassist_protocol::Attributes,
    at: TimestampMs,
) -> RecordedEvent {
    record(
        WebhookEvent::ContactUpdated(ContactUpdatedData {
            customer_id: customer.clone(),
            site_id,
            attributes: attributes.clone(),
            updated_at: at,
        }),
        at,
    )
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::webhook::WebhookEventType as T;
    use chimpassist_protocol::{AttendantId, ConversationId, CustomerId, QueueId};

    use super::*;

    fn conv(status: ConversationStatus, attendant: Option<&str>, queue: &str) -> Conversation {
        Conversation {
            id: ConversationId::new(),
            customer_id: CustomerId::parse("c1").unwrap(),
            queue_id: QueueId::parse(queue).unwrap(),
            status,
            attendant_id: attendant.map(|a| AttendantId::parse(a).unwrap()),
            requested_at: 1,
            assigned_at: None,
            ended_at: None,
            last_seq: 0,
            rating: None,
            subject: None,
        }
    }

    fn kind(before: &Conversation, after: &Conversation) -> Option<T> {
        transitioned(before, after, 5).map(|e| e.kind)
    }

    #[test]
    fn each_transition_makes_the_event_a_receiver_expects() {
        use ConversationStatus::*;
        let queued = conv(Queued, None, "q");
        let with_ann = conv(Assigned, Some("ann"), "q");
        let active_ann = conv(Active, Some("ann"), "q");
        let with_bob = conv(Assigned, Some("bob"), "q");
        let other_queue = conv(Queued, None, "billing");
        assert_eq!(kind(&queued, &with_ann), Some(T::ConversationAssigned));
        assert_eq!(kind(&with_ann, &active_ann), None);
        assert_eq!(
            kind(&active_ann, &with_bob),
            Some(T::ConversationTransferred)
        );
        assert_eq!(
            kind(&with_ann, &other_queue),
            Some(T::ConversationTransferred)
        );
        assert_eq!(
            kind(&active_ann, &conv(Resolved, Some("ann"), "q")),
            Some(T::ConversationResolved)
        );
        assert_eq!(
            kind(&queued, &conv(Abandoned, None, "q")),
            Some(T::ConversationEnded)
        );
        assert_eq!(
            kind(&conv(Resolved, Some("ann"), "q"), &queued),
            Some(T::ConversationReopened)
        );
    }

    #[test]
    fn long_texts_are_cut_to_fit_the_event_budget() {
        assert_eq!(fit("héllo", 100), ("héllo".to_owned(), false));
        let (cut, truncated) = fit(&"é".repeat(10), 2 + 7);
        assert_eq!(
            (cut.as_str(), truncated),
            ("ééé", true),
            "never inside a character"
        );
        let controls = "\u{1}".repeat(5_000);
        let (cut, truncated) = fit(&controls, MAX_TEXT_JSON_BYTES);
        assert!(truncated);
        assert!(serde_json::to_string(&cut).unwrap().len() <= MAX_TEXT_JSON_BYTES);
    }

    #[test]
    fn a_transfer_says_where_it_came_from() {
        let before = conv(ConversationStatus::Active, Some("ann"), "q");
        let after = conv(ConversationStatus::Queued, None, "billing");
        let event = transitioned(&before, &after, 9).unwrap();
        let data: ConversationEventData = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data.previous_attendant_id.unwrap().as_str(), "ann");
        assert_eq!(data.previous_queue_id.unwrap().as_str(), "q");
        assert_eq!(data.conversation.queue_id.as_str(), "billing");
        assert_eq!(event.at, 9);
    }
}
