//! JSON in and out of the widget without serde.
//!
//! The frames are the protocol crate's own types; only the (de)serialisation is done here,
//! through the browser's `JSON` and property access. serde's derived code for the protocol's
//! tagged enums (plus serde_json) was ~40% of the widget's WebAssembly, and the widget ships
//! to every visitor. `crates/protocol/tests/frames.rs` fixes the wire shapes both sides use.

use chimpassist_protocol::{
    AttendantId, AttendantPublic, ClientMessageId, ConversationId, ConversationStatus,
    ConversationView, CustomerId, CustomerPresence, CustomerToServer, CustomerView, ErrorCode,
    MessageText, MessageView, Party, PreChat, QueueId, Rating, ReceiptKind, Receipts, Sender,
    ServerToCustomer, TypingState, UserClaim,
};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

// --- reading -----------------------------------------------------------------------------

pub(crate) fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(JsValue::is_object)
}

pub(crate) fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn string(o: &JsValue, key: &str) -> Option<String> {
    get(o, key).as_string()
}

pub(crate) fn number(o: &JsValue, key: &str) -> Option<f64> {
    get(o, key).as_f64()
}

pub(crate) fn boolean(o: &JsValue, key: &str) -> Option<bool> {
    get(o, key).as_bool()
}

fn u64_of(o: &JsValue, key: &str) -> Option<u64> {
    number(o, key).filter(|n| *n >= 0.0).map(|n| n as u64)
}

fn i64_of(o: &JsValue, key: &str) -> Option<i64> {
    number(o, key).map(|n| n as i64)
}

fn list(o: &JsValue, key: &str) -> Vec<JsValue> {
    get(o, key)
        .dyn_into::<Array>()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn object(o: &JsValue, key: &str) -> Option<JsValue> {
    Some(get(o, key)).filter(JsValue::is_object)
}

fn customer(o: &JsValue) -> Option<CustomerView> {
    Some(CustomerView {
        id: CustomerId::parse(string(o, "id")?).ok()?,
        name: string(o, "name").unwrap_or_default(),
        avatar_url: string(o, "avatar_url"),
        email: string(o, "email"),
        external_id: string(o, "external_id"),
        verified: boolean(o, "verified").unwrap_or(false),
        profile_verified: false,
    })
}

fn attendant(o: &JsValue) -> Option<AttendantPublic> {
    Some(AttendantPublic {
        id: AttendantId::parse(string(o, "id")?).ok()?,
        name: string(o, "name").unwrap_or_default(),
        avatar_url: string(o, "avatar_url"),
    })
}

fn conversation_id(o: &JsValue, key: &str) -> Option<ConversationId> {
    ConversationId::parse(&string(o, key)?).ok()
}

fn conversation(o: &JsValue) -> Option<ConversationView> {
    Some(ConversationView {
        id: conversation_id(o, "id")?,
        queue: QueueId::parse(string(o, "queue")?).ok()?,
        status: ConversationStatus::parse(&string(o, "status")?)?,
        customer: customer(&object(o, "customer")?)?,
        attendant: object(o, "attendant").and_then(|a| attendant(&a)),
        requested_at: i64_of(o, "requested_at").unwrap_or(0),
        assigned_at: i64_of(o, "assigned_at"),
        ended_at: i64_of(o, "ended_at"),
        last_seq: u64_of(o, "last_seq").unwrap_or(0),
        rating: object(o, "rating").map(|r| Rating {
            score: number(&r, "score").unwrap_or(0.0) as u8,
            comment: string(&r, "comment"),
        }),
        subject: string(o, "subject"),
        // Only the back-office's list uses these; the widget shows its own conversation.
        customer_presence: Default::default(),
        last_message: None,
        receipts: None,
    })
}

fn message(o: &JsValue) -> Option<MessageView> {
    let from = object(o, "from")?;
    Some(MessageView {
        conversation: conversation_id(o, "conversation")?,
        seq: u64_of(o, "seq")?,
        client_id: ClientMessageId::parse(&string(o, "client_id")?).ok()?,
        from: Sender {
            party: match string(&from, "party")?.as_str() {
                "customer" => Party::Customer,
                _ => Party::Attendant,
            },
            id: string(&from, "id").unwrap_or_default(),
            name: string(&from, "name").unwrap_or_default(),
        },
        text: MessageText::parse(string(o, "text")?, usize::MAX).ok()?,
        timestamp: i64_of(o, "timestamp").unwrap_or(0),
    })
}

/// A frame from the server; `None` for anything unreadable (logged by the caller).
pub(crate) fn server_frame(text: &str) -> Option<ServerToCustomer> {
    let o = parse(text)?;
    let conv = || conversation_id(&o, "conversation");
    Some(match string(&o, "type")?.as_str() {
        "welcome" => ServerToCustomer::Welcome {
            protocol: number(&o, "protocol")? as u32,
            customer: customer(&object(&o, "customer")?)?,
            token: string(&o, "token")?,
            conversation: object(&o, "conversation").and_then(|c| conversation(&c)),
            max_text_bytes: number(&o, "max_text_bytes").unwrap_or(4096.0) as u32,
        },
        "conversation" => ServerToCustomer::Conversation {
            conversation: conversation(&object(&o, "conversation")?)?,
        },
        "queue_status" => ServerToCustomer::QueueStatus {
            conversation: conv()?,
            position: number(&o, "position").unwrap_or(0.0) as u32,
            ewt_seconds: number(&o, "ewt_seconds").unwrap_or(0.0) as u32,
        },
        "assigned" => ServerToCustomer::Assigned {
            conversation: conv()?,
            attendant: attendant(&object(&o, "attendant")?)?,
        },
        "message" => ServerToCustomer::Message {
            message: message(&object(&o, "message")?)?,
        },
        "ack" => ServerToCustomer::Ack {
            conversation: conv()?,
            client_id: ClientMessageId::parse(&string(&o, "client_id")?).ok()?,
            seq: u64_of(&o, "seq")?,
            timestamp: i64_of(&o, "timestamp").unwrap_or(0),
        },
        "receipt" => {
            let r = object(&o, "receipts")?;
            let n = |k| u64_of(&r, k).unwrap_or(0);
            ServerToCustomer::Receipt {
                conversation: conv()?,
                receipts: Receipts {
                    customer_delivered: n("customer_delivered"),
                    customer_read: n("customer_read"),
                    attendant_delivered: n("attendant_delivered"),
                    attendant_read: n("attendant_read"),
                },
            }
        }
        "typing" => ServerToCustomer::Typing {
            conversation: conv()?,
            state: if string(&o, "state")? == "composing" {
                TypingState::Composing
            } else {
                TypingState::Paused
            },
        },
        "history" => ServerToCustomer::History {
            conversation: conv()?,
            messages: list(&o, "messages").iter().filter_map(message).collect(),
            more: boolean(&o, "more").unwrap_or(false),
        },
        "resync" => ServerToCustomer::Resync {
            conversation: conv()?,
            latest_seq: u64_of(&o, "latest_seq").unwrap_or(0),
        },
        "error" => ServerToCustomer::Error {
            code: ErrorCode::parse(&string(&o, "code")?).unwrap_or(ErrorCode::Internal),
            message: string(&o, "message").unwrap_or_default(),
            client_id: string(&o, "client_id").and_then(|c| ClientMessageId::parse(&c).ok()),
            retry_after_seconds: None,
        },
        "pong" => ServerToCustomer::Pong {
            nonce: u64_of(&o, "nonce").unwrap_or(0),
        },
        _ => return None,
    })
}

/// `localStorage.userData` and `setUser(…)` (seed 000's names).
pub(crate) fn user_claim(o: &JsValue) -> Option<UserClaim> {
    if !o.is_object() {
        return None;
    }
    // Numeric ids are common (`{id: 42}`); JS turns them into text (no float formatting
    // code in the WebAssembly).
    let s = |k| {
        let v = get(o, k);
        v.as_string().or_else(|| {
            v.as_f64().and_then(|_| {
                v.unchecked_into::<js_sys::Number>()
                    .to_string_with_radix(10)
                    .ok()
                    .map(String::from)
            })
        })
    };
    Some(UserClaim {
        id: s("id"),
        name: s("name"),
        avatar_url: s("avatarURL"),
        email: s("email"),
        hash: s("hash"),
        token: s("token"),
    })
}

// --- writing -----------------------------------------------------------------------------

/// A JSON object under construction; absent optional fields are left out.
pub(crate) struct Json(Object);

impl Json {
    pub(crate) fn new() -> Self {
        Self(Object::new())
    }

    fn frame(kind: &str) -> Self {
        Self::new().s("type", kind)
    }

    pub(crate) fn v(self, key: &str, value: JsValue) -> Self {
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value);
        self
    }

    pub(crate) fn s(self, key: &str, value: &str) -> Self {
        self.v(key, JsValue::from_str(value))
    }

    pub(crate) fn opt(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.s(key, v),
            None => self,
        }
    }

    pub(crate) fn n(self, key: &str, value: f64) -> Self {
        self.v(key, JsValue::from_f64(value))
    }

    pub(crate) fn value(self) -> JsValue {
        self.0.into()
    }

    pub(crate) fn text(&self) -> String {
        JSON::stringify(&self.0)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }
}

fn user_json(u: &UserClaim) -> JsValue {
    Json::new()
        .opt("id", u.id.as_deref())
        .opt("name", u.name.as_deref())
        .opt("avatarURL", u.avatar_url.as_deref())
        .opt("email", u.email.as_deref())
        .opt("hash", u.hash.as_deref())
        .opt("token", u.token.as_deref())
        .value()
}

/// A frame for the server, as JSON text.
pub(crate) fn client_frame(frame: &CustomerToServer) -> String {
    use CustomerToServer as F;
    let conv = |kind: &str, c: &ConversationId| Json::frame(kind).s("conversation", &c.to_string());
    let json = match frame {
        F::Hello {
            protocol,
            token,
            user,
            resume,
        } => {
            let points = Array::new();
            for p in resume {
                points.push(
                    &Json::new()
                        .s("conversation", &p.conversation.to_string())
                        .n("last_seq", p.last_seq as f64)
                        .value(),
                );
            }
            let j = Json::frame("hello")
                .n("protocol", f64::from(*protocol))
                .opt("token", token.as_deref())
                .v("resume", points.into());
            match user {
                Some(u) => j.v("user", user_json(u)),
                None => j,
            }
        }
        F::StartChat { queue, prechat } => {
            let j = Json::frame("start_chat").opt("queue", queue.as_ref().map(|q| q.as_str()));
            match prechat {
                Some(PreChat {
                    name,
                    email,
                    problem,
                }) => j.v(
                    "prechat",
                    Json::new()
                        .opt("name", name.as_deref())
                        .opt("email", email.as_deref())
                        .opt("problem", problem.as_deref())
                        .value(),
                ),
                None => j,
            }
        }
        F::Send {
            conversation,
            client_id,
            text,
        } => conv("send", conversation)
            .s("client_id", &client_id.to_string())
            .s("text", text.as_str()),
        F::Receipt {
            conversation,
            kind,
            up_to_seq,
        } => conv("receipt", conversation)
            .s(
                "kind",
                match kind {
                    ReceiptKind::Delivered => "delivered",
                    ReceiptKind::Read => "read",
                },
            )
            .n("up_to_seq", *up_to_seq as f64),
        F::Typing {
            conversation,
            state,
        } => conv("typing", conversation).s(
            "state",
            match state {
                TypingState::Composing => "composing",
                TypingState::Paused => "paused",
            },
        ),
        F::Presence { state } => Json::frame("presence").s(
            "state",
            match state {
                CustomerPresence::Active => "active",
                CustomerPresence::Inactive => "inactive",
                CustomerPresence::Gone => "gone",
            },
        ),
        F::EndChat { conversation } => conv("end_chat", conversation),
        F::Rate {
            conversation,
            rating,
        } => conv("rate", conversation).v(
            "rating",
            Json::new()
                .n("score", f64::from(rating.score))
                .opt("comment", rating.comment.as_deref())
                .value(),
        ),
        F::History {
            conversation,
            before_seq,
            limit,
        } => {
            let mut j = conv("history", conversation);
            if let Some(b) = before_seq {
                j = j.n("before_seq", *b as f64);
            }
            if let Some(l) = limit {
                j = j.n("limit", f64::from(*l));
            }
            j
        }
        F::Ping { nonce } => Json::frame("ping").n("nonce", *nonce as f64),
    };
    json.text()
}
