//! Voice and video calls: the call engine and its card are the widget's own
//! (`widget/js/call.js`, plain JS because WebRTC is a JS API), so both sides of a call run
//! one tested exchange. The engine listens to every attendant socket for call frames and
//! answers on it; the desk only offers the buttons that start a call.

use std::cell::RefCell;

use chimpassist_protocol::{CallMedia, ConversationId};
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::{HtmlElement, WebSocket};

#[wasm_bindgen(module = "/../widget/js/call.js")]
extern "C" {
    /// The engine: `calls(root, role, lang)`.
    type Engine;
    #[wasm_bindgen(js_name = calls)]
    fn engine(root: &HtmlElement, role: &str, lang: &str) -> Engine;
    #[wasm_bindgen(method)]
    fn socket(this: &Engine, ws: &WebSocket);
    #[wasm_bindgen(method)]
    fn invite(this: &Engine, conversation: &str, media: &str);
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// The engine, made on first use: its card goes at the end of `<body>`, in the page's
/// language (`<html lang>`, set from the attendant's settings).
fn with_engine(f: impl FnOnce(&Engine)) {
    ENGINE.with_borrow_mut(|e| {
        if e.is_none() {
            let doc = crate::env::document();
            let lang = doc
                .document_element()
                .map(|h| h.get_attribute("lang").unwrap_or_default())
                .unwrap_or_default();
            if let Some(body) = doc.body() {
                *e = Some(engine(&body, "attendant", &lang));
            }
        }
        if let Some(engine) = e.as_ref() {
            f(engine);
        }
    });
}

/// A new attendant socket: the engine hears its call frames and answers on it.
pub(crate) fn socket(ws: &WebSocket) {
    with_engine(|e| e.socket(ws));
}

/// Calls the customer of a conversation I hold.
pub(crate) fn invite(conversation: ConversationId, media: CallMedia) {
    let media = match media {
        CallMedia::Voice => "voice",
        CallMedia::Video => "video",
    };
    with_engine(|e| e.invite(&conversation.to_string(), media));
}
