//! The date ranges the statistics endpoint is asked for, and their stamps.

/// The statistics period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Range {
    Day,
    Week,
    /// Stamps in the endpoint's `YYYYMMDD-HH:MM:SS` format, the attendant's local time.
    Custom {
        start: String,
        end: String,
    },
}

impl Range {
    /// The query string of `/api/customers/{id}/statistics`.
    pub fn query(&self) -> String {
        match self {
            Range::Day => "range=24h".to_owned(),
            Range::Week => "range=7d".to_owned(),
            Range::Custom { start, end } => {
                format!("start_date_time={start}&end_date_time={end}")
            }
        }
    }

    /// A custom range from two `datetime-local` values; `None` unless both are dates and
    /// the start is before the end.
    pub fn custom(start: &str, end: &str) -> Option<Range> {
        let (start, end) = (stamp_from_input(start)?, stamp_from_input(end)?);
        // Same fixed-width format: comparing the text compares the times.
        (start < end).then_some(Range::Custom { start, end })
    }
}

/// A `datetime-local` value (`2024-05-01T13:45`, seconds optional) as the endpoint's
/// `20240501-13:45:00`. The value is already the attendant's wall-clock time and is passed
/// on as such, like the original back-office did.
pub fn stamp_from_input(value: &str) -> Option<String> {
    let (date, time) = value.trim().split_once('T')?;
    let mut d = date.split('-');
    let (y, mo, da) = (d.next()?, d.next()?, d.next()?);
    let mut t = time.split(':');
    let (h, mi) = (t.next()?, t.next()?);
    // Seconds may carry a fraction (`05.250`); it is dropped.
    let s = t
        .next()
        .map_or("00", |s| s.split('.').next().unwrap_or("00"));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = d.next().is_none()
        && t.next().is_none()
        && digits(y, 4)
        && [mo, da, h, mi, s].iter().all(|p| digits(p, 2));
    let num = |p: &str| p.parse::<u32>().unwrap_or(99);
    let valid = ok
        && (1..=12).contains(&num(mo))
        && (1..=31).contains(&num(da))
        && num(h) < 24
        && num(mi) < 60
        && num(s) < 60;
    valid.then(|| format!("{y}{mo}{da}-{h}:{mi}:{s}"))
}

/// `ts` (ms) as a `datetime-local` value in the zone `offset_min` minutes east of UTC.
pub fn input_value(ts: i64, offset_min: i32) -> String {
    crate::format::date_time(ts, offset_min).replacen(' ', "T", 1)
}

// ---------------------------------------------------------------------------------------
// Chart geometry
// ---------------------------------------------------------------------------------------
