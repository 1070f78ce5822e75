//! What happens after an attempt: done, again later (when), or never; and what it says about
//! the endpoint's health. Pure, so every rule is tested without a network.

use std::time::Duration;

use chimpassist_protocol::TimestampMs;
use chimpassist_store::{DeliveryNext, HealthChange};

/// Delays before each attempt, the first included (Svix's schedule: immediately, 5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts over about 27 hours).
pub const DEFAULT_SCHEDULE: &str = "0,5s,5m,30m,2h,5h,10h,10h";

/// A `Retry-After` longer than this is cut to it: a receiver cannot park an event for good.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Parses a schedule: comma-separated durations, each a number with `ms`, `s`, `m` or `h`
/// (a bare `0` for "immediately"). At least one, at most 20.
pub fn parse_schedule(raw: &str) -> Result<Vec<Duration>, String> {
    let delays = raw
        .split(',')
        .map(|part| parse_duration(part.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if delays.is_empty() || delays.len() > 20 {
        return Err("a schedule has 1 to 20 delays".to_owned());
    }
    Ok(delays)
}

/// A duration with its unit: `250ms`, `5s`, `30m`, `2h`, `365d` (or `0`).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    if raw == "0" {
        return Ok(Duration::ZERO);
    }
    let split = raw
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{raw:?} needs a unit (ms, s, m, h or d)"))?;
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a number with a unit"))?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{raw:?}: the unit is ms, s, m, h or d")),
    };
    Ok(Duration::from_millis(n.saturating_mul(ms)))
}

/// How an attempt went, as far as the decision needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The endpoint answered with this status (and maybe a `Retry-After`).
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: refused destination, connection failure, timeout.
    NoAnswer,
}

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub next: DeliveryNext,
    /// What the endpoint's record learns, in order.
    pub health: Vec<HealthChange>,
}

/// The rules, in order:
/// - a 2xx: delivered; the endpoint's failure streak ends;
/// - `410 Gone`: the receiver says it is gone for good — the endpoint is disabled and this
///   event not retried;
/// - anything else (3xx included: redirects are not followed): retried after the schedule's
///   next delay, or the `Retry-After` the endpoint sent if longer (at most a day); given up
///   after the last. The endpoint's failure streak starts (if it had not), and an endpoint
///   failing for `disable_after` is disabled (its undelivered events wait, and go when an
///   admin enables it again).
pub fn decide(
    answer: &Answer,
    attempt: u32,
    now: TimestampMs,
    schedule: &[Duration],
    failing_since: Option<TimestampMs>,
    disable_after: Duration,
) -> Decision {
    let (code, retry_after) = match answer {
        Answer::Status { code, retry_after } => (Some(*code), *retry_after),
        Answer::NoAnswer => (None, None),
    };
    if code.is_some_and(|c| (200..300).contains(&c)) {
        return Decision {
            next: DeliveryNext::Done,
            health: vec![HealthChange::Succeeded],
        };
    }
    if code == Some(410) {
        return Decision {
            next: DeliveryNext::GiveUp,
            health: vec![HealthChange::Disable {
                reason: "the endpoint answered 410 Gone".to_owned(),
            }],
        };
    }
    let next = match schedule.get(attempt as usize) {
        Some(delay) => {
            let wait = retry_after.map_or(*delay, |r| r.min(MAX_RETRY_AFTER).max(*delay));
            DeliveryNext::RetryAt(now.saturating_add(millis(wait)))
        }
        None => DeliveryNext::GiveUp,
    };
    let mut health = vec![HealthChange::Failed { at: now }];
    let since = failing_since.unwrap_or(now);
    if now.saturating_sub(since) >= millis(disable_after) {
        health.push(HealthChange::Disable {
            reason: format!(
                "every delivery failed for {} hours",
                disable_after.as_secs() / 3600
            ),
        });
    }
    Decision { next, health }
}

pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A `Retry-After` header: seconds (the HTTP-date form is rare for webhooks and ignored).
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn schedule() -> Vec<Duration> {
        parse_schedule(DEFAULT_SCHEDULE).unwrap()
    }

    fn status(code: u16) -> Answer {
        Answer::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn the_default_schedule_is_svixs() {
        let s = schedule();
        assert_eq!(s.len(), 8);
        assert_eq!(s[1], Duration::from_secs(5));
        assert_eq!(s[7], Duration::from_secs(36_000));
        assert!(parse_schedule("5x").is_err() && parse_schedule("").is_err());
        assert_eq!(
            parse_schedule("0, 250ms").unwrap()[1],
            Duration::from_millis(250)
        );
    }

    #[test]
    fn success_ends_a_streak_and_410_disables() {
        let d = decide(&status(204), 3, 0, &schedule(), Some(-5), 5 * DAY);
        assert_eq!(d.next, DeliveryNext::Done);
        assert_eq!(d.health, vec![HealthChange::Succeeded]);
        let d = decide(&status(410), 1, 0, &schedule(), None, 5 * DAY);
        assert_eq!(d.next, DeliveryNext::GiveUp);
        assert!(matches!(d.health[0], HealthChange::Disable { .. }));
    }

    #[test]
    fn failures_follow_the_schedule_then_give_up() {
        let s = schedule();
        let d = decide(&status(503), 1, 1_000, &s, None, 5 * DAY);
        assert_eq!(d.next, DeliveryNext::RetryAt(6_000), "5 s after the first");
        assert_eq!(d.health, vec![HealthChange::Failed { at: 1_000 }]);
        let d = decide(&Answer::NoAnswer, 2, 0, &s, Some(0), 5 * DAY);
        assert_eq!(
            d.next,
            DeliveryNext::RetryAt(300_000),
            "5 min after the second"
        );
        let d = decide(&status(302), 8, 0, &s, Some(0), 5 * DAY);
        assert_eq!(d.next, DeliveryNext::GiveUp, "eight attempts in all");
    }

    #[test]
    fn retry_after_is_honoured_when_longer_and_capped_at_a_day() {
        let s = schedule();
        let asked = |secs| Answer::Status {
            code: 429,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            decide(&asked(60), 1, 0, &s, None, 5 * DAY).next,
            DeliveryNext::RetryAt(60_000)
        );
        assert_eq!(
            decide(&asked(1), 1, 0, &s, None, 5 * DAY).next,
            DeliveryNext::RetryAt(5_000)
        );
        assert_eq!(
            decide(&asked(10 * 86_400), 1, 0, &s, None, 5 * DAY).next,
            DeliveryNext::RetryAt(86_400_000)
        );
        assert_eq!(retry_after(Some(" 120 ")), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
    }

    #[test]
    fn an_endpoint_failing_for_days_is_disabled() {
        let s = schedule();
        let day = millis(DAY);
        let d = decide(&status(500), 2, 5 * day, &s, Some(0), 5 * DAY);
        assert!(
            matches!(d.health.last(), Some(HealthChange::Disable { reason }) if reason.contains("120 hours"))
        );
        let d = decide(&status(500), 2, 5 * day - 1, &s, Some(0), 5 * DAY);
        assert_eq!(d.health.len(), 1, "not yet");
    }
}
