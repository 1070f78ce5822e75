//! The site's customer endpoints (contact info, additional info, statistics) read from their
//! free-form JSON into shapes the customer panel can draw, and the line chart's geometry.
//!
//! Plain Rust without the browser, so it is unit-tested natively. Nothing here fails on odd
//! input: what cannot be understood becomes [`StatValue::Unsupported`] (or `None` for an
//! answer that is not a list at all), and the panel says so in words.

use serde_json::{Map, Value};

/// A link of a statistic. Only `http:`/`https:` URLs are made links (`safe`); any other
/// scheme (`javascript:`, `data:`…) is shown as plain text.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub label: String,
    pub url: String,
    pub safe: bool,
}

/// One point of a chart. `x` is the value itself for numeric series, the position for
/// categorical ones (string x values: dates, labels), kept in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub x_label: String,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub points: Vec<Point>,
    /// The x values were strings (or a mix): evenly spaced, in order.
    pub categorical: bool,
}

/// What a statistic's `value` holds.
#[derive(Clone, Debug, PartialEq)]
pub enum StatValue {
    /// A string or number, as text.
    Text(String),
    Bool(bool),
    /// `[{url, label}]`
    Links(Vec<Link>),
    /// `[{x, y}]`
    Chart(Series),
    /// `null`, `""` or `[]`.
    Empty,
    /// Anything else (objects, mixed lists, non-numeric y…).
    Unsupported,
}

/// One `{label, value}` of the statistics answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistic {
    pub label: String,
    pub value: StatValue,
}

/// One row of the additional info: `{label, value, iconURL?}`.
#[derive(Clone, Debug, PartialEq)]
pub struct InfoItem {
    pub label: String,
    pub value: String,
    /// Only an `http(s)` URL.
    pub icon: Option<String>,
}

/// Whether a URL may be followed or loaded: `http:` or `https:` only.
pub fn is_web_url(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    (u.starts_with("https://") || u.starts_with("http://")) && !url.chars().any(char::is_control)
}

/// A number for people: integers whole, others with a few significant decimals.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(2, 10) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" {
        "0".to_owned()
    } else {
        t.to_owned()
    }
}

fn number_text(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        n.to_string()
    } else {
        n.as_f64()
            .map(format_number)
            .unwrap_or_else(|| n.to_string())
    }
}

/// A scalar (or a list of scalars) as one line of text; `None` for empty values.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(number_text(n)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter(|i| !i.is_array() && !i.is_object())
                .filter_map(scalar_text)
                .collect();
            (!parts.is_empty() && parts.len() == items.len()).then(|| parts.join(", "))
        }
        _ => None,
    }
}

fn label_of(item: &Map<String, Value>) -> String {
    item.get("label").and_then(scalar_text).unwrap_or_default()
}

/// Key/value pairs of `{key: value, …}` or `[{label, value}, …]`, in order; empty values
/// left out. `None` when the answer is neither.
fn pairs(v: &Value) -> Option<Vec<(String, &Value)>> {
    match v {
        Value::Object(map) => Some(map.iter().map(|(k, v)| (k.clone(), v)).collect()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|o| (label_of(o), o.get("value").unwrap_or(&Value::Null)))
                .collect(),
        ),
        _ => None,
    }
}

/// The contact info (`{"e-mail": "…", "phone1": "…"}`, or a `[{label, value}]` list).
pub fn parse_contact(v: &Value) -> Option<Vec<(String, String)>> {
    Some(
        pairs(v)?
            .into_iter()
            .filter_map(|(k, v)| scalar_text(v).map(|t| (k, t)))
            .collect(),
    )
}

/// The additional info (`[{label, value, iconURL?}]`, or a `{key: value}` object).
pub fn parse_additional(v: &Value) -> Option<Vec<InfoItem>> {
    match v {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|o| {
                    let value = o.get("value").and_then(scalar_text)?;
                    let icon = ["iconURL", "iconUrl", "icon_url", "icon"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(Value::as_str))
                        .filter(|u| is_web_url(u))
                        .map(str::to_owned);
                    Some(InfoItem {
                        label: label_of(o),
                        value,
                        icon,
                    })
                })
                .collect(),
        ),
        Value::Object(_) => Some(
            parse_contact(v)?
                .into_iter()
                .map(|(label, value)| InfoItem {
                    label,
                    value,
                    icon: None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The statistics answer: `[{label, value}]` (a `{label: value}` object is read too).
/// `None` when it is neither.
pub fn parse_statistics(v: &Value) -> Option<Vec<Statistic>> {
    match v {
        Value::Array(items) => Some(
            items
                .iter()
                .map(|item| match item.as_object() {
                    Some(o) => Statistic {
                        label: label_of(o),
                        value: parse_value(o.get("value").unwrap_or(&Value::Null)),
                    },
                    None => Statistic {
                        label: String::new(),
                        value: StatValue::Unsupported,
                    },
                })
                .collect(),
        ),
        Value::Object(map) => Some(
            map.iter()
                .map(|(k, v)| Statistic {
                    label: k.clone(),
                    value: parse_value(v),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// One statistic's value: scalar, links, chart, empty or unsupported.
pub fn parse_value(v: &Value) -> StatValue {
    match v {
        Value::Null => StatValue::Empty,
        Value::String(s) if s.trim().is_empty() => StatValue::Empty,
        Value::String(s) => StatValue::Text(s.clone()),
        Value::Number(n) => StatValue::Text(number_text(n)),
        Value::Bool(b) => StatValue::Bool(*b),
        Value::Array(items) if items.is_empty() => StatValue::Empty,
        Value::Array(items) => links(items)
            .map(StatValue::Links)
            .or_else(|| series(items).map(StatValue::Chart))
            .unwrap_or(StatValue::Unsupported),
        Value::Object(_) => StatValue::Unsupported,
    }
}

fn links(items: &[Value]) -> Option<Vec<Link>> {
    items
        .iter()
        .map(|item| {
            let o = item.as_object()?;
            let url = o.get("url")?.as_str()?.trim().to_owned();
            let label = o
                .get("label")
                .and_then(scalar_text)
                .unwrap_or_else(|| url.clone());
            Some(Link {
                safe: is_web_url(&url),
                label,
                url,
            })
        })
        .collect()
}

fn number_of(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

fn series(items: &[Value]) -> Option<Series> {
    let raw: Vec<(&Value, f64)> = items
        .iter()
        .map(|item| {
            let o = item.as_object()?;
            let x = o.get("x")?;
            if !matches!(x, Value::Number(_) | Value::String(_)) {
                return None;
            }
            Some((x, number_of(o.get("y")?)?))
        })
        .collect::<Option<_>>()?;
    let numeric = raw
        .iter()
        .all(|(x, _)| number_of(x).is_some() && x.is_number());
    let mut points: Vec<Point> = raw
        .into_iter()
        .enumerate()
        .map(|(i, (x, y))| {
            let x_label = scalar_text(x).unwrap_or_default();
            let x = if numeric {
                number_of(x).unwrap_or_default()
            } else {
                i as f64
            };
            Point { x, x_label, y }
        })
        .collect();
    if numeric {
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    Some(Series {
        points,
        categorical: !numeric,
    })
}

// ---------------------------------------------------------------------------------------
// Date ranges
// ---------------------------------------------------------------------------------------

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

/// The chart's `viewBox` size; the SVG scales to the panel's width.
pub const CHART_WIDTH: f64 = 300.0;
pub const CHART_HEIGHT: f64 = 150.0;
/// Average width of a tick label character at the chart's font size, for margins.
const CHAR_WIDTH: f64 = 5.4;
/// Longest x tick label, in characters, before it is cut.
const MAX_X_LABEL: usize = 10;

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

fn round1(v: f64) -> f64 {
    if v.is_finite() {
        (v * 10.0).round() / 10.0
    } else {
        0.0
    }
}

fn cut(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let head: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// A linear scale from `lo..hi` onto `a..b`; the middle when the domain is empty.
fn scale(v: f64, lo: f64, hi: f64, a: f64, b: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_are_text() {
        assert_eq!(parse_value(&json!("7")), StatValue::Text("7".into()));
        assert_eq!(parse_value(&json!(7)), StatValue::Text("7".into()));
        assert_eq!(parse_value(&json!(2.5)), StatValue::Text("2.5".into()));
        assert_eq!(parse_value(&json!(true)), StatValue::Bool(true));
        assert_eq!(parse_value(&json!(null)), StatValue::Empty);
        assert_eq!(parse_value(&json!("  ")), StatValue::Empty);
        assert_eq!(parse_value(&json!([])), StatValue::Empty);
    }

    #[test]
    fn link_lists_keep_only_web_urls_clickable() {
        let v = json!([
            {"url": "https://shop.example/o/1", "label": "Order 1"},
            {"url": "javascript:alert(1)", "label": "evil"},
            {"url": "HTTP://x.example"}
        ]);
        let StatValue::Links(links) = parse_value(&v) else {
            panic!("links expected");
        };
        assert_eq!(links.len(), 3);
        assert!(links[0].safe);
        assert_eq!(links[0].label, "Order 1");
        assert!(!links[1].safe);
        assert!(links[2].safe);
        assert_eq!(links[2].label, "HTTP://x.example");
        assert!(!is_web_url("data:text/html,hi"));
        assert!(!is_web_url("https://a\n.example"));
    }

    #[test]
    fn xy_lists_are_charts_numeric_or_categorical() {
        let v = json!([{"x": 3, "y": 1}, {"x": 1, "y": "2.5"}, {"x": 2, "y": 4}]);
        let StatValue::Chart(s) = parse_value(&v) else {
            panic!("chart expected");
        };
        assert!(!s.categorical);
        let xs: Vec<f64> = s.points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [1.0, 2.0, 3.0], "sorted by x");
        assert_eq!(s.points[0].y, 2.5);

        let v = json!([{"x": "2024-05-02", "y": 5}, {"x": "2024-05-01", "y": 3}]);
        let StatValue::Chart(s) = parse_value(&v) else {
            panic!("chart expected");
        };
        assert!(s.categorical);
        assert_eq!(s.points[0].x_label, "2024-05-02", "kept in order");
        assert_eq!(s.points[1].x, 1.0);
    }

    #[test]
    fn anything_else_is_unsupported_never_a_crash() {
        for v in [
            json!({"a": 1}),
            json!([1, 2]),
            json!([{"x": 1, "y": "many"}]),
            json!([{"x": null, "y": 1}]),
            json!([{"x": 1, "y": 2}, {"url": "https://a.example"}]),
            json!([{"x": 1}]),
            json!([[1, 2]]),
        ] {
            assert_eq!(parse_value(&v), StatValue::Unsupported, "{v}");
        }
        let stats = parse_statistics(&json!([5, {"label": "ok", "value": 1}, {"value": {}}]))
            .expect("a list");
        assert_eq!(stats[0].value, StatValue::Unsupported);
        assert_eq!(stats[1].label, "ok");
        assert_eq!(stats[2].value, StatValue::Unsupported);
        assert_eq!(parse_statistics(&json!("nope")), None);
        assert_eq!(parse_statistics(&json!(null)), None);
    }

    #[test]
    fn the_seed_statistics_answer_reads() {
        let v = json!([
            {"label": "Total items bought", "value": "7"},
            {"label": "Visits", "value": [{"x": "Mon", "y": 2}, {"x": "Tue", "y": 9}]},
            {"label": "Orders", "value": [{"url": "https://s.example/1", "label": "#1"}]}
        ]);
        let stats = parse_statistics(&v).expect("a list");
        assert_eq!(stats.len(), 3);
        assert!(matches!(stats[1].value, StatValue::Chart(_)));
        assert!(matches!(stats[2].value, StatValue::Links(_)));
    }

    #[test]
    fn contact_info_hides_empty_values() {
        let v = json!({"e-mail": "user@email.com", "phone1": "", "phone2": null, "n": 3});
        let c = parse_contact(&v).expect("an object");
        assert_eq!(
            c,
            [
                ("e-mail".to_owned(), "user@email.com".to_owned()),
                ("n".to_owned(), "3".to_owned())
            ]
        );
        let list = json!([{"label": "e-mail", "value": "a@b.c"}, {"label": "x", "value": " "}]);
        assert_eq!(parse_contact(&list).expect("a list").len(), 1);
        assert_eq!(parse_contact(&json!(3)), None);
    }

    #[test]
    fn additional_info_keeps_web_icons_only() {
        let v = json!([
            {"label": "Plan", "value": "Gold", "iconURL": "https://cdn.example/gold.png"},
            {"label": "Since", "value": 2019, "iconURL": "javascript:x"},
            {"label": "Empty", "value": ""},
            "junk"
        ]);
        let items = parse_additional(&v).expect("a list");
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].icon.as_deref(),
            Some("https://cdn.example/gold.png")
        );
        assert_eq!(items[1].value, "2019");
        assert_eq!(items[1].icon, None);
        assert_eq!(
            parse_additional(&json!({"a": "b"})).expect("object")[0].label,
            "a"
        );
    }

    #[test]
    fn ranges_make_the_query() {
        assert_eq!(Range::Day.query(), "range=24h");
        assert_eq!(Range::Week.query(), "range=7d");
        let r = Range::custom("2018-12-21T11:33", "2018-12-22T08:00:15").expect("valid");
        assert_eq!(
            r.query(),
            "start_date_time=20181221-11:33:00&end_date_time=20181222-08:00:15"
        );
        assert_eq!(Range::custom("2018-12-22T08:00", "2018-12-21T08:00"), None);
        assert_eq!(Range::custom("", "2018-12-21T08:00"), None);
    }

    #[test]
    fn datetime_inputs_become_stamps() {
        assert_eq!(
            stamp_from_input("2024-05-01T13:45").as_deref(),
            Some("20240501-13:45:00")
        );
        assert_eq!(
            stamp_from_input("2024-05-01T13:45:07.250").as_deref(),
            Some("20240501-13:45:07")
        );
        for bad in [
            "2024-05-01",
            "2024-13-01T10:00",
            "24-05-01T10:00",
            "2024-05-01T25:00",
        ] {
            assert_eq!(stamp_from_input(bad), None, "{bad}");
        }
        // 2026-11-23T13:05:00Z, three hours west
        assert_eq!(input_value(1_795_439_100_000, -180), "2026-11-23T10:05");
    }

    #[test]
    fn ticks_are_nice_and_cover_the_data() {
        assert_eq!(nice_ticks(0.0, 9.0, 4), [0.0, 5.0, 10.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let t = nice_ticks(0.13, 0.87, 4);
        assert!(t[0] <= 0.13 && *t.last().unwrap() >= 0.87);
        assert_eq!(
            tick_labels(&t),
            ["0", "0.2", "0.4", "0.6", "0.8", "1"][..t.len()]
        );
        assert_eq!(nice_ticks(5.0, 5.0, 4), [4.0, 4.5, 5.0, 5.5, 6.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 4).iter().all(|t| t.is_finite()));
        assert_eq!(nice_ticks(f64::INFINITY, 1.0, 4), [0.0, 1.0]);
        let huge = nice_ticks(-1e308, 1e308, 4);
        assert!(!huge.is_empty() && huge.len() <= 21);
    }

    #[test]
    fn tick_labels_use_units_for_big_numbers() {
        assert_eq!(tick_labels(&[0.0, 5000.0, 10000.0]), ["0", "5k", "10k"]);
        assert_eq!(
            tick_labels(&[0.0, 500_000.0, 1_000_000.0]),
            ["0", "0.5M", "1M"]
        );
        assert_eq!(tick_labels(&[-1.0, 0.0, 1.0]), ["-1", "0", "1"]);
        assert_eq!(format_number(1234.5678), "1234.57");
        assert_eq!(format_number(0.000_123_46), "0.0001235");
        assert_eq!(format_number(-3.0), "-3");
    }

    fn chart(v: Value) -> Series {
        match parse_value(&v) {
            StatValue::Chart(s) => s,
            other => panic!("chart expected, got {other:?}"),
        }
    }

    #[test]
    fn layout_places_one_point_per_value_inside_the_plot() {
        let s = chart(json!([{"x": 1, "y": 10}, {"x": 2, "y": 30}, {"x": 4, "y": 20}]));
        let l = layout(&s);
        assert_eq!(l.points.len(), 3);
        for p in &l.points {
            assert!(p.cx >= l.left && p.cx <= l.right, "{p:?}");
            assert!(p.cy >= l.top && p.cy <= l.bottom, "{p:?}");
        }
        // Higher values are higher up (smaller y).
        assert!(l.points[1].cy < l.points[0].cy);
        assert_eq!(l.points[1].title, "2: 30");
        assert_eq!(l.line.split(' ').count(), 3);
        // y from zero: 0..30 in steps of 10.
        let labels: Vec<&str> = l.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "10", "20", "30"]);
        assert_eq!(l.y_ticks[0].at, l.bottom);
        assert_eq!(l.y_ticks[3].at, l.top);
        assert!(l.x_ticks.len() >= 2);
    }

    #[test]
    fn categorical_layout_spreads_points_evenly_and_thins_labels() {
        let v: Vec<Value> = (0..30)
            .map(|i| json!({"x": format!("2024-05-{:02} 00:00", i + 1), "y": i}))
            .collect();
        let l = layout(&chart(Value::Array(v)));
        assert_eq!(l.points.len(), 30);
        assert_eq!(l.points[0].cx, l.left);
        assert_eq!(l.points[29].cx, l.right);
        assert!(l.x_ticks.len() <= 5, "{}", l.x_ticks.len());
        assert!(
            l.x_ticks
                .iter()
                .all(|t| t.label.chars().count() <= MAX_X_LABEL)
        );
        assert_eq!(l.x_ticks[0].anchor, "start");
        assert_eq!(l.points[0].title, "2024-05-01 00:00: 0");
    }

    #[test]
    fn degenerate_series_still_lay_out() {
        let one = layout(&chart(json!([{"x": "only", "y": 5}])));
        assert_eq!(one.points.len(), 1);
        assert!(one.points[0].cx.is_finite() && one.points[0].cy.is_finite());
        let flat = layout(&chart(json!([{"x": 1, "y": 0}, {"x": 1, "y": 0}])));
        assert!(
            flat.points
                .iter()
                .all(|p| p.cx.is_finite() && p.cy.is_finite())
        );
        let neg = layout(&chart(json!([{"x": 0, "y": -5}, {"x": 1, "y": -20}])));
        assert_eq!(neg.y_ticks.last().map(|t| t.label.as_str()), Some("0"));
        let empty = layout(&Series {
            points: Vec::new(),
            categorical: true,
        });
        assert!(empty.points.is_empty() && empty.line.is_empty());
        let huge = layout(&chart(json!([{"x": 0, "y": -1e308}, {"x": 1, "y": 1e308}])));
        assert!(
            huge.points
                .iter()
                .all(|p| p.cx.is_finite() && p.cy.is_finite())
        );
    }
}
