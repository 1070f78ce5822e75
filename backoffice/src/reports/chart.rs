//! The bar charts' geometry (volume over time, histograms, CSAT): one bar per category, an
//! optional line over the bars for a second series, count ticks on the y axis and as many
//! x labels as fit. Ticks, scales and label cutting are the customer panel's line chart's
//! ([`crate::stats`]).

use crate::stats::{CHAR_WIDTH, Tick, cut, nice_ticks, round1, scale, tick_labels};

/// Longest x label, in characters, before it is cut.
const MAX_X_LABEL: usize = 12;

/// One category as drawn: its slot (the whole column, what a click hits) and its bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The column: left edge and width, from the plot's top to its bottom.
    pub x: f64,
    pub width: f64,
    /// The bar inside it.
    pub bar_x: f64,
    pub bar_width: f64,
    pub bar_y: f64,
    pub bar_height: f64,
    /// The line series' point over this slot (its middle), when there is a line.
    pub line_y: Option<f64>,
}

impl Slot {
    pub fn middle(&self) -> f64 {
        round1(self.x + self.width / 2.0)
    }
}

/// Everything a bar chart draws, in `viewBox` units.
#[derive(Clone, Debug, PartialEq)]
pub struct BarLayout {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub slots: Vec<Slot>,
    /// The line's `points` attribute; empty without a line.
    pub line: String,
}

/// Ticks for counts from 0: whole numbers only (no "0.5 conversations").
pub fn count_ticks(max: u64) -> Vec<f64> {
    let max = max.max(1);
    let ticks = nice_ticks(0.0, max as f64, 4);
    let step = ticks.get(1).map_or(1.0, |t| t - ticks[0]);
    if step < 1.0 {
        (0..=max).map(|v| v as f64).collect()
    } else {
        ticks
    }
}

/// Lays out bars of `values` (labelled `labels`, the same length) in a `width`×`height`
/// box, with `line` (one value per bar) drawn over them.
pub fn bars(
    width: f64,
    height: f64,
    values: &[u64],
    labels: &[String],
    line: Option<&[u64]>,
) -> BarLayout {
    let line_max = line.map_or(0, |l| l.iter().copied().max().unwrap_or(0));
    let max = values.iter().copied().max().unwrap_or(0).max(line_max);
    let y_values = count_ticks(max);
    let y_labels = tick_labels(&y_values);
    let widest = y_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);
    let left = round1((widest as f64 * CHAR_WIDTH + 8.0).clamp(20.0, 70.0));
    let (right, top, bottom) = (width - 6.0, 10.0, height - 18.0);
    let y_hi = y_values.last().copied().unwrap_or(1.0);
    let sy = |v: f64| scale(v, 0.0, y_hi, bottom, top);
    let y_ticks = y_values
        .iter()
        .zip(y_labels)
        .map(|(v, label)| Tick {
            at: sy(*v),
            label,
            anchor: "end",
        })
        .collect();

    let n = values.len().max(1);
    let slot = (right - left) / n as f64;
    // Thin bars keep a sliver of gap; wide ones a fifth of their slot.
    let gap = (slot * 0.2).min(8.0);
    let slots: Vec<Slot> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = left + slot * i as f64;
            let bar_y = sy(*v as f64);
            Slot {
                x: round1(x),
                width: round1(slot),
                bar_x: round1(x + gap / 2.0),
                bar_width: round1((slot - gap).max(0.5)),
                bar_y,
                bar_height: round1(bottom - bar_y),
                line_y: line.and_then(|l| l.get(i)).map(|v| sy(*v as f64)),
            }
        })
        .collect();
    let line = slots
        .iter()
        .filter_map(|s| s.line_y.map(|y| format!("{},{}", s.middle(), y)))
        .collect::<Vec<_>>()
        .join(" ");

    // As many x labels as fit side by side, evenly spread, first one included.
    let longest = labels
        .iter()
        .map(|l| l.chars().count().min(MAX_X_LABEL))
        .max()
        .unwrap_or(1);
    let room = ((right - left) / (longest as f64 * CHAR_WIDTH + 8.0))
        .floor()
        .max(1.0);
    let every = n.div_ceil(room as usize).max(1);
    let x_ticks = slots
        .iter()
        .zip(labels)
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(_, (s, label))| {
            let label = cut(label, MAX_X_LABEL);
            let at = s.middle();
            let half = label.chars().count() as f64 * CHAR_WIDTH / 2.0;
            let anchor = if at - half < left - 4.0 {
                "start"
            } else if at + half > width {
                "end"
            } else {
                "middle"
            };
            Tick { at, label, anchor }
        })
        .collect();
    BarLayout {
        width,
        height,
        left,
        right,
        top,
        bottom,
        y_ticks,
        x_ticks,
        slots,
        line,
    }
}

/// The parts of a bucket's label (`2026-12-07` or `2026-12-07T14:00`): month, day and the
/// hour of hourly buckets.
pub fn label_parts(label: &str) -> Option<(u32, u32, Option<u32>)> {
    let (date, time) = match label.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (label, None),
    };
    let mut d = date.split('-').skip(1);
    let (month, day) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    let hour = match time {
        Some(t) => Some(t.split(':').next()?.parse().ok()?),
        None => None,
    };
    Some((month, day, hour))
}

/// A bucket's label under its bar: `14:00` for an hour (its date at each midnight but the
/// first), the day as `day_month` writes it otherwise; the label itself if unreadable.
pub fn axis_label(label: &str, first: bool, day_month: fn(u32, u32) -> String) -> String {
    match label_parts(label) {
        Some((m, d, Some(0))) if !first => day_month(m, d),
        Some((_, _, Some(h))) => format!("{h:02}:00"),
        Some((m, d, None)) => day_month(m, d),
        None => label.to_owned(),
    }
}

/// A bucket's label in full, for its tooltip: `2026-12-07 14:00`.
pub fn full_label(label: &str) -> String {
    label.replacen('T', " ", 1)
}
