//! The widget's state (reactive signals) and what each server frame does to it.
//!
//! Every signal lives in [`Chat`], which is `Copy`, so views and socket callbacks share it
//! without reference counting. The socket itself lives in [`crate::net`].

use chimpassist_protocol::{
    ClientMessageId, ConversationStatus, ConversationView, CustomerPresence, CustomerToServer,
    CustomerView, ErrorCode, MessageText, Party, PreChat, QueueId, Rating, ReceiptKind, Sender,
    Seq, ServerToCustomer, TypingState,
};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::config::Config;
use crate::env::{self, Bridge};
use crate::i18n::Texts;
use crate::net;
use crate::timeline::{Pending, Timeline};
use crate::wire::{self, Json};

/// The socket as the visitor is told about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Conn {
    Connecting,
    Online,
    Reconnecting,
    /// The server refused us for good (e.g. identity verification required).
    Refused(String),
}

/// What the panel shows when there is no conversation to chat in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Screen {
    Home,
    Callback,
    CallbackSent,
    Chat,
    /// Derived, never stored: the chat was asked for and the conversation is on its way.
    Starting,
}

/// What changes rarely about the visitor's session, in one signal.
///
/// Why one: every distinct signal type costs the widget about 2 KB of WASM (the reactive
/// graph's code is generic over it), and these change together, a few times per chat.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) customer: Option<CustomerView>,
    pub(crate) conversation: Option<ConversationView>,
    /// Position and estimated wait (seconds) while queued.
    pub(crate) queue: Option<(u32, u32)>,
    /// Whether any attendant of the queue is around (`None` until known).
    pub(crate) available: Option<bool>,
    pub(crate) screen: Screen,
    /// The server's last complaint that is not about one message.
    pub(crate) notice: Option<String>,
    pub(crate) max_text: usize,
}

impl Session {
    pub(crate) fn is_open_conversation(&self) -> bool {
        self.conversation
            .as_ref()
            .is_some_and(|c| c.status.is_open())
    }
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
    read_sent: RwSignal<Seq>,
    delivered_sent: RwSignal<Seq>,
}

impl Chat {
    pub(crate) fn new(config: &'static Config, t: &'static Texts, bridge: Bridge) -> Self {
        let mut timeline = Timeline::default();
        for p in load_outbox(config) {
            timeline.add_pending(p);
        }
        Self {
            config,
            t,
            bridge: StoredValue::new_local(bridge),
            conn: RwSignal::new(Conn::Connecting),
            session: RwSignal::new(Session {
                customer: None,
                conversation: None,
                queue: None,
                available: None,
                screen: Screen::Home,
                notice: None,
                max_text: chimpassist_protocol::DEFAULT_MAX_TEXT_BYTES,
            }),
            timeline: RwSignal::new(timeline),
            attendant_typing: RwSignal::new(false),
            open: RwSignal::new(false),
            visible: RwSignal::new(env::page_visible()),
            loading_older: RwSignal::new(false),
            unread: RwSignal::new(0),
            read_sent: RwSignal::new(0),
            delivered_sent: RwSignal::new(0),
        }
    }

    pub(crate) fn emit(&self, event: &str, detail: JsValue) {
        self.bridge.with_value(|b| b.emit(event, detail));
    }

    pub(crate) fn is_open_conversation(&self) -> bool {
        self.session.with(Session::is_open_conversation)
    }

    /// The current conversation's id (untracked: for actions, not views).
    pub(crate) fn conversation_id(&self) -> Option<chimpassist_protocol::ConversationId> {
        self.session
            .with_untracked(|s| s.conversation.as_ref().map(|c| c.id))
    }

    pub(crate) fn set_screen(&self, screen: Screen) {
        self.session.update(|s| s.screen = screen);
    }

    /// Forgets everything about the current visitor (identity rotation).
    pub(crate) fn forget(&self) {
        self.session.update(|s| {
            s.customer = None;
            s.conversation = None;
            s.queue = None;
            s.screen = Screen::Home;
        });
        self.timeline.set(Timeline::default());
        self.attendant_typing.set(false);
        self.unread.set(0);
        self.read_sent.set(0);
        self.delivered_sent.set(0);
        env::remove(&self.config.storage_key("outbox"));
        self.sync_badge();
    }

    // --- what the visitor does ---------------------------------------------------------

    pub(crate) fn start_chat(&self, prechat: PreChat) {
        let queue = self
            .config
            .queue_id
            .as_deref()
            .and_then(|q| QueueId::parse(q).ok());
        let prechat = (prechat != PreChat::default()).then_some(prechat);
        self.set_screen(Screen::Chat);
        net::send(&CustomerToServer::StartChat { queue, prechat });
    }

    /// Queues a message: shown at once as pending, persisted so a reload cannot lose it,
    /// and sent now or after the next reconnect with the same client id.
    pub(crate) fn send_text(&self, raw: &str) -> Result<(), String> {
        let Some(conversation) = self.conversation_id() else {
            return Err(self.t.error.into());
        };
        let max = self.session.with_untracked(|s| s.max_text);
        let text = MessageText::parse(raw, max).map_err(|e| e.message.clone())?;
        let pending = Pending {
            conversation,
            client_id: ClientMessageId::new(),
            text: text.clone(),
            at: env::now_ms(),
            failed: None,
        };
        let frame = CustomerToServer::Send {
            conversation,
            client_id: pending.client_id,
            text,
        };
        self.timeline.update(|t| t.add_pending(pending));
        self.save_outbox();
        net::typing(TypingState::Paused);
        net::send(&frame);
        Ok(())
    }

    pub(crate) fn end_chat(&self) {
        if let Some(id) = self.conversation_id() {
            net::send(&CustomerToServer::EndChat { conversation: id });
        }
    }

    pub(crate) fn rate(&self, score: u8, comment: String) {
        if let Some(id) = self.conversation_id() {
            let comment = (!comment.trim().is_empty()).then_some(comment);
            net::send(&CustomerToServer::Rate {
                conversation: id,
                rating: Rating { score, comment },
            });
        }
    }

    pub(crate) fn load_older(&self) {
        let (conversation, before) = self
            .timeline
            .with(|t| (t.conversation().cloned(), t.oldest_seq()));
        if let Some(conversation) = conversation
            && !self.loading_older.get_untracked()
        {
            self.loading_older.set(true);
            net::send(&CustomerToServer::History {
                conversation,
                before_seq: before,
                limit: Some(30),
            });
        }
    }

    /// Tells the server what the visitor has seen: read when the panel is open and the
    /// tab visible, delivered otherwise.
    pub(crate) fn acknowledge(&self) {
        let Some(conversation) = self.timeline.with_untracked(|t| t.conversation().cloned()) else {
            return;
        };
        let Some(newest) = self
            .timeline
            .with_untracked(Timeline::newest_from_attendant)
        else {
            return;
        };
        let seen = self.open.get_untracked() && self.visible.get_untracked();
        if newest > self.delivered_sent.get_untracked() {
            self.delivered_sent.set(newest);
            if !seen {
                net::send(&CustomerToServer::Receipt {
                    conversation,
                    kind: ReceiptKind::Delivered,
                    up_to_seq: newest,
                });
            }
        }
        if seen && newest > self.read_sent.get_untracked() {
            self.read_sent.set(newest);
            net::send(&CustomerToServer::Receipt {
                conversation,
                kind: ReceiptKind::Read,
                up_to_seq: newest,
            });
        }
        if seen {
            self.unread.set(0);
            self.sync_badge();
        }
    }

    pub(crate) fn presence_changed(&self) {
        let active = self.visible.get_untracked();
        net::send(&CustomerToServer::Presence {
            state: if active {
                CustomerPresence::Active
            } else {
                CustomerPresence::Inactive
            },
        });
        self.acknowledge();
    }

    pub(crate) fn sync_badge(&self) {
        let unread = self.unread.get_untracked() as u32;
        self.bridge.with_value(|b| b.badge(unread));
        crate::title::show_unread(unread, self.t.new_message);
    }

    fn save_outbox(&self) {
        let pending: Vec<Pending> = self.timeline.with_untracked(|t| t.pending().to_vec());
        let key = self.config.storage_key("outbox");
        if pending.is_empty() {
            env::remove(&key);
            return;
        }
        let list = js_sys::Array::new();
        for p in &pending {
            list.push(
                &Json::new()
                    .s("conversation", &p.conversation.to_string())
                    .s("client_id", &p.client_id.to_string())
                    .s("text", p.text.as_str())
                    .n("at", p.at as f64)
                    .opt("failed", p.failed.as_deref())
                    .value(),
            );
        }
        if let Some(raw) = js_sys::JSON::stringify(&list)
            .ok()
            .and_then(|s| s.as_string())
        {
            env::save(&key, &raw);
        }
    }

    // --- what the server says ----------------------------------------------------------

    /// Applies one frame from the server.
    pub(crate) fn on_frame(&self, frame: ServerToCustomer) {
        match frame {
            ServerToCustomer::Welcome {
                customer,
                token,
                conversation,
                max_text_bytes,
                ..
            } => {
                net::welcomed(&token);
                self.session.update(|s| {
                    s.max_text = max_text_bytes as usize;
                    s.customer = Some(customer);
                    s.notice = None;
                });
                self.conn.set(Conn::Online);
                if let Some(c) = conversation {
                    self.show_conversation(c, false);
                } else {
                    self.refresh_availability();
                }
                self.resend_pending();
            }
            ServerToCustomer::Conversation { conversation } => {
                self.show_conversation(conversation, true)
            }
            ServerToCustomer::QueueStatus {
                conversation,
                position,
                ewt_seconds,
            } => {
                if self.is_current(&conversation) {
                    self.session
                        .update(|s| s.queue = Some((position, ewt_seconds)));
                }
            }
            ServerToCustomer::Assigned {
                conversation,
                attendant,
            } => {
                if self.is_current(&conversation) {
                    self.session.update(|s| {
                        s.queue = None;
                        if let Some(c) = &mut s.conversation {
                            c.attendant = Some(attendant);
                            if c.status == ConversationStatus::Queued {
                                c.status = ConversationStatus::Assigned;
                            }
                        }
                    });
                }
            }
            ServerToCustomer::Message { message } => self.on_message(message),
            ServerToCustomer::Ack {
                client_id,
                seq,
                timestamp,
                ..
            } => {
                let me = self.me();
                self.timeline
                    .update(|t| t.ack(&client_id, seq, timestamp, &me));
                self.save_outbox();
            }
            ServerToCustomer::Receipt {
                conversation,
                receipts,
            } => {
                if self.is_current(&conversation) {
                    self.timeline.update(|t| t.receipts = receipts);
                }
            }
            ServerToCustomer::Typing {
                conversation,
                state,
            } => {
                if self.is_current(&conversation) {
                    self.attendant_typing.set(state == TypingState::Composing);
                }
            }
            ServerToCustomer::History {
                conversation,
                messages,
                more,
            } => {
                if self.is_current(&conversation) {
                    self.timeline.update(|t| {
                        t.insert_page(messages, more);
                    });
                    self.loading_older.set(false);
                    self.acknowledge();
                }
            }
            ServerToCustomer::Resync { conversation, .. } => {
                // Too far behind for a replay: start again from the newest page.
                if self.is_current(&conversation) {
                    self.timeline.update(|t| {
                        let pending = t.pending().to_vec();
                        *t = Timeline::default();
                        for p in pending {
                            t.add_pending(p);
                        }
                        t.switch_to(conversation);
                    });
                    self.load_older();
                }
            }
            ServerToCustomer::Error {
                code,
                message,
                client_id,
                ..
            } => self.on_error(code, message, client_id),
            ServerToCustomer::Pong { .. } => {}
        }
    }

    fn on_error(&self, code: ErrorCode, message: String, client_id: Option<ClientMessageId>) {
        if let Some(id) = client_id {
            self.timeline.update(|t| t.fail(&id, message));
            self.save_outbox();
            return;
        }
        if self.session.with_untracked(|s| s.customer.is_none())
            && matches!(
                code,
                ErrorCode::VerificationRequired
                    | ErrorCode::Forbidden
                    | ErrorCode::Unauthenticated
                    | ErrorCode::UnsupportedVersion
            )
        {
            // Refused at hello: retrying would only be refused again.
            net::stop();
            self.conn.set(Conn::Refused(message));
            return;
        }
        env::warn(&format!("{}: {message}", code.as_str()));
        self.session.update(|s| s.notice = Some(message));
    }

    fn on_message(&self, message: chimpassist_protocol::MessageView) {
        if !self.is_current(&message.conversation) {
            return;
        }
        let from_attendant = message.from.party == Party::Attendant;
        let detail = Json::new()
            .s("conversation", &message.conversation.to_string())
            .n("seq", message.seq as f64)
            .s("text", message.text.as_str())
            .s(
                "from",
                if from_attendant {
                    "attendant"
                } else {
                    "customer"
                },
            )
            .s("name", &message.from.name)
            .value();
        let new = self
            .timeline
            .try_update(|t| t.insert(message))
            .unwrap_or(false);
        if !new {
            return;
        }
        self.save_outbox();
        self.emit("message", detail);
        if from_attendant {
            self.attendant_typing.set(false);
            let seen = self.open.get_untracked() && self.visible.get_untracked();
            if !seen {
                self.unread.update(|n| *n += 1);
                self.sync_badge();
                if self.config.sound {
                    env::chime();
                }
            }
            self.acknowledge();
        }
    }

    fn show_conversation(&self, c: ConversationView, live: bool) {
        let (same, was_open) = self.session.with_untracked(|s| {
            let previous = s.conversation.as_ref();
            (
                previous.is_some_and(|p| p.id == c.id),
                previous.is_some_and(|p| p.status.is_open()),
            )
        });
        let is_open = c.status.is_open();
        let id = c.id;
        if !same {
            self.timeline.update(|t| t.switch_to(id));
            self.read_sent.set(0);
            self.delivered_sent.set(0);
        }
        let detail = Json::new()
            .s("conversation", &id.to_string())
            .s("status", c.status.as_str())
            .value();
        self.session.update(|s| {
            if !same || c.status != ConversationStatus::Queued {
                s.queue = None;
            }
            s.conversation = Some(c);
            if is_open || live {
                s.screen = Screen::Chat;
            }
        });
        if self.timeline.with_untracked(Timeline::is_empty) || !same && is_open {
            self.load_older();
        }
        if live && is_open && (!same || !was_open) {
            self.emit("conversation-started", detail);
        } else if live && was_open && !is_open {
            self.attendant_typing.set(false);
            self.emit("conversation-ended", detail);
        }
    }

    /// After a (re)connect: everything not acknowledged goes again, same client ids, so
    /// the server stores each exactly once.
    fn resend_pending(&self) {
        let frames: Vec<_> = self.timeline.with_untracked(|t| {
            t.unsent()
                .map(|p| CustomerToServer::Send {
                    conversation: p.conversation,
                    client_id: p.client_id,
                    text: p.text.clone(),
                })
                .collect()
        });
        for f in &frames {
            net::send(f);
        }
    }

    pub(crate) fn refresh_availability(&self) {
        let chat = *self;
        leptos::task::spawn_local(async move {
            let available = net::queue_has_attendants(chat.config).await;
            chat.session.update(|s| s.available = available);
        });
    }

    fn is_current(&self, id: &chimpassist_protocol::ConversationId) -> bool {
        self.conversation_id().as_ref() == Some(id)
    }

    fn me(&self) -> Sender {
        self.session.with_untracked(|s| Sender {
            party: Party::Customer,
            id: s
                .customer
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            name: s
                .customer
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        })
    }
}

/// Messages a previous page load could not get acknowledged: they are sent again.
fn load_outbox(config: &Config) -> Vec<Pending> {
    let Some(list) = env::load(&config.storage_key("outbox"))
        .and_then(|raw| js_sys::JSON::parse(&raw).ok())
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            Some(Pending {
                conversation: chimpassist_protocol::ConversationId::parse(&wire::string(
                    &p,
                    "conversation",
                )?)
                .ok()?,
                client_id: ClientMessageId::parse(&wire::string(&p, "client_id")?).ok()?,
                text: MessageText::parse(wire::string(&p, "text")?, usize::MAX).ok()?,
                at: wire::number(&p, "at").unwrap_or(0.0) as i64,
                failed: wire::string(&p, "failed"),
            })
        })
        .collect()
}
