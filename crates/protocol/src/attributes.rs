//! Custom attributes: what the host site knows about a customer (`plan: "pro"`,
//! `orders: 12`, `trial: true`), set from the page (`ChimpAssist.setAttributes`) or signed in
//! the identity token, shown to attendants, searchable, exported and sent in webhooks.
//!
//! Parsed once into [`Attributes`], which cannot hold what the limits refuse: at most
//! [`MAX_ATTRIBUTES`] keys of 1–40 letters, digits and `_` (a letter first), each a string
//! (one line, at most [`MAX_VALUE_CHARS`] characters), a finite number or a boolean.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ProtocolError;

/// Most attributes a customer may have.
pub const MAX_ATTRIBUTES: usize = 50;
/// Longest key, in characters.
pub const MAX_KEY_CHARS: usize = 40;
/// Longest text value, in characters.
pub const MAX_VALUE_CHARS: usize = 255;
/// Largest number kept either way (JavaScript's `Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A customer's attributes: typed scalar values by key, in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, Value>", into = "BTreeMap<String, Value>")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = Object))]
pub struct Attributes(BTreeMap<String, Value>);

/// Changes to a customer's attributes: each key set to a new value, or removed with `null`.
/// Keys not named keep their value.
///
/// A list of scalars rather than a map of JSON values because the widget's frame type
/// carries it: dropping a `Vec` of these costs the widget's WebAssembly almost nothing,
/// where a `BTreeMap<String, Value>` cost it ~300 bytes it never uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, Value>", into = "BTreeMap<String, Value>")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = Object))]
pub struct AttributeChanges(Vec<(String, Option<Scalar>)>);

/// An attribute's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl From<Scalar> for Value {
    fn from(s: Scalar) -> Value {
        match s {
            Scalar::Text(t) => Value::String(t),
            Scalar::Number(n) => Value::Number(n),
            Scalar::Bool(b) => Value::Bool(b),
        }
    }
}

fn key(k: &str) -> Result<(), ProtocolError> {
    let mut chars = k.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && k.len() <= MAX_KEY_CHARS;
    if ok {
        Ok(())
    } else {
        Err(ProtocolError::invalid(format!(
            "attribute name {k:?}: 1 to {MAX_KEY_CHARS} letters, digits or _, a letter first"
        )))
    }
}

/// A value as kept: text cleaned to one line, numbers and booleans as they are.
fn value(k: &str, v: Value) -> Result<Scalar, ProtocolError> {
    match v {
        Value::Bool(b) => Ok(Scalar::Bool(b)),
        // Within what JavaScript (the widget, the desk) and every store read back exactly.
        Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() <= MAX_SAFE_INTEGER) => {
            Ok(Scalar::Number(n))
        }
        Value::Number(_) => Err(ProtocolError::invalid(format!(
            "attribute {k}: numbers of at most 2^53 − 1 either way"
        ))),
        Value::String(s) => {
            let line = s
                .split(char::is_control)
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_owned();
            if line.chars().count() > MAX_VALUE_CHARS {
                return Err(ProtocolError::invalid(format!(
                    "attribute {k}: text of at most {MAX_VALUE_CHARS} characters"
                )));
            }
            Ok(Scalar::Text(line))
        }
        _ => Err(ProtocolError::invalid(format!(
            "attribute {k}: a text, a number or true/false"
        ))),
    }
}

impl Attributes {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// These attributes with `changes` applied; refused whole when the result would hold
    /// more than [`MAX_ATTRIBUTES`].
    pub fn merged(&self, changes: &AttributeChanges) -> Result<Attributes, ProtocolError> {
        let mut next = self.0.clone();
        for (k, v) in &changes.0 {
            match v {
                Some(v) => next.insert(k.clone(), v.clone().into()),
                None => next.remove(k),
            };
        }
        if next.len() > MAX_ATTRIBUTES {
            return Err(ProtocolError::invalid(format!(
                "at most {MAX_ATTRIBUTES} attributes per customer"
            )));
        }
        Ok(Attributes(next))
    }

    /// The values as text, one per line: what a search looks into.
    pub fn search_text(&self) -> String {
        self.0
            .values()
            .map(Self::display)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A value as people read it: text as it is, numbers and booleans as JSON writes them.
    pub fn display(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl TryFrom<BTreeMap<String, Value>> for Attributes {
    type Error = ProtocolError;
    fn try_from(raw: BTreeMap<String, Value>) -> Result<Self, Self::Error> {
        let changes = AttributeChanges::try_from(raw)?;
        if changes.0.iter().any(|(_, v)| v.is_none()) {
            return Err(ProtocolError::invalid("attribute values may not be null"));
        }
        Attributes::default().merged(&changes)
    }
}

impl From<Attributes> for BTreeMap<String, Value> {
    fn from(a: Attributes) -> Self {
        a.0
    }
}

impl TryFrom<BTreeMap<String, Value>> for AttributeChanges {
    type Error = ProtocolError;
    /// Up to twice [`MAX_ATTRIBUTES`] names, so that removals (`null`) fit beside a full
    /// set: the widget sends everything the page ever set, removals included, after each
    /// reconnect. The result of applying them is what [`Attributes::merged`] bounds.
    fn try_from(raw: BTreeMap<String, Value>) -> Result<Self, Self::Error> {
        if raw.len() > 2 * MAX_ATTRIBUTES {
            return Err(ProtocolError::invalid(format!(
                "at most {} attribute changes at once",
                2 * MAX_ATTRIBUTES
            )));
        }
        let mut out = Vec::with_capacity(raw.len());
        for (k, v) in raw {
            key(&k)?;
            let v = match v {
                Value::Null => None,
                v => Some(value(&k, v)?),
            };
            out.push((k, v));
        }
        Ok(AttributeChanges(out))
    }
}

impl From<AttributeChanges> for BTreeMap<String, Value> {
    fn from(c: AttributeChanges) -> Self {
        c.0.into_iter()
            .map(|(k, v)| (k, v.map_or(Value::Null, Value::from)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes(v: Value) -> Result<AttributeChanges, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn changes_set_replace_and_remove() {
        let a = Attributes::default()
            .merged(&changes(json!({"plan": "pro", "orders": 12, "trial": false})).unwrap())
            .unwrap();
        let b = a
            .merged(&changes(json!({"plan": "team", "trial": null})).unwrap())
            .unwrap();
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            json!({"orders": 12, "plan": "team"})
        );
        assert_eq!(b.search_text(), "12\nteam");
        let text: Vec<String> = b.iter().map(|(_, v)| Attributes::display(v)).collect();
        assert_eq!(text, ["12", "team"]);
    }

    #[test]
    fn what_the_limits_refuse_is_refused() {
        for bad in [
            json!({"1plan": "x"}),
            json!({"plan-name": "x"}),
            json!({"": "x"}),
            json!({"p".repeat(41): "x"}),
            json!({"plan": ["a"]}),
            json!({"plan": {"a": 1}}),
            json!({"plan": "x".repeat(256)}),
            json!({"big": 18_446_744_073_709_551_615u64}),
            json!({"big": -1e300}),
        ] {
            assert!(changes(bad.clone()).is_err(), "{bad}");
        }
        let many: serde_json::Map<String, Value> =
            (0..101).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(changes(Value::Object(many)).is_err());
        let full_set_and_removals: serde_json::Map<String, Value> = (0..100)
            .map(|i| (format!("k{i}"), if i < 50 { json!(i) } else { Value::Null }))
            .collect();
        let kept = Attributes::default()
            .merged(&changes(Value::Object(full_set_and_removals)).unwrap())
            .unwrap();
        assert_eq!(kept.iter().count(), 50);
        // 40 kept + 11 new: refused whole on merge.
        let forty: serde_json::Map<String, Value> =
            (0..40).map(|i| (format!("a{i}"), json!(i))).collect();
        let kept = Attributes::default()
            .merged(&changes(Value::Object(forty)).unwrap())
            .unwrap();
        let eleven: serde_json::Map<String, Value> =
            (0..11).map(|i| (format!("b{i}"), json!(i))).collect();
        assert!(
            kept.merged(&changes(Value::Object(eleven)).unwrap())
                .is_err()
        );
        // Text is one line, trimmed.
        let a: Attributes = serde_json::from_value(json!({"note": " a\nb\tc "})).unwrap();
        assert_eq!(a.get("note"), Some(&json!("a b c")));
        assert!(serde_json::from_value::<Attributes>(json!({"x": null})).is_err());
    }
}
