//! Bodies of the reports API (`/api/reports/...`): what the desk's managers read.
//!
//! Every number is defined once, in the server (`server/src/reports/summary.rs`, and
//! `docs/reports.md`); these types only carry them. Times are milliseconds.

use serde::{Deserialize, Serialize};

use crate::ids::{AttendantId, ConversationId, CustomerId, QueueId, TimestampMs};
use crate::model::ConversationStatus;

/// How the overview's series is bucketed, in the report's time zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GroupBy {
    Hour,
    #[default]
    Day,
    /// Weeks start on Monday.
    Week,
}

/// The time measure a drill-down narrows by (`measure=` with `min_ms`/`max_ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MeasureKind {
    Wait,
    FirstResponse,
    FirstResponseAfterAssignment,
    Resolution,
    Handle,
}

/// One time measure over a set of conversations: how many have it, and its statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measure {
    pub count: u64,
    /// `None` when no conversation has the measure (not zero: "no data" is not "instant").
    pub mean_ms: Option<f64>,
    pub median_ms: Option<i64>,
    /// 90th percentile, nearest rank.
    pub p90_ms: Option<i64>,
}

/// Customer satisfaction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Csat {
    pub ratings: u64,
    /// Ratings of 4 or 5.
    pub positive: u64,
    /// `positive / ratings`, when there are ratings.
    pub score: Option<f64>,
    /// Conversations that were offered a rating (those resolved).
    pub offered: u64,
    /// `ratings / offered`, when any was offered.
    pub response_rate: Option<f64>,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

/// Voice and video calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallTotals {
    pub count: u64,
    pub answered: u64,
    /// Nobody answered in time (declined and cancelled calls are neither answered nor missed).
    pub missed: u64,
    /// Talk time of the answered calls.
    pub talk_ms: i64,
}

/// Every number of a set of conversations (a period, or a bucket, attendant or queue of it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSummary {
    /// Conversations requested (first requested) in the period.
    pub created: u64,
    pub resolved: u64,
    /// Gave up while queued.
    pub abandoned: u64,
    /// The customer was gone longer than the keep-alive.
    pub expired: u64,
    /// Taken back at least once after they ended.
    pub reopened: u64,
    pub customer_messages: u64,
    pub attendant_messages: u64,
    /// Requested → first assigned.
    pub wait: Measure,
    /// Requested → first attendant message.
    pub first_response: Measure,
    /// First assigned → first attendant message.
    pub first_response_after_assignment: Measure,
    /// Requested → resolved (a reopened conversation's time runs until its last resolution).
    pub resolution: Measure,
    /// First assigned → resolved.
    pub handle: Measure,
    pub csat: Csat,
    pub calls: CallTotals,
}

/// One bucket of the overview's series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBucket {
    /// The bucket's first instant (its local midnight, hour or Monday, in the report's zone).
    pub start: TimestampMs,
    /// Its end (exclusive): pass `start`/`end` as `from`/`to` to list its conversations.
    pub end: TimestampMs,
    /// Its local start, ISO 8601 without offset: `2026-12-07` or `2026-12-07T14:00`.
    pub label: String,
    pub summary: ReportSummary,
}

/// One row of the per-attendant or per-queue table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    /// The attendant's or queue's id (pass it as `attendant=`/`queue=` to drill down).
    pub id: String,
    pub name: String,
    pub summary: ReportSummary,
}

/// How many conversations fall in each bin of a time measure: bin `i` holds values in
/// `[bounds_ms[i-1], bounds_ms[i])` (the first from 0, the last open-ended).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Histogram {
    pub bounds_ms: Vec<i64>,
    /// `bounds_ms.len() + 1` counts.
    pub counts: Vec<u64>,
}

/// `GET /api/reports/overview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportOverview {
    pub from: TimestampMs,
    pub to: TimestampMs,
    /// The IANA time zone the buckets and the heatmap are in.
    pub tz: String,
    pub group_by: GroupBy,
    pub summary: ReportSummary,
    /// The same numbers for the period of the same length just before (for the change).
    pub previous: ReportSummary,
    /// Every bucket from `from` to `to`, empty ones included.
    pub series: Vec<ReportBucket>,
    /// Per attendant (who holds or last held each conversation), busiest first.
    pub attendants: Vec<ReportRow>,
    /// Per queue, busiest first.
    pub queues: Vec<ReportRow>,
    /// Conversations created, by local day of the week (0 = Monday … 6 = Sunday) and hour.
    pub heatmap: Vec<Vec<u64>>,
    pub first_response_histogram: Histogram,
    pub resolution_histogram: Histogram,
}

/// One conversation as reports count it: a row of the CSV and of the drill-down.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportConversation {
    pub id: ConversationId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub queue: QueueId,
    #[serde(default)]
    pub attendant: Option<AttendantId>,
    #[serde(default)]
    pub attendant_name: Option<String>,
    pub status: ConversationStatus,
    /// When it was first requested (what puts it in a period).
    pub requested_at: TimestampMs,
    #[serde(default)]
    pub first_assigned_at: Option<TimestampMs>,
    #[serde(default)]
    pub first_response_at: Option<TimestampMs>,
    /// Its last resolution, while it is resolved.
    #[serde(default)]
    pub resolved_at: Option<TimestampMs>,
    pub reopened: u32,
    pub customer_messages: u64,
    pub attendant_messages: u64,
    #[serde(default)]
    pub rating: Option<u8>,
    #[serde(default)]
    pub wait_ms: Option<i64>,
    #[serde(default)]
    pub first_response_ms: Option<i64>,
    #[serde(default)]
    pub first_response_after_assignment_ms: Option<i64>,
    #[serde(default)]
    pub resolution_ms: Option<i64>,
    #[serde(default)]
    pub handle_ms: Option<i64>,
    pub calls: u32,
    pub calls_answered: u32,
    pub calls_missed: u32,
    pub talk_ms: i64,
}

/// `GET /api/reports/conversations`: a page of the drill-down, oldest request first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportConversationsPage {
    /// How many conversations match in all (every page).
    pub total: u64,
    pub conversations: Vec<ReportConversation>,
    /// Pass as `cursor=` for the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /api/reports/live`: the desk right now (from the coordinator, not the store).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveSnapshot {
    pub at: TimestampMs,
    /// Conversations queued now.
    pub waiting: u64,
    /// Conversations assigned or active now.
    pub active: u64,
    /// Online attendants with room for more.
    pub online: u64,
    /// Online attendants at their capacity.
    pub busy: u64,
    pub away: u64,
    pub offline: u64,
    /// How long the longest-waiting customer has waited (0 when nobody waits).
    pub longest_wait_ms: i64,
}
