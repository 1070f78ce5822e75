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
//!   its last resolution);
//! - **handle**: first assigned → resolved;
//! - **CSAT**: score = ratings of 4–5 ÷ all ratings; response rate = ratings ÷ conversations
//!   offered a rating (those resolved: the widget asks when a chat ends);
//! - each time measure as mean, median and 90th percentile (nearest rank), over the
//!   conversations that have it.

use chimpassist_protocol::{AttendantId, ConversationId, ConversationStatus, QueueId, TimestampMs};
use serde::Serialize;

/// What a period's report knows of one conversation (one CSV row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub id: ConversationId,
    pub queue: QueueId,
    /// Who holds it now, or held it last.
    pub attendant: Option<AttendantId>,
    pub status: ConversationStatus,
    pub requested_at: TimestampMs,
    pub first_assigned_at: Option<TimestampMs>,
    /// The first message from the attendant side.
    pub first_response_at: Option<TimestampMs>,
    /// Its last resolution, while it is resolved.
    pub resolved_at: Option<TimestampMs>,
    /// How many times it was taken back after it ended.
    pub reopened: u32,
    pub customer_messages: u64,
    pub attendant_messages: u64,
    /// 1–5.
    pub rating: Option<u8>,
}

impl Facts {
    pub fn wait_ms(&self) -> Option<i64> {
        self.first_assigned_at.map(|a| a - self.requested_at)
    }

    pub fn first_response_ms(&self) -> Option<i64> {
        self.first_response_at.map(|r| r - self.requested_at)
    }

    pub fn first_response_after_assignment_ms(&self) -> Option<i64> {
        Some(self.first_response_at? - self.first_assigned_at?)
    }

    pub fn resolution_ms(&self) -> Option<i64> {
        self.resolved_at.map(|r| r - self.requested_at)
    }

    pub fn handle_ms(&self) -> Option<i64> {
        Some(self.resolved_at? - self.first_assigned_at?)
    }
}

/// One time measure over a period: how many conversations have it, and its statistics (ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Measure {
    pub count: u64,
    pub mean_ms: Option<f64>,
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

impl Measure {
    /// Over `values` (in any order).
    pub fn of(mut values: Vec<i64>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        let n = values.len();
        let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
        Self {
            count: n as u64,
            mean_ms: Some(sum as f64 / n as f64),
            median_ms: Some(nearest_rank(&values, 50)),
            p90_ms: Some(nearest_rank(&values, 90)),
        }
    }
}

/// The value at or below which `percent` % of the sorted `values` lie: the ⌈p·n/100⌉-th.
fn nearest_rank(sorted: &[i64], percent: usize) -> i64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// Customer satisfaction over a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Csat {
    pub ratings: u64,
    /// Ratings of 4 or 5.
    pub positive: u64,
    /// `positive / ratings`, when there are ratings.
    pub score: Option<f64>,
    /// Conversations that were offered a rating (resolved).
    pub offered: u64,
    /// `ratings / offered`, when any was offered.
    pub response_rate: Option<f64>,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

/// Every number of a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub created: u64,
    pub resolved: u64,
    /// Gave up while queued.
    pub abandoned: u64,
    /// The customer was gone longer than the keep-alive.
    pub expired: u64,
    /// Conversations taken back at least once after they ended.
    pub reopened: u64,
    pub customer_messages: u64,
    pub attendant_messages: u64,
    pub wait: Measure,
    pub first_response: Measure,
    pub first_response_after_assignment: Measure,
    pub resolution: Measure,
    pub handle: Measure,
    pub csat: Csat,
}

/// The numbers of the conversations `rows` (those of one period, or of one bucket,
/// attendant or queue of it).
pub fn summarize(rows: &[Facts]) -> Summary {
    let count = |keep: &dyn Fn(&Facts) -> bool| rows.iter().filter(|f| keep(f)).count() as u64;
    let measure =
        |take: &dyn Fn(&Facts) -> Option<i64>| Measure::of(rows.iter().filter_map(take).collect());
    let mut csat = Csat {
        offered: count(&|f| f.status == ConversationStatus::Resolved),
        ..Csat::default()
    };
    for score in rows.iter().filter_map(|f| f.rating) {
        if (1..=5).contains(&score) {
            csat.ratings += 1;
            csat.distribution[usize::from(score - 1)] += 1;
            if score >= 4 {
                csat.positive += 1;
            }
        }
    }
    csat.score = (csat.ratings > 0).then(|| csat.positive as f64 / csat.ratings as f64);
    csat.response_rate = (csat.offered > 0).then(|| csat.ratings as f64 / csat.offered as f64);
    Summary {
        created: rows.len() as u64,
        resolved: count(&|f| f.status == ConversationStatus::Resolved),
        abandoned: count(&|f| f.status == ConversationStatus::Abandoned),
        expired: count(&|f| f.status == ConversationStatus::Expired),
        reopened: count(&|f| f.reopened > 0),
        customer_messages: rows.iter().map(|f| f.customer_messages).sum(),
        attendant_messages: rows.iter().map(|f| f.attendant_messages).sum(),
        wait: measure(&Facts::wait_ms),
        first_response: measure(&Facts::first_response_ms),
        first_response_after_assignment: measure(&Facts::first_response_after_assignment_ms),
        resolution: measure(&Facts::resolution_ms),
        handle: measure(&Facts::handle_ms),
        csat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// A conversation requested at minute `at`, with what happened after (minutes from the
    /// request).
    fn conversation(at: i64) -> Facts {
        Facts {
            id: ConversationId::new(),
            queue: QueueId::default_queue(),
            attendant: None,
            status: ConversationStatus::Queued,
            requested_at: at * MIN,
            first_assigned_at: None,
            first_response_at: None,
            resolved_at: None,
            reopened: 0,
            customer_messages: 0,
            attendant_messages: 0,
            rating: None,
        }
    }

    fn resolved(at: i64, assigned: i64, answered: i64, done: i64, rating: Option<u8>) -> Facts {
        Facts {
            status: ConversationStatus::Resolved,
            attendant: Some(AttendantId::parse("a-1").unwrap()),
            first_assigned_at: Some((at + assigned) * MIN),
            first_response_at: Some((at + answered) * MIN),
            resolved_at: Some((at + done) * MIN),
            customer_messages: 3,
            attendant_messages: 2,
            rating,
            ..conversation(at)
        }
    }

    #[test]
    fn percentiles_are_nearest_rank_and_the_mean_is_exact() {
        let m = Measure::of(vec![50, 10, 40, 20, 30]);
        assert_eq!(m.count, 5);
        assert_eq!(m.mean_ms, Some(30.0));
        assert_eq!(m.median_ms, Some(30));
        assert_eq!(m.p90_ms, Some(50));
        let ten = Measure::of((1..=10).collect());
        assert_eq!((ten.median_ms, ten.p90_ms), (Some(5), Some(9)));
        assert_eq!(Measure::of(vec![7]).p90_ms, Some(7));
        assert_eq!(Measure::of(Vec::new()), Measure::default());
    }

    #[test]
    fn a_constructed_period_gives_exact_numbers() {
        let mut reopened = resolved(30, 4, 10, 90, Some(2));
        reopened.reopened = 1;
        let rows = vec![
            resolved(0, 2, 3, 20, Some(5)),
            resolved(10, 6, 8, 40, Some(4)),
            reopened,
            // Resolved without a rating, answered once assigned.
            resolved(40, 1, 1, 5, None),
            // Still waiting.
            conversation(50),
            // Gave up in the queue.
            Facts {
                status: ConversationStatus::Abandoned,
                customer_messages: 1,
                ..conversation(55)
            },
            // Assigned, never answered, the customer went away.
            Facts {
                status: ConversationStatus::Expired,
                first_assigned_at: Some(62 * MIN),
                ..conversation(60)
            },
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
        // Resolutions: 20, 40, 90, 5 (the reopened one's time kept running); handle 18, 34, 86, 4.
        assert_eq!(s.resolution.mean_ms, Some(38.75 * MIN as f64));
        assert_eq!(s.resolution.p90_ms, Some(90 * MIN));
        assert_eq!(s.handle.median_ms, Some(18 * MIN));
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
    }

    #[test]
    fn an_empty_period_has_no_averages_rather_than_zeros() {
        let s = summarize(&[]);
        assert_eq!(s.created, 0);
        assert_eq!(s.wait.mean_ms, None);
        assert_eq!((s.csat.score, s.csat.response_rate), (None, None));
    }
}
