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
    /// A bot answers this queue's new conversations first (absent: people do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<QueueBot>,
    /// When people answer (absent: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::hours::BusinessHours>,
}

/// A bot as a queue's first responder: new conversations wait for it, not for people, until
/// it hands them over (`POST /api/conversations/{id}/handoff`) or `timeout_secs` pass; then
/// they queue for people as usual. The bot itself is the site's integration: it learns of
/// new conversations and messages by webhook and answers with an API token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueBot {
    /// Shown to customers and attendants as the bot's name, 1 to 60 characters.
    pub name: String,
    /// Seconds the bot may hold a conversation before people get it, 1 to 86,400.
    pub timeout_secs: u32,
}

/// Bounds of [`QueueBot`]'s fields.
pub const MAX_BOT_NAME_LEN: usize = 60;
pub const BOT_TIMEOUT_SECS: std::ops::RangeInclusive<u32> = 1..=86_400;

impl QueueBot {
    /// The settings with the name trimmed, or what is wrong with them.
    pub fn checked(self) -> Result<Self, String> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_BOT_NAME_LEN {
            return Err(format!(
                "the bot's name must be 1 to {MAX_BOT_NAME_LEN} characters"
            ));
        }
        if !BOT_TIMEOUT_SECS.contains(&self.timeout_secs) {
            return Err(format!(
                "the bot's timeout must be {} to {} seconds",
                BOT_TIMEOUT_SECS.start(),
                BOT_TIMEOUT_SECS.end()
            ));
        }
        Ok(Self { name, ..self })
    }
}

/// `POST /api/conversations/{id}/messages` (token with `messages:write`): a bot's message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotMessageRequest {
    pub text: crate::MessageText,
    /// Makes a retry safe: the same id in the same conversation is stored once (a bot that
    /// answers a webhook delivered twice posts once). A fresh one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<crate::ClientMessageId>,
    /// The name shown (1 to 60 characters); by default the queue's bot name, else the
    /// token's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /api/conversations/{id}/handoff` (token with `conversations:manage`): the bot gives
/// the conversation to people, in its queue or in `queue`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoffRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
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
    /// False outside the queue's business hours: the widget offers its forms instead.
    #[serde(default = "open")]
    pub open: bool,
    /// When closed, the next opening (absent when none is scheduled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<crate::TimestampMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations: Option<QueueObservations>,
    /// Estimated wait for a newcomer, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ewt: Option<u32>,
}

fn open() -> bool {
    true
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
