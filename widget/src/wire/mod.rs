//! JSON in and out of the widget without serde.
//!
//! The frames are the protocol crate's own types; only the (de)serialisation is done here.
//! serde's derived code for the protocol's tagged enums (plus serde_json) was ~40% of the
//! widget's WebAssembly, and the widget ships to every visitor.
//!
//! The codec is written against two small traits, [`Value`] (read a parsed JSON value) and
//! [`Out`] (build one). In the browser both are the browser's own objects (`JSON.parse`,
//! property access; see [`js`]), so no JSON parser is compiled into the widget. In native
//! tests they are `serde_json::Value`, which is how `tests.rs` checks every frame against the
//! protocol's serde derives: nothing else pins this hand-written codec to the wire shapes.
//! Enum words come from the protocol's `as_str`/`parse` (`chimpassist_protocol::forms`), so
//! they cannot drift either.

mod decode;
mod encode;
#[cfg(target_arch = "wasm32")]
pub(crate) mod js;
#[cfg(test)]
mod native;
#[cfg(test)]
mod tests;

pub(crate) use decode::server_frame;
pub(crate) use encode::client_frame;

/// A parsed JSON value, read field by field. Missing fields read as "undefined": every
/// accessor then answers `None`.
pub(crate) trait Value: Sized {
    fn get(&self, key: &str) -> Self;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    /// An object (not `null`, not an array).
    fn is_object(&self) -> bool;
    /// The items of an array; empty for anything else.
    fn items(&self) -> Vec<Self>;
}

/// A JSON value under construction.
pub(crate) trait Out: Sized {
    fn object() -> Self;
    fn text(value: &str) -> Self;
    fn number(value: f64) -> Self;
    fn list(items: Vec<Self>) -> Self;
    /// Sets `key` on an object.
    fn put(&mut self, key: &str, value: Self);
}

/// Field readers shared by the decoders.
pub(crate) fn string<V: Value>(o: &V, key: &str) -> Option<String> {
    o.get(key).string()
}

pub(crate) fn number<V: Value>(o: &V, key: &str) -> Option<f64> {
    o.get(key).number()
}

pub(crate) fn boolean<V: Value>(o: &V, key: &str) -> Option<bool> {
    o.get(key).boolean()
}

/// The object under `key`, if it is one.
pub(crate) fn object<V: Value>(o: &V, key: &str) -> Option<V> {
    Some(o.get(key)).filter(V::is_object)
}

/// A JSON object under construction; absent optional fields are left out.
pub(crate) struct Json<O>(O);

impl<O: Out> Json<O> {
    pub(crate) fn new() -> Self {
        Self(O::object())
    }

    pub(crate) fn v(mut self, key: &str, value: O) -> Self {
        self.0.put(key, value);
        self
    }

    pub(crate) fn s(self, key: &str, value: &str) -> Self {
        self.v(key, O::text(value))
    }

    pub(crate) fn opt(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.s(key, v),
            None => self,
        }
    }

    pub(crate) fn n(self, key: &str, value: f64) -> Self {
        self.v(key, O::number(value))
    }

    pub(crate) fn value(self) -> O {
        self.0
    }
}
