//! The Audit log admin tab's logic, without the browser: the paged `GET /api/audit` query
//! and what each action reads as in the admin's language.

use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::AuditAction;

use crate::format::query_component;
use crate::i18n::AuditTexts;

/// Entries asked for per page.
pub const PAGE: u32 = 50;

/// One page of the log: the newest, or the one older than `before` (the previous page's
/// `next`).
pub fn path(before: Option<AuditId>) -> String {
    let mut path = format!("/api/audit?limit={PAGE}");
    if let Some(before) = before {
        path.push_str("&before=");
        path.push_str(&query_component(&before.to_string()));
    }
    path
}

/// An action in words ("Attendant created"); its wire form is [`AuditAction::as_str`].
pub fn label(t: &AuditTexts, action: AuditAction) -> &'static str {
    match action {
        AuditAction::AttendantCreated => t.attendant_created,
        AuditAction::AttendantUpdated => t.attendant_updated,
        AuditAction::AttendantPasswordReset => t.attendant_password_reset,
        AuditAction::QueueSaved => t.queue_saved,
        AuditAction::CannedCreated => t.canned_created,
        AuditAction::CannedUpdated => t.canned_updated,
        AuditAction::CannedDeleted => t.canned_deleted,
        AuditAction::GreetingCreated => t.greeting_created,
        AuditAction::GreetingUpdated => t.greeting_updated,
        AuditAction::GreetingDeleted => t.greeting_deleted,
        AuditAction::WebhookCreated => t.webhook_created,
        AuditAction::WebhookUpdated => t.webhook_updated,
        AuditAction::WebhookDeleted => t.webhook_deleted,
        AuditAction::WebhookSecretRotated => t.webhook_secret_rotated,
        AuditAction::WebhookRedelivered => t.webhook_redelivered,
        AuditAction::TokenCreated => t.token_created,
        AuditAction::TokenRevoked => t.token_revoked,
        AuditAction::ContactExported => t.contact_exported,
        AuditAction::ContactErased => t.contact_erased,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::i18n::Lang;

    const CURSOR: &str = "019af7a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b";

    #[test]
    fn the_first_page_has_no_cursor_and_later_ones_pass_next() {
        assert_eq!(path(None), "/api/audit?limit=50");
        let cursor = AuditId::parse(CURSOR).expect("an id");
        assert_eq!(
            path(Some(cursor)),
            format!("/api/audit?limit=50&before={CURSOR}")
        );
    }

    #[test]
    fn every_action_has_its_own_label_in_both_languages() {
        for lang in [Lang::En, Lang::PtBr] {
            let t = &lang.texts().audit;
            let labels: HashSet<_> = AuditAction::ALL
                .iter()
                .map(|&a| {
                    let l = label(t, a);
                    assert!(!l.trim().is_empty(), "{lang:?} {a}");
                    assert_ne!(l, a.as_str(), "{lang:?} {a} is a label, not the wire form");
                    l
                })
                .collect();
            assert_eq!(
                labels.len(),
                AuditAction::ALL.len(),
                "{lang:?}: a label twice"
            );
        }
    }

    #[test]
    fn labels_read_in_the_admin_s_language() {
        let (en, pt) = (&Lang::En.texts().audit, &Lang::PtBr.texts().audit);
        assert_eq!(
            label(en, AuditAction::AttendantCreated),
            "Attendant created"
        );
        assert_eq!(label(pt, AuditAction::AttendantCreated), "Atendente criado");
        assert_eq!(AuditAction::AttendantCreated.as_str(), "attendant.created");
        for &a in AuditAction::ALL {
            assert_ne!(label(en, a), label(pt, a), "{a} is not translated");
        }
        for t in [en, pt] {
            for s in [t.intro, t.refresh, t.load_older, t.empty, t.col_time] {
                assert!(!s.is_empty());
            }
            assert!(t.actor_id.contains("{}"));
        }
    }
}
