//! The day-of-week × hour heatmap's cells and shades, and the histograms' bins.

use chimpassist_protocol::report::Histogram;

use super::numbers::duration;

/// Cell size and margins of the heatmap, in `viewBox` units.
pub const CELL_W: f64 = 22.0;
pub const CELL_H: f64 = 18.0;
/// Room for the weekday names on the left and the hours on top.
pub const HEAT_LEFT: f64 = 34.0;
pub const HEAT_TOP: f64 = 14.0;
pub const HEAT_WIDTH: f64 = HEAT_LEFT + 24.0 * CELL_W + 2.0;
pub const HEAT_HEIGHT: f64 = HEAT_TOP + 7.0 * CELL_H + 2.0;
/// Shades besides "none".
pub const LEVELS: u8 = 5;

/// One hour of one weekday.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    pub hour: u8,
    pub x: f64,
    pub y: f64,
    pub count: u64,
    /// 0 (none) to [`LEVELS`] (the busiest cell's).
    pub level: u8,
}

/// A count's shade relative to the busiest cell: 0 only for none, so that one conversation
/// stays visible beside hundreds.
pub fn level(count: u64, max: u64) -> u8 {
    if count == 0 || max == 0 {
        return 0;
    }
    let share = count.min(max) as f64 / max as f64;
    ((share * f64::from(LEVELS)).ceil() as u8).clamp(1, LEVELS)
}

/// The 7×24 cells of the server's `heatmap` (rows Monday first); missing rows or hours
/// count as 0.
pub fn cells(grid: &[Vec<u64>]) -> Vec<Cell> {
    let at = |d: usize, h: usize| grid.get(d).and_then(|row| row.get(h)).copied().unwrap_or(0);
    let max = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .map(|(d, h)| at(d, h))
        .max()
        .unwrap_or(0);
    (0..7u8)
        .flat_map(|d| (0..24u8).map(move |h| (d, h)))
        .map(|(d, h)| {
            let count = at(usize::from(d), usize::from(h));
            Cell {
                weekday: d,
                hour: h,
                x: HEAT_LEFT + f64::from(h) * CELL_W,
                y: HEAT_TOP + f64::from(d) * CELL_H,
                count,
                level: level(count, max),
            }
        })
        .collect()
}

/// One bin of a histogram: `[min_ms, max_ms)`, the last one open-ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bin {
    pub min_ms: i64,
    pub max_ms: Option<i64>,
    pub count: u64,
}

impl Bin {
    /// `< 1 min`, `1–5 min`, `30–60 min`, `4–24 h`, `≥ 1 d`: short enough for every bin of
    /// a histogram to keep its label under its bar.
    pub fn label(&self) -> String {
        match (self.min_ms, self.max_ms) {
            (_, None) => format!("≥ {}", duration(self.min_ms)),
            (0, Some(max)) => format!("< {}", duration(max)),
            (min, Some(max)) => range(min, max),
        }
    }
}

/// Both ends in the largest unit that measures both whole (`1–5 min`, not `1 min–5 min`).
fn range(min: i64, max: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ];
    UNITS
        .into_iter()
        .find(|(size, _)| min % size == 0 && max % size == 0)
        .map_or_else(
            || format!("{}–{}", duration(min), duration(max)),
            |(size, unit)| format!("{}–{} {unit}", min / size, max / size),
        )
}

/// The bins of a histogram, in order. Counts beyond `bounds + 1` are ignored, missing ones
/// are 0.
pub fn bins(h: &Histogram) -> Vec<Bin> {
    (0..=h.bounds_ms.len())
        .map(|i| Bin {
            min_ms: if i == 0 { 0 } else { h.bounds_ms[i - 1] },
            max_ms: h.bounds_ms.get(i).copied(),
            count: h.counts.get(i).copied().unwrap_or(0),
        })
        .collect()
}
