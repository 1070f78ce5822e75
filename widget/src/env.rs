//! The few browser facilities the widget needs, each wrapped once: local storage, the
//! loader's bridge, time, and the page title.

use wasm_bindgen::{JsCast, JsValue};

pub(crate) fn window() -> web_sys::Window {
    web_sys::window().expect("the widget runs in a browser window")
}

pub(crate) fn document() -> web_sys::Document {
    window().document().expect("a window has a document")
}

pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// Reads a localStorage item; storage may be disabled (private mode, sandboxed iframes).
pub(crate) fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub(crate) fn save(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub(crate) fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

pub(crate) fn warn(message: &str) {
    // Two arguments, no `format!`: the console joins them with a space.
    web_sys::console::warn_2(
        &JsValue::from_str("[chimpassist]"),
        &JsValue::from_str(message),
    );
}

/// `HH:MM` in the visitor's time zone.
pub(crate) fn clock(ms: i64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/page.js")]
extern "C" {
    /// When `ms` is, in the visitor's language and time zone ("Tue, Dec 8, 9:00 AM"): in
    /// plain JS, ~1 KB less WASM than the `Intl` bindings with their options object.
    pub(crate) fn when(ms: f64, lang: &str) -> String;
}

pub(crate) fn page_visible() -> bool {
    document().visibility_state() == web_sys::VisibilityState::Visible
}

pub(crate) fn browser_languages() -> Vec<String> {
    window()
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

/// The loader's side of the widget: events for the host page's `on(…)` listeners, the
/// bubble's unread badge, and closing the panel (so the loader stays the one place that
/// opens and closes it).
#[derive(Clone, Debug)]
pub(crate) struct Bridge(pub(crate) js_sys::Object);

impl Bridge {
    fn call(&self, name: &str, args: &[JsValue]) {
        let Ok(f) = js_sys::Reflect::get(&self.0, &JsValue::from_str(name)) else {
            return;
        };
        let Some(f) = f.dyn_ref::<js_sys::Function>() else {
            return;
        };
        let _ = match args {
            [] => f.call0(&self.0),
            [a] => f.call1(&self.0, a),
            [a, b, ..] => f.call2(&self.0, a, b),
        };
    }

    pub(crate) fn emit(&self, event: &str, detail: JsValue) {
        self.call("emit", &[JsValue::from_str(event), detail]);
    }

    pub(crate) fn badge(&self, unread: u32) {
        self.call("badge", &[JsValue::from_f64(f64::from(unread))]);
    }

    pub(crate) fn close(&self) {
        self.call("close", &[]);
    }
}
