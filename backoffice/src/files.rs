//! Files in the chat: the tray and the message files are the widget's own
//! (`widget/js/files.js`, plain JS: uploads need `XMLHttpRequest`'s progress events, and the
//! same code serves both sides), driven from here. The tray uploads as soon as a file is
//! picked, pasted or dropped; the composer sends only when every upload is done.

use chimpassist_protocol::{AttachmentView, FileInfo};
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

#[wasm_bindgen(module = "/../widget/js/files.js")]
extern "C" {
    /// A tray: see `fileTray` in files.js.
    pub(crate) type Tray;
    #[wasm_bindgen(js_name = fileTray)]
    fn file_tray(options: &JsValue) -> Tray;
    #[wasm_bindgen(method)]
    pub(crate) fn pick(this: &Tray);
    #[wasm_bindgen(method)]
    fn state(this: &Tray) -> String;
    #[wasm_bindgen(method)]
    fn take(this: &Tray) -> String;
    #[wasm_bindgen(method)]
    pub(crate) fn clear(this: &Tray);
    #[wasm_bindgen(js_name = showFiles)]
    fn show_files(target: &Element, files: &str, base: &str, lang: &str);
}

/// Where the tray's uploads stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrayState {
    Empty,
    /// An upload goes on, or one failed (it is retried or removed first).
    Busy,
    Ready,
}

impl Tray {
    pub(crate) fn now(&self) -> TrayState {
        match self.state().as_str() {
            "ready" => TrayState::Ready,
            "busy" => TrayState::Busy,
            _ => TrayState::Empty,
        }
    }

    /// The uploaded files, emptying the tray.
    pub(crate) fn files(&self) -> Vec<FileInfo> {
        serde_json::from_str(&self.take()).unwrap_or_default()
    }
}

/// The page's language (`<html lang>`), as the call card takes it.
fn lang() -> String {
    crate::env::document()
        .document_element()
        .and_then(|h| h.get_attribute("lang"))
        .unwrap_or_default()
}

/// A tray in `tray`, taking pasted files in `paste` and dropped ones in `drop`; `changed`
/// runs on every change (an upload's progress included).
pub(crate) fn tray(
    tray: &HtmlElement,
    paste: &HtmlElement,
    drop: &HtmlElement,
    conversation: String,
    max: u64,
    changed: impl Fn() + 'static,
) -> Tray {
    let options = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = js_sys::Reflect::set(&options, &key.into(), value);
    };
    set("tray", tray);
    set("paste", paste);
    set("drop", drop);
    set("base", &"".into());
    set("lang", &lang().into());
    set("max", &(max as f64).into());
    let conversation = Closure::<dyn Fn() -> String>::new(move || conversation.clone());
    set("conversation", conversation.as_ref());
    conversation.forget();
    let changed = Closure::<dyn Fn()>::new(changed);
    set("changed", changed.as_ref());
    changed.forget();
    file_tray(&options)
}

/// Draws a message's files into `target`.
pub(crate) fn show(target: &Element, files: &[AttachmentView]) {
    let json = serde_json::to_string(files).unwrap_or_default();
    show_files(target, &json, "", &lang());
}
