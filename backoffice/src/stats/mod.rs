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

pub(crate) fn trim_zeros(s: String) -> String {
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

mod chart;
mod range;
#[cfg(test)]
mod tests;

pub use chart::*;
pub use range::*;
