//! The query strings of `/api/reports/…`: the page's filters, and what a click narrows them
//! to (a drill-down), the same for the list and for its CSV so that the two always agree.

use chimpassist_protocol::report::{GroupBy, MeasureKind};
use chimpassist_protocol::{ConversationStatus, TimestampMs};

use super::period::Period;
use crate::format::query_component;

/// Conversations asked for per drill-down page.
pub const PAGE: u32 = 50;

/// What the page's controls say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    pub period: Period,
    /// The browser's IANA zone (`America/Sao_Paulo`).
    pub tz: String,
    pub group_by: GroupBy,
    pub queue: Option<String>,
    pub attendant: Option<String>,
}

/// What was clicked: it narrows the page's filters to the conversations behind it.
#[derive(Clone, Debug, PartialEq)]
pub enum Drill {
    /// A headline number that is just "the period's conversations".
    All,
    /// `status=`: resolved, abandoned, expired…
    Status(ConversationStatus),
    /// `reopened=true`.
    Reopened,
    /// `rated=true`: the conversations behind the CSAT numbers.
    Rated,
    /// `calls=true`: those with a call.
    Calls,
    /// A bucket of the series: its own `[start, end)` instead of the period.
    Bucket {
        start: TimestampMs,
        end: TimestampMs,
        label: String,
    },
    /// A heatmap cell: 0 = Monday, hour 0–23, in the report's zone.
    Cell { weekday: u8, hour: u8 },
    /// A histogram bin `[min_ms, max_ms)`; the last bin has no end. A headline measure is
    /// the bin from 0 with no end: every conversation that has the measure.
    Bin {
        measure: MeasureKind,
        min_ms: i64,
        max_ms: Option<i64>,
    },
    /// A CSAT bar, 1–5.
    Rating(u8),
    /// A row of the per-attendant table.
    Attendant { id: String, name: String },
    /// A row of the per-queue table.
    Queue { id: String, name: String },
}

/// Query parameters, encoded when joined.
#[derive(Default)]
struct Params(Vec<(&'static str, String)>);

impl Params {
    fn push(&mut self, key: &'static str, value: impl ToString) {
        self.0.push((key, value.to_string()));
    }

    /// Sets `key`, replacing the value it had (a clicked row's queue wins over the filter's).
    fn set(&mut self, key: &'static str, value: impl ToString) {
        self.0.retain(|(k, _)| *k != key);
        self.push(key, value);
    }

    fn join(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={}", query_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

impl Filters {
    fn params(&self, with_group: bool) -> Params {
        let mut p = Params::default();
        p.push("from", self.period.from);
        p.push("to", self.period.to);
        p.push("tz", &self.tz);
        if with_group {
            p.push("group_by", self.group_by.as_str());
        }
        if let Some(q) = &self.queue {
            p.push("queue", q);
        }
        if let Some(a) = &self.attendant {
            p.push("attendant", a);
        }
        p
    }

    fn drilled(&self, drill: &Drill) -> Params {
        let mut p = self.params(false);
        match drill {
            Drill::All => {}
            Drill::Status(s) => p.push("status", s.as_str()),
            Drill::Reopened => p.push("reopened", true),
            Drill::Rated => p.push("rated", true),
            Drill::Calls => p.push("calls", true),
            // A week's bucket may start before the period (its Monday) or end after it:
            // only the period's part of it is listed, as only that part was counted.
            Drill::Bucket { start, end, .. } => {
                p.set("from", (*start).max(self.period.from));
                p.set("to", (*end).min(self.period.to));
            }
            Drill::Cell { weekday, hour } => {
                p.push("weekday", weekday);
                p.push("hour", hour);
            }
            Drill::Bin {
                measure,
                min_ms,
                max_ms,
            } => {
                p.push("measure", measure.as_str());
                p.push("min_ms", min_ms);
                if let Some(max) = max_ms {
                    p.push("max_ms", max);
                }
            }
            Drill::Rating(r) => p.push("rating", r),
            Drill::Attendant { id, .. } => p.set("attendant", id),
            Drill::Queue { id, .. } => p.set("queue", id),
        }
        p
    }

    /// `GET /api/reports/overview`.
    pub fn overview_path(&self) -> String {
        format!("/api/reports/overview?{}", self.params(true).join())
    }

    /// `GET /api/reports/conversations`: the first page (`cursor` `None`) or the next one.
    pub fn conversations_path(&self, drill: &Drill, cursor: Option<&str>) -> String {
        let mut p = self.drilled(drill);
        p.push("limit", PAGE);
        if let Some(c) = cursor {
            p.push("cursor", c);
        }
        format!("/api/reports/conversations?{}", p.join())
    }

    /// `GET /api/reports/conversations.csv`: every row of the same drill-down.
    pub fn csv_path(&self, drill: &Drill) -> String {
        format!(
            "/api/reports/conversations.csv?{}",
            self.drilled(drill).join()
        )
    }
}

/// The CSV's file name: `conversations-2026-12-01-2026-12-07.csv`.
pub fn csv_name(first_day: &str, last_day: &str) -> String {
    if first_day == last_day {
        format!("conversations-{first_day}.csv")
    } else {
        format!("conversations-{first_day}-{last_day}.csv")
    }
}
