//! A frame on its way to connections: a typed value until a connection's writer encodes it.
//!
//! One event may go to many connections (a conversation's update to every attendant who may
//! see it). The hub hands each of them a clone of one [`Outbound`], a shared pointer: the
//! frame is encoded once, by the first writer that sends it, and every other writer sends
//! the same bytes. Until then it stays a value, so a step on the way (the details of an
//! `assigned` frame, see [`super::enrich`]) works on the value, never on JSON.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use chimpassist_protocol::{
    CallId, ClientMessageId, ConversationId, ErrorBody, IceServer, MessageView, QueueId, Seq,
    ServerToAttendant, ServerToCustomer, encode,
};
use tokio::sync::OnceCell;

/// A server frame of either socket.
#[derive(Debug)]
pub enum Frame {
    Customer(ServerToCustomer),
    Attendant(ServerToAttendant),
}

/// The piece of state a frame carries whole, so that a newer frame of the same key makes an
/// older one worthless (see [`super::outbox`]). Keys are per connection, and a connection is
/// one party's, so the two sides' frames never meet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StateKey {
    /// A conversation's whole view, or its withdrawal from an attendant's desk.
    Conversation(ConversationId),
    /// A queue's numbers.
    Queue(QueueId),
    /// A waiting customer's place in the queue.
    Position(ConversationId),
}

/// Most frames in one `batch` frame: bounds what a client parses at once.
pub const MAX_BATCH: usize = 1000;

/// One attendant `batch` frame made of already encoded frames, so each member is still
/// encoded once however many desks receive it: only the brackets are written per connection.
pub fn batch_text(frames: &[Outbound]) -> Utf8Bytes {
    const HEAD: &str = r#"{"type":"batch","frames":["#;
    let texts: Vec<Utf8Bytes> = frames.iter().map(Outbound::text).collect();
    let len = HEAD.len() + 2 + texts.iter().map(|t| t.len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len);
    out.push_str(HEAD);
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(text.as_str());
    }
    out.push_str("]}");
    out.into()
}

/// A frame on its way to one or more connections; clones share it (and its encoding).
#[derive(Clone, Debug)]
pub struct Outbound(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    frame: Frame,
    /// The encoding, made by the first writer that needs it.
    text: OnceLock<Utf8Bytes>,
    /// An `assigned` frame with its details, read once for every connection of its attendant.
    completed: OnceCell<Outbound>,
}

impl Outbound {
    fn new(frame: Frame) -> Self {
        Self(Arc::new(Shared {
            frame,
            text: OnceLock::new(),
            completed: OnceCell::new(),
        }))
    }

    pub fn frame(&self) -> &Frame {
        &self.0.frame
    }

    /// The frame as JSON text: encoded on the first call, shared by every later one.
    pub fn text(&self) -> Utf8Bytes {
        self.0
            .text
            .get_or_init(|| {
                match &self.0.frame {
                    Frame::Customer(frame) => encode(frame),
                    Frame::Attendant(frame) => encode(frame),
                }
                .into()
            })
            .clone()
    }

    /// The chat message carried, if any, so a resuming connection can drop what it already
    /// replayed.
    pub fn message(&self) -> Option<(ConversationId, Seq)> {
        match &self.0.frame {
            Frame::Customer(ServerToCustomer::Message { message })
            | Frame::Attendant(ServerToAttendant::Message { message }) => {
                Some((message.conversation, message.seq))
            }
            _ => None,
        }
    }

    /// The state this frame replaces whole, if it is such a frame. Everything else —
    /// messages, acks, receipts, assignments, presence, errors, history — has none: it must
    /// arrive, every one of them.
    pub fn state_key(&self) -> Option<StateKey> {
        match &self.0.frame {
            Frame::Attendant(ServerToAttendant::Conversation { conversation }) => {
                Some(StateKey::Conversation(conversation.id))
            }
            Frame::Attendant(ServerToAttendant::Withdrawn { conversation }) => {
                Some(StateKey::Conversation(*conversation))
            }
            Frame::Attendant(ServerToAttendant::Queue { queue, .. }) => {
                Some(StateKey::Queue(queue.clone()))
            }
            Frame::Customer(ServerToCustomer::Conversation { conversation }) => {
                Some(StateKey::Conversation(conversation.id))
            }
            Frame::Customer(ServerToCustomer::QueueStatus { conversation, .. }) => {
                Some(StateKey::Position(*conversation))
            }
            _ => None,
        }
    }

    /// This frame as `complete` makes it, computed once for all clones: the first caller
    /// runs `complete`, the others wait for its result.
    pub(super) async fn completed<F, Fut>(&self, complete: F) -> Outbound
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Outbound>,
    {
        self.0.completed.get_or_init(complete).await.clone()
    }
}

impl From<ServerToCustomer> for Outbound {
    fn from(frame: ServerToCustomer) -> Self {
        Self::new(Frame::Customer(frame))
    }
}

impl From<ServerToAttendant> for Outbound {
    fn from(frame: ServerToAttendant) -> Self {
        Self::new(Frame::Attendant(frame))
    }
}

/// The frame an error answers, so the client knows whose it is: a `send` (by its client
/// id) or a call frame (by its call id, for the call code rather than the chat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    Send(ClientMessageId),
    Call(CallId),
}

impl Answers {
    /// What a raw frame answers to, read from its `client_id` or `call_id` (for errors raised
    /// before the frame could be decoded: a rate limit, a malformed field).
    pub fn of_raw(frame: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(frame).ok()?;
        if let Some(id) = value.get("client_id").and_then(|v| v.as_str()) {
            return ClientMessageId::parse(id).ok().map(Self::Send);
        }
        let id = value.get("call_id")?.as_str()?;
        CallId::parse(id).ok().map(Self::Call)
    }
}

/// The frames both sockets send alike, written once for both sides.
pub trait ServerFrame: serde::Serialize + Into<Outbound> + Send + 'static {
    /// A replayed or live chat message.
    fn message_frame(message: MessageView) -> Self;
    /// "Too far behind: page the history instead."
    fn resync_frame(conversation: ConversationId, latest_seq: Seq) -> Self;
    /// An error, with the frame it answers: a `send` (that message was not stored) or a
    /// call frame.
    fn error_frame(body: ErrorBody, answers: Option<Answers>) -> Self;
    /// The answer to a `send` whose message is stored.
    fn ack_frame(stored: &chimpassist_store::StoredMessage) -> Self;
    /// The ICE servers for this connection's side of a call.
    fn call_ice_frame(call_id: CallId, ice_servers: Vec<IceServer>) -> Self;
}

/// Both enums name these variants alike, so one body serves both.
macro_rules! server_frame {
    ($side:ty) => {
        impl ServerFrame for $side {
            fn message_frame(message: MessageView) -> Self {
                Self::Message { message }
            }

            fn resync_frame(conversation: ConversationId, latest_seq: Seq) -> Self {
                Self::Resync {
                    conversation,
                    latest_seq,
                }
            }

            fn error_frame(body: ErrorBody, answers: Option<Answers>) -> Self {
                Self::Error {
                    code: body.code,
                    message: body.message,
                    client_id: match answers {
                        Some(Answers::Send(id)) => Some(id),
                        _ => None,
                    },
                    retry_after_seconds: body.retry_after_seconds,
                    call_id: match answers {
                        Some(Answers::Call(id)) => Some(id),
                        _ => None,
                    },
                }
            }

            fn ack_frame(stored: &chimpassist_store::StoredMessage) -> Self {
                Self::Ack {
                    conversation: stored.conversation,
                    client_id: stored.client_id,
                    seq: stored.seq,
                    timestamp: stored.timestamp,
                }
            }

            fn call_ice_frame(call_id: CallId, ice_servers: Vec<IceServer>) -> Self {
                Self::CallIce {
                    call_id,
                    ice_servers,
                }
            }
        }
    };
}

server_frame!(ServerToCustomer);
server_frame!(ServerToAttendant);

/// Frames for the delivery tests.
#[cfg(test)]
pub(super) mod tests_support {
    use chimpassist_protocol::{
        ConversationStatus, ConversationView, CustomerId, CustomerPresence, CustomerView,
        MessageText, Party, QueueId, Sender,
    };

    use super::*;

    /// An attendant's `conversation` frame with `status` (its form, e.g. `"queued"`).
    pub(crate) fn conversation(id: ConversationId, status: &str) -> Outbound {
        Outbound::from(ServerToAttendant::Conversation {
            conversation: ConversationView {
                id,
                queue: QueueId::default_queue(),
                status: ConversationStatus::parse(status).expect("a status"),
                customer: CustomerView {
                    id: CustomerId::parse("visitor").expect("id"),
                    name: "Visitor".into(),
                    avatar_url: None,
                    email: None,
                    external_id: None,
                    verified: false,
                    profile_verified: false,
                },
                attendant: None,
                requested_at: 0,
                assigned_at: None,
                ended_at: None,
                last_seq: 0,
                rating: None,
                subject: None,
                customer_presence: CustomerPresence::Active,
                last_message: None,
                receipts: None,
                bot: None,
            },
        })
    }

    /// An attendant's `message` frame.
    pub(crate) fn message(conversation: ConversationId, seq: Seq) -> Outbound {
        Outbound::from(ServerToAttendant::Message {
            message: MessageView {
                conversation,
                seq,
                client_id: ClientMessageId::new(),
                from: Sender {
                    party: Party::Customer,
                    id: "visitor".into(),
                    name: "Visitor".into(),
                },
                text: MessageText::parse(format!("message {seq}"), 4096).expect("text"),
                timestamp: 0,
                call: None,
                attachments: Vec::new(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_encoding() {
        let out = Outbound::from(ServerToCustomer::Pong { nonce: 7 });
        let other = out.clone();
        let (a, b) = (out.text(), other.text());
        assert_eq!(a.as_str(), r#"{"type":"pong","nonce":7}"#);
        assert_eq!(a.as_str().as_ptr(), b.as_str().as_ptr(), "encoded once");
    }

    #[test]
    fn a_batch_decodes_as_its_frames_in_order() {
        let c = ConversationId::new();
        let members = [
            tests_support::conversation(c, "queued"),
            Outbound::from(ServerToAttendant::Withdrawn { conversation: c }),
        ];
        let text = batch_text(&members);
        let decoded: ServerToAttendant = serde_json::from_str(text.as_str()).expect("json");
        let expected: Vec<ServerToAttendant> = members
            .iter()
            .map(|m| serde_json::from_str(m.text().as_str()).expect("member"))
            .collect();
        assert_eq!(decoded, ServerToAttendant::Batch { frames: expected });
    }

    #[test]
    fn only_whole_state_has_a_key() {
        use super::tests_support::{conversation, message};
        let id = ConversationId::new();
        assert_eq!(
            conversation(id, "active").state_key(),
            Some(StateKey::Conversation(id))
        );
        assert_eq!(
            Outbound::from(ServerToAttendant::Withdrawn { conversation: id }).state_key(),
            Some(StateKey::Conversation(id)),
            "a withdrawal and a view of one conversation supersede each other"
        );
        let position = ServerToCustomer::QueueStatus {
            conversation: id,
            position: 2,
            ewt_seconds: 30,
        };
        assert_eq!(
            Outbound::from(position).state_key(),
            Some(StateKey::Position(id))
        );
        assert_eq!(message(id, 1).state_key(), None);
        let assigned = match conversation(id, "assigned").frame() {
            Frame::Attendant(ServerToAttendant::Conversation { conversation }) => {
                ServerToAttendant::Assigned {
                    conversation: conversation.clone(),
                }
            }
            _ => unreachable!(),
        };
        assert_eq!(
            Outbound::from(assigned).state_key(),
            None,
            "never coalesced"
        );
    }
}
