//! The widget's shell: the reactive signals the view draws, and the one place that runs the
//! pure state machine ([`crate::machine`]) and carries out its effects.
//!
//! Every signal lives in [`Chat`], which is `Copy`, so views and socket callbacks share it
//! without reference counting. Each input lends the signals' values to a
//! [`machine::State`], puts them back, notifies only what changed, then applies the effects
//! (socket, host-page events, localStorage, badge). The socket ([`crate::net`]) only reports
//! to us through the callback installed in [`Chat::connect`]; it never calls in here.

use std::cell::RefCell;
use std::time::Duration;

use chimpassist_protocol::{
    ClientMessageId, FileId, PreChat, QueueId, ServerToCustomer, TypingState,
};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::config::Config;
use crate::env::{self, Bridge};
use crate::i18n::Texts;
use crate::machine::{self, Effect, Event, Memory, SendError, State};
use crate::net::{self, SocketEvent};
use crate::timeline::Timeline;
use crate::wire::{Json, js};
use crate::{api, identity, outbox};

pub(crate) use crate::machine::{Conn, Screen, Session};

thread_local! {
    /// The machine's memory between inputs (nothing draws it, so it is no signal).
    static MEMORY: RefCell<Memory> = RefCell::new(Memory::default());
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Chat {
    pub(crate) config: &'static Config,
    pub(crate) t: &'static Texts,
    pub(crate) bridge: StoredValue<Bridge, LocalStorage>,
    pub(crate) conn: RwSignal<Conn>,
    pub(crate) session: RwSignal<Session>,
    /// The conversation's messages and receipts.
    pub(crate) timeline: RwSignal<Timeline>,
    pub(crate) attendant_typing: RwSignal<bool>,
    pub(crate) open: RwSignal<bool>,
    pub(crate) visible: RwSignal<bool>,
    pub(crate) loading_older: RwSignal<bool>,
    pub(crate) unread: RwSignal<u64>,
}

impl Chat {
    pub(crate) fn new(config: &'static Config, t: &'static Texts, bridge: Bridge) -> Self {
        let mut timeline = Timeline::default();
        let saved = env::load(&config.storage_key("outbox")).and_then(|raw| js::parse(&raw));
        for p in saved.map(|list| outbox::decode(&list)).unwrap_or_default() {
            timeline.add_pending(p);
        }
        Self {
            config,
            t,
            bridge: StoredValue::new_local(bridge),
            conn: RwSignal::new(Conn::Connecting),
            session: RwSignal::new(Session::default()),
            timeline: RwSignal::new(timeline),
            attendant_typing: RwSignal::new(false),
            open: RwSignal::new(false),
            visible: RwSignal::new(env::page_visible()),
            loading_older: RwSignal::new(false),
            unread: RwSignal::new(0),
        }
    }

    /// Runs one input of the machine over the signals' values; redraws what changed.
    fn step<R>(&self, input: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.lend();
        let out = input(&mut state);
        self.put_back(state);
        out
    }

    /// Runs an input and carries out its effects.
    fn run(&self, input: impl FnOnce(&mut State) -> Vec<Effect>) {
        let effects = self.step(input);
        self.apply(effects);
    }

    /// The signals' values as the machine's state, taken out (not cloned) for one input.
    /// Not inlined: [`Self::step`] is instantiated once per input, this only once.
    #[inline(never)]
    fn lend(&self) -> State {
        let mut s = State::new(
            self.session
                .try_update_untracked(std::mem::take)
                .unwrap_or_default(),
            self.timeline
                .try_update_untracked(std::mem::take)
                .unwrap_or_default(),
            MEMORY.take(),
        );
        s.conn = self.conn.get_untracked();
        s.attendant_typing = self.attendant_typing.get_untracked();
        s.loading_older = self.loading_older.get_untracked();
        s.unread = self.unread.get_untracked();
        s.open = self.open.get_untracked();
        s.visible = self.visible.get_untracked();
        s
    }

    /// Puts the state back and notifies only the signals whose value changed.
    #[inline(never)]
    fn put_back(&self, s: State) {
        let (session_changed, timeline_changed) = s.changed();
        MEMORY.set(s.memory);
        self.session.update_untracked(|v| *v = s.session);
        self.timeline.update_untracked(|v| *v = s.timeline);
        if session_changed {
            self.session.notify();
        }
        if timeline_changed {
            self.timeline.notify();
        }
        set_if_changed(self.conn, s.conn);
        set_if_changed(self.attendant_typing, s.attendant_typing);
        set_if_changed(self.loading_older, s.loading_older);
        set_if_changed(self.unread, s.unread);
    }

    #[inline(never)]
    fn apply(&self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Send(frame) => {
                    net::send(&frame);
                }
                Effect::Welcomed(token) => {
                    net::connected();
                    identity::keep_token(self.config, &token);
                }
                Effect::Stop => net::stop(),
                Effect::Emit(event) => self.emit(event),
                Effect::SaveOutbox(pending) => {
                    let key = self.config.storage_key("outbox");
                    if pending.is_empty() {
                        env::remove(&key);
                    } else {
                        env::save(&key, &js::stringify(&outbox::encode(&pending)));
                    }
                }
                Effect::Badge(unread) => {
                    let unread = unread as u32;
                    self.bridge.with_value(|b| b.badge(unread));
                    crate::title::show_unread(unread, self.t.new_message);
                }
                Effect::Alert => {
                    if self.config.sound {
                        net::chime();
                    }
                }
                Effect::CheckAvailability => self.refresh_availability(),
                Effect::Warn(message) => env::warn(&message),
            }
        }
    }

    fn emit(&self, event: Event) {
        let (name, detail) = match event {
            Event::Message {
                conversation,
                seq,
                text,
                from,
                name,
            } => (
                "message",
                Json::<JsValue>::new()
                    .s("conversation", &conversation.to_string())
                    .n("seq", seq as f64)
                    .s("text", &text)
                    .s("from", from.as_str())
                    .s("name", &name),
            ),
            Event::Started {
                conversation,
                status,
            } => ("conversation-started", status_detail(conversation, status)),
            Event::Ended {
                conversation,
                status,
            } => ("conversation-ended", status_detail(conversation, status)),
        };
        self.bridge.with_value(|b| b.emit(name, detail.value()));
    }

    pub(crate) fn is_open_conversation(&self) -> bool {
        self.session.with(Session::is_open_conversation)
    }

    pub(crate) fn set_screen(&self, screen: Screen) {
        self.session.update(|s| s.screen = screen);
    }

    // --- what the socket says ----------------------------------------------------------

    /// Connects (after forgetting the stored visitor when `reset`) and handles the socket's
    /// events for as long as the page lives; the call chunk draws in `root`.
    pub(crate) fn connect(self, reset: bool, root: web_sys::HtmlElement) {
        if reset {
            identity::forget_token(self.config);
            self.forget();
        }
        net::start(
            self.config.socket_url(),
            root,
            self.t,
            move |event| match event {
                SocketEvent::Connecting => self.step(State::connecting),
                SocketEvent::Open => {
                    let resume = self.step(|s| s.resume());
                    net::send(&identity::hello(self.config, resume));
                }
                SocketEvent::Frame(frame) => self.on_frame(frame),
                SocketEvent::Closed => self.step(State::closed),
            },
        );
    }

    fn on_frame(&self, frame: ServerToCustomer) {
        self.run(|s| s.on_frame(frame));
    }

    /// Rotates identity: forget the token (unless the new user is the same), drop this
    /// visitor's state and reconnect as the new one.
    pub(crate) fn set_user(
        &self,
        user: Option<chimpassist_protocol::UserClaim>,
        forget_token: bool,
    ) {
        identity::set_user(user);
        if forget_token {
            identity::forget_token(self.config);
        }
        self.forget();
        net::reconnect_now();
    }

    // --- what the visitor does ---------------------------------------------------------

    /// Forgets everything about the current visitor (identity rotation).
    pub(crate) fn forget(&self) {
        self.run(State::forget);
    }

    pub(crate) fn start_chat(&self, prechat: PreChat) {
        let queue = self
            .config
            .queue_id
            .as_deref()
            .and_then(|q| QueueId::parse(q).ok());
        self.run(|s| s.start_chat(queue, prechat));
    }

    pub(crate) fn leave_email(&self, email: String) {
        self.run(|s| s.leave_email(email));
    }

    /// Queues a message (see [`State::send_text`]) with the files uploaded so far; the
    /// reason shown when it cannot be.
    pub(crate) fn send_text(
        &self,
        raw: &str,
        files: Vec<FileId>,
        names: String,
    ) -> Result<(), String> {
        let now = env::now_ms();
        match self.step(|s| s.send_text(raw, files, names, ClientMessageId::new(), now)) {
            Ok(effects) => {
                self.apply(effects);
                Ok(())
            }
            Err(SendError::NoConversation) => Err(self.t.error.into()),
            Err(SendError::Invalid(why)) => Err(why),
        }
    }

    /// A keystroke in the composer; `paused` follows by itself after a lull.
    pub(crate) fn typing(&self) {
        let chat = *self;
        self.run(|s| s.typing(TypingState::Composing, env::now_ms()));
        set_timeout(
            move || chat.run(|s| s.typing_idle(env::now_ms())),
            Duration::from_millis(machine::PAUSED_AFTER_MS as u64 + 100),
        );
    }

    pub(crate) fn end_chat(&self) {
        self.run(|s| s.end_chat());
    }

    pub(crate) fn rate(&self, score: u8, comment: String) {
        self.run(|s| s.rate(score, comment));
    }

    pub(crate) fn load_older(&self) {
        self.run(State::load_older);
    }

    /// Read or delivered receipts for what the visitor has (not) seen.
    pub(crate) fn acknowledge(&self) {
        self.run(State::acknowledge);
    }

    pub(crate) fn presence_changed(&self) {
        self.run(State::presence_changed);
    }

    pub(crate) fn refresh_availability(&self) {
        let chat = *self;
        leptos::task::spawn_local(async move {
            let known = api::queue_has_attendants(chat.config).await;
            chat.session.update(|s| {
                s.available = known.map(|(available, _)| available);
                s.opens_at = known.and_then(|(_, at)| at);
            });
        });
    }
}

fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|v| *v != value) {
        signal.set(value);
    }
}

fn status_detail(
    conversation: chimpassist_protocol::ConversationId,
    status: chimpassist_protocol::ConversationStatus,
) -> Json<JsValue> {
    Json::new()
        .s("conversation", &conversation.to_string())
        .s("status", status.as_str())
}
