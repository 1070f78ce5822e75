//! The machine, driven the way the server and the visitor drive it. Each test checks what a
//! visitor would notice: the lines shown and their ticks, the frames that go out, the
//! events the host page gets, whether the outbox is rewritten.

use chimpassist_protocol::{
    AttendantId, AttendantPublic, ClientMessageId, ConversationId, ConversationStatus,
    ConversationView, CustomerId, CustomerToServer, CustomerView, ErrorCode, MessageText,
    MessageView, Party, PreChat, QueueId, ReceiptKind, Receipts, Sender, Seq, ServerToCustomer,
    TypingState,
};

use super::{Conn, Effect, Event, Screen, SendError, State};
use crate::timeline::Tick;

mod frames;
mod visitor;

fn customer() -> CustomerView {
    CustomerView {
        id: CustomerId::parse("c-visitor").unwrap(),
        name: "Ada".into(),
        avatar_url: None,
        email: None,
        external_id: None,
        verified: false,
        profile_verified: false,
    }
}

fn attendant() -> AttendantPublic {
    AttendantPublic {
        id: AttendantId::parse("a-1").unwrap(),
        name: "Grace".into(),
        avatar_url: None,
    }
}

fn conversation(id: ConversationId, status: ConversationStatus) -> ConversationView {
    ConversationView {
        id,
        queue: QueueId::parse("default").unwrap(),
        status,
        customer: customer(),
        attendant: None,
        requested_at: 1,
        assigned_at: None,
        ended_at: None,
        last_seq: 0,
        rating: None,
        subject: None,
        customer_presence: Default::default(),
        last_message: None,
        receipts: None,
        bot: None,
    }
}

fn welcome(conv: Option<ConversationView>) -> ServerToCustomer {
    ServerToCustomer::Welcome {
        protocol: 1,
        customer: customer(),
        token: "tok".into(),
        conversation: conv,
        max_text_bytes: 100,
        max_attachment_bytes: 1 << 20,
        may_call: false,
        page_tracking: Default::default(),
        email_replies: true,
    }
}

fn message(
    c: ConversationId,
    seq: Seq,
    party: Party,
    client_id: ClientMessageId,
) -> ServerToCustomer {
    ServerToCustomer::Message {
        message: view(c, seq, party, client_id),
    }
}

fn view(c: ConversationId, seq: Seq, party: Party, client_id: ClientMessageId) -> MessageView {
    MessageView {
        conversation: c,
        seq,
        client_id,
        from: Sender {
            party,
            id: "x".into(),
            name: if party == Party::Attendant {
                "Grace"
            } else {
                "Ada"
            }
            .into(),
        },
        text: MessageText::parse(format!("m{seq}"), 100).unwrap(),
        timestamp: seq as i64,
        call: None,
        attachments: Vec::new(),
    }
}

fn from_attendant(c: ConversationId, seq: Seq) -> ServerToCustomer {
    message(c, seq, Party::Attendant, ClientMessageId::new())
}

/// A visitor online in an assigned conversation whose history has arrived (empty), panel
/// closed.
fn chatting() -> (State, ConversationId) {
    let c = ConversationId::new();
    let mut s = State {
        visible: true,
        ..State::default()
    };
    s.on_frame(welcome(Some(conversation(c, ConversationStatus::Assigned))));
    s.on_frame(ServerToCustomer::History {
        conversation: c,
        messages: vec![],
        more: false,
    });
    (s, c)
}

/// What the lines say, in order.
fn texts(s: &State) -> Vec<String> {
    lines(s).into_iter().map(|(text, _)| text).collect()
}

fn lines(s: &State) -> Vec<(String, Option<Tick>)> {
    s.timeline
        .lines(&s.timeline.receipts)
        .into_iter()
        .map(|l| (l.text, l.tick))
        .collect()
}

fn sent(fx: &[Effect]) -> Vec<&CustomerToServer> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn saves_outbox(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::SaveOutbox(_)))
}

fn events(fx: &[Effect]) -> Vec<&Event> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Emit(ev) => Some(ev),
            _ => None,
        })
        .collect()
}

/// Sends `text` now and returns its client id.
fn send(s: &mut State, text: &str) -> (ClientMessageId, Vec<Effect>) {
    let id = ClientMessageId::new();
    let fx = s
        .send_text(text, Vec::new(), String::new(), id, 10)
        .expect("queued");
    (id, fx)
}
