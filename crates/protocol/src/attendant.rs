//! Frames on the attendant WebSocket (`/ws/attendant`, authenticated by the login cookie).

use serde::{Deserialize, Serialize};

use crate::call::{CallEndReason, CallMedia, CallSignal, CallView, Hangup, IceServer};
use crate::customer::ResumePoint;
use crate::ids::{
    AttendantId, CallId, ClientMessageId, ConversationId, CustomerId, QueueId, Seq, TimestampMs,
};
use crate::model::{
    AttendantView, ConversationView, CustomerPresence, MessageText, MessageView, Party, Presence,
    QueueObservations, ReceiptKind, Receipts, TypingState,
};
use crate::workspace::Note;
use crate::{ErrorBody, ErrorCode, FileId};

/// Where a conversation goes on transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TransferTarget {
    Attendant(AttendantId),
    Queue(QueueId),
}

/// Attendant → server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttendantToServer {
    /// Must be the first frame.
    Hello {
        protocol: u32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resume: Vec<ResumePoint>,
        /// I understand `batch` frames. Without it, every state change comes as its own
        /// frame (still coalesced: only the newest state of each conversation and queue).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        batch: bool,
    },
    /// Online (takes new chats) or away (keeps current ones). Offline is set by the server.
    SetPresence {
        presence: Presence,
    },
    /// Keep-alive; any frame also counts.
    Heartbeat,
    Send {
        conversation: ConversationId,
        client_id: ClientMessageId,
        /// May be left out when the message carries files (never sent blank).
        #[serde(default, skip_serializing_if = "MessageText::is_empty")]
        text: MessageText,
        /// Files uploaded beforehand (`POST /api/attachments`) to this conversation by the
        /// same side, at most [`crate::MAX_ATTACHMENTS`].
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<FileId>,
    },
    Receipt {
        conversation: ConversationId,
        kind: ReceiptKind,
        up_to_seq: Seq,
    },
    Typing {
        conversation: ConversationId,
        state: TypingState,
    },
    /// Manual mode: take the oldest waiting conversation of one of my queues.
    NextCustomer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<QueueId>,
    },
    Transfer {
        conversation: ConversationId,
        to: TransferTarget,
    },
    Resolve {
        conversation: ConversationId,
    },
    /// Take a resolved/expired conversation back (assigned to me).
    Reopen {
        conversation: ConversationId,
    },
    History {
        conversation: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before_seq: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Start a call in a conversation I hold. The call id is the client's choice (a
    /// UUID). Refused `call_in_progress` while the conversation has one, `calls_not_allowed` when its queue has calls off.
    CallInvite {
        conversation: ConversationId,
        call_id: CallId,
        media: CallMedia,
    },
    /// Take the call the other side started.
    CallAccept {
        call_id: CallId,
    },
    /// Refuse the call the other side started.
    CallDecline {
        call_id: CallId,
    },
    /// End a call (ringing or active).
    CallHangup {
        call_id: CallId,
        #[serde(default)]
        reason: Hangup,
    },
    /// An offer, answer or ICE candidate for the other side's browser.
    CallSignal {
        call_id: CallId,
        signal: CallSignal,
    },
    Ping {
        #[serde(default)]
        nonce: u64,
    },
}

/// Server → attendant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ServerToAttendant {
    Welcome {
        protocol: u32,
        me: AttendantView,
        presence: Presence,
        /// Open conversations I may see: admins all; others those of their queues and those
        /// they hold.
        conversations: Vec<ConversationView>,
        max_text_bytes: u32,
        /// Largest file an upload may be, so the composer can say so before sending.
        #[serde(default)]
        max_attachment_bytes: u64,
    },
    /// A conversation was given to me.
    Assigned {
        conversation: ConversationView,
    },
    /// A conversation I held went elsewhere (transfer, lapse).
    Unassigned {
        conversation: ConversationId,
        reason: String,
    },
    /// A conversation I was shown left what I may see (moved to a queue that is not mine):
    /// drop it from the lists. It can still be found by search if I ever held it.
    Withdrawn {
        conversation: ConversationId,
    },
    /// Any state change of a conversation visible to attendants (queue, assignment, end).
    Conversation {
        conversation: ConversationView,
    },
    Message {
        message: MessageView,
    },
    Ack {
        conversation: ConversationId,
        client_id: ClientMessageId,
        seq: Seq,
        timestamp: TimestampMs,
    },
    Receipt {
        conversation: ConversationId,
        receipts: Receipts,
    },
    Typing {
        conversation: ConversationId,
        state: TypingState,
    },
    CustomerPresence {
        customer: CustomerId,
        state: CustomerPresence,
    },
    /// The visitor of a conversation I hold reported a page (or their context changed):
    /// the whole visit as it is now.
    Visit {
        customer: CustomerId,
        visit: crate::VisitView,
    },
    /// The site changed what it says about the customer of a conversation I hold: all
    /// their attributes as they are now.
    Attributes {
        customer: CustomerId,
        attributes: crate::Attributes,
    },
    /// My own presence as the server holds it (after `set_presence`, or set by the server).
    Presence {
        presence: Presence,
    },
    /// Live queue numbers.
    Queue {
        queue: QueueId,
        observations: QueueObservations,
    },
    History {
        conversation: ConversationId,
        messages: Vec<MessageView>,
        more: bool,
    },
    Resync {
        conversation: ConversationId,
        latest_seq: Seq,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientMessageId>,
        /// With `rate_limited`: seconds to wait before trying again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_seconds: Option<u64>,
        /// Set when the error answers a call frame (invite, accept, decline, hang-up,
        /// signal) of this call: the call code's to show, not the chat's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// A call of one of my conversations started or changed (ringing → active).
    Call {
        call: CallView,
    },
    /// The ICE servers for my side of a call, only to the connection that invited or
    /// accepted (TURN credentials of its own, expiring).
    CallIce {
        call_id: CallId,
        ice_servers: Vec<IceServer>,
    },
    /// The other side's browser says this.
    CallSignal {
        call_id: CallId,
        signal: CallSignal,
    },
    /// The call is over, for both sides.
    CallEnded {
        call_id: CallId,
        conversation: ConversationId,
        reason: CallEndReason,
        /// Who hung up or declined, when a side did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Party>,
    },
    Pong {
        nonce: u64,
    },
    /// A private note was added to a conversation I hold or wrote it for (never sent to
    /// customers).
    Note {
        note: Note,
    },
    /// Several state frames (`conversation`, `withdrawn`, `queue`) at once, only to a client
    /// whose `hello` said `batch: true`. Why: during a rush every attendant may see thousands
    /// of conversations change per second; the server sends the newest state of each a few
    /// times a second in one frame instead of a frame per change. Each piece of state appears
    /// at most once in a batch, so the order inside does not matter; the batch as a whole
    /// keeps its place among the other frames.
    Batch {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        frames: Vec<ServerToAttendant>,
    },
}

impl ServerToAttendant {
    pub fn error(body: ErrorBody) -> Self {
        Self::Error {
            code: body.code,
            message: body.message,
            client_id: None,
            retry_after_seconds: body.retry_after_seconds,
            call_id: None,
        }
    }
}
