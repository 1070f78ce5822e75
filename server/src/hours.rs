//! Business hours (see [`chimpassist_protocol::hours`]): checked when a queue is saved
//! ([`check`]), and asked "open now? if not, when?" by the public stats ([`Schedule`]).
//!
//! Times are civil times in the hours' own time zone (jiff, with the time-zone database
//! built in), so a 09:00 opening stays 09:00 across daylight-saving changes; an opening
//! that falls in a skipped hour starts when the clock gets there.

use std::collections::HashSet;

use chimpassist_protocol::TimestampMs;
use chimpassist_protocol::hours::{BusinessHours, Day, MAX_HOLIDAYS, MAX_SPANS};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::error::{AppError, AppResult};

/// How far ahead the next opening is looked for.
const LOOK_AHEAD_DAYS: i64 = 370;

/// `HH:MM` as minutes of the day; `24:00` only as a closing time.
fn minutes(raw: &str, closing: bool) -> Option<u16> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if h == 24 && m == 0 && closing {
        return Some(24 * 60);
    }
    (h < 24 && m < 60 && raw.trim().len() == 5).then_some(h * 60 + m)
}

fn day_index(day: Day) -> usize {
    day as usize
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

/// The hours as saved: every time zone, time and date checked (`invalid_field` saying which),
/// spans sorted, holidays sorted and once each.
pub fn check(mut hours: BusinessHours) -> AppResult<BusinessHours> {
    hours.time_zone = hours.time_zone.trim().to_owned();
    TimeZone::get(&hours.time_zone).map_err(|_| {
        AppError::invalid(format!(
            "unknown time zone {:?} (an IANA name such as America/Sao_Paulo)",
            hours.time_zone
        ))
    })?;
    if hours.weekly.len() > MAX_SPANS || hours.holidays.len() > MAX_HOLIDAYS {
        return Err(AppError::invalid(format!(
            "at most {MAX_SPANS} opening spans and {MAX_HOLIDAYS} holidays"
        )));
    }
    for span in &hours.weekly {
        let (open, close) = (minutes(&span.open, false), minutes(&span.close, true));
        match (open, close) {
            (Some(o), Some(c)) if o < c => {}
            _ => {
                return Err(AppError::invalid(format!(
                    "opening hours {}–{}: HH:MM, opening before closing, on the same day",
                    span.open, span.close
                )));
            }
        }
    }
    hours
        .weekly
        .sort_by_key(|s| (s.day, minutes(&s.open, false)));
    for date in &hours.holidays {
        date.parse::<Date>()
            .map_err(|_| AppError::invalid(format!("holiday {date:?}: a date as YYYY-MM-DD")))?;
    }
    hours.holidays.sort();
    hours.holidays.dedup();
    Ok(hours)
}

/// Whether a queue is answered at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Openness {
    Open,
    /// With the next opening, if one is scheduled within a year.
    Closed {
        opens_at: Option<TimestampMs>,
    },
}

/// Hours ready to be asked.
#[derive(Clone, Debug)]
pub struct Schedule {
    tz: TimeZone,
    /// Per weekday (Monday first): `(open, close)` minutes, sorted.
    spans: [Vec<(u16, u16)>; 7],
    holidays: HashSet<Date>,
}

impl Schedule {
    /// `None` for hours that do not pass [`check`] (stored ones always do).
    pub fn of(hours: &BusinessHours) -> Option<Self> {
        let tz = TimeZone::get(&hours.time_zone).ok()?;
        let mut spans: [Vec<(u16, u16)>; 7] = Default::default();
        for s in &hours.weekly {
            let (open, close) = (minutes(&s.open, false)?, minutes(&s.close, true)?);
            spans[day_index(s.day)].push((open, close));
        }
        spans.iter_mut().for_each(|d| d.sort_unstable());
        let holidays = hours
            .holidays
            .iter()
            .filter_map(|d| d.parse::<Date>().ok())
            .collect();
        Some(Self {
            tz,
            spans,
            holidays,
        })
    }

    pub fn at(&self, now: TimestampMs) -> Openness {
        let Ok(now_ts) = Timestamp::from_millisecond(now) else {
            return Openness::Open;
        };
        let zoned = now_ts.to_zoned_datetime(self.tz.clone());
        let today = zoned.date();
        let minute = u16::from(zoned.hour() as u8) * 60 + u16::from(zoned.minute() as u8);
        let spans_of = |d: Date| -> &[(u16, u16)] {
            if self.holidays.contains(&d) {
                &[]
            } else {
                &self.spans[weekday_index(d.weekday())]
            }
        };
        if spans_of(today)
            .iter()
            .any(|&(o, c)| o <= minute && minute < c)
        {
            return Openness::Open;
        }
        for ahead in 0..=LOOK_AHEAD_DAYS {
            let Ok(day) = today.checked_add(ahead.days()) else {
                break;
            };
            for &(open, _) in spans_of(day) {
                if ahead == 0 && open <= minute {
                    continue;
                }
                let at = day
                    .at((open / 60) as i8, (open % 60) as i8, 0, 0)
                    .to_zoned_datetime(self.tz.clone());
                if let Ok(at) = at {
                    return Openness::Closed {
                        opens_at: Some(at.timestamp().as_millisecond()),
                    };
                }
            }
        }
        Openness::Closed { opens_at: None }
    }
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::hours::OpenSpan;

    use super::*;

    fn span(day: Day, open: &str, close: &str) -> OpenSpan {
        OpenSpan {
            day,
            open: open.into(),
            close: close.into(),
        }
    }

    fn hours() -> BusinessHours {
        BusinessHours {
            time_zone: "America/Sao_Paulo".into(),
            weekly: vec![
                span(Day::Mon, "09:00", "12:00"),
                span(Day::Mon, "13:00", "18:00"),
                span(Day::Fri, "09:00", "24:00"),
            ],
            holidays: vec!["2026-12-07".into()],
        }
    }

    /// Milliseconds of a civil time in São Paulo (UTC−3, no DST since 2019).
    fn sp(date: &str, hh: i8, mm: i8) -> TimestampMs {
        let tz = TimeZone::get("America/Sao_Paulo").unwrap();
        date.parse::<Date>()
            .unwrap()
            .at(hh, mm, 0, 0)
            .to_zoned_datetime(tz)
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    #[test]
    fn open_inside_a_span_closed_between_and_after_with_the_next_opening() {
        let s = Schedule::of(&check(hours()).unwrap()).unwrap();
        // Monday 2026-11-30.
        assert_eq!(s.at(sp("2026-11-30", 9, 0)), Openness::Open);
        assert_eq!(s.at(sp("2026-11-30", 11, 59)), Openness::Open);
        assert_eq!(
            s.at(sp("2026-11-30", 12, 30)),
            Openness::Closed {
                opens_at: Some(sp("2026-11-30", 13, 0))
            },
            "lunch: back at 13:00"
        );
        assert_eq!(
            s.at(sp("2026-11-30", 18, 0)),
            Openness::Closed {
                opens_at: Some(sp("2026-12-04", 9, 0))
            },
            "Monday evening: Friday morning"
        );
        assert_eq!(
            s.at(sp("2026-12-04", 23, 59)),
            Openness::Open,
            "until 24:00"
        );
        // Monday 2026-12-07 is a holiday: the next opening is Friday.
        assert_eq!(
            s.at(sp("2026-12-07", 10, 0)),
            Openness::Closed {
                opens_at: Some(sp("2026-12-11", 9, 0))
            }
        );
        let never = BusinessHours {
            weekly: vec![],
            ..hours()
        };
        assert_eq!(
            Schedule::of(&check(never).unwrap())
                .unwrap()
                .at(sp("2026-12-01", 9, 0)),
            Openness::Closed { opens_at: None }
        );
    }

    #[test]
    fn daylight_saving_keeps_the_civil_opening_time() {
        let lisbon = BusinessHours {
            time_zone: "Europe/Lisbon".into(),
            weekly: vec![
                span(Day::Sun, "09:00", "17:00"),
                span(Day::Mon, "09:00", "17:00"),
            ],
            holidays: vec![],
        };
        let s = Schedule::of(&check(lisbon).unwrap()).unwrap();
        // Sunday 2026-03-29, 01:00 UTC: clocks jump 01:00 → 02:00 (WET → WEST). 08:30 UTC is
        // 09:30 local: open.
        let utc = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(s.at(utc("2026-03-29T08:30:00Z")), Openness::Open);
        // Saturday 2026-03-28 at noon: opens Sunday 09:00 WEST = 08:00 UTC.
        assert_eq!(
            s.at(utc("2026-03-28T12:00:00Z")),
            Openness::Closed {
                opens_at: Some(utc("2026-03-29T08:00:00Z"))
            }
        );
    }

    #[test]
    fn what_is_not_hours_is_refused_saying_what() {
        let bad = |h: BusinessHours| check(h).unwrap_err().to_string();
        assert!(
            bad(BusinessHours {
                time_zone: "Mars/Olympus".into(),
                ..hours()
            })
            .contains("time zone")
        );
        for (open, close) in [
            ("18:00", "09:00"),
            ("9:00", "10:00"),
            ("09:00", "25:00"),
            ("24:00", "24:00"),
        ] {
            let h = BusinessHours {
                weekly: vec![span(Day::Tue, open, close)],
                ..hours()
            };
            assert!(bad(h).contains("opening hours"), "{open}–{close}");
        }
        let h = BusinessHours {
            holidays: vec!["2026-02-30".into()],
            ..hours()
        };
        assert!(bad(h).contains("holiday"));
        let ok = check(BusinessHours {
            holidays: vec![
                "2026-12-25".into(),
                "2026-01-01".into(),
                "2026-12-25".into(),
            ],
            ..hours()
        })
        .unwrap();
        assert_eq!(ok.holidays, ["2026-01-01", "2026-12-25"]);
    }
}
