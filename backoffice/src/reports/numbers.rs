//! Numbers as a manager reads them: durations in words, shares as percentages, and how a
//! number changed since the previous period (and whether that is good news).

/// A duration in at most two units: `45 s`, `2 min 30 s`, `1 h 5 min`, `3 d 4 h`; `< 1 s`
/// for a positive fraction of a second (so that it does not read as "instant").
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms == 0 {
        return "0 s".to_owned();
    }
    if ms < 1000 {
        return "< 1 s".to_owned();
    }
    let two = |big: i64, big_unit: &str, small: i64, small_unit: &str| {
        if small == 0 {
            format!("{big} {big_unit}")
        } else {
            format!("{big} {big_unit} {small} {small_unit}")
        }
    };
    let s = (ms + 500) / 1000;
    if s < 60 {
        return format!("{s} s");
    }
    if s < 3600 {
        return two(s / 60, "min", s % 60, "s");
    }
    let min = (ms + 30_000) / 60_000;
    if min < 24 * 60 {
        return two(min / 60, "h", min % 60, "min");
    }
    let h = (ms + 1_800_000) / 3_600_000;
    two(h / 24, "d", h % 24, "h")
}

/// A share (0–1) as a whole percentage: `72%`. Never rounds a part up to `100%` or down to
/// `0%`, which would read as "all" or "none".
pub fn percent(share: f64) -> String {
    let p = (share * 100.0).round();
    let p = if p >= 100.0 && share < 1.0 {
        99.0
    } else if p <= 0.0 && share > 0.0 {
        1.0
    } else {
        p
    };
    format!("{p}%")
}

/// Which way is good for a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// Neither (created: more conversations is neither good nor bad news).
    Neutral,
}

/// How a number compares with the previous period's.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// The previous period has no value to compare with.
    NoPrevious,
    Same,
    Moved {
        up: bool,
        /// How much, in `unit`, always positive.
        amount: u64,
        unit: Unit,
        /// Good, bad or neither news, for the colour.
        tone: Tone,
    },
}

/// What a change is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Relative, for counts and durations.
    Percent,
    /// Percentage points, for shares (a CSAT score from 80% to 85% is 5 points).
    Points,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Neutral,
}

impl Change {
    /// The arrow in front of the amount.
    pub fn arrow(&self) -> &'static str {
        match self {
            Change::Moved { up: true, .. } => "↑",
            Change::Moved { up: false, .. } => "↓",
            _ => "",
        }
    }
}

fn tone(up: bool, better: Better) -> Tone {
    match (better, up) {
        (Better::Neutral, _) => Tone::Neutral,
        (Better::Higher, true) | (Better::Lower, false) => Tone::Good,
        _ => Tone::Bad,
    }
}

/// The relative change of a count or a duration; `None` on either side is "no data" (a
/// previous count of 0 cannot give a percentage either).
pub fn relative(now: Option<f64>, before: Option<f64>, better: Better) -> Change {
    let (Some(now), Some(before)) = (now, before) else {
        return Change::NoPrevious;
    };
    if before <= 0.0 {
        return if now <= 0.0 {
            Change::Same
        } else {
            Change::NoPrevious
        };
    }
    let pct = ((now - before) / before * 100.0).round();
    if pct == 0.0 {
        return Change::Same;
    }
    let up = pct > 0.0;
    Change::Moved {
        up,
        amount: pct.abs() as u64,
        unit: Unit::Percent,
        tone: tone(up, better),
    }
}

/// The change of a share (0–1) in percentage points.
pub fn points(now: Option<f64>, before: Option<f64>, better: Better) -> Change {
    let (Some(now), Some(before)) = (now, before) else {
        return Change::NoPrevious;
    };
    let pts = ((now - before) * 100.0).round();
    if pts == 0.0 {
        return Change::Same;
    }
    let up = pts > 0.0;
    Change::Moved {
        up,
        amount: pts.abs() as u64,
        unit: Unit::Points,
        tone: tone(up, better),
    }
}
