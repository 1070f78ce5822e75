//! The attendant WebSocket as a transport: it connects, decodes frames, reports what
//! happened as [`Event`]s to one handler, sends frames, and reconnects when told to (at once
//! or with backoff). What the frames mean, and what a close means, is decided elsewhere
//! (`desk` for frames, `live.rs` for closes), so this module knows nothing of the page.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use chimpassist_protocol::{AttendantToServer, ServerToAttendant};
use leptos::prelude::set_timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::env;
use crate::session::backoff_ms;

/// What the socket reports.
pub(crate) enum Event {
    /// A connection is being tried.
    Connecting,
    /// It opened: say `hello`.
    Open,
    /// Boxed: a `welcome` is large, the other events are small.
    Frame(Box<ServerToAttendant>),
    /// It closed. `welcomed`: a `welcome` arrived on it (see [`welcomed`]).
    Closed { code: u16, welcomed: bool },
}

type Handler = Rc<dyn Fn(Event)>;

#[derive(Default)]
struct Socket {
    handler: Option<Handler>,
    ws: Option<WebSocket>,
    /// Bumped by every connect and stop, so that events of an older socket are ignored.
    generation: u32,
    /// Connections tried since the last `welcome` (0: welcomed).
    attempt: u32,
    stopped: bool,
    _closures: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static SOCKET: RefCell<Socket> = RefCell::new(Socket::default());
}

/// Connects, reporting to `handler` from now on.
pub(crate) fn start(handler: Handler) {
    SOCKET.with_borrow_mut(|s| {
        s.handler = Some(handler);
        s.stopped = false;
        s.attempt = 0;
    });
    connect();
}

/// Closes for good (logout); events of the closed socket are not reported.
pub(crate) fn stop() {
    SOCKET.with_borrow_mut(|s| {
        s.stopped = true;
        s.generation += 1;
        if let Some(ws) = s.ws.take() {
            let _ = ws.close();
        }
    });
}

/// A `welcome` arrived: the next close may rejoin at once, and backoff starts over.
pub(crate) fn welcomed() {
    SOCKET.with_borrow_mut(|s| s.attempt = 0);
}

/// Counts a reconnect that skips the backoff wait (a rejoin), so that two in a row back off.
pub(crate) fn count_attempt() {
    SOCKET.with_borrow_mut(|s| s.attempt = s.attempt.saturating_add(1));
}

/// Whether a frame sent now would go out.
pub(crate) fn is_open() -> bool {
    SOCKET.with_borrow(|s| {
        s.ws.as_ref()
            .is_some_and(|ws| ws.ready_state() == WebSocket::OPEN)
    })
}

/// Sends a frame if the socket is open. Returns false otherwise (the caller keeps what it
/// must resend).
pub(crate) fn send(frame: &AttendantToServer) -> bool {
    let Ok(text) = serde_json::to_string(frame) else {
        return false;
    };
    SOCKET.with_borrow(|s| {
        s.ws.as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
            .is_some_and(|ws| ws.send_with_str(&text).is_ok())
    })
}

fn url() -> String {
    let loc = env::window().location();
    let scheme = if loc.protocol().unwrap_or_default() == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{}/ws/attendant", loc.host().unwrap_or_default())
}

fn handler() -> Option<Handler> {
    SOCKET.with_borrow(|s| s.handler.clone())
}

/// Reports to the handler, outside any borrow of the socket state (the handler sends).
fn report(event: Event) {
    if let Some(h) = handler() {
        h(event);
    }
}

fn connect() {
    if handler().is_none() {
        return;
    }
    let Ok(ws) = WebSocket::new(&url()) else {
        schedule_reconnect();
        return;
    };
    crate::calls::socket(&ws);
    report(Event::Connecting);
    let generation = SOCKET.with_borrow_mut(|s| {
        s.generation += 1;
        s.generation
    });
    let current = move || SOCKET.with_borrow(|s| s.generation == generation && !s.stopped);

    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current() {
            report(Event::Open);
        }
    });
    let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        if !current() {
            return;
        }
        let Some(text) = ev
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
        else {
            return;
        };
        match serde_json::from_str::<ServerToAttendant>(&text) {
            Ok(frame) => report(Event::Frame(Box::new(frame))),
            Err(e) => leptos::logging::warn!("unreadable frame: {e}"),
        }
    });
    let on_close = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        if !current() {
            return;
        }
        let code = ev.dyn_ref::<CloseEvent>().map_or(1006, CloseEvent::code);
        let welcomed = SOCKET.with_borrow(|s| s.attempt == 0);
        report(Event::Closed { code, welcomed });
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    SOCKET.with_borrow_mut(|s| {
        if let Some(old) = s.ws.replace(ws) {
            let _ = old.close();
        }
        s._closures = vec![on_open, on_message, on_close];
    });
}

/// Connects again after the backoff wait for the attempts so far.
pub(crate) fn schedule_reconnect() {
    let (stopped, attempt) = SOCKET.with_borrow_mut(|s| {
        s.attempt = s.attempt.saturating_add(1);
        (s.stopped, s.attempt)
    });
    if stopped {
        return;
    }
    let wait = backoff_ms(attempt, js_sys::Math::random());
    set_timeout(connect, Duration::from_millis(wait));
}

/// Connects again at once (unless stopped meanwhile).
pub(crate) fn reconnect_now() {
    if !SOCKET.with_borrow(|s| s.stopped) {
        connect();
    }
}
