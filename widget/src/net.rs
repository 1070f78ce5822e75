//! The customer WebSocket: connect, `hello` with the stored token and resume point,
//! reconnect with backoff, and the two REST calls the widget makes.
//!
//! One socket per page. Callbacks carry the generation they were made for, so events of a
//! socket we already replaced (identity change, reconnect) are ignored.

use std::cell::RefCell;
use std::time::Duration;

use chimpassist_protocol::{
    CustomerToServer, PROTOCOL_VERSION, ResumePoint, TypingState, UserClaim,
};
use leptos::prelude::{GetUntracked, Set, WithUntracked, set_timeout};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, WebSocket};

use crate::chat::{Chat, Conn};
use crate::config::Config;
use crate::env;
use crate::wire::{self, Json};

#[derive(Default)]
struct Net {
    chat: Option<Chat>,
    ws: Option<WebSocket>,
    generation: u32,
    attempt: u32,
    stopped: bool,
    /// Set by `setUser`; `None` means "read `localStorage.userData`".
    user: Option<Option<UserClaim>>,
    composing_since: Option<i64>,
    last_input: i64,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static NET: RefCell<Net> = RefCell::new(Net::default());
}

/// Attaches the widget's state and connects. `user` is an identity set through the JS API
/// before the module loaded; `reset` forgets the stored token and pending messages first.
pub(crate) fn start(chat: Chat, user: Option<Option<UserClaim>>, reset: bool) {
    NET.with_borrow_mut(|n| {
        n.chat = Some(chat);
        n.user = user;
    });
    if reset {
        env::remove(&chat.config.storage_key("token"));
        chat.forget();
    }
    connect();
}

/// Stops reconnecting (the server refused us for good).
pub(crate) fn stop() {
    NET.with_borrow_mut(|n| n.stopped = true);
}

/// Sends a frame if the socket is open; otherwise the caller's state (pending messages)
/// is replayed after the next `welcome`.
pub(crate) fn send(frame: &CustomerToServer) -> bool {
    NET.with_borrow(|n| {
        n.ws.as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
            .is_some_and(|ws| ws.send_with_str(&wire::client_frame(frame)).is_ok())
    })
}

/// Our typing state, throttled: `composing` at most every 4 s while typing, `paused` 2.5 s
/// after the last keystroke or when the message is sent.
pub(crate) fn typing(state: TypingState) {
    let conversation = NET.with_borrow(|n| n.chat.and_then(|c| c.conversation_id()));
    let Some(conversation) = conversation else {
        return;
    };
    let now = env::now_ms();
    let send_it = NET.with_borrow_mut(|n| match state {
        TypingState::Composing => {
            n.last_input = now;
            let due = n.composing_since.is_none_or(|since| now - since > 4000);
            if due {
                n.composing_since = Some(now);
            }
            due
        }
        TypingState::Paused => n.composing_since.take().is_some(),
    });
    if send_it {
        send(&CustomerToServer::Typing {
            conversation,
            state,
        });
    }
    if state == TypingState::Composing {
        set_timeout(
            || {
                let idle = NET.with_borrow(|n| env::now_ms() - n.last_input >= 2400);
                if idle {
                    typing(TypingState::Paused);
                }
            },
            Duration::from_millis(2500),
        );
    }
}

/// Rotates identity: forget the token (unless the new user is the same), drop this
/// visitor's state and reconnect as the new one.
pub(crate) fn set_user(user: Option<UserClaim>, forget_token: bool) {
    let chat = NET.with_borrow_mut(|n| {
        n.user = Some(user);
        n.chat
    });
    if let Some(chat) = chat {
        if forget_token {
            env::remove(&chat.config.storage_key("token"));
        }
        chat.forget();
    }
    reconnect_now();
}

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

/// Called on `welcome`: keep the (possibly new) token for this visitor.
pub(crate) fn welcomed(token: &str) {
    let (chat, user) = NET.with_borrow_mut(|n| {
        n.attempt = 0;
        (n.chat, n.user.clone())
    });
    if let Some(chat) = chat {
        // The token is kept with the host-site id it was issued for.
        let user = user.unwrap_or_else(user_data).and_then(|u| u.id);
        let saved = Json::new().s("token", token).opt("user", user.as_deref());
        env::save(&chat.config.storage_key("token"), &saved.text());
    }
}

/// `localStorage.userData` as the host page left it (seed 000's shape).
fn user_data() -> Option<UserClaim> {
    let raw = env::load("userData")?;
    let claim = wire::parse(&raw).and_then(|o| wire::user_claim(&o));
    if claim.is_none() {
        env::warn("localStorage.userData is not a JSON object; chatting as a guest");
    }
    claim
}

fn connect() {
    let Some(chat) = NET.with_borrow(|n| n.chat) else {
        return;
    };
    let generation = NET.with_borrow(|n| n.generation);
    let ws = match WebSocket::new(&chat.config.socket_url()) {
        Ok(ws) => ws,
        Err(_) => {
            env::warn("could not open the chat connection");
            schedule_reconnect(generation);
            return;
        }
    };
    if chat.conn.get_untracked() != Conn::Connecting {
        chat.conn.set(Conn::Reconnecting);
    }

    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current(generation) {
            send(&hello(chat));
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
        match wire::server_frame(&text) {
            Some(frame) => chat.on_frame(frame),
            None => env::warn("unreadable frame from the server"),
        }
    });
    let on_close = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current(generation) {
            NET.with_borrow_mut(|n| n.ws = None);
            if !matches!(chat.conn.get_untracked(), Conn::Refused(_)) {
                chat.conn.set(Conn::Reconnecting);
            }
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

fn hello(chat: Chat) -> CustomerToServer {
    let user = NET
        .with_borrow(|n| n.user.clone())
        .unwrap_or_else(user_data);
    let saved = env::load(&chat.config.storage_key("token")).and_then(|raw| wire::parse(&raw));
    // A token belongs to the site user it was issued for: another `userData.id` must not
    // inherit the previous visitor's conversations.
    let token = saved
        .filter(|s| wire::string(s, "user") == user.as_ref().and_then(|u| u.id.clone()))
        .and_then(|s| wire::string(&s, "token"));
    let resume = chat
        .timeline
        .with_untracked(|t| {
            t.conversation()
                .cloned()
                .zip(t.resume_seq())
                .map(|(conversation, last_seq)| ResumePoint {
                    conversation,
                    last_seq,
                })
        })
        .into_iter()
        .collect();
    CustomerToServer::Hello {
        protocol: PROTOCOL_VERSION,
        token,
        user,
        resume,
    }
}

async fn fetch_text(request: web_sys::Request) -> Result<(u16, String), ()> {
    let response: web_sys::Response = JsFuture::from(env::window().fetch_with_request(&request))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    let text = JsFuture::from(response.text().map_err(|_| ())?)
        .await
        .map_err(|_| ())?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// Asks the public stats route whether anyone serves the queue; `None` when unknown.
pub(crate) async fn queue_has_attendants(config: &Config) -> Option<bool> {
    let queue = config.queue_id.as_deref().unwrap_or("default");
    let url = config.api_url(&format!(
        "/api/stats/{}",
        js_sys::encode_uri_component(queue)
    ));
    let request = web_sys::Request::new_with_str(&url).ok()?;
    let (status, body) = fetch_text(request).await.ok()?;
    if status != 200 {
        return None;
    }
    let o = wire::get(&wire::parse(&body)?, "observations");
    let n = |k| wire::number(&o, k).unwrap_or(0.0);
    o.is_object()
        .then(|| n("availableAgents") + n("busyAgents") > 0.0)
}

/// `POST /api/callback`; the server's error message on failure.
pub(crate) async fn request_callback(
    config: &Config,
    body: &chimpassist_protocol::rest::CallbackRequest,
) -> Result<(), String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let json = Json::new()
        .s("name", &body.name)
        .opt("phone", body.phone.as_deref())
        .opt("email", body.email.as_deref())
        .opt("preferred_time", body.preferred_time.as_deref())
        .opt("queue", body.queue.as_ref().map(|q| q.as_str()))
        .opt("note", body.note.as_deref());
    init.set_body(&wasm_bindgen::JsValue::from_str(&json.text()));
    let headers = web_sys::Headers::new().map_err(|_| "headers".to_string())?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&config.api_url("/api/callback"), &init)
        .map_err(|_| "request".to_string())?;
    match fetch_text(request).await {
        Ok((status, _)) if (200..300).contains(&status) => Ok(()),
        Ok((_, body)) => Err(wire::parse(&body)
            .and_then(|e| wire::string(&e, "message"))
            .unwrap_or(body)),
        Err(()) => Err("network error".into()),
    }
}
