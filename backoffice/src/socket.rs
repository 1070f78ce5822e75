//! The attendant WebSocket: `hello` with a resume point per conversation we hold messages
//! of, frames dispatched into [`Desk`], reconnect with backoff, a heartbeat, and our unacked
//! messages resent (same client id, so never stored twice) after each `welcome`.
//!
//! How it closed decides what follows ([`AfterClose`]): an ended session goes back to
//! sign-in at once, saying so; a change of role or queues reads `/api/me` again and
//! reconnects at once, keeping what is on screen; anything else reconnects with backoff.

use std::cell::RefCell;
use std::time::Duration;

use chimpassist_protocol::{
    AttendantToServer, AttendantView, ClientMessageId, ConversationId, MessageText, MessageView,
    PROTOCOL_VERSION, Party, ReceiptKind, ResumePoint, Sender, ServerToAttendant, TypingState,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::app::Ctx;
use crate::desk::Conn;
use crate::session::{AfterClose, backoff_ms};
use crate::thread::Pending;
use crate::{api, env};

const HEARTBEAT: Duration = Duration::from_secs(10);
const PAGE: u32 = 30;

#[derive(Default)]
struct Socket {
    ctx: Option<Ctx>,
    ws: Option<WebSocket>,
    generation: u32,
    /// Connections tried since the last `welcome` (0: welcomed).
    attempt: u32,
    stopped: bool,
    /// The heartbeat timer runs (one for the page's life, whoever signs in).
    beating: bool,
    composing_since: HashMapLite,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

/// Last `composing` sent per conversation (few entries; a Vec is enough).
#[derive(Default)]
struct HashMapLite(Vec<(ConversationId, i64)>);

thread_local! {
    static SOCKET: RefCell<Socket> = RefCell::new(Socket::default());
}

pub(crate) fn start(ctx: Ctx) {
    let beating = SOCKET.with_borrow_mut(|s| {
        s.ctx = Some(ctx);
        s.stopped = false;
        s.attempt = 0;
        std::mem::replace(&mut s.beating, true)
    });
    connect();
    if beating {
        return;
    }
    let handle = set_interval_with_handle(
        || {
            send(&AttendantToServer::Heartbeat);
            if let Some(ctx) = SOCKET.with_borrow(|s| s.ctx) {
                ctx.desk.now.set(env::now_ms());
            }
        },
        HEARTBEAT,
    );
    std::mem::forget(handle);
}

/// Closes for good (logout).
pub(crate) fn stop() {
    SOCKET.with_borrow_mut(|s| {
        s.stopped = true;
        s.generation += 1;
        if let Some(ws) = s.ws.take() {
            let _ = ws.close();
        }
    });
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

fn connect() {
    let Some(ctx) = SOCKET.with_borrow(|s| s.ctx) else {
        return;
    };
    let Ok(ws) = WebSocket::new(&url()) else {
        schedule_reconnect();
        return;
    };
    ctx.desk
        .conn
        .set(if ctx.desk.conn.get_untracked() == Conn::Lost {
            Conn::Lost
        } else {
            Conn::Connecting
        });
    let generation = SOCKET.with_borrow_mut(|s| {
        s.generation += 1;
        s.generation
    });
    let current = move || SOCKET.with_borrow(|s| s.generation == generation && !s.stopped);

    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current() {
            send(&hello(ctx));
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
            Ok(frame) => dispatch(ctx, frame),
            Err(e) => leptos::logging::warn!("unreadable frame: {e}"),
        }
    });
    let on_close = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        if !current() {
            return;
        }
        let code = ev.dyn_ref::<CloseEvent>().map_or(1006, CloseEvent::code);
        let welcomed = SOCKET.with_borrow(|s| s.attempt == 0);
        match AfterClose::of(code, welcomed) {
            AfterClose::SignIn => ctx.session_ended(),
            AfterClose::Rejoin => rejoin(ctx),
            AfterClose::Retry => {
                ctx.desk.conn.set(Conn::Lost);
                // A refused upgrade (the login expired or was revoked) looks like any other
                // lost connection to the browser: ask the server whether we are still
                // signed in, and whether a password change comes first.
                leptos::task::spawn_local(async move {
                    match api::get::<AttendantView>("/api/me").await {
                        Err(e) if e.is_unauthenticated() => ctx.session_ended(),
                        Ok(me) if me.must_change_password => ctx.password_change_required(),
                        _ => schedule_reconnect(),
                    }
                });
            }
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    SOCKET.with_borrow_mut(|s| {
        if let Some(old) = s.ws.replace(ws) {
            let _ = old.close();
        }
        s._handlers = vec![on_open, on_message, on_close];
    });
}

fn schedule_reconnect() {
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

/// The role or queues changed: the session is still good, so no banner and no wait. The
/// new rights are read first (the admin menu follows the role), then the socket reconnects;
/// the lists and the messages not yet acknowledged stay, and the `welcome` sorts out which
/// conversations may still be shown.
fn rejoin(ctx: Ctx) {
    SOCKET.with_borrow_mut(|s| s.attempt = s.attempt.saturating_add(1));
    ctx.desk.conn.set(Conn::Connecting);
    leptos::task::spawn_local(async move {
        match api::get::<AttendantView>("/api/me").await {
            Err(e) if e.is_unauthenticated() => ctx.session_ended(),
            Ok(me) if me.must_change_password => ctx.password_change_required(),
            Ok(me) => {
                ctx.me.set(Some(me));
                reconnect_now();
            }
            // The server is not answering: the welcome brings `me` once it does.
            Err(_) => reconnect_now(),
        }
    });
}

fn reconnect_now() {
    if !SOCKET.with_borrow(|s| s.stopped) {
        connect();
    }
}

fn hello(ctx: Ctx) -> AttendantToServer {
    let resume = ctx.desk.entries.with_untracked(|all| {
        all.values()
            .filter_map(|e| {
                e.thread.with_untracked(|t| {
                    (t.loaded && !t.messages.is_empty()).then(|| ResumePoint {
                        conversation: e.id,
                        last_seq: t.contiguous_seq(),
                    })
                })
            })
            .collect()
    });
    AttendantToServer::Hello {
        protocol: PROTOCOL_VERSION,
        resume,
    }
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

/// Queues our message as pending and sends it; it stays pending (and is resent after a
/// reconnect) until its ack arrives.
pub(crate) fn send_message(ctx: Ctx, conversation: ConversationId, text: MessageText) {
    let client_id = ClientMessageId::new();
    if let Some(e) = ctx.desk.entry(&conversation) {
        e.thread.update(|t| {
            t.pending.push(Pending {
                client_id,
                text: text.as_str().to_owned(),
                at: env::now_ms(),
                failed: None,
            })
        });
    }
    typing(conversation, TypingState::Paused);
    send(&AttendantToServer::Send {
        conversation,
        client_id,
        text,
    });
}

/// Our typing state: `composing` at most every 4 s; `paused` when sent or abandoned.
pub(crate) fn typing(conversation: ConversationId, state: TypingState) {
    let now = env::now_ms();
    let go = SOCKET.with_borrow_mut(|s| {
        let list = &mut s.composing_since.0;
        let at = list.iter().position(|(c, _)| *c == conversation);
        match (state, at) {
            (TypingState::Composing, Some(i)) if now - list[i].1 < 4000 => false,
            (TypingState::Composing, Some(i)) => {
                list[i].1 = now;
                true
            }
            (TypingState::Composing, None) => {
                list.push((conversation, now));
                true
            }
            (TypingState::Paused, Some(i)) => {
                list.remove(i);
                true
            }
            (TypingState::Paused, None) => false,
        }
    });
    if go {
        send(&AttendantToServer::Typing {
            conversation,
            state,
        });
    }
}

/// Asks for the page before the oldest message held (or the newest page).
pub(crate) fn load_history(ctx: Ctx, conversation: ConversationId, older: bool) {
    let Some(e) = ctx.desk.entry(&conversation) else {
        return;
    };
    let before_seq = if older {
        if e.loading_older.get_untracked() || !e.thread.with_untracked(|t| t.more) {
            return;
        }
        e.loading_older.set(true);
        e.thread.with_untracked(|t| t.oldest_seq())
    } else {
        None
    };
    send(&AttendantToServer::History {
        conversation,
        before_seq,
        limit: Some(PAGE),
    });
}

/// Marks everything the customer wrote in `conversation` as read (when it is on screen).
pub(crate) fn mark_read(ctx: Ctx, conversation: ConversationId) {
    let Some(e) = ctx.desk.entry(&conversation) else {
        return;
    };
    let (newest, read) = e
        .thread
        .with_untracked(|t| (t.newest_customer_seq(), t.receipts.attendant_read));
    let mine = e.view.with_untracked(|v| {
        v.status.is_open()
            && ctx.me.with_untracked(|me| {
                me.as_ref().map(|m| &m.id) == v.attendant.as_ref().map(|a| &a.id)
            })
    });
    if newest > read && mine {
        let sent = send(&AttendantToServer::Receipt {
            conversation,
            kind: ReceiptKind::Read,
            up_to_seq: newest,
        });
        if sent {
            e.thread.update(|t| t.receipts.attendant_read = newest);
        }
    }
}

fn resend_pending(ctx: Ctx) {
    ctx.desk.entries.with_untracked(|all| {
        for e in all.values() {
            let pending: Vec<Pending> = e.thread.with_untracked(|t| {
                t.pending
                    .iter()
                    .filter(|p| p.failed.is_none())
                    .cloned()
                    .collect()
            });
            for p in pending {
                if let Ok(text) = MessageText::parse(p.text, usize::MAX) {
                    send(&AttendantToServer::Send {
                        conversation: e.id,
                        client_id: p.client_id,
                        text,
                    });
                }
            }
        }
    });
}

fn dispatch(ctx: Ctx, frame: ServerToAttendant) {
    let desk = ctx.desk;
    match frame {
        ServerToAttendant::Welcome {
            me,
            presence,
            conversations,
            max_text_bytes,
            ..
        } => {
            SOCKET.with_borrow_mut(|s| s.attempt = 0);
            ctx.me.set(Some(me));
            desk.presence.set(presence);
            desk.max_text.set(max_text_bytes);
            let listed: Vec<ConversationId> = conversations.iter().map(|c| c.id).collect();
            for c in conversations {
                desk.upsert(c);
            }
            // Conversations that ended or moved while we were away are no longer listed by
            // the server: refresh them so that they leave our lists too.
            let stale: Vec<ConversationId> = desk.entries.with_untracked(|all| {
                all.values()
                    .filter(|e| {
                        !listed.contains(&e.id) && e.view.with_untracked(|v| v.status.is_open())
                    })
                    .map(|e| e.id)
                    .collect()
            });
            for id in stale {
                ctx.refresh_conversation(id);
            }
            desk.conn.set(Conn::Open);
            resend_pending(ctx);
            if let Some(id) = desk.selected.get_untracked()
                && desk
                    .entry(&id)
                    .is_some_and(|e| !e.thread.with_untracked(|t| t.loaded))
            {
                load_history(ctx, id, false);
            }
        }
        ServerToAttendant::Assigned { conversation } => {
            let name = conversation.customer.name.clone();
            let entry = desk.upsert(conversation);
            if env::hidden() {
                env::alert(&crate::i18n::fill(ctx.t().desk.new_assignment, &name), "");
            }
            if desk.selected.get_untracked().is_none() {
                ctx.select(entry.id);
            }
        }
        ServerToAttendant::Unassigned { conversation, .. } => {
            ctx.refresh_conversation(conversation);
        }
        ServerToAttendant::Conversation { conversation } => {
            desk.upsert(conversation);
        }
        ServerToAttendant::Withdrawn { conversation } => ctx.withdrawn(conversation),
        ServerToAttendant::Message { message } => on_message(ctx, message),
        ServerToAttendant::Ack {
            conversation,
            client_id,
            seq,
            timestamp,
        } => {
            let (Some(e), Some(me)) = (desk.entry(&conversation), ctx.me.get_untracked()) else {
                return;
            };
            e.thread.update(|t| {
                let Some(p) = t.pending.iter().find(|p| p.client_id == client_id).cloned() else {
                    return;
                };
                if let Ok(text) = MessageText::parse(p.text, usize::MAX) {
                    t.insert(MessageView {
                        conversation,
                        seq,
                        client_id,
                        from: Sender {
                            party: Party::Attendant,
                            id: me.id.to_string(),
                            name: me.name.clone(),
                        },
                        text,
                        timestamp,
                    });
                }
            });
        }
        ServerToAttendant::Receipt {
            conversation,
            receipts,
        } => {
            if let Some(e) = desk.entry(&conversation) {
                e.thread.update(|t| t.merge_receipts(&receipts));
            }
        }
        ServerToAttendant::Typing {
            conversation,
            state,
        } => {
            if let Some(e) = desk.entry(&conversation) {
                let composing = state == TypingState::Composing;
                e.typing.set(composing);
                if composing {
                    // The widget repeats `composing` every few seconds while typing; silence
                    // for longer than that means it stopped without saying so.
                    set_timeout(move || e.typing.set(false), Duration::from_secs(7));
                }
            }
        }
        ServerToAttendant::CustomerPresence { customer, state } => {
            desk.set_customer_presence(&customer, state);
        }
        ServerToAttendant::Presence { presence } => desk.presence.set(presence),
        ServerToAttendant::Queue {
            queue,
            observations,
        } => desk.observations.update(|o| {
            o.insert(queue, observations);
        }),
        ServerToAttendant::History {
            conversation,
            messages,
            more,
        } => {
            if let Some(e) = desk.entry(&conversation) {
                let older = e.loading_older.get_untracked();
                e.thread.update(|t| t.insert_page(messages, more, older));
                e.loading_older.set(false);
                if desk.selected.get_untracked() == Some(conversation) && !env::hidden() {
                    mark_read(ctx, conversation);
                }
            }
        }
        ServerToAttendant::Resync { conversation, .. } => {
            if let Some(e) = desk.entry(&conversation) {
                e.thread.update(|t| {
                    t.messages.clear();
                    t.loaded = false;
                });
                load_history(ctx, conversation, false);
            }
        }
        ServerToAttendant::Error {
            message, client_id, ..
        } => match client_id {
            Some(id) => {
                desk.entries.with_untracked(|all| {
                    for e in all.values() {
                        e.thread.update(|t| t.fail(id, message.clone()));
                    }
                });
            }
            None => ctx.toast(message),
        },
        ServerToAttendant::Pong { .. } => {}
        ServerToAttendant::Note { note } => crate::ui::notes::received(ctx, note),
    }
}

fn on_message(ctx: Ctx, message: MessageView) {
    let conversation = message.conversation;
    let Some(e) = ctx.desk.entry(&conversation) else {
        return;
    };
    let from_customer = message.from.party == Party::Customer;
    let (seq, name) = (message.seq, message.from.name.clone());
    let preview = crate::format::preview(message.text.as_str(), 120);
    let added = e.thread.try_update(|t| t.insert(message)).unwrap_or(false);
    if !added || !from_customer {
        return;
    }
    e.typing.set(false);
    send(&AttendantToServer::Receipt {
        conversation,
        kind: ReceiptKind::Delivered,
        up_to_seq: seq,
    });
    if env::hidden() {
        env::alert(
            &crate::i18n::fill(ctx.t().desk.new_message, &name),
            &preview,
        );
    } else if ctx.desk.selected.get_untracked() == Some(conversation) {
        mark_read(ctx, conversation);
    }
}
