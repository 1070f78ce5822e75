//! Server → widget frames. Lenient where the widget can carry on (a missing name reads as
//! empty), strict where it cannot (no id, no seq: the frame is dropped and logged).

use chimpassist_protocol::{
    AttendantId, AttendantPublic, ClientMessageId, ConversationId, ConversationStatus,
    ConversationView, CustomerId, CustomerView, ErrorCode, MessageText, MessageView, Party,
    QueueId, Rating, Receipts, Sender, ServerToCustomer, TypingState,
};

use super::{Value, boolean, number, object, string};
use crate::i18n::Texts;

fn u64_of<V: Value>(o: &V, key: &str) -> Option<u64> {
    number(o, key).filter(|n| *n >= 0.0).map(|n| n as u64)
}

fn i64_of<V: Value>(o: &V, key: &str) -> Option<i64> {
    number(o, key).map(|n| n as i64)
}

fn customer<V: Value>(o: &V) -> Option<CustomerView> {
    Some(CustomerView {
        id: CustomerId::parse(string(o, "id")?).ok()?,
        name: string(o, "name").unwrap_or_default(),
        avatar_url: string(o, "avatar_url"),
        email: string(o, "email"),
        external_id: string(o, "external_id"),
        verified: boolean(o, "verified").unwrap_or(false),
        // Not read: the widget shows the visitor their own profile either way.
        profile_verified: false,
    })
}

fn attendant<V: Value>(o: &V) -> Option<AttendantPublic> {
    Some(AttendantPublic {
        id: AttendantId::parse(string(o, "id")?).ok()?,
        name: string(o, "name").unwrap_or_default(),
        avatar_url: string(o, "avatar_url"),
    })
}

fn conversation_id<V: Value>(o: &V, key: &str) -> Option<ConversationId> {
    ConversationId::parse(&string(o, key)?).ok()
}

fn conversation<V: Value>(o: &V) -> Option<ConversationView> {
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
        bot: string(o, "bot"),
    })
}

fn message<V: Value>(o: &V, t: &Texts) -> Option<MessageView> {
    let from = object(o, "from")?;
    Some(MessageView {
        conversation: conversation_id(o, "conversation")?,
        seq: u64_of(o, "seq")?,
        client_id: ClientMessageId::parse(&string(o, "client_id")?).ok()?,
        from: Sender {
            // A party the widget does not know yet is someone on the company's side.
            party: Party::parse(&string(&from, "party")?).unwrap_or(Party::Attendant),
            id: string(&from, "id").unwrap_or_default(),
            name: string(&from, "name").unwrap_or_default(),
        },
        // A call's record is said in the visitor's language (its text is English); a message
        // of files only has none.
        text: MessageText::stored(
            object(o, "call")
                .and_then(|c| call_text(&c, t))
                .or_else(|| string(o, "text"))
                .unwrap_or_default(),
        ),
        timestamp: i64_of(o, "timestamp").unwrap_or(0),
        // Not kept: what the chat shows of a call is the text above.
        call: None,
        // Not read here: the page port (`widget/js/page.js`) hands a message's files to the
        // files chunk, which draws them into its line (reading them here cost the chat ~5 KB
        // it does not have; see docs/widget.md).
        attachments: Vec::new(),
    })
}

/// A call's record in words: "Video call · 2:31", "Chamada de voz · perdida". Read here,
/// field by field, rather than as a `CallRecord`: the record's types cost the chat ~600 B it
/// does not have (see docs/widget.md).
fn call_text<V: Value>(c: &V, t: &Texts) -> Option<String> {
    let kind = if string(c, "media")? == "video" {
        t.video_call
    } else {
        t.voice_call
    };
    // Pushed piece by piece: `format!` costs the chat more.
    let mut text = kind.to_owned() + " · ";
    match (i64_of(c, "answered_at"), string(c, "reason")?.as_str()) {
        (Some(at), _) => {
            // u64: the chat formats no other integer type.
            let s = ((i64_of(c, "ended_at")? - at).max(0) / 1000) as u64;
            text += &(s / 60).to_string();
            text += if s % 60 < 10 { ":0" } else { ":" };
            text += &(s % 60).to_string();
        }
        (None, "missed") => text += t.call_missed,
        (None, "declined") => text += t.call_declined,
        _ => text += t.call_cancelled,
    }
    Some(text)
}

/// A frame from the server; `None` for anything unreadable (logged by the caller).
pub(crate) fn server_frame<V: Value>(o: &V, t: &Texts) -> Option<ServerToCustomer> {
    if !o.is_object() {
        return None;
    }
    let conv = || conversation_id(o, "conversation");
    Some(match string(o, "type")?.as_str() {
        "welcome" => ServerToCustomer::Welcome {
            protocol: number(o, "protocol")? as u32,
            customer: customer(&object(o, "customer")?)?,
            token: string(o, "token")?,
            conversation: object(o, "conversation").and_then(|c| conversation(&c)),
            max_text_bytes: number(o, "max_text_bytes").unwrap_or(4096.0) as u32,
            max_attachment_bytes: number(o, "max_attachment_bytes").unwrap_or(0.0) as u64,
            // The call chunk's (see `net::call_port`), not the chat's.
            may_call: false,
            // The page helper's (widget/js/page.js), not the chat's.
            page_tracking: Default::default(),
            email_replies: boolean(o, "email_replies").unwrap_or(false),
        },
        "conversation" => ServerToCustomer::Conversation {
            conversation: conversation(&object(o, "conversation")?)?,
        },
        "queue_status" => ServerToCustomer::QueueStatus {
            conversation: conv()?,
            position: number(o, "position").unwrap_or(0.0) as u32,
            ewt_seconds: number(o, "ewt_seconds").unwrap_or(0.0) as u32,
        },
        "assigned" => ServerToCustomer::Assigned {
            conversation: conv()?,
            attendant: attendant(&object(o, "attendant")?)?,
            may_call: false,
        },
        "message" => ServerToCustomer::Message {
            message: message(&object(o, "message")?, t)?,
        },
        "ack" => ServerToCustomer::Ack {
            conversation: conv()?,
            client_id: ClientMessageId::parse(&string(o, "client_id")?).ok()?,
            seq: u64_of(o, "seq")?,
            timestamp: i64_of(o, "timestamp").unwrap_or(0),
        },
        "receipt" => {
            let r = object(o, "receipts")?;
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
            // Anything but `composing` stops the indicator.
            state: TypingState::parse(&string(o, "state")?).unwrap_or(TypingState::Paused),
        },
        "history" => ServerToCustomer::History {
            conversation: conv()?,
            messages: o
                .get("messages")
                .items()
                .iter()
                .filter_map(|m| message(m, t))
                .collect(),
            more: boolean(o, "more").unwrap_or(false),
        },
        "resync" => ServerToCustomer::Resync {
            conversation: conv()?,
            latest_seq: u64_of(o, "latest_seq").unwrap_or(0),
        },
        "error" => ServerToCustomer::Error {
            code: ErrorCode::parse(&string(o, "code")?).unwrap_or(ErrorCode::Internal),
            message: string(o, "message").unwrap_or_default(),
            client_id: string(o, "client_id").and_then(|c| ClientMessageId::parse(&c).ok()),
            // Not read: the widget does not retry on a timer.
            retry_after_seconds: None,
            // Never seen: the call chunk's port takes the errors of call frames.
            call_id: None,
        },
        "pong" => ServerToCustomer::Pong {
            nonce: u64_of(o, "nonce").unwrap_or(0),
        },
        _ => return None,
    })
}
