//! API tokens as stored: the hash of the token, never the token.

use chimpassist_protocol::token::ApiScope;
use chimpassist_protocol::{ApiTokenId, AttendantId, TimestampMs};

/// One token. `token_hash` is the hex SHA-256 of the token (which is 32 random bytes: a fast
/// hash is enough, and it lets the token be found by its hash).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub token_hash: String,
    /// The token's last four characters, to tell tokens apart in a list.
    pub hint: String,
    pub created_at: TimestampMs,
    pub created_by: AttendantId,
    pub last_used_at: Option<TimestampMs>,
    pub expires_at: Option<TimestampMs>,
    pub revoked_at: Option<TimestampMs>,
}

impl ApiTokenRecord {
    /// Whether it still opens anything at `now`: not revoked, not expired.
    pub fn is_live(&self, now: TimestampMs) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

/// Leaves the hash out: it is not the token, but there is no reason to print it.
impl std::fmt::Debug for ApiTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTokenRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Scopes in their stored form: the wire words, comma-separated (no scope has a comma).
pub fn scopes_text(scopes: &[ApiScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The scopes of [`scopes_text`]'s form; `None` when a word names no scope.
pub fn parse_scopes(text: &str) -> Option<Vec<ApiScope>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(ApiScope::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_from_their_stored_form() {
        let scopes = vec![ApiScope::ConversationsRead, ApiScope::Admin];
        assert_eq!(parse_scopes(&scopes_text(&scopes)), Some(scopes));
        assert_eq!(parse_scopes(""), Some(vec![]));
        assert_eq!(parse_scopes("admin,root"), None);
    }

    #[test]
    fn a_revoked_or_expired_token_is_not_live() {
        let token = ApiTokenRecord {
            id: ApiTokenId::new(),
            name: "CRM".into(),
            scopes: vec![ApiScope::Admin],
            token_hash: "ab".repeat(32),
            hint: "a1b2".into(),
            created_at: 0,
            created_by: AttendantId::parse("admin").unwrap(),
            last_used_at: None,
            expires_at: Some(100),
            revoked_at: None,
        };
        assert!(token.is_live(99));
        assert!(!token.is_live(100));
        let revoked = ApiTokenRecord {
            revoked_at: Some(5),
            expires_at: None,
            ..token.clone()
        };
        assert!(!revoked.is_live(6));
        assert!(!format!("{token:?}").contains(&token.token_hash));
    }
}
