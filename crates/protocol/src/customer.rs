//! Frames on the customer WebSocket (`/ws/customer`).

use serde::{Deserialize, Serialize};

use crate::call::{CallEndReason, CallMedia, CallSignal, CallView, Hangup, IceServer};
use crate::ids::{CallId, ClientMessageId, ConversationId, CustomerId, QueueId, Seq, TimestampMs};
use crate::model::{
    AttendantPublic, ConversationView, CustomerPresence, CustomerView, MessageText, MessageView,
    Party, Rating, ReceiptKind, Receipts, TypingState, UserClaim,
};
#[cfg(feature = "helper-frames")]
use crate::{AttributeChanges, PageReport};
use crate::{ErrorBody, ErrorCode, FileId, PageTracking};

/// Where a reconnecting client left off in one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResumePoint {
    pub conversation: ConversationId,
    /// Highest seq the client holds *without gaps* below it.
    pub last_seq: Seq,
}

/// Pre-chat form answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreChat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the customer needs help with; becomes the conversation's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Customer → server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CustomerToServer {
    /// Must be the first frame. `token` is the one a previous `welcome` gave this browser;
    /// `user` is the host page's `localStorage.userData`.
    Hello {
        protocol: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<UserClaim>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resume: Vec<ResumePoint>,
    },
    /// Ask for an attendant. Returns the open conversation if there already is one.
    StartChat {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<QueueId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prechat: Option<PreChat>,
    },
    /// A chat message. Writing to a resolved conversation reopens it.
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
    /// Focus/blur of the page (`gone` is ignored: the server sets it on disconnect).
    Presence { state: CustomerPresence },
    /// The customer ends the chat (queued → abandoned, otherwise → resolved).
    EndChat { conversation: ConversationId },
    /// The visitor's address, left in the chat, for replies by e-mail while they are away
    /// (and the transcript). Refused (`invalid_field`) when it is not an address, and
    /// (`forbidden`) for a visitor whose profile the site signed.
    LeaveEmail { email: String },
    /// CSAT after the end.
    Rate {
        conversation: ConversationId,
        rating: Rating,
    },
    /// Older history, newest first, before `before_seq` (or the newest page).
    History {
        conversation: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before_seq: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Start a call in a conversation of mine (a request: its queue must allow it). The call id is the client's choice (a
    /// UUID). Refused `call_in_progress` while the conversation has one, `calls_not_allowed` when its queue does not let customers call.
    CallInvite {
        conversation: ConversationId,
        call_id: CallId,
        media: CallMedia,
    },
    /// Take the call the other side started.
    CallAccept { call_id: CallId },
    /// Refuse the call the other side started.
    CallDecline { call_id: CallId },
    /// End a call (ringing or active).
    CallHangup {
        call_id: CallId,
        #[serde(default)]
        reason: Hangup,
    },
    /// An offer, answer or ICE candidate for the other side's browser.
    CallSignal { call_id: CallId, signal: CallSignal },
    Ping {
        #[serde(default)]
        nonce: u64,
    },
    /// The page the visitor is on, at each welcome and each page change while the chat is
    /// loaded (never its address when `welcome` said `page_tracking: off`). Kept with the
    /// customer and shown to the desk; nothing is answered unless it is refused.
    #[cfg(feature = "helper-frames")]
    Page(PageReport),
    /// What the host site knows about the visitor (`ChimpAssist.setAttributes`): each key
    /// set, or removed with `null`; keys not named keep their value. Nothing is answered
    /// unless it is refused.
    #[cfg(feature = "helper-frames")]
    SetAttributes { attributes: AttributeChanges },
    /// The visitor says `text` from outside the chat (`ChimpAssist.sendMessage`, or the
    /// answer to a proactive greeting): starts a chat in `queue` (or finds the open one) and
    /// sends it. With `greeting`, a new conversation starts with that rule's greeting, as
    /// the team's. Answered like `send` (an `ack` naming `client_id`); the same `client_id`
    /// again stores nothing twice. A rule deleted meanwhile leaves the text alone.
    #[cfg(feature = "helper-frames")]
    Say {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        greeting: Option<crate::GreetingId>,
        client_id: ClientMessageId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<QueueId>,
        text: MessageText,
    },
}

/// Server → customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ServerToCustomer {
    /// Answer to `hello`. Keep `token` (it replaces any older one) and use it next time.
    Welcome {
        protocol: u32,
        customer: CustomerView,
        token: String,
        /// The open conversation, or the most recent one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<ConversationView>,
        max_text_bytes: u32,
        /// Largest file an upload may be, so the widget can say so before sending.
        #[serde(default)]
        max_attachment_bytes: u64,
        /// The visitor may ask for a call in `conversation` (open, held by an attendant, and
        /// its queue lets customers call). Read by the widget's call code, not the chat.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        may_call: bool,
        /// How much of the visitor's page the widget reports in `page` frames (absent:
        /// `path`). Read by the widget's page helper, not the chat.
        #[serde(default, skip_serializing_if = "PageTracking::is_path")]
        page_tracking: PageTracking,
        /// The desk e-mails visitors the replies they missed (`SMTP_URL` is set), so the
        /// widget may ask for an address (`leave_email`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        email_replies: bool,
    },
    /// The conversation changed state (queued, assigned, resolved, …).
    Conversation {
        conversation: ConversationView,
    },
    /// Live place in the queue while waiting.
    QueueStatus {
        conversation: ConversationId,
        /// 1 = next.
        position: u32,
        /// Estimated wait, seconds.
        ewt_seconds: u32,
    },
    /// An attendant took the conversation.
    Assigned {
        conversation: ConversationId,
        attendant: AttendantPublic,
        /// The conversation's queue lets customers ask for calls (see `welcome`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        may_call: bool,
    },
    Message {
        message: MessageView,
    },
    /// The message with this client id is durably stored as `seq`.
    Ack {
        conversation: ConversationId,
        client_id: ClientMessageId,
        seq: Seq,
        timestamp: TimestampMs,
    },
    /// Receipt state after a change by either side.
    Receipt {
        conversation: ConversationId,
        receipts: Receipts,
    },
    Typing {
        conversation: ConversationId,
        state: TypingState,
    },
    /// A page of history (answer to `history`), newest first.
    History {
        conversation: ConversationId,
        messages: Vec<MessageView>,
        /// True when older messages exist.
        more: bool,
    },
    /// Too much was missed to replay: fetch history afresh, from `latest_seq` down.
    Resync {
        conversation: ConversationId,
        latest_seq: Seq,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// Set when the error answers a `send`: that message was NOT stored.
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
}

impl ServerToCustomer {
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

/// Answer of `POST /session`: a customer token for this browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionGrant {
    pub customer_id: CustomerId,
    pub token: String,
    /// The open conversation, if any (the seed's `sessionId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<ConversationId>,
    /// Milliseconds the server keeps a conversation without the customer (the seed's name).
    #[serde(rename = "keepAliveTTL")]
    pub keep_alive_ttl: u64,
    pub verified: bool,
}
