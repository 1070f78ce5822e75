//! The report's period: the presets (today, the last 7 or 30 days) and custom dates turned
//! into the `[from, to)` instants the API takes, and which buckets suit a period.
//!
//! Why an offset *function* rather than one offset: a 30-day period may cross a daylight
//! saving change, and each of its midnights must be a local midnight of its own day. The
//! browser answers "minutes east of UTC at this instant" (`Date.getTimezoneOffset`); tests
//! pass fixed or made-up zones.

use chimpassist_protocol::TimestampMs;
use chimpassist_protocol::report::GroupBy;
use chimpassist_protocol::time::Civil;

const DAY_MS: i64 = 86_400_000;
/// The API refuses longer periods.
pub const MAX_DAYS: i64 = 366;
/// Hourly buckets only up to this many days (168 bars is as many as a chart can show).
const MAX_HOUR_DAYS: i64 = 7;
/// Weekly buckets only from this many days (fewer weeks than that say nothing).
const MIN_WEEK_DAYS: i64 = 14;

/// Which period the picker shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    Today,
    #[default]
    Last7,
    Last30,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Today, Preset::Last7, Preset::Last30, Preset::Custom];

    /// The `<select>` value.
    pub fn wire(self) -> &'static str {
        match self {
            Preset::Today => "today",
            Preset::Last7 => "7d",
            Preset::Last30 => "30d",
            Preset::Custom => "custom",
        }
    }

    pub fn parse(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.wire() == wire)
    }
}

/// `[from, to)` in Unix milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: TimestampMs,
    pub to: TimestampMs,
}

impl Period {
    /// Whole days, rounded (a day with a daylight saving change is 23 or 25 hours).
    pub fn days(&self) -> i64 {
        ((self.to - self.from) as f64 / DAY_MS as f64).round() as i64
    }

    /// The bucket sizes offered for this period, finest first.
    pub fn groupings(&self) -> Vec<GroupBy> {
        let days = self.days();
        let mut out = Vec::with_capacity(3);
        if days <= MAX_HOUR_DAYS {
            out.push(GroupBy::Hour);
        }
        out.push(GroupBy::Day);
        if days >= MIN_WEEK_DAYS {
            out.push(GroupBy::Week);
        }
        out
    }

    /// What a period is grouped by unless asked otherwise: hours for a day or two, days up
    /// to two months, weeks beyond.
    pub fn default_grouping(&self) -> GroupBy {
        match self.days() {
            ..=2 => GroupBy::Hour,
            3..=62 => GroupBy::Day,
            _ => GroupBy::Week,
        }
    }

    /// `wanted` when it suits this period, otherwise the default.
    pub fn fit(&self, wanted: GroupBy) -> GroupBy {
        if self.groupings().contains(&wanted) {
            wanted
        } else {
            self.default_grouping()
        }
    }
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The local date of `ts` in a zone `offset_min` minutes east of UTC.
    pub fn of(ts: TimestampMs, offset_min: i32) -> Self {
        let c = Civil::from_unix((ts + i64::from(offset_min) * 60_000).div_euclid(1000));
        Date {
            year: c.year,
            month: c.month,
            day: c.day,
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil, the inverse of `Civil`'s).
    pub fn days_since_epoch(self) -> i64 {
        let m = i64::from(self.month);
        let y = self.year - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// `n` days later (earlier when negative).
    pub fn plus_days(self, n: i64) -> Self {
        let c = Civil::from_unix((self.days_since_epoch() + n) * 86_400);
        Date {
            year: c.year,
            month: c.month,
            day: c.day,
        }
    }

    /// An `<input type=date>` value, `2026-12-07`; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        // Round-tripping rejects 2026-02-30 and month 13.
        (date.plus_days(0) == date).then_some(date)
    }

    /// The `<input type=date>` value.
    pub fn input_value(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The instant this date starts in the browser's zone.
    pub fn midnight(self, offset_at: &dyn Fn(TimestampMs) -> i32) -> TimestampMs {
        let utc = self.days_since_epoch() * DAY_MS;
        let shift = |ts: TimestampMs| i64::from(offset_at(ts)) * 60_000;
        // The offset is the one in force at local midnight, not at UTC midnight: a second
        // look settles the (rare) case where a change falls between the two.
        let guess = utc - shift(utc);
        utc - shift(guess)
    }
}

/// The period of a preset at `now`: whole local days, today included (today's numbers are
/// so far; its previous period is yesterday, whole).
pub fn preset(
    preset: Preset,
    now: TimestampMs,
    offset_at: &dyn Fn(TimestampMs) -> i32,
) -> Option<Period> {
    let today = Date::of(now, offset_at(now));
    let days = match preset {
        Preset::Today => 1,
        Preset::Last7 => 7,
        Preset::Last30 => 30,
        Preset::Custom => return None,
    };
    Some(Period {
        from: today.plus_days(1 - days).midnight(offset_at),
        to: today.plus_days(1).midnight(offset_at),
    })
}

/// Custom dates, both days included; `None` unless both are dates, `from` is not after `to`
/// and they span at most [`MAX_DAYS`].
pub fn custom(from: &str, to: &str, offset_at: &dyn Fn(TimestampMs) -> i32) -> Option<Period> {
    let (first, last) = (Date::parse(from)?, Date::parse(to)?);
    let days = last.days_since_epoch() - first.days_since_epoch() + 1;
    (1..=MAX_DAYS).contains(&days).then(|| Period {
        from: first.midnight(offset_at),
        to: last.plus_days(1).midnight(offset_at),
    })
}

/// The dates the custom inputs show for a period: its first and last day.
pub fn input_dates(period: Period, offset_at: &dyn Fn(TimestampMs) -> i32) -> (String, String) {
    let last = period.to - 1;
    (
        Date::of(period.from, offset_at(period.from)).input_value(),
        Date::of(last, offset_at(last)).input_value(),
    )
}
