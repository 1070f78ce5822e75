//! The codec's traits over `serde_json::Value`, for native tests: the same decoders and
//! encoders the browser runs, checked against the protocol's serde derives.

use serde_json::{Map, Value as J};

use super::{Out, Value};

static NULL: J = J::Null;

impl Value for &J {
    fn get(&self, key: &str) -> Self {
        J::get(self, key).unwrap_or(&NULL)
    }

    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_object(&self) -> bool {
        J::is_object(self)
    }

    fn items(&self) -> Vec<Self> {
        self.as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}

impl Out for J {
    fn object() -> Self {
        J::Object(Map::new())
    }

    fn text(value: &str) -> Self {
        J::from(value)
    }

    fn number(value: f64) -> Self {
        // The widget only writes whole numbers; JS's `JSON.stringify` prints them without
        // a fraction, and so does this.
        if value.fract() == 0.0 && value.abs() < 9.0e15 {
            J::from(value as i64)
        } else {
            J::from(value)
        }
    }

    fn list(items: Vec<Self>) -> Self {
        J::Array(items)
    }

    fn put(&mut self, key: &str, value: Self) {
        if let J::Object(m) = self {
            m.insert(key.to_owned(), value);
        }
    }
}
