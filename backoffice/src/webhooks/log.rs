//! An endpoint's delivery log: the paged `GET /api/webhooks/{id}/deliveries` query, pages
//! put together, and each attempt's cells in words.

use chimpassist_protocol::webhook::{AttemptOutcome, DeliveryAttemptView};
use chimpassist_protocol::{AttemptId, TimestampMs, WebhookEventId, WebhookId};

use crate::format;
use crate::i18n::{WebhookTexts, fill};

/// Attempts asked for per page.
pub const PAGE: u32 = 50;

/// One page of the log: the newest, or the one older than `before` (the previous page's
/// `next`).
pub fn path(webhook: WebhookId, before: Option<AttemptId>) -> String {
    let mut path = format!("/api/webhooks/{webhook}/deliveries?limit={PAGE}");
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    path
}

/// Sends `event` to `webhook` again.
pub fn redeliver_path(webhook: WebhookId, event: WebhookEventId) -> String {
    format!("/api/webhooks/{webhook}/deliveries/{event}/redeliver")
}

/// The event id for a narrow column: its last 8 hex digits. (The ids are UUIDv7, whose
/// first digits are a timestamp that events close in time share.)
pub fn short_id(id: WebhookEventId) -> String {
    let full = id.to_string();
    let tail = full.len().saturating_sub(8);
    format!("…{}", &full[tail..])
}

/// The HTTP status, or "—" when the endpoint never answered.
pub fn http_status(t: &WebhookTexts, status: Option<u16>) -> String {
    status.map_or_else(|| t.no_status.to_owned(), |s| s.to_string())
}

/// `85 ms`, `2300 ms`, `15 s` (no decimals: they would need the language's separator).
pub fn duration(ms: u64) -> String {
    if ms < 10_000 {
        format!("{ms} ms")
    } else {
        format!("{} s", ms / 1000)
    }
}

/// The outcome's `data-outcome`, and the last part of its class (`ba-outcome-…`).
pub fn outcome_state(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Delivered => "delivered",
        AttemptOutcome::Retrying => "retrying",
        AttemptOutcome::Failed => "failed",
    }
}

/// "Delivered", "Retrying → next at 14:05", "Failed".
pub fn outcome_text(
    t: &WebhookTexts,
    attempt: &DeliveryAttemptView,
    now: TimestampMs,
    offset_min: i32,
) -> String {
    match (attempt.outcome, attempt.next_attempt_at) {
        (AttemptOutcome::Delivered, _) => t.outcome_delivered.to_owned(),
        (AttemptOutcome::Retrying, Some(next)) => {
            fill(t.outcome_retrying_at, format::when(next, now, offset_min))
        }
        (AttemptOutcome::Retrying, None) => t.outcome_retrying.to_owned(),
        (AttemptOutcome::Failed, _) => t.outcome_failed.to_owned(),
    }
}

/// When an attempt was made, to the second: `14:05:09` today, otherwise
/// `2026-11-23 14:05:09`.
pub fn time(at: TimestampMs, now: TimestampMs, offset_min: i32) -> String {
    let seconds = at.div_euclid(1000) + i64::from(offset_min) * 60;
    let second = seconds.rem_euclid(60);
    format!("{}:{second:02}", format::when(at, now, offset_min))
}
