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
    ClientMessageId, ConversationId, ErrorBody, MessageView, Seq, ServerToAttendant,
    ServerToCustomer, encode,
};
use tokio::sync::OnceCell;

/// A server frame of either socket.
#[derive(Debug)]
pub enum Frame {
    Customer(ServerToCustomer),
    Attendant(ServerToAttendant),
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

/// The frames both sockets send alike, written once for both sides.
pub trait ServerFrame: serde::Serialize + Into<Outbound> + Send + 'static {
    /// A replayed or live chat message.
    fn message_frame(message: MessageView) -> Self;
    /// "Too far behind: page the history instead."
    fn resync_frame(conversation: ConversationId, latest_seq: Seq) -> Self;
    /// An error, with the client id of the `send` it answers (that message was not stored).
    fn error_frame(body: ErrorBody, client_id: Option<ClientMessageId>) -> Self;
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

            fn error_frame(body: ErrorBody, client_id: Option<ClientMessageId>) -> Self {
                Self::Error {
                    code: body.code,
                    message: body.message,
                    client_id,
                    retry_after_seconds: body.retry_after_seconds,
                }
            }
        }
    };
}

server_frame!(ServerToCustomer);
server_frame!(ServerToAttendant);

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
}
