//! API tokens: what an integration presents as `Authorization: Bearer chimp_…`.
//!
//! A token is 256 random bits; only its SHA-256 is stored (a fast hash is enough for a
//! random secret, and lets the token be looked up by it). It is read from the store on every
//! request, so a revoked token is refused at once, on every node. Each route names the scope
//! it needs ([`ApiScope`]); `admin` implies every scope.

use chimpassist_protocol::token::ApiScope;
use chimpassist_protocol::{AttendantId, ErrorCode, Role};
use chimpassist_store::{ApiTokenRecord, Attendant};

use super::Auth;
use super::tokens::{random_token, token_hash};
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::views::now_ms;

/// What every API token starts with: tells it apart from a customer's token (a JWT) on the
/// same header, and lets secret scanners recognise a leaked one.
pub const PREFIX: &str = "chimp_";
/// A use is written at most this often per token (`last_used_at` is shown to the minute).
const TOUCH_EVERY_MS: i64 = 60_000;

/// A new token: `(the token, its hash, its last four characters)`.
pub fn generate() -> (String, String, String) {
    let token = format!("{PREFIX}{}", random_token());
    let hint = token[token.len() - 4..].to_owned();
    (token.clone(), token_hash(&token), hint)
}

/// Whether a bearer credential is an API token (rather than a customer's token).
pub fn is_api_token(credential: &str) -> bool {
    credential.starts_with(PREFIX)
}

/// How a token appears where handlers expect an attendant: an admin's view (every queue) named
/// after the token. It only stands for the token on the REST routes its scopes open; it is
/// never stored, never on a socket, and the audit log records it as a token
/// ([`chimpassist_protocol::audit::ActorKind::Token`]).
pub fn acting_as(token: &ApiTokenRecord) -> AppResult<Attendant> {
    Ok(Attendant {
        id: AttendantId::parse(format!("token:{}", token.id))?,
        email: String::new(),
        name: token.name.clone(),
        avatar_url: None,
        role: Role::Admin,
        skill: String::new(),
        queues: Vec::new(),
        capacity: 0,
        disabled: false,
        password_hash: None,
        must_change_password: false,
        created_at: token.created_at,
    })
}

impl Auth {
    /// The live token `presented` is, if it holds `needed`: `401 unauthenticated` for an
    /// unknown, revoked or expired token (failures count against the client's sign-in
    /// attempts, so guessing is throttled like passwords: `429` once spent), `403 forbidden`
    /// for a token without the scope.
    pub async fn api_token(
        &self,
        client: ClientIp,
        presented: &str,
        needed: ApiScope,
    ) -> AppResult<ApiTokenRecord> {
        let now = now_ms();
        let found = self.store.api_token_by_hash(&token_hash(presented)).await?;
        let Some(token) = found.filter(|t| t.is_live(now)) else {
            self.throttles().logins.check(client)?;
            return Err(AppError::client(
                ErrorCode::Unauthenticated,
                "unknown, revoked or expired API token",
            ));
        };
        if !needed.granted_by(&token.scopes) {
            return Err(AppError::client(
                ErrorCode::Forbidden,
                format!("this API token lacks the `{needed}` scope"),
            ));
        }
        if token
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_EVERY_MS)
        {
            // A failed write only loses the "last used" time, not the request.
            if let Err(error) = self.store.touch_api_token(&token.id, now).await {
                tracing::warn!(%error, token = %token.id, "could not record an API token's use");
            }
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_prefixed_random_and_stored_only_as_its_hash() {
        let (token, hash, hint) = generate();
        let (other, _, _) = generate();
        assert!(is_api_token(&token));
        assert_ne!(token, other);
        assert_eq!(
            token.len(),
            PREFIX.len() + 43,
            "256 bits in URL-safe base64"
        );
        assert_eq!(hash, token_hash(&token));
        assert!(!hash.contains(&token[PREFIX.len()..]));
        assert!(token.ends_with(&hint) && hint.len() == 4);
        // A customer's token is a JWT: never mistaken for an API token.
        assert!(!is_api_token("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    }
}
