//! Store records → protocol views, in one place.

use crate::attachments::Links;
use chimpassist_protocol::{
    AttendantPublic, AttendantView, ConversationView, CustomerPresence, CustomerView, MessageView,
    Sender, TimestampMs,
};
use chimpassist_store::{Attendant, Conversation, Customer, StoredMessage};

pub fn now_ms() -> TimestampMs {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

pub fn customer_view(c: &Customer) -> CustomerView {
    CustomerView {
        id: c.id.clone(),
        name: c.name.clone(),
        avatar_url: c.avatar_url.clone(),
        email: c.email.clone(),
        external_id: c.external_id.clone(),
        verified: c.verified,
        profile_verified: c.verified && c.profile_verified,
    }
}

pub fn attendant_public(a: &Attendant) -> AttendantPublic {
    AttendantPublic {
        id: a.id.clone(),
        name: a.name.clone(),
        avatar_url: a.avatar_url.clone(),
    }
}

pub fn attendant_view(a: &Attendant) -> AttendantView {
    AttendantView {
        id: a.id.clone(),
        email: a.email.clone(),
        name: a.name.clone(),
        avatar_url: a.avatar_url.clone(),
        role: a.role,
        skill: a.skill.clone(),
        queues: a.queues.clone(),
        capacity: a.capacity,
        disabled: a.disabled,
        must_change_password: a.must_change_password,
    }
}

/// A conversation as every reader gets it. `presence` comes from the coordinator (the store
/// does not keep it); the last message and receipts are left for the attendant socket to
/// add (delivery/enrich.rs), since only its list needs them.
pub fn conversation_view(
    c: &Conversation,
    customer: &Customer,
    attendant: Option<AttendantPublic>,
    presence: CustomerPresence,
) -> ConversationView {
    conversation_view_of(c, customer_view(customer), attendant, presence)
}

/// [`conversation_view`] with the customer as attendants see them already (the coordinator
/// keeps only that of a customer, not the stored record).
pub fn conversation_view_of(
    c: &Conversation,
    customer: CustomerView,
    attendant: Option<AttendantPublic>,
    presence: CustomerPresence,
) -> ConversationView {
    ConversationView {
        id: c.id,
        queue: c.queue_id.clone(),
        status: c.status,
        customer,
        attendant,
        requested_at: c.requested_at,
        assigned_at: c.assigned_at,
        ended_at: c.ended_at,
        last_seq: c.last_seq,
        rating: c.rating.clone(),
        subject: c.subject.clone(),
        customer_presence: presence,
        last_message: None,
        receipts: None,
        bot: None,
    }
}

/// A message as sent to someone allowed to see it now, with fresh links to its files.
pub fn message_view(m: &StoredMessage, links: &Links) -> MessageView {
    let now = now_ms();
    MessageView {
        attachments: m.attachments.iter().map(|f| links.view(f, now)).collect(),
        ..bare_view(m)
    }
}

/// A message that carries no files (a call's record, written by the coordinator, which mints
/// no links): the same view without attachments.
pub fn message_view_without_files(m: &StoredMessage) -> MessageView {
    debug_assert!(m.attachments.is_empty(), "a message with files needs links");
    bare_view(m)
}

fn bare_view(m: &StoredMessage) -> MessageView {
    MessageView {
        conversation: m.conversation,
        seq: m.seq,
        client_id: m.client_id,
        from: Sender {
            party: m.sender_party,
            id: m.sender_id.clone(),
            name: m.sender_name.clone(),
        },
        text: m.text.clone(),
        timestamp: m.timestamp,
        call: m.call.clone().map(Box::new),
        attachments: Vec::new(),
    }
}
