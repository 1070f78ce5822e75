//! How a node without `SMTP_URL` learns that mail is on elsewhere in its cluster.
//!
//! Mail rides the outbox, and every node fans events out: a node that did not know about
//! mail would record no event for a reply it stores, and would mark events done without
//! their mail deliveries. While settings differ between nodes (a rolling restart that turns
//! mail on, or a node left out), that loses mail. So each mailing node keeps a beacon in the
//! store — the setting [`KEY`], renewed every [`RENEW_EVERY`], good for two minutes — and
//! every other node records and fans out mail's events as long as a beacon holds. Only
//! mailing nodes claim and send them. When mail is turned off on every node, the beacon
//! lapses and the others stop within two minutes.

use std::time::Duration;

use chimpassist_protocol::TimestampMs;
use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_store::{Subscription, webhooks::internal};
use serde::{Deserialize, Serialize};

/// The setting that holds the beacon.
pub const KEY: &str = "mail.beacon";
/// How often a mailing node renews it.
pub const RENEW_EVERY: Duration = Duration::from_secs(30);
/// How long a beacon holds after it was written.
const HOLDS_MS: i64 = 120_000;

#[derive(Debug, Serialize, Deserialize)]
struct Beacon {
    until: TimestampMs,
    /// `EMAIL_AWAY_SECONDS` of the node that wrote it, in ms (the replies' delay).
    away_ms: i64,
}

/// What mail takes from the outbox: resolves at once, new messages after `away_ms` (most are
/// read long before; `send` checks).
pub fn subscriptions(away_ms: i64) -> Vec<Subscription> {
    vec![
        Subscription {
            endpoint: internal::mail_transcripts(),
            events: vec![WebhookEventType::ConversationResolved],
            delay_ms: 0,
        },
        Subscription {
            endpoint: internal::mail_replies(),
            events: vec![WebhookEventType::MessageCreated],
            delay_ms: away_ms,
        },
    ]
}

/// The beacon a mailing node writes at `now`.
pub fn lit(away: Duration, now: TimestampMs) -> String {
    let beacon = Beacon {
        until: now + HOLDS_MS,
        away_ms: away.as_millis() as i64,
    };
    serde_json::to_string(&beacon).unwrap_or_default()
}

/// The subscriptions the stored beacon announces at `now`: none once it has lapsed, when
/// there is none, or when it does not read.
pub fn read(stored: Option<&str>, now: TimestampMs) -> Vec<Subscription> {
    stored
        .and_then(|raw| serde_json::from_str::<Beacon>(raw).ok())
        .filter(|b| b.until > now)
        .map(|b| subscriptions(b.away_ms))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beacon_announces_mail_until_it_lapses() {
        let now = 1_765_000_000_000;
        let beacon = lit(Duration::from_secs(300), now);
        let announced = read(Some(&beacon), now + HOLDS_MS - 1);
        assert_eq!(announced, subscriptions(300_000));
        assert_eq!(announced[1].delay_ms, 300_000);
        assert!(read(Some(&beacon), now + HOLDS_MS).is_empty(), "lapsed");
        assert!(read(None, now).is_empty());
        assert!(read(Some("not json"), now).is_empty());
    }

    #[test]
    fn it_is_renewed_well_before_it_lapses() {
        assert!(RENEW_EVERY.as_millis() as i64 * 3 < HOLDS_MS);
    }
}
