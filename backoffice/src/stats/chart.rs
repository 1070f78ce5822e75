//! The line chart's geometry: scales, nice ticks, labels and point positions. The ticks,
//! scale and label helpers are shared with the reports' bar charts (`reports::chart`).

use super::{Series, format_number, trim_zeros};

/// The chart's `viewBox` size; the SVG scales to the panel's width.
pub const CHART_WIDTH: f64 = 300.0;
pub const CHART_HEIGHT: f64 = 150.0;
/// Average width of a tick label character at the chart's font size, for margins.
pub(crate) const CHAR_WIDTH: f64 = 5.4;
/// Longest x tick label, in characters, before it is cut.
pub(super) const MAX_X_LABEL: usize = 10;

/// "Nice" tick values (steps of 1, 2 or 5 × 10ⁿ) covering `min..=max`, about `target`
/// of them; the first and last are the axis' ends. Never empty.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    let (mut lo, mut hi) = (min.min(max), min.max(max));
    if !(lo.is_finite() && hi.is_finite()) {
        return vec![0.0, 1.0];
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = if lo.abs() < 10.0 {
            1.0
        } else {
            lo.abs() / 10.0
        };
        lo -= pad;
        hi += pad;
    }
    let span = hi - lo;
    if !span.is_finite() {
        return vec![lo, hi];
    }
    let step = nice_step(span / target.max(2).saturating_sub(1) as f64);
    if !step.is_finite() || step <= 0.0 {
        return vec![lo, hi];
    }
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let count = (last - first).clamp(1.0, 20.0) as usize;
    (0..=count)
        .map(|i| {
            let v = (first + i as f64) * step;
            if v == 0.0 { 0.0 } else { v }
        })
        .collect()
}

fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    // Rounded to the nearest of 1, 2, 5, 10, so the count stays near the target.
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Labels for evenly stepped ticks: as many decimals as the step needs, thousands as `k`,
/// millions as `M`…, the same unit for every tick of an axis.
pub fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .find(|s| *s > 0.0)
        .unwrap_or(1.0);
    let biggest = ticks.iter().fold(0f64, |m, t| m.max(t.abs()));
    let (div, suffix) = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "k")]
        .into_iter()
        .find(|(d, _)| biggest >= *d && step >= *d / 100.0)
        .map(|(d, s)| if s == "k" { (1e3, s) } else { (d, s) })
        .unwrap_or((1.0, ""));
    let scaled = step / div;
    let decimals = if scaled >= 1.0 {
        0
    } else {
        ((-scaled.log10()).ceil().max(0.0) as usize).min(6)
    };
    ticks
        .iter()
        .map(|t| {
            let text = trim_zeros(format!("{:.decimals$}", t / div));
            if text == "0" || text == "-0" {
                "0".to_owned()
            } else {
                format!("{text}{suffix}")
            }
        })
        .collect()
}

/// A tick: where on its axis (SVG units) and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
    /// `start`, `middle` or `end` (`text-anchor`).
    pub anchor: &'static str,
}

/// A data point as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotPoint {
    pub cx: f64,
    pub cy: f64,
    /// `x: y`, for the tooltip and the hover label.
    pub title: String,
    /// Where the hover label goes.
    pub label_x: f64,
    pub label_y: f64,
    pub label_anchor: &'static str,
}

/// Everything the chart component draws, in `viewBox` units.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartLayout {
    pub width: f64,
    pub height: f64,
    /// The plot area.
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub points: Vec<PlotPoint>,
    /// The polyline's `points` attribute.
    pub line: String,
}

pub(crate) fn round1(v: f64) -> f64 {
    if v.is_finite() {
        (v * 10.0).round() / 10.0
    } else {
        0.0
    }
}

pub(crate) fn cut(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let head: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// A linear scale from `lo..hi` onto `a..b`; the middle when the domain is empty.
pub(crate) fn scale(v: f64, lo: f64, hi: f64, a: f64, b: f64) -> f64 {
    let span = hi - lo;
    if span.is_finite() && span.abs() > 0.0 {
        round1(a + (v - lo) / span * (b - a))
    } else {
        round1((a + b) / 2.0)
    }
}

/// Lays out a line chart of `series`.
pub fn layout(series: &Series) -> ChartLayout {
    let (width, height) = (CHART_WIDTH, CHART_HEIGHT);
    let pts = &series.points;
    // y: nice ticks, from zero when the values are all of one sign and not far from it.
    let (mut y_min, mut y_max) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.y), hi.max(p.y))
        });
    if pts.is_empty() {
        (y_min, y_max) = (0.0, 1.0);
    }
    if y_min > 0.0 && (y_min <= y_max / 2.0 || y_min == y_max) {
        y_min = 0.0;
    }
    if y_max < 0.0 && (y_max >= y_min / 2.0 || y_min == y_max) {
        y_max = 0.0;
    }
    let y_values = nice_ticks(y_min, y_max, 4);
    let y_labels = tick_labels(&y_values);
    let widest = y_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);
    let left = round1((widest as f64 * CHAR_WIDTH + 8.0).clamp(20.0, 70.0));
    let (right, top, bottom) = (width - 12.0, 12.0, height - 20.0);
    let (y_lo, y_hi) = (y_values[0], y_values[y_values.len() - 1]);
    let sy = |v: f64| scale(v, y_lo, y_hi, bottom, top);
    let y_ticks = y_values
        .iter()
        .zip(y_labels)
        .map(|(v, label)| Tick {
            at: sy(*v),
            label,
            anchor: "end",
        })
        .collect();

    // x: numeric values on a nice scale, or evenly spaced categories.
    let n = pts.len();
    let (x_lo, x_hi, x_ticks_raw): (f64, f64, Vec<(f64, String)>) = if series.categorical {
        let every = n.div_ceil(4).max(1);
        let ticks = pts
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, p)| (i as f64, cut(&p.x_label, MAX_X_LABEL)))
            .collect();
        (0.0, n.saturating_sub(1) as f64, ticks)
    } else {
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.x), hi.max(p.x))
            });
        let values = if n == 0 {
            vec![0.0, 1.0]
        } else {
            nice_ticks(lo, hi, 4)
        };
        let labels = tick_labels(&values);
        let (lo, hi) = (values[0], values[values.len() - 1]);
        (lo, hi, values.into_iter().zip(labels).collect())
    };
    let sx = |v: f64| scale(v, x_lo, x_hi, left, right);
    let anchor_at = |x: f64, slack: f64| {
        if x <= left + slack {
            "start"
        } else if x >= right - slack {
            "end"
        } else {
            "middle"
        }
    };
    let x_ticks = x_ticks_raw
        .into_iter()
        .map(|(v, label)| {
            let at = sx(v);
            let half = label.chars().count() as f64 * CHAR_WIDTH / 2.0;
            Tick {
                at,
                anchor: anchor_at(at, half - 6.0),
                label,
            }
        })
        .collect();

    let points: Vec<PlotPoint> = pts
        .iter()
        .map(|p| {
            let (cx, cy) = (sx(p.x), sy(p.y));
            let title = format!("{}: {}", p.x_label, format_number(p.y));
            let half = title.chars().count() as f64 * CHAR_WIDTH / 2.0;
            PlotPoint {
                cx,
                cy,
                label_x: cx,
                label_y: if cy - 7.0 < 9.0 { cy + 14.0 } else { cy - 7.0 },
                label_anchor: anchor_at(cx, half),
                title,
            }
        })
        .collect();
    let line = points
        .iter()
        .map(|p| format!("{},{}", p.cx, p.cy))
        .collect::<Vec<_>>()
        .join(" ");
    ChartLayout {
        width,
        height,
        left,
        right,
        top,
        bottom,
        x_ticks,
        y_ticks,
        points,
        line,
    }
}
