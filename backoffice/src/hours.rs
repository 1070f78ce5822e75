//! The queue form's business hours, in the words an admin types: per weekday
//! `09:00-12:00, 13:00-18:00` (blank: closed that day), holidays as `2026-12-25, 2027-01-01`.
//! Read into [`BusinessHours`] and written back (plain Rust, tested natively). The server
//! checks the rest (the time zone exists, a span opens before it closes, dates are real).

use chimpassist_protocol::hours::{BusinessHours, Day, OpenSpan};

/// The weekdays in the form's order.
pub const DAYS: [Day; 7] = [
    Day::Mon,
    Day::Tue,
    Day::Wed,
    Day::Thu,
    Day::Fri,
    Day::Sat,
    Day::Sun,
];

/// A field that does not read: which day's spans, or the holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadField {
    Day(Day),
    Holidays,
}

/// `HH:MM`: two digits, a colon, two digits (the server checks the values).
fn time(raw: &str) -> Option<String> {
    let t = raw.trim();
    let b = t.as_bytes();
    (b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()))
        .then(|| t.to_owned())
}

/// One day's spans from `09:00-12:00, 13:00-18:00`; blank is none (closed).
pub fn spans_of(day: Day, raw: &str) -> Result<Vec<OpenSpan>, BadField> {
    raw.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|span| {
            let (open, close) = span.split_once(['-', '–']).ok_or(BadField::Day(day))?;
            Ok(OpenSpan {
                day,
                open: time(open).ok_or(BadField::Day(day))?,
                close: time(close).ok_or(BadField::Day(day))?,
            })
        })
        .collect()
}

/// `2026-12-25, 2027-01-01` (commas, semicolons or spaces between).
pub fn holidays_of(raw: &str) -> Result<Vec<String>, BadField> {
    raw.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|d| {
            let b = d.as_bytes();
            let shaped = b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
            shaped.then(|| d.to_owned()).ok_or(BadField::Holidays)
        })
        .collect()
}

/// The hours the form says: `days` holds each weekday's field in [`DAYS`] order.
pub fn hours_of(
    time_zone: &str,
    days: &[String; 7],
    holidays: &str,
) -> Result<BusinessHours, BadField> {
    let mut weekly = Vec::new();
    for (day, raw) in DAYS.iter().zip(days) {
        weekly.extend(spans_of(*day, raw)?);
    }
    Ok(BusinessHours {
        time_zone: time_zone.trim().to_owned(),
        weekly,
        holidays: holidays_of(holidays)?,
    })
}

/// A weekday's field as the form shows it again.
pub fn day_text(hours: &BusinessHours, day: Day) -> String {
    hours
        .weekly
        .iter()
        .filter(|s| s.day == day)
        .map(|s| format!("{}-{}", s.open, s.close))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(mon: &str, sat: &str) -> [String; 7] {
        let mut days: [String; 7] = Default::default();
        days[0] = mon.to_owned();
        days[5] = sat.to_owned();
        days
    }

    #[test]
    fn the_fields_read_into_hours_and_back() {
        let hours = hours_of(
            " America/Sao_Paulo ",
            &week("09:00-12:00, 13:00 – 18:00", "10:00-14:00"),
            "2026-12-25, 2027-01-01",
        )
        .unwrap();
        assert_eq!(hours.time_zone, "America/Sao_Paulo");
        assert_eq!(hours.weekly.len(), 3);
        assert_eq!(hours.holidays, ["2026-12-25", "2027-01-01"]);
        assert_eq!(day_text(&hours, Day::Mon), "09:00-12:00, 13:00-18:00");
        assert_eq!(day_text(&hours, Day::Sat), "10:00-14:00");
        assert_eq!(day_text(&hours, Day::Sun), "", "blank: closed");
    }

    #[test]
    fn a_field_that_does_not_read_is_named() {
        assert_eq!(
            hours_of("UTC", &week("9-5", ""), ""),
            Err(BadField::Day(Day::Mon))
        );
        assert_eq!(
            hours_of("UTC", &week("", "10:00"), ""),
            Err(BadField::Day(Day::Sat))
        );
        assert_eq!(
            hours_of("UTC", &week("", ""), "25/12/2026"),
            Err(BadField::Holidays)
        );
        assert!(
            hours_of("UTC", &week("", ""), "")
                .unwrap()
                .weekly
                .is_empty()
        );
    }
}
