//! The delivery log.

use chimpassist_protocol::webhook::{AttemptOutcome, DeliveryAttemptView, WebhookEventType};
use chimpassist_protocol::{AttemptId, WebhookEventId, WebhookId};

use super::log::{
    duration, http_status, outcome_state, outcome_text, path, redeliver_path, short_id, time,
};
use crate::i18n::Lang;

fn en() -> &'static crate::i18n::WebhookTexts {
    &Lang::En.texts().webhooks
}

fn pt() -> &'static crate::i18n::WebhookTexts {
    &Lang::PtBr.texts().webhooks
}

/// 2026-12-07T15:30:00Z.
const NOW: i64 = 1_796_657_400_000;
const HOOK: &str = "019af7a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b";
const EVENT: &str = "019af7a2-3c4d-7e8f-8123-0123deadbeef";
const ATTEMPT: &str = "019af7a2-3c4d-7e8f-a000-00000000000a";

fn attempt(id: AttemptId, outcome: AttemptOutcome) -> DeliveryAttemptView {
    DeliveryAttemptView {
        id,
        event_id: WebhookEventId::new(),
        event_type: WebhookEventType::MessageCreated,
        attempt: 1,
        at: NOW,
        status: None,
        duration_ms: 10_000,
        error: Some("timed out".into()),
        outcome,
        next_attempt_at: None,
    }
}

#[test]
fn pages_are_asked_newest_first_then_before_the_cursor() {
    let hook = WebhookId::parse(HOOK).expect("an id");
    let cursor = AttemptId::parse(ATTEMPT).expect("an id");
    assert_eq!(
        path(hook, None),
        format!("/api/webhooks/{HOOK}/deliveries?limit=50")
    );
    assert_eq!(
        path(hook, Some(cursor)),
        format!("/api/webhooks/{HOOK}/deliveries?limit=50&before={ATTEMPT}")
    );
    let event = WebhookEventId::parse(EVENT).expect("an id");
    assert_eq!(
        redeliver_path(hook, event),
        format!("/api/webhooks/{HOOK}/deliveries/{EVENT}/redeliver")
    );
}

#[test]
fn cells_read_short() {
    let event = WebhookEventId::parse(EVENT).expect("an id");
    assert_eq!(short_id(event), "…deadbeef");
    assert_eq!(http_status(en(), Some(503)), "503");
    assert_eq!(http_status(en(), None), "—");
    assert_eq!(duration(0), "0 ms");
    assert_eq!(duration(85), "85 ms");
    assert_eq!(duration(2_300), "2300 ms");
    assert_eq!(duration(15_999), "15 s");
    // Today: the clock with seconds; another day: the date too.
    assert_eq!(time(NOW + 9_500, NOW, 0), "15:30:09");
    assert_eq!(time(NOW - 86_400_000, NOW, -180), "2026-12-06 12:30:00");
}

#[test]
fn outcomes_say_when_the_next_try_is() {
    let mut a = attempt(AttemptId::new(), AttemptOutcome::Delivered);
    assert_eq!(outcome_text(en(), &a, NOW, 0), "Delivered");
    assert_eq!(outcome_text(pt(), &a, NOW, 0), "Entregue");
    assert_eq!(outcome_state(a.outcome), "delivered");
    a.outcome = AttemptOutcome::Retrying;
    assert_eq!(outcome_text(en(), &a, NOW, 0), "Retrying");
    a.next_attempt_at = Some(NOW + 5 * 60_000);
    assert_eq!(outcome_text(en(), &a, NOW, 0), "Retrying → next at 15:35");
    assert_eq!(
        outcome_text(pt(), &a, NOW, -180),
        "Tentando de novo → próxima às 12:35"
    );
    a.next_attempt_at = Some(NOW + 86_400_000);
    assert_eq!(
        outcome_text(en(), &a, NOW, 0),
        "Retrying → next at 2026-12-08 15:30"
    );
    assert_eq!(outcome_state(a.outcome), "retrying");
    a.outcome = AttemptOutcome::Failed;
    assert_eq!(outcome_text(en(), &a, NOW, 0), "Failed");
    assert_eq!(outcome_text(pt(), &a, NOW, 0), "Falhou");
    assert_eq!(outcome_state(a.outcome), "failed");
}
