//! What a report asks for, parsed once at the edge: the period and its time zone, whose
//! conversations (queue, attendant), and — for the drill-down and the CSV — what was clicked.
//! Also the calendar: buckets, the heatmap's cells, local times, in the desk's zone.

use chimpassist_protocol::report::{GroupBy, MeasureKind};
use chimpassist_protocol::{AttendantId, ConversationStatus, QueueId, TimestampMs};
use chimpassist_store::ConversationFacts as Facts;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::summary::{measure, rating};
use crate::error::{AppError, AppResult};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// The longest period one report covers.
pub const MAX_PERIOD_MS: i64 = 366 * DAY;
/// The most buckets one series has (a year by day fits; a year by hour does not).
pub const MAX_BUCKETS: i64 = 1_000;

/// The period and how to slice it.
#[derive(Clone, Debug)]
pub struct Period {
    pub from: TimestampMs,
    pub to: TimestampMs,
    pub tz: TimeZone,
    pub tz_name: String,
    pub group_by: GroupBy,
}

/// Whose conversations: an attendant's reports are always narrowed to their own.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub queue: Option<QueueId>,
    pub attendant: Option<AttendantId>,
}

/// What was clicked, for the drill-down and the CSV (all `None`: every conversation).
#[derive(Clone, Debug, Default)]
pub struct Narrow {
    pub status: Option<ConversationStatus>,
    pub rating: Option<u8>,
    pub reopened: Option<bool>,
    /// Rated (`true`) or not (`false`).
    pub rated: Option<bool>,
    /// With at least one call (`true`) or none.
    pub calls: Option<bool>,
    /// 0 = Monday … 6 = Sunday, in the period's zone.
    pub weekday: Option<u8>,
    pub hour: Option<u8>,
    /// A histogram bin: `[min, max)` of a measure (conversations without it are left out).
    pub measure: Option<(MeasureKind, Option<i64>, Option<i64>)>,
}

/// The raw query parameters, as strings, so every mistake gets its own message.
#[derive(Clone, Debug, Default)]
pub struct RawQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub tz: Option<String>,
    pub group_by: Option<String>,
    pub queue: Option<String>,
    pub attendant: Option<String>,
    pub status: Option<String>,
    pub rating: Option<u8>,
    pub reopened: Option<bool>,
    pub rated: Option<bool>,
    pub calls: Option<bool>,
    pub weekday: Option<u8>,
    pub hour: Option<u8>,
    pub measure: Option<String>,
    pub min_ms: Option<i64>,
    pub max_ms: Option<i64>,
}

/// A whole report request.
#[derive(Clone, Debug)]
pub struct ReportQuery {
    pub period: Period,
    pub scope: Scope,
    pub narrow: Narrow,
}

impl ReportQuery {
    pub fn parse(raw: RawQuery) -> AppResult<Self> {
        let (Some(from), Some(to)) = (raw.from, raw.to) else {
            return Err(AppError::invalid(
                "`from` and `to` are required (Unix milliseconds)",
            ));
        };
        if to <= from {
            return Err(AppError::invalid("`to` must be after `from`"));
        }
        if to - from > MAX_PERIOD_MS {
            return Err(AppError::invalid("a report covers at most 366 days"));
        }
        // Both must be instants jiff can place in a calendar.
        for at in [from, to] {
            Timestamp::from_millisecond(at)
                .map_err(|_| AppError::invalid("`from`/`to` is out of range"))?;
        }
        let tz_name = raw.tz.unwrap_or_else(|| "UTC".to_owned());
        let tz = TimeZone::get(&tz_name)
            .map_err(|_| AppError::invalid(format!("unknown time zone `{tz_name}`")))?;
        let group_by = match raw.group_by.as_deref() {
            None => GroupBy::Day,
            Some(g) => GroupBy::parse(g)
                .ok_or_else(|| AppError::invalid("`group_by` is hour, day or week"))?,
        };
        let width = match group_by {
            GroupBy::Hour => HOUR,
            GroupBy::Day => DAY,
            GroupBy::Week => 7 * DAY,
        };
        if (to - from) / width > MAX_BUCKETS {
            return Err(AppError::invalid(format!(
                "more than {MAX_BUCKETS} buckets: group by a longer unit"
            )));
        }
        let scope = Scope {
            queue: raw
                .queue
                .map(|q| QueueId::parse(q).map_err(|_| AppError::invalid("bad `queue`")))
                .transpose()?,
            attendant: raw
                .attendant
                .map(|a| AttendantId::parse(a).map_err(|_| AppError::invalid("bad `attendant`")))
                .transpose()?,
        };
        let narrow = Narrow {
            status: raw
                .status
                .map(|s| {
                    ConversationStatus::parse(&s)
                        .ok_or_else(|| AppError::invalid(format!("unknown status `{s}`")))
                })
                .transpose()?,
            rating: within(raw.rating, 1..=5, "`rating` is 1 to 5")?,
            reopened: raw.reopened,
            rated: raw.rated,
            calls: raw.calls,
            weekday: within(raw.weekday, 0..=6, "`weekday` is 0 (Monday) to 6")?,
            hour: within(raw.hour, 0..=23, "`hour` is 0 to 23")?,
            measure: match raw.measure {
                None if raw.min_ms.is_some() || raw.max_ms.is_some() => {
                    return Err(AppError::invalid("`min_ms`/`max_ms` need a `measure`"));
                }
                None => None,
                Some(m) => Some((
                    MeasureKind::parse(&m)
                        .ok_or_else(|| AppError::invalid(format!("unknown measure `{m}`")))?,
                    raw.min_ms,
                    raw.max_ms,
                )),
            },
        };
        Ok(Self {
            period: Period {
                from,
                to,
                tz,
                tz_name,
                group_by,
            },
            scope,
            narrow,
        })
    }

    /// Whether a conversation of the period is one the caller asked about.
    pub fn keeps(&self, f: &Facts) -> bool {
        let c = &f.conversation;
        let scope = &self.scope;
        let narrow = &self.narrow;
        let local = || self.period.local(f.created_at);
        scope.queue.as_ref().is_none_or(|q| *q == c.queue_id)
            && scope
                .attendant
                .as_ref()
                .is_none_or(|a| Some(a) == c.attendant_id.as_ref())
            && narrow.status.is_none_or(|s| s == c.status)
            && narrow.rating.is_none_or(|r| rating(f) == Some(r))
            && narrow.reopened.is_none_or(|r| r == (f.reopened > 0))
            && narrow.rated.is_none_or(|r| r == rating(f).is_some())
            && narrow.calls.is_none_or(|c| c == (f.calls > 0))
            && narrow
                .weekday
                .is_none_or(|d| weekday(local()) == usize::from(d))
            && narrow.hour.is_none_or(|h| hour(local()) == usize::from(h))
            && narrow.measure.is_none_or(|(kind, min, max)| {
                measure(f, kind).is_some_and(|v| {
                    min.is_none_or(|min| v >= min) && max.is_none_or(|max| v < max)
                })
            })
    }
}

/// `value` when it is absent or in `range`; otherwise `400` saying so.
fn within(
    value: Option<u8>,
    range: std::ops::RangeInclusive<u8>,
    message: &str,
) -> AppResult<Option<u8>> {
    match value {
        Some(v) if !range.contains(&v) => Err(AppError::invalid(message)),
        _ => Ok(value),
    }
}

/// 0 = Monday … 6 = Sunday.
pub fn weekday(local: DateTime) -> usize {
    usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0)
}

pub fn hour(local: DateTime) -> usize {
    usize::try_from(local.hour()).unwrap_or(0)
}

/// One slot of the series: `[start, end)`, clipped to the period, and its local label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: TimestampMs,
    pub end: TimestampMs,
    pub label: String,
}

impl Period {
    /// The civil date and time of an instant in the period's zone.
    pub fn local(&self, at: TimestampMs) -> DateTime {
        let at = Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH);
        self.tz.to_datetime(at)
    }

    /// The offset from UTC at an instant, in ms.
    fn offset_ms(&self, at: TimestampMs) -> i64 {
        let at = Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH);
        i64::from(self.tz.to_offset(at).seconds()) * 1000
    }

    /// The instant a local midnight starts (the first instant of that day when a DST gap
    /// swallows midnight).
    fn midnight(&self, date: jiff::civil::Date) -> TimestampMs {
        self.tz
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .map_or(i64::MIN, Timestamp::as_millisecond)
    }

    /// The start of the bucket holding `at` (unclipped) and the start of the next.
    fn bucket(&self, at: TimestampMs) -> (TimestampMs, TimestampMs) {
        match self.group_by {
            // Hours are whole hours of local time; with a half-hour zone they start at :30 UTC.
            GroupBy::Hour => {
                let start = at - (at + self.offset_ms(at)).rem_euclid(HOUR);
                (start, start + HOUR)
            }
            GroupBy::Day => {
                let date = self.local(at).date();
                let next = date.tomorrow().unwrap_or(date);
                (self.midnight(date), self.midnight(next))
            }
            GroupBy::Week => {
                let date = self.local(at).date();
                let back = i64::from(date.weekday().to_monday_zero_offset());
                let monday = date
                    .checked_sub(jiff::Span::new().days(back))
                    .unwrap_or(date);
                let next = monday
                    .checked_add(jiff::Span::new().days(7))
                    .unwrap_or(monday);
                (self.midnight(monday), self.midnight(next))
            }
        }
    }

    fn label(&self, start: TimestampMs) -> String {
        let local = self.local(start);
        let date = local.date();
        let day = format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
        match self.group_by {
            GroupBy::Hour => format!("{day}T{:02}:{:02}", local.hour(), local.minute()),
            GroupBy::Day | GroupBy::Week => day,
        }
    }

    /// Every bucket of the period, in order, empty ones included; the first and last are
    /// clipped to the period, so a bucket's conversations are exactly those its drill-down
    /// (`from=start&to=end`) lists.
    pub fn slots(&self) -> Vec<Slot> {
        let mut slots = Vec::new();
        let mut at = self.from;
        while at < self.to {
            let (start, next) = self.bucket(at);
            // A zone transition can never make time stand still, but guard the loop anyway.
            let next = next.max(at + 1);
            slots.push(Slot {
                start: start.max(self.from),
                end: next.min(self.to),
                label: self.label(start),
            });
            at = next;
        }
        slots
    }

    /// An instant as the CSV writes it: local ISO 8601 with its offset, to the millisecond.
    pub fn iso(&self, at: TimestampMs) -> String {
        let local = self.local(at);
        let offset = self.offset_ms(at) / 60_000;
        let sign = if offset < 0 { '-' } else { '+' };
        let date = local.date();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
            date.year(),
            date.month(),
            date.day(),
            local.hour(),
            local.minute(),
            local.second(),
            local.millisecond(),
            offset.abs() / 60,
            offset.abs() % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(from: &str, to: &str, tz: &str, group_by: &str) -> Period {
        let ms = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        ReportQuery::parse(RawQuery {
            from: Some(ms(from)),
            to: Some(ms(to)),
            tz: Some(tz.into()),
            group_by: Some(group_by.into()),
            ..RawQuery::default()
        })
        .unwrap()
        .period
    }

    #[test]
    fn days_are_the_desks_days() {
        // São Paulo is UTC−3: its 7 December starts at 03:00 UTC.
        let p = period(
            "2026-12-07T03:00:00Z",
            "2026-12-10T03:00:00Z",
            "America/Sao_Paulo",
            "day",
        );
        let slots = p.slots();
        let labels: Vec<_> = slots.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["2026-12-07", "2026-12-08", "2026-12-09"]);
        assert_eq!(slots[1].start - slots[0].start, DAY);
        assert_eq!(p.iso(p.from), "2026-12-07T00:00:00.000-03:00");
    }

    #[test]
    fn a_day_with_a_dst_change_is_23_or_25_hours_and_weeks_start_on_monday() {
        // Berlin leaves summer time on 25 October 2026.
        let p = period(
            "2026-10-24T00:00:00Z",
            "2026-10-27T00:00:00Z",
            "Europe/Berlin",
            "day",
        );
        let slots = p.slots();
        assert_eq!(slots[1].label, "2026-10-25");
        assert_eq!(slots[1].end - slots[1].start, 25 * HOUR);
        // The first bucket is clipped to the period (the local day began at 22:00 UTC).
        assert_eq!(slots[0].start, p.from);
        let w = period(
            "2026-12-02T00:00:00Z",
            "2026-12-20T00:00:00Z",
            "UTC",
            "week",
        );
        let labels: Vec<_> = w.slots().into_iter().map(|s| s.label).collect();
        assert_eq!(labels, ["2026-11-30", "2026-12-07", "2026-12-14"]);
    }

    #[test]
    fn hours_follow_a_half_hour_zone() {
        let p = period(
            "2026-12-07T00:00:00Z",
            "2026-12-07T03:00:00Z",
            "Asia/Kolkata",
            "hour",
        );
        let labels: Vec<_> = p.slots().into_iter().map(|s| s.label).collect();
        assert_eq!(
            labels,
            [
                "2026-12-07T05:00",
                "2026-12-07T06:00",
                "2026-12-07T07:00",
                "2026-12-07T08:00"
            ]
        );
    }

    #[test]
    fn mistakes_get_their_own_message() {
        let bad = |raw: RawQuery| ReportQuery::parse(raw).unwrap_err().to_string();
        let base = RawQuery {
            from: Some(0),
            to: Some(DAY),
            ..RawQuery::default()
        };
        assert!(bad(RawQuery::default()).contains("required"));
        assert!(
            bad(RawQuery {
                to: Some(0),
                ..base.clone()
            })
            .contains("after")
        );
        assert!(
            bad(RawQuery {
                tz: Some("Mars/Olympus".into()),
                ..base.clone()
            })
            .contains("time zone")
        );
        assert!(
            bad(RawQuery {
                to: Some(200 * DAY),
                group_by: Some("hour".into()),
                ..base.clone()
            })
            .contains("buckets")
        );
        assert!(
            bad(RawQuery {
                to: Some(400 * DAY),
                ..base.clone()
            })
            .contains("366")
        );
        assert!(
            bad(RawQuery {
                rating: Some(6),
                ..base.clone()
            })
            .contains("rating")
        );
        assert!(
            bad(RawQuery {
                min_ms: Some(1),
                ..base
            })
            .contains("measure")
        );
    }
}
