//! Outgoing webhooks: the events Chimp Assist sends to other systems, and the bodies of the
//! admin API that manages where they go (`/api/webhooks/...`).
//!
//! Each delivery is a `POST` whose body is `{"type", "timestamp", "data"}` ([`WebhookEvent`]
//! gives `type` and `data`), signed per Standard Webhooks v1 (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`): see `docs/webhooks.md`.

use serde::{Deserialize, Serialize};

use crate::call::CallRecord;
use crate::file::FileInfo;
use crate::ids::{AttendantId, CallbackId, ConversationId, CustomerId, QueueId, Seq, TimestampMs};
use crate::model::{ConversationStatus, Party};

/// What happened. The wire form (`conversation.created`, …) is [`WebhookEventType::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEventType {
    /// A customer asked for a chat (a new conversation, queued).
    #[serde(rename = "conversation.created")]
    ConversationCreated,
    /// A queued conversation was given to an attendant.
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned,
    /// An assigned conversation moved to another attendant or another queue.
    #[serde(rename = "conversation.transferred")]
    ConversationTransferred,
    #[serde(rename = "conversation.resolved")]
    ConversationResolved,
    /// Ended without being resolved: the customer left before anyone answered (`abandoned`)
    /// or went quiet for too long (`expired`). `data.conversation.status` says which.
    #[serde(rename = "conversation.ended")]
    ConversationEnded,
    /// An ended conversation was taken up again (by the customer or an attendant).
    #[serde(rename = "conversation.reopened")]
    ConversationReopened,
    /// A message was stored (customer's or attendant's; with its attachments' metadata).
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "csat.submitted")]
    CsatSubmitted,
    #[serde(rename = "callback.requested")]
    CallbackRequested,
    /// A voice or video call ended (its record: who started it, answered or not, how long).
    #[serde(rename = "call.ended")]
    CallEnded,
    /// A customer's data was erased (their right to erasure): drop what you keep about them.
    #[serde(rename = "contact.erased")]
    ContactErased,
    /// The site changed what it says about a customer (their attributes).
    #[serde(rename = "contact.updated")]
    ContactUpdated,
}

/// A conversation as events carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookConversation {
    pub id: ConversationId,
    pub customer_id: CustomerId,
    pub queue_id: QueueId,
    pub status: ConversationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendant_id: Option<AttendantId>,
    pub requested_at: TimestampMs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// `data` of the `conversation.*` events: the conversation after the change, and for a
/// transfer where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationEventData {
    pub conversation: WebhookConversation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_attendant_id: Option<AttendantId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_queue_id: Option<QueueId>,
}

/// Who sent a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSender {
    pub party: Party,
    pub id: String,
    pub name: String,
}

/// `data` of `message.created`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageEventData {
    pub conversation_id: ConversationId,
    pub seq: Seq,
    pub sender: WebhookSender,
    /// The text, cut short (at a character boundary) when it would take the event past
    /// 20 KB; `text_truncated` then says so and the API has the whole message.
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub text_truncated: bool,
    pub timestamp: TimestampMs,
    /// Metadata only (id, name, size, type); the bytes stay behind the API.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<FileInfo>,
}

/// `data` of `csat.submitted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsatEventData {
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    /// Who held the conversation when it was rated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendant_id: Option<AttendantId>,
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `data` of `callback.requested`: what the visitor left, to call them back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackEventData {
    pub id: CallbackId,
    pub queue_id: QueueId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_at: TimestampMs,
}

/// `data` of `call.ended`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallEventData {
    pub conversation_id: ConversationId,
    /// The transcript line that records the call.
    pub seq: Seq,
    pub call: CallRecord,
}

/// `data` of `contact.erased`: who, in the ids a receiver knows them by. Nothing else is left
/// to say about them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactErasedData {
    pub customer_id: CustomerId,
    /// The site's own id for them (`userData.id`), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    pub erased_at: TimestampMs,
}

/// `data` of `contact.updated`: the customer's attributes as they are now (all of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactUpdatedData {
    pub customer_id: CustomerId,
    /// The site's own id for them (`userData.id`), only when the site proved it (a visitor
    /// can claim any id, and set attributes from the page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    pub attributes: crate::Attributes,
    pub updated_at: TimestampMs,
}

/// An event: `type` and `data` of a delivery's body (the body adds `timestamp`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    #[serde(rename = "conversation.created")]
    ConversationCreated(ConversationEventData),
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned(ConversationEventData),
    #[serde(rename = "conversation.transferred")]
    ConversationTransferred(ConversationEventData),
    #[serde(rename = "conversation.resolved")]
    ConversationResolved(ConversationEventData),
    #[serde(rename = "conversation.ended")]
    ConversationEnded(ConversationEventData),
    #[serde(rename = "conversation.reopened")]
    ConversationReopened(ConversationEventData),
    #[serde(rename = "message.created")]
    MessageCreated(MessageEventData),
    #[serde(rename = "csat.submitted")]
    CsatSubmitted(CsatEventData),
    #[serde(rename = "callback.requested")]
    CallbackRequested(CallbackEventData),
    #[serde(rename = "call.ended")]
    CallEnded(CallEventData),
    #[serde(rename = "contact.erased")]
    ContactErased(ContactErasedData),
    #[serde(rename = "contact.updated")]
    ContactUpdated(ContactUpdatedData),
}

impl WebhookEvent {
    pub fn kind(&self) -> WebhookEventType {
        use WebhookEventType as T;
        match self {
            Self::ConversationCreated(_) => T::ConversationCreated,
            Self::ConversationAssigned(_) => T::ConversationAssigned,
            Self::ConversationTransferred(_) => T::ConversationTransferred,
            Self::ConversationResolved(_) => T::ConversationResolved,
            Self::ConversationEnded(_) => T::ConversationEnded,
            Self::ConversationReopened(_) => T::ConversationReopened,
            Self::MessageCreated(_) => T::MessageCreated,
            Self::CsatSubmitted(_) => T::CsatSubmitted,
            Self::CallbackRequested(_) => T::CallbackRequested,
            Self::CallEnded(_) => T::CallEnded,
            Self::ContactErased(_) => T::ContactErased,
            Self::ContactUpdated(_) => T::ContactUpdated,
        }
    }

    /// `data` alone, as JSON (what the outbox keeps; the body is assembled at delivery).
    pub fn data_json(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        value
            .get("data")
            .map(serde_json::Value::to_string)
            .unwrap_or_else(|| "{}".to_owned())
    }
}

// --- the admin API --------------------------------------------------------------------------

/// Longest endpoint URL accepted, in bytes.
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;
/// Longest description, in characters.
pub const MAX_WEBHOOK_DESCRIPTION_LEN: usize = 200;

/// `POST /api/webhooks`: a new endpoint. The server generates its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookRequest {
    /// `https://…` (or `http://…`); no user name or password in it.
    pub url: String,
    /// At least one.
    pub events: Vec<WebhookEventType>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

/// `PATCH /api/webhooks/{id}`: the fields given change. Enabling an endpoint that was
/// disabled (by an admin, a `410`, or days of failures) clears the reason and the failure
/// streak.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEventType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An endpoint as the admin API shows it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    pub id: crate::ids::WebhookId,
    pub url: String,
    pub events: Vec<WebhookEventType>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: TimestampMs,
    /// Why it is disabled, when the server disabled it (`410 Gone`, failing for days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (cleared by a success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<TimestampMs>,
    /// While a rotated-out secret still signs too (both signatures are sent), until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<TimestampMs>,
}

/// The answer to creating an endpoint or rotating its secret: the secret is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    /// `whsec_` + base64 of 32 random bytes (Standard Webhooks' symmetric form).
    pub secret: String,
}

/// `POST /api/webhooks/{id}/rotate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateSecret {
    /// How long the old secret keeps signing alongside the new one, in minutes: 0 to 10,080
    /// (a week); 1,440 (a day) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_minutes: Option<u32>,
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttemptOutcome {
    /// A 2xx: done.
    Delivered,
    /// Failed; tried again at `next_attempt_at`.
    Retrying,
    /// Failed and the schedule is spent (or the endpoint answered `410 Gone`): not retried
    /// unless redelivered.
    Failed,
}

/// One delivery attempt, as the endpoint's log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttemptView {
    pub id: crate::ids::AttemptId,
    /// The `webhook-id` sent (the same on every attempt of one event).
    pub event_id: crate::ids::WebhookEventId,
    pub event_type: WebhookEventType,
    /// 1 for the first try of this event to this endpoint.
    pub attempt: u32,
    pub at: TimestampMs,
    /// The HTTP status, when the endpoint answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub duration_ms: u64,
    /// What went wrong, when something did (timeout, refused destination, status…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub outcome: AttemptOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<TimestampMs>,
}

/// `GET /api/webhooks/{id}/deliveries`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryLog {
    pub attempts: Vec<DeliveryAttemptView>,
    /// Pass as `before` for the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<crate::ids::AttemptId>,
}
