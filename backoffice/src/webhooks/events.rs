//! The event types an endpoint subscribes to: in one order (the protocol's), each once, and
//! how they read.

use chimpassist_protocol::webhook::WebhookEventType;

use crate::i18n::{WebhookTexts, fill};

/// Every event type, in the order the forms list them.
pub fn all() -> &'static [WebhookEventType] {
    WebhookEventType::ALL
}

/// `picked` in [`all`]'s order, each once.
pub fn ordered(picked: &[WebhookEventType]) -> Vec<WebhookEventType> {
    all()
        .iter()
        .copied()
        .filter(|e| picked.contains(e))
        .collect()
}

/// Whether `picked` holds every event type.
pub fn is_all(picked: &[WebhookEventType]) -> bool {
    all().iter().all(|e| picked.contains(e))
}

/// Checks (`on`) or unchecks one event type.
pub fn toggle(picked: &mut Vec<WebhookEventType>, event: WebhookEventType, on: bool) {
    picked.retain(|e| *e != event);
    if on {
        picked.push(event);
    }
    *picked = ordered(picked);
}

/// "All events", "1 event", "3 events".
pub fn summary(t: &WebhookTexts, events: &[WebhookEventType]) -> String {
    let n = ordered(events).len();
    if n > 0 && is_all(events) {
        t.all_events.to_owned()
    } else if n == 1 {
        t.one_event.to_owned()
    } else {
        fill(t.n_events, n)
    }
}

/// What the event means, in a few words.
pub fn hint(t: &WebhookTexts, event: WebhookEventType) -> &'static str {
    use WebhookEventType as E;
    match event {
        E::ConversationCreated => t.ev_conversation_created,
        E::ConversationAssigned => t.ev_conversation_assigned,
        E::ConversationTransferred => t.ev_conversation_transferred,
        E::ConversationResolved => t.ev_conversation_resolved,
        E::ConversationEnded => t.ev_conversation_ended,
        E::ConversationReopened => t.ev_conversation_reopened,
        E::MessageCreated => t.ev_message_created,
        E::CsatSubmitted => t.ev_csat_submitted,
        E::CallbackRequested => t.ev_callback_requested,
        E::CallEnded => t.ev_call_ended,
        E::ContactErased => t.ev_contact_erased,
        E::ContactUpdated => t.ev_contact_updated,
    }
}
