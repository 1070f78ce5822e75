//! Events, forms and badges.

use chimpassist_protocol::WebhookId;
use chimpassist_protocol::webhook::{
    MAX_WEBHOOK_DESCRIPTION_LEN, MAX_WEBHOOK_URL_LEN, WebhookEventType as E, WebhookPatch,
    WebhookView,
};

use super::events::{self, all, is_all, ordered, summary, toggle};
use super::form::{self, FormError};
use super::status::{Overlap, Status, previous_secret};
use crate::i18n::Lang;

fn en() -> &'static crate::i18n::WebhookTexts {
    &Lang::En.texts().webhooks
}

fn pt() -> &'static crate::i18n::WebhookTexts {
    &Lang::PtBr.texts().webhooks
}

/// 2026-12-07T15:30Z.
const NOW: i64 = 1_796_657_400_000;

fn endpoint() -> WebhookView {
    WebhookView {
        id: WebhookId::new(),
        url: "https://crm.example.com/hooks/chimp".into(),
        events: vec![E::MessageCreated, E::ConversationCreated],
        enabled: true,
        description: Some("CRM".into()),
        created_at: NOW - 86_400_000,
        disabled_reason: None,
        failing_since: None,
        previous_secret_until: None,
    }
}

#[test]
fn events_keep_the_protocol_s_order_once_each() {
    assert_eq!(all().len(), 12);
    assert_eq!(
        ordered(&[E::CallEnded, E::ConversationCreated, E::CallEnded]),
        [E::ConversationCreated, E::CallEnded]
    );
    let mut picked = vec![E::CallEnded];
    toggle(&mut picked, E::MessageCreated, true);
    toggle(&mut picked, E::MessageCreated, true);
    assert_eq!(picked, [E::MessageCreated, E::CallEnded]);
    toggle(&mut picked, E::CallEnded, false);
    assert_eq!(picked, [E::MessageCreated]);
    assert!(!is_all(&picked));
    assert!(is_all(all()));
    assert!(!is_all(&[]));
}

#[test]
fn the_events_summary_counts_or_says_all() {
    assert_eq!(summary(en(), all()), "All events");
    assert_eq!(summary(pt(), all()), "Todos os eventos");
    assert_eq!(summary(en(), &[E::CsatSubmitted]), "1 event");
    assert_eq!(summary(en(), &[E::CsatSubmitted, E::CallEnded]), "2 events");
    assert_eq!(
        summary(pt(), &[E::CsatSubmitted, E::CallEnded]),
        "2 eventos"
    );
    assert_eq!(summary(en(), &[]), "0 events");
    for e in all() {
        assert!(!events::hint(en(), *e).is_empty());
        assert_ne!(events::hint(en(), *e), events::hint(pt(), *e), "{e}");
    }
}

#[test]
fn urls_must_be_http_or_https_with_a_host_and_no_credentials() {
    assert_eq!(
        form::url("  https://crm.example.com/in?x=1 "),
        Ok("https://crm.example.com/in?x=1".into())
    );
    assert_eq!(
        form::url("HTTP://10.0.0.5:8080"),
        Ok("HTTP://10.0.0.5:8080".into())
    );
    assert_eq!(
        form::url("https://[::1]:9/x"),
        Ok("https://[::1]:9/x".into())
    );
    assert_eq!(form::url("   "), Err(FormError::UrlEmpty));
    assert_eq!(form::url("crm.example.com"), Err(FormError::UrlScheme));
    assert_eq!(
        form::url("ftp://crm.example.com"),
        Err(FormError::UrlScheme)
    );
    assert_eq!(form::url("javascript:alert(1)"), Err(FormError::UrlScheme));
    assert_eq!(form::url("https://"), Err(FormError::UrlHost));
    assert_eq!(form::url("https:///path"), Err(FormError::UrlHost));
    assert_eq!(form::url("https://:443/x"), Err(FormError::UrlHost));
    assert_eq!(
        form::url("https://u:p@crm.example.com"),
        Err(FormError::UrlCredentials)
    );
    // An @ after the host is part of the path or query, not credentials.
    assert!(form::url("https://crm.example.com/a@b?c=d@e").is_ok());
    assert_eq!(
        form::url("https://crm.example.com/a b"),
        Err(FormError::UrlSpaces)
    );
    let long = format!("https://x.io/{}", "a".repeat(MAX_WEBHOOK_URL_LEN));
    assert_eq!(form::url(&long), Err(FormError::UrlTooLong));
    // Multi-byte text right after the scheme's length does not panic.
    assert_eq!(form::url("ééééé"), Err(FormError::UrlScheme));
}

#[test]
fn a_new_endpoint_needs_an_event_and_a_short_description() {
    let picked = [E::MessageCreated, E::ConversationCreated];
    let body = form::request(" https://a.io/h ", "  CRM  ", &picked, false).expect("valid");
    assert_eq!(body.url, "https://a.io/h");
    assert_eq!(body.events, [E::ConversationCreated, E::MessageCreated]);
    assert_eq!(body.description.as_deref(), Some("CRM"));
    assert!(!body.enabled);
    let body = form::request("https://a.io/h", "   ", &picked, true).expect("valid");
    assert_eq!(body.description, None);
    assert_eq!(
        form::request("https://a.io/h", "", &[], true),
        Err(FormError::NoEvents)
    );
    let long = "é".repeat(MAX_WEBHOOK_DESCRIPTION_LEN + 1);
    assert_eq!(
        form::request("https://a.io/h", &long, &picked, true),
        Err(FormError::DescriptionTooLong)
    );
    let just = "é".repeat(MAX_WEBHOOK_DESCRIPTION_LEN);
    assert!(form::request("https://a.io/h", &just, &picked, true).is_ok());
    // The URL is checked first.
    assert_eq!(
        form::request("a.io", "", &[], true),
        Err(FormError::UrlScheme)
    );
}

#[test]
fn errors_read_in_both_languages_with_their_limits() {
    assert_eq!(
        FormError::UrlScheme.text(en()),
        "The URL must start with http:// or https://."
    );
    assert_eq!(FormError::NoEvents.text(en()), "Pick at least one event.");
    assert_eq!(
        FormError::NoEvents.text(pt()),
        "Escolha pelo menos um evento."
    );
    assert!(FormError::UrlTooLong.text(en()).contains("2048"));
    assert!(FormError::DescriptionTooLong.text(pt()).contains("200"));
}

#[test]
fn an_edit_sends_only_what_changed() {
    let old = endpoint();
    let same = [E::ConversationCreated, E::MessageCreated];
    let patch = form::patch(&old, &old.url, "CRM", &same).expect("valid");
    assert!(form::is_empty(&patch));
    // The same events in another order are no change either.
    let patch = form::patch(
        &old,
        &old.url,
        " CRM ",
        &[E::MessageCreated, E::ConversationCreated],
    )
    .expect("valid");
    assert!(form::is_empty(&patch));
    let patch = form::patch(&old, "https://new.example.com", "", &[E::CallEnded]).expect("valid");
    assert_eq!(
        patch,
        WebhookPatch {
            url: Some("https://new.example.com".into()),
            events: Some(vec![E::CallEnded]),
            enabled: None,
            description: Some(String::new()),
        }
    );
    let mut bare = endpoint();
    bare.description = None;
    let patch = form::patch(&bare, &bare.url, "Billing", &same).expect("valid");
    assert_eq!(patch.description.as_deref(), Some("Billing"));
    assert_eq!(
        form::patch(&old, &old.url, "", &[]),
        Err(FormError::NoEvents)
    );
}

#[test]
fn the_badge_says_disabled_why_or_failing_since() {
    let mut v = endpoint();
    assert_eq!(Status::of(&v), Status::Enabled);
    assert_eq!(Status::of(&v).text(en(), 0), "Enabled");
    v.failing_since = Some(1_796_612_400_000);
    let failing = Status::of(&v);
    assert_eq!(failing.state(), "failing");
    assert_eq!(failing.text(en(), -180), "Failing since 2026-12-07 00:00");
    assert_eq!(failing.text(pt(), -180), "Falhando desde 2026-12-07 00:00");
    v.enabled = false;
    assert_eq!(
        Status::of(&v),
        Status::Disabled,
        "disabled wins over failing"
    );
    v.disabled_reason = Some(" the endpoint answered 410 Gone ".into());
    let stopped = Status::of(&v);
    assert_eq!(stopped.state(), "disabled-reason");
    assert_eq!(
        stopped.text(en(), 0),
        "Disabled: the endpoint answered 410 Gone"
    );
    v.disabled_reason = Some("  ".into());
    assert_eq!(Status::of(&v).text(pt(), 0), "Desativado");
    // A reason left on an enabled endpoint is not shown.
    v.enabled = true;
    v.failing_since = None;
    v.disabled_reason = Some("old".into());
    assert_eq!(Status::of(&v).state(), "enabled");
}

#[test]
fn the_previous_secret_is_noted_only_while_it_signs() {
    let mut v = endpoint();
    assert_eq!(previous_secret(en(), &v, NOW, 0), None);
    v.previous_secret_until = Some(NOW + 3_600_000);
    assert_eq!(
        previous_secret(en(), &v, NOW, -180).as_deref(),
        Some("Previous secret valid until 2026-12-07 13:30")
    );
    v.previous_secret_until = Some(NOW);
    assert_eq!(previous_secret(en(), &v, NOW, 0), None);
}

#[test]
fn the_overlap_defaults_to_a_day_and_stays_within_a_week() {
    assert_eq!(Overlap::default(), Overlap::Day);
    assert_eq!(Overlap::default().body().overlap_minutes, Some(1440));
    assert_eq!(Overlap::None.body().overlap_minutes, Some(0));
    assert_eq!(Overlap::Hour.minutes(), 60);
    assert_eq!(Overlap::Week.minutes(), 10_080);
    for o in Overlap::ALL {
        assert_eq!(Overlap::parse(o.wire()), Some(o));
        assert_ne!(o.label(en()), o.label(pt()));
    }
    assert_eq!(Overlap::parse("month"), None);
}
