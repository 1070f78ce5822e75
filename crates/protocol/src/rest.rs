//! Bodies of the REST API (`/api/...` and the seed's routes).

use serde::{Deserialize, Serialize};

use crate::ids::{AttendantId, CallbackId, CustomerId, QueueId, TimestampMs};
use crate::model::{
    AssignmentMode, AttendantView, MessageView, Presence, QueueObservations, Role, UserClaim,
};

/// `POST /api/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// E-mail or user name (e.g. `admin`).
    pub email: String,
    pub password: String,
}

/// `POST /api/me/password`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub current: String,
    pub new: String,
}

/// `POST /session`: exchange this browser's token (if any) and the host page's claim for a
/// customer token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRequest {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub user: Option<UserClaim>,
}

/// `POST /api/attendants` (admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAttendantRequest {
    pub email: String,
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub skill: Option<String>,
    #[serde(default)]
    pub queues: Option<Vec<QueueId>>,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// `PATCH /api/attendants/{id}` (admin); absent fields stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateAttendantRequest {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub skill: Option<String>,
    pub queues: Option<Vec<QueueId>>,
    pub capacity: Option<u32>,
    pub disabled: Option<bool>,
    pub avatar_url: Option<String>,
}

/// `POST /api/attendants/{id}/password` (admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetPasswordRequest {
    pub password: String,
}

/// A queue's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueView {
    pub id: QueueId,
    pub name: String,
    pub mode: AssignmentMode,
    #[serde(default)]
    pub skill: Option<String>,
    #[serde(default)]
    pub greeting: Option<String>,
    #[serde(default)]
    pub away_message: Option<String>,
    /// Who may start a call in this queue's conversations (default: the attendant).
    #[serde(default)]
    pub calls: crate::CallPolicy,
}

/// `POST /api/callback` (public): someone wants to be called back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackRequest {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub preferred_time: Option<String>,
    #[serde(default)]
    pub queue: Option<QueueId>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A stored callback request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackView {
    pub id: CallbackId,
    pub queue: QueueId,
    #[serde(default)]
    pub customer: Option<CustomerId>,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub preferred_time: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub created_at: TimestampMs,
    #[serde(default)]
    pub done_at: Option<TimestampMs>,
    #[serde(default)]
    pub done_by: Option<AttendantId>,
}

/// `GET /api/callbacks`: a page of callback requests, newest first; pass `next` back as
/// `before` for the older page (`null`: this was the last one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbacksPage {
    pub callbacks: Vec<CallbackView>,
    #[serde(default)]
    pub next: Option<String>,
}

/// A page of messages, newest first; pass `next` back as `before` for the older page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesPage {
    pub messages: Vec<MessageView>,
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /config/attendant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendantConfig {
    /// Milliseconds (the seed's name).
    #[serde(rename = "keepAliveTTL")]
    pub keep_alive_ttl: u64,
    pub me: AttendantView,
}

/// `GET /api/stats/{queueId}`, in the seed's stats-service shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueStats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations: Option<QueueObservations>,
    /// Estimated wait for a newcomer, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ewt: Option<u32>,
}

/// `GET /config/backoffice` (public: the login page needs it before anyone is logged in).
/// The operator's branding and the limits the back-office must know; labels left unset use
/// the back-office's translated defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackofficeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_small_url: Option<String>,
    /// Shown for attendants without an avatar of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_attendant_avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fav_icon_url: Option<String>,
    pub main_page_title: String,
    pub login_page_title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_customers_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_customers_label: Option<String>,
    /// `en` or `pt-BR`: the language every user gets, whatever their browser asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_language: Option<String>,
    /// Longest message text, bytes, so the composer can stop before the server refuses.
    pub max_text_bytes: u32,
    /// Whether `/api/customers/{id}/{kind}` has an endpoint to ask; else the back-office
    /// hides the customer panels it feeds.
    pub statistics_configured: bool,
}

/// `GET /api/attendants/directory`: an enabled colleague, for the transfer picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendantDirectoryEntry {
    pub id: AttendantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// As the coordinator holds it; `offline` when not connected.
    pub presence: Presence,
    pub queues: Vec<QueueId>,
}
