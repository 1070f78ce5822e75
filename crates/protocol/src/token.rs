//! API tokens: what an integration presents as `Authorization: Bearer …` on the REST API,
//! and the bodies of the admin API that issues and revokes them (`/api/tokens/...`).
//!
//! A token carries scopes; each route names the scope it needs (the OpenAPI document lists
//! them). The token itself is shown once, when it is created; the server keeps only its hash.

use serde::{Deserialize, Serialize};

use crate::ids::{ApiTokenId, AttendantId, TimestampMs};

/// What a token may do. The wire form (`conversations:read`, …) is [`ApiScope::as_str`]
/// (`forms.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApiScope {
    /// Read conversations, their transcripts and customers' histories, and search them (as
    /// an admin sees them: every queue).
    #[serde(rename = "conversations:read")]
    ConversationsRead,
    /// Read reports: the overview, the conversations behind a number, the CSV, the live board.
    #[serde(rename = "reports:read")]
    ReportsRead,
    /// Post messages as a bot in open conversations (`POST /api/conversations/{id}/messages`).
    #[serde(rename = "messages:write")]
    MessagesWrite,
    /// Hand a conversation over from the bot to people, or resolve it
    /// (`POST /api/conversations/{id}/handoff`, `.../resolve`).
    #[serde(rename = "conversations:manage")]
    ConversationsManage,
    /// Everything an admin may do on the REST API (accounts, queues, canned responses,
    /// webhooks, the audit log) and every other scope. Not the tokens themselves: those are
    /// managed from a signed-in admin's session only, so a leaked token cannot mint its own
    /// successors.
    #[serde(rename = "admin")]
    Admin,
}

impl ApiScope {
    /// Whether a token holding `scopes` may use a route that needs `self` (`admin` implies
    /// every scope).
    pub fn granted_by(self, scopes: &[ApiScope]) -> bool {
        scopes.iter().any(|s| *s == self || *s == Self::Admin)
    }
}

/// Longest token name, in characters.
pub const MAX_TOKEN_NAME_LEN: usize = 80;

/// `POST /api/tokens`: a new token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenRequest {
    /// What it is for ("CRM sync"), 1 to 80 characters.
    pub name: String,
    /// At least one.
    pub scopes: Vec<ApiScope>,
    /// Days until it stops working (1 to 3,650); never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
}

/// A token as the admin API shows it: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenView {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// The token's last four characters, to tell tokens apart (`chimp_…a1b2`).
    pub hint: String,
    pub created_at: TimestampMs,
    pub created_by: AttendantId,
    /// When it was last presented (to the minute: uses within a minute are not each
    /// written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<TimestampMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<TimestampMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<TimestampMs>,
}

/// The answer to creating a token: the token is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenWithSecret {
    pub token: ApiTokenView,
    /// `chimp_` + base64url of 32 random bytes: send as `Authorization: Bearer <this>`.
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_implies_every_scope_and_others_only_themselves() {
        assert!(ApiScope::ReportsRead.granted_by(&[ApiScope::Admin]));
        assert!(ApiScope::ConversationsRead.granted_by(&[ApiScope::ConversationsRead]));
        assert!(!ApiScope::ReportsRead.granted_by(&[ApiScope::ConversationsRead]));
        assert!(!ApiScope::Admin.granted_by(&[ApiScope::ConversationsRead, ApiScope::ReportsRead]));
        assert!(!ApiScope::ConversationsRead.granted_by(&[]));
    }
}
