//! Records as stored. The server turns them into protocol views.

pub use chimpassist_protocol::rest::QueueBot;
use chimpassist_protocol::{
    AssignmentMode, AttendantId, CallOutcome, CallPolicy, CallRecord, CallbackId, ClientMessageId,
    ConversationId, ConversationStatus, CustomerId, FileInfo, MessageText, Party, QueueId, Rating,
    Role, Seq, TimestampMs,
};
use serde::{Deserialize, Serialize};

/// A customer record. Unverified customers get a fresh record per browser; a verified
/// customer has exactly one record per `external_id`, shared by all their browsers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub external_id: Option<String>,
    /// The site proved `external_id` (an HMAC of it, or a signed token).
    pub verified: bool,
    /// The name, e-mail and avatar came from the site's signed token as well (its `name`,
    /// `email`, `avatar` claims), not from the visitor's page. Only ever true on a verified
    /// record.
    pub profile_verified: bool,
    pub name: String,
    pub avatar_url: Option<String>,
    pub email: Option<String>,
    pub created_at: TimestampMs,
}

/// An attendant account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendant {
    pub id: AttendantId,
    /// Login name: an e-mail, or a plain user name such as `admin`. Stored lower-case; unique.
    pub email: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub skill: String,
    pub queues: Vec<QueueId>,
    pub capacity: u32,
    pub disabled: bool,
    /// PHC-format argon2 hash; `None` for accounts that log in through `AUTHENTICATION_ENDPOINT`.
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub created_at: TimestampMs,
}

/// Changes to an attendant; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttendantUpdate {
    pub name: Option<String>,
    pub avatar_url: Option<Option<String>>,
    pub role: Option<Role>,
    pub skill: Option<String>,
    pub queues: Option<Vec<QueueId>>,
    pub capacity: Option<u32>,
    pub disabled: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub must_change_password: Option<bool>,
}

/// A logged-in back-office session. Only the SHA-256 of the cookie token is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSession {
    pub token_hash: String,
    pub attendant_id: AttendantId,
    pub created_at: TimestampMs,
    pub expires_at: TimestampMs,
}

/// A queue and how it assigns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    pub mode: AssignmentMode,
    /// Only attendants with this skill take this queue's conversations (`None`: any skill).
    pub skill: Option<String>,
    pub greeting: Option<String>,
    pub away_message: Option<String>,
    /// Who may start a call in this queue's conversations.
    pub calls: CallPolicy,
    /// A bot answers new conversations first (see [`QueueBot`]).
    pub bot: Option<QueueBot>,
    /// When people answer (`None`: always).
    pub hours: Option<chimpassist_protocol::hours::BusinessHours>,
}

/// A conversation record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub customer_id: CustomerId,
    pub queue_id: QueueId,
    pub status: ConversationStatus,
    pub attendant_id: Option<AttendantId>,
    /// When the customer asked; FIFO order within a queue. Kept when a conversation is
    /// re-queued, so a conversation taken from a lapsed attendant goes back to the head.
    pub requested_at: TimestampMs,
    pub assigned_at: Option<TimestampMs>,
    pub ended_at: Option<TimestampMs>,
    /// Seq of the newest message, 0 when none.
    pub last_seq: Seq,
    pub rating: Option<Rating>,
    /// Problem text from the pre-chat form.
    pub subject: Option<String>,
}

/// A conversation to create (status `queued`, `last_seq` 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConversation {
    pub id: ConversationId,
    pub customer_id: CustomerId,
    pub queue_id: QueueId,
    pub requested_at: TimestampMs,
    pub subject: Option<String>,
}

/// What a [`Transition`] does to the assigned attendant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttendantChange {
    Keep,
    Set(AttendantId),
    Clear,
}

/// A compare-and-set status change.
///
/// Applied only if the conversation's current status is one of `from`; otherwise
/// [`crate::StoreError::Conflict`]. Timestamps follow the target status: `assigned_at` is
/// set when entering `assigned`, `ended_at` when entering `resolved`/`expired`/`abandoned`;
/// entering `queued` clears both (and the rating) but keeps `requested_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub id: ConversationId,
    pub from: Vec<ConversationStatus>,
    pub to: ConversationStatus,
    pub attendant: AttendantChange,
    pub at: TimestampMs,
    /// When set together with `AttendantChange::Set(a)`: fail with
    /// [`crate::StoreError::AtCapacity`] unless `a` holds fewer than this many open
    /// (`assigned` or `active`) conversations, checked atomically with the change.
    pub capacity: Option<u32>,
    /// Moves the conversation to another queue (transfer to a queue).
    pub queue: Option<QueueId>,
    /// Replaces the request time, e.g. when a customer reopens an ended conversation: it then
    /// queues as a new request instead of jumping ahead of everyone.
    pub requested_at: Option<TimestampMs>,
}

impl Transition {
    /// The record after this transition, computed from the current one. Every backend uses
    /// it, so they agree: timestamps follow the target status, and re-queueing clears the
    /// assignment time, the end time and the rating. (Checks — `from`, capacity — are the
    /// backend's, inside its atomic write.)
    pub fn apply(&self, conv: &mut Conversation) {
        match &self.attendant {
            AttendantChange::Keep => {}
            AttendantChange::Set(a) => conv.attendant_id = Some(a.clone()),
            AttendantChange::Clear => conv.attendant_id = None,
        }
        if let Some(queue) = &self.queue {
            conv.queue_id = queue.clone();
        }
        if let Some(requested_at) = self.requested_at {
            conv.requested_at = requested_at;
        }
        conv.status = self.to;
        match self.to {
            ConversationStatus::Queued => {
                conv.assigned_at = None;
                conv.ended_at = None;
                conv.rating = None;
            }
            ConversationStatus::Assigned => conv.assigned_at = Some(self.at),
            ConversationStatus::Active => {}
            ConversationStatus::Resolved
            | ConversationStatus::Expired
            | ConversationStatus::Abandoned => conv.ended_at = Some(self.at),
        }
    }
}

impl Transition {
    /// What this transition of `current` adds to the conversation's report facts (see
    /// [`ConversationFacts`]). Every backend applies it the same way, inside the same atomic
    /// write as the transition.
    pub fn marks(&self, current: &Conversation) -> TransitionMarks {
        TransitionMarks {
            assigned_at: (self.to == ConversationStatus::Assigned).then_some(self.at),
            reopened: !current.status.is_open() && self.to.is_open(),
        }
    }
}

/// See [`Transition::marks`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransitionMarks {
    /// Kept as `first_assigned_at` when the conversation has none yet.
    pub assigned_at: Option<TimestampMs>,
    /// An ended conversation taken back: `reopened` goes up by one.
    pub reopened: bool,
}

impl From<NewConversation> for Conversation {
    /// The record a new conversation starts as: queued, nobody assigned, no messages. Every
    /// backend stores exactly this, so a caller can know the record before the write returns.
    fn from(new: NewConversation) -> Self {
        Conversation {
            id: new.id,
            customer_id: new.customer_id,
            queue_id: new.queue_id,
            status: ConversationStatus::Queued,
            attendant_id: None,
            requested_at: new.requested_at,
            assigned_at: None,
            ended_at: None,
            last_seq: 0,
            rating: None,
            subject: new.subject,
        }
    }
}

/// One write of [`crate::Store::write_conversations`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConversationWrite {
    /// As [`crate::Store::create_conversation`].
    Create(NewConversation),
    /// As [`crate::Store::transition`].
    Transition(Transition),
}

impl ConversationWrite {
    /// The conversation written.
    pub fn conversation(&self) -> ConversationId {
        match self {
            Self::Create(new) => new.id,
            Self::Transition(t) => t.id,
        }
    }
}

/// A message to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub conversation: ConversationId,
    pub client_id: ClientMessageId,
    pub sender_party: Party,
    pub sender_id: String,
    pub sender_name: String,
    pub text: MessageText,
    pub timestamp: TimestampMs,
    /// Set on a message that records a call (written by the coordinator when it ends).
    pub call: Option<CallRecord>,
    /// The files it carries (uploaded to the same conversation beforehand), as they were
    /// when it was sent.
    pub attachments: Vec<FileInfo>,
}

/// What one stored message adds to its conversation's report facts (see
/// [`ConversationFacts`]), computed by every backend with [`MessageTally::of`] inside the
/// append's atomic write, so a resend (which writes nothing) adds nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageTally {
    pub customer_messages: u64,
    pub attendant_messages: u64,
    /// Kept as `first_response_at` when the conversation has none yet (the earliest wins).
    pub first_response_at: Option<TimestampMs>,
    pub calls: u32,
    pub calls_answered: u32,
    pub calls_missed: u32,
    pub talk_ms: i64,
}

impl MessageTally {
    /// A message from `party` at `timestamp`, recording `call` if set. A call's record is
    /// counted as a call, not as a message nor as a response: it is written when the call
    /// ends, so its time is not when anyone answered.
    pub fn of(party: Party, timestamp: TimestampMs, call: Option<&CallRecord>) -> Self {
        let Some(call) = call else {
            return match party {
                Party::Customer => Self {
                    customer_messages: 1,
                    ..Self::default()
                },
                Party::Attendant => Self {
                    attendant_messages: 1,
                    first_response_at: Some(timestamp),
                    ..Self::default()
                },
                // A bot's answer is not a person's: the reports measure how people answer
                // (first response counts from the first person's message).
                Party::Bot => Self::default(),
            };
        };
        let mut tally = Self {
            calls: 1,
            ..Self::default()
        };
        match call.outcome() {
            CallOutcome::Answered { duration_ms } => {
                tally.calls_answered = 1;
                tally.talk_ms = duration_ms;
            }
            CallOutcome::Missed => tally.calls_missed = 1,
            CallOutcome::Declined | CallOutcome::Cancelled => {}
        }
        tally
    }

    /// Both together (a batch of messages to one conversation).
    pub fn plus(self, other: Self) -> Self {
        Self {
            customer_messages: self.customer_messages + other.customer_messages,
            attendant_messages: self.attendant_messages + other.attendant_messages,
            first_response_at: match (self.first_response_at, other.first_response_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            calls: self.calls + other.calls,
            calls_answered: self.calls_answered + other.calls_answered,
            calls_missed: self.calls_missed + other.calls_missed,
            talk_ms: self.talk_ms + other.talk_ms,
        }
    }
}

impl NewMessage {
    pub fn tally(&self) -> MessageTally {
        MessageTally::of(self.sender_party, self.timestamp, self.call.as_ref())
    }
}

/// What reports know of one conversation: its record and the facts the store keeps beside it
/// as it changes (never recomputed from a node's memory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationFacts {
    pub conversation: Conversation,
    /// When it was first requested. `conversation.requested_at` moves when a customer reopens
    /// an ended conversation (so it queues as a new request); this never does.
    pub created_at: TimestampMs,
    /// The first time it entered `assigned` (`conversation.assigned_at` moves with transfers
    /// and re-queues).
    pub first_assigned_at: Option<TimestampMs>,
    /// Its first message from the attendant side (not counting call records).
    pub first_response_at: Option<TimestampMs>,
    /// How many times it was taken back after it ended.
    pub reopened: u32,
    pub customer_messages: u64,
    pub attendant_messages: u64,
    pub calls: u32,
    pub calls_answered: u32,
    pub calls_missed: u32,
    pub talk_ms: i64,
}

/// Where a page of [`ConversationFacts`] ends: the `(created_at, id)` of its last row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactsCursor {
    pub created_at: TimestampMs,
    pub id: ConversationId,
}

/// A stored message with its sequence number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub conversation: ConversationId,
    pub seq: Seq,
    pub client_id: ClientMessageId,
    pub sender_party: Party,
    pub sender_id: String,
    pub sender_name: String,
    pub text: MessageText,
    pub timestamp: TimestampMs,
    /// Set on a message that records a call (written by the coordinator when it ends).
    pub call: Option<CallRecord>,
    /// The files it carries (uploaded to the same conversation beforehand), as they were
    /// when it was sent.
    pub attachments: Vec<FileInfo>,
}

/// Result of [`crate::Store::append_message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub message: StoredMessage,
    /// True when this client id was already stored: `message` is the original, nothing new
    /// was written.
    pub duplicate: bool,
}

/// Position in a customer's message history across conversations, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCursor {
    pub timestamp: TimestampMs,
    pub conversation: ConversationId,
    pub seq: Seq,
}

/// A callback request left while nobody was available.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub id: CallbackId,
    pub queue_id: QueueId,
    pub customer_id: Option<CustomerId>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub preferred_time: Option<String>,
    pub note: Option<String>,
    pub created_at: TimestampMs,
    pub done_at: Option<TimestampMs>,
    pub done_by: Option<AttendantId>,
}

/// Which callbacks [`crate::Store::list_callbacks`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackFilter {
    /// Not yet marked done.
    Open,
    /// Marked done.
    Done,
    All,
}

impl CallbackFilter {
    pub fn allows(self, callback: &Callback) -> bool {
        match self {
            Self::Open => callback.done_at.is_none(),
            Self::Done => callback.done_at.is_some(),
            Self::All => true,
        }
    }
}

/// Where a page of callbacks ends: the `(created_at, id)` of its last (oldest) entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackCursor {
    pub created_at: TimestampMs,
    pub id: CallbackId,
}

/// A named lease, held by one holder at a time until `expires_at` (the coordinator's leadership).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub name: String,
    /// Who holds it (a node id).
    pub holder: String,
    /// Grows by one every time the lease is granted afresh (free, expired, or taken over) — a
    /// fencing token; a renewal by the current holder before it expires keeps it.
    pub term: u64,
    pub expires_at: TimestampMs,
}

impl Lease {
    /// When a lease claimed at `now` for `ttl_ms` runs out: `now + ttl_ms`, saturating, so an
    /// absurd ttl means "never" rather than an overflow. Every backend computes it this way.
    pub fn expiry(now: TimestampMs, ttl_ms: u64) -> TimestampMs {
        now.saturating_add(i64::try_from(ttl_ms).unwrap_or(i64::MAX))
    }
}
