//! The API tokens admin tab's logic, without the browser: the create request from the form,
//! what state a token is in, and what each scope reads as.

use chimpassist_protocol::TimestampMs;
use chimpassist_protocol::token::{ApiScope, ApiTokenRequest, ApiTokenView};

use crate::i18n::TokenTexts;

/// Lifetimes the form offers, in days (`None`: never expires).
pub const EXPIRIES: [Option<u32>; 4] = [None, Some(30), Some(90), Some(365)];

/// Why the form cannot be sent yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    NoName,
    NoScope,
}

impl FormError {
    pub fn text(self, t: &TokenTexts) -> &'static str {
        match self {
            Self::NoName => t.name_missing,
            Self::NoScope => t.scope_missing,
        }
    }
}

/// The request the form makes: a trimmed name, the scopes in a stable order.
pub fn request(
    name: &str,
    picked: &[ApiScope],
    expires_in_days: Option<u32>,
) -> Result<ApiTokenRequest, FormError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FormError::NoName);
    }
    let scopes: Vec<ApiScope> = ApiScope::ALL
        .iter()
        .copied()
        .filter(|s| picked.contains(s))
        .collect();
    if scopes.is_empty() {
        return Err(FormError::NoScope);
    }
    Ok(ApiTokenRequest {
        name: name.to_owned(),
        scopes,
        expires_in_days,
    })
}

/// Where a token stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Active,
    Expired,
    Revoked,
}

impl State {
    pub fn of(token: &ApiTokenView, now: TimestampMs) -> Self {
        if token.revoked_at.is_some() {
            Self::Revoked
        } else if token.expires_at.is_some_and(|at| at <= now) {
            Self::Expired
        } else {
            Self::Active
        }
    }

    /// For `data-state` (and tests).
    pub fn slug(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    pub fn text(self, t: &TokenTexts) -> &'static str {
        match self {
            Self::Active => t.active,
            Self::Expired => t.expired,
            Self::Revoked => t.revoked,
        }
    }

    /// The badge's modifier class (the webhooks' colours).
    pub fn class(self) -> &'static str {
        match self {
            Self::Active => "ba-badge ba-badge-enabled",
            Self::Expired | Self::Revoked => "ba-badge ba-badge-disabled",
        }
    }
}

/// What a scope lets a token do, in words.
pub fn scope_label(t: &TokenTexts, scope: ApiScope) -> &'static str {
    match scope {
        ApiScope::ConversationsRead => t.conversations_read,
        ApiScope::ReportsRead => t.reports_read,
        ApiScope::MessagesWrite => t.messages_write,
        ApiScope::ConversationsManage => t.conversations_manage,
        ApiScope::Admin => t.admin,
    }
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::{ApiTokenId, AttendantId};

    use super::*;
    use crate::i18n::Lang;

    fn view(expires_at: Option<i64>, revoked_at: Option<i64>) -> ApiTokenView {
        ApiTokenView {
            id: ApiTokenId::new(),
            name: "CRM".into(),
            scopes: vec![ApiScope::Admin],
            hint: "a1b2".into(),
            created_at: 0,
            created_by: AttendantId::parse("admin").unwrap(),
            last_used_at: None,
            expires_at,
            revoked_at,
        }
    }

    #[test]
    fn the_form_needs_a_name_and_a_scope_and_sends_scopes_in_order() {
        assert_eq!(
            request("  ", &[ApiScope::Admin], None),
            Err(FormError::NoName)
        );
        assert_eq!(request("CRM", &[], None), Err(FormError::NoScope));
        let made = request(
            " CRM sync ",
            &[ApiScope::Admin, ApiScope::ConversationsRead],
            Some(30),
        )
        .unwrap();
        assert_eq!(made.name, "CRM sync");
        assert_eq!(made.scopes, [ApiScope::ConversationsRead, ApiScope::Admin]);
        assert_eq!(made.expires_in_days, Some(30));
    }

    #[test]
    fn revoked_wins_over_expired_which_wins_over_active() {
        assert_eq!(State::of(&view(None, None), 10), State::Active);
        assert_eq!(State::of(&view(Some(11), None), 10), State::Active);
        assert_eq!(State::of(&view(Some(10), None), 10), State::Expired);
        assert_eq!(State::of(&view(Some(10), Some(5)), 10), State::Revoked);
    }

    #[test]
    fn every_scope_and_state_reads_in_both_languages() {
        let (en, pt) = (&Lang::En.texts().tokens, &Lang::PtBr.texts().tokens);
        for &scope in ApiScope::ALL {
            assert_ne!(scope_label(en, scope), scope_label(pt, scope));
            assert_ne!(scope_label(en, scope), scope.as_str());
        }
        for state in [State::Active, State::Expired, State::Revoked] {
            assert_ne!(state.text(en), state.text(pt));
        }
        for t in [en, pt] {
            for template in [
                t.days,
                t.created_at,
                t.last_used,
                t.expires,
                t.confirm_revoke,
            ] {
                assert!(template.contains("{}"), "{template}");
            }
        }
    }
}
