//! The codec's traits over the browser's own JSON objects, and the few JS-only readers.

use chimpassist_protocol::UserClaim;
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::{Out, Value};

impl Value for JsValue {
    fn get(&self, key: &str) -> Self {
        Reflect::get(self, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_object(&self) -> bool {
        JsValue::is_object(self)
    }

    fn items(&self) -> Vec<Self> {
        self.dyn_ref::<Array>()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}

impl Out for JsValue {
    fn object() -> Self {
        Object::new().into()
    }

    fn text(value: &str) -> Self {
        JsValue::from_str(value)
    }

    fn number(value: f64) -> Self {
        JsValue::from_f64(value)
    }

    fn list(items: Vec<Self>) -> Self {
        items.into_iter().collect::<Array>().into()
    }

    fn put(&mut self, key: &str, value: Self) {
        let _ = Reflect::set(self, &JsValue::from_str(key), &value);
    }
}

/// `JSON.parse`, objects only.
pub(crate) fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(JsValue::is_object)
}

/// `JSON.stringify`.
pub(crate) fn stringify(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// `localStorage.userData` and `setUser(…)` (seed 000's names).
pub(crate) fn user_claim(o: &JsValue) -> Option<UserClaim> {
    if !o.is_object() {
        return None;
    }
    // Numeric ids are common (`{id: 42}`); JS turns them into text (no float formatting
    // code in the WebAssembly).
    let s = |k| {
        let v = o.get(k);
        v.as_string().or_else(|| {
            v.as_f64().and_then(|_| {
                v.unchecked_into::<js_sys::Number>()
                    .to_string_with_radix(10)
                    .ok()
                    .map(String::from)
            })
        })
    };
    Some(UserClaim {
        id: s("id"),
        name: s("name"),
        avatar_url: s("avatarURL"),
        email: s("email"),
        hash: s("hash"),
        token: s("token"),
    })
}
