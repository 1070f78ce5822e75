//! The things both sides talk about: conversations, messages, people, queues.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ProtocolError};
use crate::ids::{
    AttendantId, ClientMessageId, ConversationId, CustomerId, QueueId, Seq, TimestampMs,
};

/// Default longest message text, in bytes (the server's limit is configurable).
pub const DEFAULT_MAX_TEXT_BYTES: usize = 4096;

/// Why blank text is refused; the decoder knows the refusal by it.
pub(crate) const EMPTY_TEXT: &str = "message text is empty";

/// The text of a chat message: not blank, at most the configured number of bytes.
///
/// The text is kept exactly as typed (no trimming, no HTML processing); front ends render it
/// as text, never as markup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: impl Into<String>, max_bytes: usize) -> Result<Self, ProtocolError> {
        let raw = raw.into();
        if raw.trim().is_empty() {
            return Err(ProtocolError::new(ErrorCode::EmptyText, EMPTY_TEXT));
        }
        let text = Self(raw);
        text.within(max_bytes)?;
        Ok(text)
    }

    /// Refuses this text if it is over `max_bytes`, as [`MessageText::parse`] would: for text
    /// that was deserialized (which knows no limit), without copying it.
    pub fn within(&self, max_bytes: usize) -> Result<(), ProtocolError> {
        if self.0.len() > max_bytes {
            return Err(ProtocolError::new(
                ErrorCode::TextTooLong,
                format!(
                    "message text is {} bytes; the limit is {max_bytes}",
                    self.0.len()
                ),
            ));
        }
        Ok(())
    }

    /// Text read back from a store: it passed its checks when it was sent (a later, lower
    /// limit must not make history unreadable), and it is empty on a message that carries
    /// only files.
    pub fn stored(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The text of a message that is only files (a `send` without `text`).
    pub fn none() -> Self {
        Self(String::new())
    }

    /// True only for [`MessageText::none`]: a text that was sent is never blank.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Default for MessageText {
    /// [`MessageText::none`]: what a `send` that carries only files has.
    fn default() -> Self {
        Self::none()
    }
}

impl<'de> Deserialize<'de> for MessageText {
    /// Deserializing only rejects blank text; the length limit is applied by
    /// [`crate::decode::Limits`], because it is configurable per server.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        MessageText::parse(raw, usize::MAX).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// What the host page says about its logged-in visitor (`localStorage.userData`).
///
/// Without proof this is display data only. `hash` is hex HMAC-SHA256 of `id` under the
/// site's identity secret; `token` is an HS256 JWT (`sub` = id, `exp` required) made by the
/// site's backend with the same secret. Either one makes the claim *verified*.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserClaim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "avatarURL", skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

pub use crate::party::Party;

/// Lifecycle of a conversation.
///
/// `queued → assigned → active → resolved | expired`; `queued → abandoned`.
/// A resolved conversation goes back to `queued` when the customer writes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConversationStatus {
    /// Waiting in its queue for an attendant.
    Queued,
    /// Given to an attendant who has not answered yet.
    Assigned,
    /// The attendant has answered.
    Active,
    /// Ended by the attendant or the customer.
    Resolved,
    /// The customer was gone longer than the session keep-alive.
    Expired,
    /// The customer left while still queued.
    Abandoned,
}

impl ConversationStatus {
    /// Queued, assigned or active: the conversation still needs (or has) an attendant.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Queued | Self::Assigned | Self::Active)
    }
}

/// Attendant availability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Presence {
    /// Takes new conversations.
    Online,
    /// Keeps current conversations, takes no new ones.
    Away,
    /// Not connected (keep-alive lapsed).
    Offline,
}

/// Customer presence as the widget reports it (`gone` is set by the server on disconnect).
/// `Gone` is the default: a customer the server holds no connection of is not there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CustomerPresence {
    Active,
    Inactive,
    #[default]
    Gone,
}

/// Typing state, relayed and never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TypingState {
    Composing,
    Paused,
}

/// Receipt kinds; both mean "up to and including `up_to_seq`".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReceiptKind {
    Delivered,
    Read,
}

/// Attendant roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Admin,
    Attendant,
}

/// How a queue hands out conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AssignmentMode {
    /// Least-loaded online attendant with free capacity, ties to the longest idle.
    #[default]
    Auto,
    /// Attendants press "next customer" and get the oldest waiting conversation.
    Manual,
}

/// A customer satisfaction rating given after the conversation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// 1 (bad) to 5 (great).
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Rating {
    pub const MAX_COMMENT_BYTES: usize = 2000;

    pub fn validate(&self) -> Result<(), ProtocolError> {
        if !(1..=5).contains(&self.score) {
            return Err(ProtocolError::invalid("score must be between 1 and 5"));
        }
        if self
            .comment
            .as_deref()
            .is_some_and(|c| c.len() > Self::MAX_COMMENT_BYTES)
        {
            return Err(ProtocolError::new(
                ErrorCode::TextTooLong,
                format!("comment is longer than {} bytes", Self::MAX_COMMENT_BYTES),
            ));
        }
        Ok(())
    }
}

/// A customer as attendants see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerView {
    pub id: CustomerId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The host site's id for this visitor (from `userData.id`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// True when the host site proved the id (`external_id`) with an HMAC or a signed token.
    pub verified: bool,
    /// True when the name, e-mail and avatar came from the site's signed token too (its `name`,
    /// `email` and `avatar` claims). False for an HMAC proof, which covers the id only: the
    /// profile is then what the visitor's page claimed, shown as such.
    #[serde(default)]
    pub profile_verified: bool,
}

/// What a customer sees of an attendant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendantPublic {
    pub id: AttendantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// An attendant account as the attendant themself and admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendantView {
    pub id: AttendantId,
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    pub role: Role,
    /// Skill/type, e.g. `support/firstLevel`.
    pub skill: String,
    pub queues: Vec<QueueId>,
    /// Most conversations this attendant holds at once.
    pub capacity: u32,
    pub disabled: bool,
    /// The password is the default one and must be changed.
    pub must_change_password: bool,
}

/// A conversation summary: enough to draw a list item or a chat header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationView {
    pub id: ConversationId,
    pub queue: QueueId,
    pub status: ConversationStatus,
    pub customer: CustomerView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendant: Option<AttendantPublic>,
    pub requested_at: TimestampMs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_at: Option<TimestampMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<TimestampMs>,
    /// Seq of the newest message (0 when there is none).
    pub last_seq: Seq,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// The problem text from the pre-chat form, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The customer's presence when the view was made, so a list shows who is still there
    /// before any `customer_presence` frame arrives.
    #[serde(default)]
    pub customer_presence: CustomerPresence,
    /// The newest message, so a list item shows a preview without a history request. Set
    /// in the attendant's `welcome` and `assigned` frames only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<MessageView>,
    /// Receipts as stored, so a list marks unread conversations. Set where `last_message`
    /// is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipts: Option<Receipts>,
    /// The name of the bot answering it, while a bot holds it (queued, not yet offered to
    /// people): the widget shows the bot instead of a queue position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
}

/// Who wrote a message, as shown to readers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sender {
    pub party: Party,
    /// Customer id, attendant id, or for a bot the id of the API token it used.
    pub id: String,
    pub name: String,
}

/// A stored chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub conversation: ConversationId,
    pub seq: Seq,
    pub client_id: ClientMessageId,
    pub from: Sender,
    /// Absent on a message that is only files.
    #[serde(default, skip_serializing_if = "MessageText::is_empty")]
    pub text: MessageText,
    pub timestamp: TimestampMs,
    /// Set on the message that records a call: what happened (its text says it in words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Boxed: most messages have none, and every copy of a message would carry its room.
    pub call: Option<Box<crate::call::CallRecord>>,
    /// The files the message carries, with links minted for whoever receives this copy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::file::AttachmentView>,
}

/// "Up to seq" receipts of one conversation, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipts {
    pub customer_delivered: Seq,
    pub customer_read: Seq,
    pub attendant_delivered: Seq,
    pub attendant_read: Seq,
}

/// Live numbers of one queue, in the shape of the seed's public stats service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueObservations {
    /// Online members with free capacity.
    pub available_agents: u32,
    /// Online or away members holding at least one conversation and no free capacity, or away.
    pub busy_agents: u32,
    pub chat: ChannelObservation,
}

/// Waiting and interacting conversation counts of one channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelObservation {
    pub interacting: u32,
    pub waiting: u32,
}
