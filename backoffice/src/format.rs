//! Names and times as the screens show them.

use chimpassist_protocol::TimestampMs;
use chimpassist_protocol::time::Civil;

/// The first letter of a name, upper-cased, for avatars without a picture.
pub fn initial(name: &str) -> String {
    name.trim()
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".to_owned())
}

/// A short elapsed time: `45 s`, `3 min`, `2 h`, `3 d`.
pub fn elapsed(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// A call's record in words: `Video call · 2:31`, `Voice call · missed`.
pub fn call(record: &chimpassist_protocol::CallRecord, t: &crate::i18n::DeskTexts) -> String {
    use chimpassist_protocol::{CallMedia, CallOutcome};
    let kind = match record.media {
        CallMedia::Voice => t.call_voice,
        CallMedia::Video => t.call_video,
    };
    let how = match record.outcome() {
        CallOutcome::Answered { duration_ms } => {
            let s = duration_ms / 1000;
            format!("{}:{:02}", s / 60, s % 60)
        }
        CallOutcome::Missed => t.call_missed.to_owned(),
        CallOutcome::Declined => t.call_declined.to_owned(),
        CallOutcome::Cancelled => t.call_cancelled.to_owned(),
    };
    format!("{kind} · {how}")
}

/// Civil date and time of `ts` shifted by `offset_min` (minutes east of UTC).
fn civil(ts: TimestampMs, offset_min: i32) -> (i64, u32, u32, u32, u32) {
    let c = Civil::from_unix(ts.div_euclid(1000) + i64::from(offset_min) * 60);
    (c.year, c.month, c.day, c.hour, c.minute)
}

/// `14:05`.
pub fn clock(ts: TimestampMs, offset_min: i32) -> String {
    let (_, _, _, h, m) = civil(ts, offset_min);
    format!("{h:02}:{m:02}")
}

/// `2026-11-23 14:05`.
pub fn date_time(ts: TimestampMs, offset_min: i32) -> String {
    let (y, mo, d, h, m) = civil(ts, offset_min);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}")
}

/// `14:05` today, otherwise `2026-11-23 14:05`.
pub fn when(ts: TimestampMs, now: TimestampMs, offset_min: i32) -> String {
    let (y, mo, d, ..) = civil(ts, offset_min);
    let (ny, nmo, nd, ..) = civil(now, offset_min);
    if (y, mo, d) == (ny, nmo, nd) {
        clock(ts, offset_min)
    } else {
        date_time(ts, offset_min)
    }
}

/// One line of a message for list previews: newlines flattened, at most `max` characters.
pub fn preview(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (one query component;
/// plain Rust, so the pure modules that build paths can be tested natively).
pub fn query_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reads_in_the_desk_s_language() {
        use chimpassist_protocol::{CallEndReason, CallId, CallMedia, CallRecord, Party};
        let record = |answered_at, reason| CallRecord {
            call_id: CallId::new(),
            media: CallMedia::Video,
            started_by: Party::Customer,
            invited_at: 0,
            answered_at,
            ended_at: 151_000,
            reason,
        };
        let en = &crate::i18n::Lang::En.texts().desk;
        let pt = &crate::i18n::Lang::PtBr.texts().desk;
        let talked = record(Some(1_000), CallEndReason::HungUp);
        assert_eq!(call(&talked, en), "Video call · 2:30");
        assert_eq!(call(&talked, pt), "Chamada de vídeo · 2:30");
        let missed = record(None, CallEndReason::Missed);
        assert_eq!(call(&missed, en), "Video call · missed");
        assert_eq!(call(&missed, pt), "Chamada de vídeo · perdida");
        let declined = record(None, CallEndReason::Declined);
        assert_eq!(call(&declined, en), "Video call · declined");
    }

    #[test]
    fn initials_are_upper_case_and_never_empty() {
        assert_eq!(initial("ana"), "A");
        assert_eq!(initial("  élodie"), "É");
        assert_eq!(initial(""), "?");
    }

    #[test]
    fn elapsed_picks_the_largest_unit() {
        assert_eq!(elapsed(45_000), "45 s");
        assert_eq!(elapsed(3 * 60_000 + 5), "3 min");
        assert_eq!(elapsed(2 * 3_600_000), "2 h");
        assert_eq!(elapsed(3 * 86_400_000), "3 d");
        assert_eq!(elapsed(-5), "0 s");
    }

    #[test]
    fn times_follow_the_offset() {
        // 2026-11-23T13:05:00Z
        let ts = 1_795_439_100_000;
        assert_eq!(date_time(ts, 0), "2026-11-23 13:05");
        assert_eq!(clock(ts, -180), "10:05");
        assert_eq!(date_time(ts, 660), "2026-11-24 00:05");
        assert_eq!(when(ts, ts + 60_000, 0), "13:05");
        assert_eq!(when(ts, ts + 86_400_000, 0), "2026-11-23 13:05");
    }

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("a\nb   c", 10), "a b c");
        assert_eq!(preview("abcdefghij", 5), "abcd…");
    }
}
