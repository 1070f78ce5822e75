//! The customer WebSocket, as a transport only: connect, reconnect with backoff, move
//! frames in and out. What the frames mean is [`crate::machine`]'s business; the socket
//! reports to the one handler given to [`start`] and never calls into the chat.
//!
//! One socket per page. Callbacks carry the generation they were made for, so events of a
//! socket we already replaced (identity change, reconnect) are ignored.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use chimpassist_protocol::{CustomerToServer, ServerToCustomer};
use leptos::prelude::set_timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};

use crate::env;
use crate::i18n::Texts;
use crate::wire::{self, js};

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/page.js")]
extern "C" {
    /// Hands a new socket to the call chunk's port (`widget/js/page.js`), which fetches
    /// the chunk when a frame first concerns a call. Call frames stop there: the chat never
    /// reads them.
    #[wasm_bindgen(js_name = callPort)]
    fn call_port(ws: &WebSocket, root: &web_sys::HtmlElement);

    /// Plays a short two-tone chime (WebAudio; no audio file to download).
    pub(crate) fn chime();

    /// The composer's file tray (`widget/js/page.js`): waits for a file picked, pasted or
    /// dropped, then fetches the files chunk, which uploads it with progress.
    #[wasm_bindgen(js_name = filesOpen)]
    pub(crate) fn files_open(
        form: &web_sys::HtmlElement,
        tray: &web_sys::HtmlElement,
        max: f64,
        lang: &str,
        base: &str,
        token_key: &str,
    );
    #[wasm_bindgen(js_name = filesPick)]
    pub(crate) fn files_pick();
    /// `empty`, `busy` (an upload goes on or failed) or `ready`.
    #[wasm_bindgen(js_name = filesState)]
    pub(crate) fn files_state() -> String;
    /// The uploaded files (JSON text of the server's descriptions); empties the tray.
    #[wasm_bindgen(js_name = filesTake)]
    pub(crate) fn files_take() -> String;
}

/// What the socket tells its handler.
// Made and handed over once per event; boxing the frame would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SocketEvent {
    /// A socket is being opened (the first, or a reconnect).
    Connecting,
    /// It is open: the handler sends `hello`.
    Open,
    Frame(ServerToCustomer),
    Closed,
}

type Handler = Rc<dyn Fn(SocketEvent)>;

#[derive(Default)]
struct Net {
    url: String,
    /// Where the call chunk draws (the chat's mount point).
    root: Option<web_sys::HtmlElement>,
    /// The visitor's language, for what frames say in words (a call's record).
    texts: Option<&'static Texts>,
    handler: Option<Handler>,
    ws: Option<WebSocket>,
    generation: u32,
    attempt: u32,
    stopped: bool,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static NET: RefCell<Net> = RefCell::new(Net::default());
}

/// Connects to `url` and reports every socket event to `handler`; call frames go to the
/// call chunk, which draws in `root`.
pub(crate) fn start(
    url: String,
    root: web_sys::HtmlElement,
    texts: &'static Texts,
    handler: impl Fn(SocketEvent) + 'static,
) {
    NET.with_borrow_mut(|n| {
        n.url = url;
        n.root = Some(root);
        n.texts = Some(texts);
        n.handler = Some(Rc::new(handler));
    });
    connect();
}

/// Stops reconnecting (the server refused us for good).
pub(crate) fn stop() {
    NET.with_borrow_mut(|n| n.stopped = true);
}

/// The server welcomed us: the next drop starts the backoff afresh.
pub(crate) fn connected() {
    NET.with_borrow_mut(|n| n.attempt = 0);
}

/// Sends a frame if the socket is open; otherwise the caller's state (pending messages)
/// is replayed after the next `welcome`.
pub(crate) fn send(frame: &CustomerToServer) -> bool {
    NET.with_borrow(|n| {
        n.ws.as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
            .is_some_and(|ws| {
                ws.send_with_str(&js::stringify(&wire::client_frame(frame)))
                    .is_ok()
            })
    })
}

/// Drops the current socket and connects again at once (identity change, back online).
pub(crate) fn reconnect_now() {
    let old = NET.with_borrow_mut(|n| {
        n.generation += 1;
        n.attempt = 0;
        n.stopped = false;
        n.ws.take()
    });
    if let Some(ws) = old {
        let _ = ws.close();
    }
    connect();
}

/// Reports `event` to the handler, outside any borrow of the socket state (the handler
/// sends frames).
fn report(event: SocketEvent) {
    if let Some(handler) = NET.with_borrow(|n| n.handler.clone()) {
        handler(event);
    }
}

fn connect() {
    let (url, generation, root) =
        NET.with_borrow(|n| (n.url.clone(), n.generation, n.root.clone()));
    let ws = match WebSocket::new(&url) {
        Ok(ws) => {
            if let Some(root) = &root {
                call_port(&ws, root);
            }
            ws
        }
        Err(_) => {
            env::warn("could not open the chat connection");
            schedule_reconnect(generation);
            return;
        }
    };
    report(SocketEvent::Connecting);

    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current(generation) {
            report(SocketEvent::Open);
        }
    });
    let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        if !current(generation) {
            return;
        }
        let Some(text) = e
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
        else {
            return;
        };
        let texts = NET.with_borrow(|n| n.texts).unwrap_or(&crate::i18n::EN);
        match js::parse(&text).and_then(|v| wire::server_frame(&v, texts)) {
            Some(frame) => report(SocketEvent::Frame(frame)),
            None => env::warn("unreadable frame from the server"),
        }
    });
    let on_close = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current(generation) {
            NET.with_borrow_mut(|n| n.ws = None);
            report(SocketEvent::Closed);
            schedule_reconnect(generation);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    NET.with_borrow_mut(|n| {
        n.ws = Some(ws);
        // The previous socket's handlers are replaced; that socket was closed and its
        // callbacks check the generation, so nothing calls into a dropped closure.
        n._handlers = vec![on_open, on_message, on_close];
    });
}

fn current(generation: u32) -> bool {
    NET.with_borrow(|n| n.generation == generation && !n.stopped)
}

/// Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 15 s.
fn schedule_reconnect(generation: u32) {
    let attempt = NET.with_borrow_mut(|n| {
        n.attempt = n.attempt.saturating_add(1);
        n.attempt
    });
    let base = 500u64.saturating_mul(1 << attempt.min(5)).min(15_000);
    let jitter = (js_sys::Math::random() * 300.0) as u64;
    set_timeout(
        move || {
            if current(generation) {
                connect();
            }
        },
        Duration::from_millis(base / 2 + jitter),
    );
}
