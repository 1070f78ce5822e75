//! The audit log: who did what to which account, queue, response or endpoint, and when
//! (`GET /api/audit`, admins).

use serde::{Deserialize, Serialize};

use crate::ids::{AuditId, TimestampMs};

/// What an admin did. The wire form (`attendant.created`, …) is [`AuditAction::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuditAction {
    #[serde(rename = "attendant.created")]
    AttendantCreated,
    /// Name, role, queues, capacity, disabled… (`summary` says which changed).
    #[serde(rename = "attendant.updated")]
    AttendantUpdated,
    #[serde(rename = "attendant.password_reset")]
    AttendantPasswordReset,
    #[serde(rename = "queue.saved")]
    QueueSaved,
    #[serde(rename = "canned.created")]
    CannedCreated,
    #[serde(rename = "canned.updated")]
    CannedUpdated,
    #[serde(rename = "canned.deleted")]
    CannedDeleted,
    #[serde(rename = "greeting.created")]
    GreetingCreated,
    #[serde(rename = "greeting.updated")]
    GreetingUpdated,
    #[serde(rename = "greeting.deleted")]
    GreetingDeleted,
    #[serde(rename = "webhook.created")]
    WebhookCreated,
    #[serde(rename = "webhook.updated")]
    WebhookUpdated,
    #[serde(rename = "webhook.deleted")]
    WebhookDeleted,
    #[serde(rename = "webhook.secret_rotated")]
    WebhookSecretRotated,
    #[serde(rename = "webhook.redelivered")]
    WebhookRedelivered,
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    /// A customer's data was exported (`summary`: how much, never what).
    #[serde(rename = "contact.exported")]
    ContactExported,
    /// A customer's data was erased (`target`: their former id; `summary`: how much).
    #[serde(rename = "contact.erased")]
    ContactErased,
}

/// Who acted: a signed-in attendant, or an integration with an API token (`admin` scope).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ActorKind {
    #[default]
    Attendant,
    Token,
}

/// Who acted: their id and their name as it was then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditActor {
    #[serde(default)]
    pub kind: ActorKind,
    /// An attendant id, or an API token's id.
    pub id: String,
    pub name: String,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: TimestampMs,
    pub actor: AuditActor,
    pub action: AuditAction,
    /// What was acted on: an attendant, queue, canned response or endpoint id.
    pub target: String,
    /// What changed, in words (field names and non-personal values, never secrets or
    /// passwords).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// `GET /api/audit`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<AuditId>,
}
