//! A queue's business hours: when people answer it, in the desk's time zone. Outside them
//! the widget offers the leave-a-message and callback forms instead of a queue, and the
//! public stats say `open: false` with when it opens.
//!
//! The server checks them when a queue is saved (the time zone must exist, times be
//! `HH:MM`, a span open before it closes, dates real); these types only carry them.

use serde::{Deserialize, Serialize};

/// Weekdays, as the hours name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// One opening on a weekday: `open` to `close`, `HH:MM` in the hours' time zone (`close`
/// may be `24:00`; a span ends on its own day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenSpan {
    pub day: Day,
    pub open: String,
    pub close: String,
}

/// When a queue is answered. A weekday without spans is closed all day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessHours {
    /// IANA name, e.g. `America/Sao_Paulo`.
    pub time_zone: String,
    #[serde(default)]
    pub weekly: Vec<OpenSpan>,
    /// Dates closed all day (`YYYY-MM-DD`, in `time_zone`).
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// Most spans a week may have, and most holidays kept.
pub const MAX_SPANS: usize = 50;
pub const MAX_HOLIDAYS: usize = 200;
