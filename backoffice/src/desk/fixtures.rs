//! Test fixtures: Ana (an attendant), conversations of hers and in her queue, customer
//! messages, and a desk already welcomed.

use chimpassist_protocol::{
    AttendantId, AttendantPublic, AttendantToServer, AttendantView, ClientMessageId,
    ConversationId, ConversationStatus, ConversationView, CustomerId, CustomerPresence,
    CustomerView, MessageText, MessageView, Party, Presence, QueueId, Role, Sender, Seq,
    ServerToAttendant,
};

use super::*;

pub(super) fn me() -> AttendantView {
    AttendantView {
        id: AttendantId::parse("ana").unwrap(),
        email: "ana@example.com".into(),
        name: "Ana".into(),
        avatar_url: None,
        role: Role::Attendant,
        skill: String::new(),
        queues: vec![QueueId::default_queue()],
        capacity: 5,
        disabled: false,
        must_change_password: false,
    }
}

pub(super) fn env(me: &AttendantView) -> Env<'_> {
    Env {
        now: 1_000,
        hidden: false,
        online: true,
        me: Some(me),
    }
}

pub(super) fn hidden(me: &AttendantView) -> Env<'_> {
    Env {
        hidden: true,
        ..env(me)
    }
}

/// An open conversation held by Ana, with a customer called `name`.
pub(super) fn mine(name: &str) -> ConversationView {
    ConversationView {
        id: ConversationId::new(),
        queue: QueueId::default_queue(),
        status: ConversationStatus::Active,
        customer: CustomerView {
            id: CustomerId::parse(format!("c-{name}")).unwrap(),
            name: name.into(),
            avatar_url: None,
            email: None,
            external_id: None,
            verified: false,
            profile_verified: false,
        },
        attendant: Some(AttendantPublic {
            id: me().id,
            name: "Ana".into(),
            avatar_url: None,
        }),
        requested_at: 0,
        assigned_at: Some(10),
        ended_at: None,
        last_seq: 0,
        rating: None,
        subject: None,
        customer_presence: CustomerPresence::Active,
        last_message: None,
        receipts: None,
        bot: None,
    }
}

pub(super) fn queued(name: &str) -> ConversationView {
    ConversationView {
        status: ConversationStatus::Queued,
        attendant: None,
        assigned_at: None,
        ..mine(name)
    }
}

pub(super) fn from_customer(c: &ConversationView, seq: Seq) -> MessageView {
    MessageView {
        conversation: c.id,
        seq,
        client_id: ClientMessageId::new(),
        from: Sender {
            party: Party::Customer,
            id: c.customer.id.to_string(),
            name: c.customer.name.clone(),
        },
        text: MessageText::parse(format!("hello {seq}"), 4096).unwrap(),
        timestamp: seq as i64 * 1000,
        call: None,
        attachments: Vec::new(),
    }
}

pub(super) fn welcome(conversations: Vec<ConversationView>) -> ServerToAttendant {
    ServerToAttendant::Welcome {
        protocol: 1,
        me: me(),
        presence: Presence::Online,
        conversations,
        max_text_bytes: 2000,
        max_attachment_bytes: 10 << 20,
    }
}

pub(super) fn text(s: &str) -> MessageText {
    MessageText::parse(s.to_owned(), 4096).unwrap()
}

/// A desk welcomed with these conversations, its effects and changes dropped.
pub(super) fn desk_with(conversations: Vec<ConversationView>) -> Desk {
    let me = me();
    let mut d = Desk::default();
    d.on_frame(welcome(conversations), &env(&me));
    d.take_changes();
    d
}

pub(super) fn seqs(d: &Desk, id: &ConversationId) -> Vec<Seq> {
    let c = d.conversation(id).expect("listed");
    c.thread.messages.iter().map(|m| m.seq).collect()
}

pub(super) fn sent(fx: &[Effect]) -> Vec<&AttendantToServer> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(f) => Some(f),
            _ => None,
        })
        .collect()
}

pub(super) fn history(
    c: &ConversationView,
    seqs: impl IntoIterator<Item = Seq>,
) -> ServerToAttendant {
    ServerToAttendant::History {
        conversation: c.id,
        messages: seqs.into_iter().map(|s| from_customer(c, s)).collect(),
        more: false,
    }
}
