//! The report's definitions, written once: every number of a period is computed here from the
//! per-conversation facts of that period ([`Facts`], which are also the rows of the CSV), so the
//! overview and the CSV cannot disagree — the CSV is the source of truth and the overview is
//! only its sums.
//!
//! A period holds the conversations *requested* in it; each measure is taken from stored
//! timestamps (never from a node's memory):
//! - **wait**: requested → first assigned;
//! - **first response**: requested → first attendant message; and, apart, first assigned →
//!   first attendant message;
//! - **resolution**: requested → resolved (a reopened conversation's time keeps running until
//!   its last resolution; "requested" is always the first request);
//! - **handle**: first assigned → resolved;
//! - **CSAT**: score = ratings of 4–5 ÷ all ratings; response rate = ratings ÷ conversations
//!   offered a rating (those resolved: the widget asks when a chat ends);
//! - each time measure as mean, median and 90th percentile (nearest rank), over the
//!   conversations that have it.

use chimpassist_protocol::ConversationStatus;
use chimpassist_protocol::report::{CallTotals, Csat, Measure, MeasureKind, ReportSummary};
use chimpassist_store::ConversationFacts as Facts;

/// The value of a time measure for one conversation, when it has it (ms).
pub fn measure(f: &Facts, kind: MeasureKind) -> Option<i64> {
    let resolved_at = resolved_at(f);
    match kind {
        MeasureKind::Wait => f.first_assigned_at.map(|a| a - f.created_at),
        MeasureKind::FirstResponse => f.first_response_at.map(|r| r - f.created_at),
        MeasureKind::FirstResponseAfterAssignment => {
            Some(f.first_response_at? - f.first_assigned_at?)
        }
        MeasureKind::Resolution => resolved_at.map(|r| r - f.created_at),
        MeasureKind::Handle => Some(resolved_at? - f.first_assigned_at?),
    }
}

/// Its last resolution, while it is resolved.
pub fn resolved_at(f: &Facts) -> Option<i64> {
    (f.conversation.status == ConversationStatus::Resolved)
        .then_some(f.conversation.ended_at)
        .flatten()
}

/// 1–5, when the customer rated it.
pub fn rating(f: &Facts) -> Option<u8> {
    f.conversation
        .rating
        .as_ref()
        .map(|r| r.score)
        .filter(|s| (1..=5).contains(s))
}

/// Over `values` (in any order).
pub fn measure_of(mut values: Vec<i64>) -> Measure {
    if values.is_empty() {
        return Measure::default();
    }
    values.sort_unstable();
    let n = values.len();
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    Measure {
        count: n as u64,
        mean_ms: Some(sum as f64 / n as f64),
        median_ms: Some(nearest_rank(&values, 50)),
        p90_ms: Some(nearest_rank(&values, 90)),
    }
}

/// The value at or below which `percent` % of the sorted `values` lie: the ⌈p·n/100⌉-th.
fn nearest_rank(sorted: &[i64], percent: usize) -> i64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The numbers of the conversations `rows` (those of one period, or of one bucket,
/// attendant or queue of it).
pub fn summarize<'a>(rows: impl IntoIterator<Item = &'a Facts>) -> ReportSummary {
    let rows: Vec<&Facts> = rows.into_iter().collect();
    let count = |keep: &dyn Fn(&Facts) -> bool| rows.iter().filter(|f| keep(f)).count() as u64;
    let of = |kind| measure_of(rows.iter().filter_map(|f| measure(f, kind)).collect());
    let is = |status| move |f: &Facts| f.conversation.status == status;
    let mut csat = Csat {
        offered: count(&is(ConversationStatus::Resolved)),
        ..Csat::default()
    };
    for score in rows.iter().filter_map(|f| rating(f)) {
        csat.ratings += 1;
        csat.distribution[usize::from(score - 1)] += 1;
        if score >= 4 {
            csat.positive += 1;
        }
    }
    csat.score = (csat.ratings > 0).then(|| csat.positive as f64 / csat.ratings as f64);
    csat.response_rate = (csat.offered > 0).then(|| csat.ratings as f64 / csat.offered as f64);
    ReportSummary {
        created: rows.len() as u64,
        resolved: csat.offered,
        abandoned: count(&is(ConversationStatus::Abandoned)),
        expired: count(&is(ConversationStatus::Expired)),
        reopened: count(&|f| f.reopened > 0),
        customer_messages: rows.iter().map(|f| f.customer_messages).sum(),
        attendant_messages: rows.iter().map(|f| f.attendant_messages).sum(),
        wait: of(MeasureKind::Wait),
        first_response: of(MeasureKind::FirstResponse),
        first_response_after_assignment: of(MeasureKind::FirstResponseAfterAssignment),
        resolution: of(MeasureKind::Resolution),
        handle: of(MeasureKind::Handle),
        csat,
        calls: CallTotals {
            count: rows.iter().map(|f| u64::from(f.calls)).sum(),
            answered: rows.iter().map(|f| u64::from(f.calls_answered)).sum(),
            missed: rows.iter().map(|f| u64::from(f.calls_missed)).sum(),
            talk_ms: rows.iter().map(|f| f.talk_ms).sum(),
        },
    }
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::{AttendantId, ConversationId, CustomerId, QueueId, Rating};
    use chimpassist_store::Conversation;

    use super::*;

    const MIN: i64 = 60_000;

    /// A conversation requested at minute `at`.
    fn conversation(at: i64) -> Facts {
        Facts {
            conversation: Conversation {
                id: ConversationId::new(),
                customer_id: CustomerId::parse("c-1").unwrap(),
                queue_id: QueueId::default_queue(),
                status: ConversationStatus::Queued,
                attendant_id: None,
                requested_at: at * MIN,
                assigned_at: None,
                ended_at: None,
                last_seq: 0,
                rating: None,
                subject: None,
            },
            created_at: at * MIN,
            first_assigned_at: None,
            first_response_at: None,
            reopened: 0,
            customer_messages: 0,
            attendant_messages: 0,
            calls: 0,
            calls_answered: 0,
            calls_missed: 0,
            talk_ms: 0,
        }
    }

    /// With what happened after (minutes from the request).
    fn resolved(at: i64, assigned: i64, answered: i64, done: i64, score: Option<u8>) -> Facts {
        let mut f = conversation(at);
        f.conversation.status = ConversationStatus::Resolved;
        f.conversation.attendant_id = Some(AttendantId::parse("a-1").unwrap());
        f.conversation.ended_at = Some((at + done) * MIN);
        f.conversation.rating = score.map(|score| Rating {
            score,
            comment: None,
        });
        f.first_assigned_at = Some((at + assigned) * MIN);
        f.first_response_at = Some((at + answered) * MIN);
        f.customer_messages = 3;
        f.attendant_messages = 2;
        f
    }

    #[test]
    fn percentiles_are_nearest_rank_and_the_mean_is_exact() {
        let m = measure_of(vec![50, 10, 40, 20, 30]);
        assert_eq!(m.count, 5);
        assert_eq!(m.mean_ms, Some(30.0));
        assert_eq!(m.median_ms, Some(30));
        assert_eq!(m.p90_ms, Some(50));
        let ten = measure_of((1..=10).collect());
        assert_eq!((ten.median_ms, ten.p90_ms), (Some(5), Some(9)));
        assert_eq!(measure_of(vec![7]).p90_ms, Some(7));
        assert_eq!(measure_of(Vec::new()), Measure::default());
    }

    #[test]
    fn a_constructed_period_gives_exact_numbers() {
        let mut reopened = resolved(30, 4, 10, 90, Some(2));
        reopened.reopened = 1;
        // Its request time moved when it was reopened; the measures run from the first.
        reopened.conversation.requested_at = 100 * MIN;
        reopened.calls = 2;
        reopened.calls_answered = 1;
        reopened.calls_missed = 1;
        reopened.talk_ms = 90_000;
        let mut abandoned = conversation(55);
        abandoned.conversation.status = ConversationStatus::Abandoned;
        abandoned.customer_messages = 1;
        // Assigned, never answered, the customer went away.
        let mut expired = conversation(60);
        expired.conversation.status = ConversationStatus::Expired;
        expired.conversation.ended_at = Some(70 * MIN);
        expired.first_assigned_at = Some(62 * MIN);
        let rows = vec![
            resolved(0, 2, 3, 20, Some(5)),
            resolved(10, 6, 8, 40, Some(4)),
            reopened,
            // Resolved without a rating, answered once assigned.
            resolved(40, 1, 1, 5, None),
            // Still waiting.
            conversation(50),
            abandoned,
            expired,
        ];
        let s = summarize(&rows);
        assert_eq!(
            (s.created, s.resolved, s.abandoned, s.expired, s.reopened),
            (7, 4, 1, 1, 1)
        );
        assert_eq!((s.customer_messages, s.attendant_messages), (13, 8));
        // Waits: 2, 6, 4, 1, 2 minutes.
        assert_eq!(s.wait.count, 5);
        assert_eq!(s.wait.mean_ms, Some(3.0 * MIN as f64));
        assert_eq!(s.wait.median_ms, Some(2 * MIN));
        assert_eq!(s.wait.p90_ms, Some(6 * MIN));
        // First responses: 3, 8, 10, 1; after assignment: 1, 2, 6, 0.
        assert_eq!(s.first_response.median_ms, Some(3 * MIN));
        assert_eq!(s.first_response.p90_ms, Some(10 * MIN));
        assert_eq!(
            s.first_response_after_assignment.mean_ms,
            Some(2.25 * MIN as f64)
        );
        // Resolutions: 20, 40, 90, 5 (the reopened one's time kept running); handle 18, 34,
        // 86, 4; the expired one has neither.
        assert_eq!(s.resolution.mean_ms, Some(38.75 * MIN as f64));
        assert_eq!(s.resolution.p90_ms, Some(90 * MIN));
        assert_eq!(s.handle.median_ms, Some(18 * MIN));
        assert_eq!(s.handle.count, 4);
        assert_eq!(
            s.csat,
            Csat {
                ratings: 3,
                positive: 2,
                score: Some(2.0 / 3.0),
                offered: 4,
                response_rate: Some(0.75),
                distribution: [0, 1, 0, 1, 1],
            }
        );
        assert_eq!(
            s.calls,
            CallTotals {
                count: 2,
                answered: 1,
                missed: 1,
                talk_ms: 90_000
            }
        );
    }

    #[test]
    fn an_empty_period_has_no_averages_rather_than_zeros() {
        let s = summarize(&[]);
        assert_eq!(s.created, 0);
        assert_eq!(s.wait.mean_ms, None);
        assert_eq!((s.csat.score, s.csat.response_rate), (None, None));
    }
}
