//! The hand-written codec against the protocol's serde derives, frame by frame: every
//! `ServerToCustomer` the server can send is encoded by serde and read back by
//! [`super::server_frame`]; every `CustomerToServer` the widget sends is written by
//! [`super::client_frame`] and read back by serde. A field renamed or added on one side
//! fails here, not in a visitor's browser.

use chimpassist_protocol::{
    AttendantId, AttendantPublic, ClientMessageId, ConversationId, ConversationStatus,
    ConversationView, CustomerId, CustomerPresence, CustomerToServer, CustomerView, ErrorCode,
    MessageText, MessageView, Party, PreChat, QueueId, Rating, ReceiptKind, Receipts, ResumePoint,
    Sender, ServerToCustomer, TypingState, UserClaim,
};

use super::{client_frame, server_frame};
use crate::i18n::{EN, PT_BR};

fn customer(full: bool) -> CustomerView {
    CustomerView {
        id: CustomerId::parse("c-01HZX").unwrap(),
        name: "Zé Ninguém".into(),
        avatar_url: full.then(|| "https://example.com/a.png".into()),
        email: full.then(|| "ze@example.com".into()),
        external_id: full.then(|| "site-42".into()),
        verified: full,
        // The widget does not read it (see decode.rs); always the default here.
        profile_verified: false,
    }
}

fn attendant(full: bool) -> AttendantPublic {
    AttendantPublic {
        id: AttendantId::parse("a-7").unwrap(),
        name: "Grace".into(),
        avatar_url: full.then(|| "https://example.com/g.png".into()),
    }
}

fn conversation(full: bool, status: ConversationStatus) -> ConversationView {
    ConversationView {
        id: ConversationId::new(),
        queue: QueueId::parse("support").unwrap(),
        status,
        customer: customer(full),
        attendant: full.then(|| attendant(full)),
        requested_at: 1_764_000_000_000,
        assigned_at: full.then_some(1_764_000_001_000),
        ended_at: full.then_some(1_764_000_009_000),
        last_seq: if full { 12 } else { 0 },
        rating: full.then(|| Rating {
            score: 5,
            comment: Some("Great \"help\"\n".into()),
        }),
        subject: full.then(|| "Order #12 is late".into()),
        // Only the back-office reads these (see decode.rs): left at their defaults.
        customer_presence: Default::default(),
        last_message: None,
        receipts: None,
        bot: None,
    }
}

fn message(party: Party, seq: u64) -> MessageView {
    MessageView {
        conversation: ConversationId::new(),
        seq,
        client_id: ClientMessageId::new(),
        from: Sender {
            party,
            id: "a-7".into(),
            name: "Grace <b>".into(),
        },
        text: MessageText::parse("olá 👋 <script>\n\"quoted\"", 4096).unwrap(),
        timestamp: 1_764_000_002_345,
        call: None,
        attachments: Vec::new(),
    }
}

fn every_server_frame() -> Vec<ServerToCustomer> {
    let c = ConversationId::new();
    let mut frames = vec![];
    for full in [true, false] {
        frames.push(ServerToCustomer::Welcome {
            protocol: 1,
            customer: customer(full),
            token: "tok.en".into(),
            conversation: full.then(|| conversation(true, ConversationStatus::Assigned)),
            max_text_bytes: 2000,
            max_attachment_bytes: 10 << 20,
            // The chat does not read it: the call chunk does (see `net::call_port`).
            may_call: false,
            page_tracking: Default::default(),
            email_replies: full,
        });
        frames.push(ServerToCustomer::Error {
            code: ErrorCode::TextTooLong,
            message: "too long".into(),
            client_id: full.then(ClientMessageId::new),
            // Not read by the widget (see decode.rs).
            retry_after_seconds: None,
            call_id: None,
        });
        frames.push(ServerToCustomer::History {
            conversation: c,
            messages: if full {
                vec![message(Party::Attendant, 3), message(Party::Customer, 2)]
            } else {
                vec![]
            },
            more: full,
        });
    }
    for status in ConversationStatus::ALL {
        frames.push(ServerToCustomer::Conversation {
            conversation: conversation(true, *status),
        });
        frames.push(ServerToCustomer::Conversation {
            conversation: conversation(false, *status),
        });
    }
    for state in TypingState::ALL {
        frames.push(ServerToCustomer::Typing {
            conversation: c,
            state: *state,
        });
    }
    for code in ErrorCode::ALL {
        frames.push(ServerToCustomer::Error {
            code,
            message: code.as_str().into(),
            client_id: None,
            retry_after_seconds: None,
            call_id: None,
        });
    }
    frames.extend([
        ServerToCustomer::QueueStatus {
            conversation: c,
            position: 3,
            ewt_seconds: 240,
        },
        ServerToCustomer::Assigned {
            conversation: c,
            attendant: attendant(true),
            may_call: false,
        },
        ServerToCustomer::Assigned {
            conversation: c,
            attendant: attendant(false),
            may_call: false,
        },
        ServerToCustomer::Message {
            message: message(Party::Attendant, 7),
        },
        ServerToCustomer::Message {
            message: message(Party::Customer, 8),
        },
        ServerToCustomer::Ack {
            conversation: c,
            client_id: ClientMessageId::new(),
            seq: 9,
            timestamp: 1_764_000_003_000,
        },
        ServerToCustomer::Receipt {
            conversation: c,
            receipts: Receipts {
                customer_delivered: 4,
                customer_read: 3,
                attendant_delivered: 2,
                attendant_read: 1,
            },
        },
        ServerToCustomer::Resync {
            conversation: c,
            latest_seq: 1200,
        },
        ServerToCustomer::Pong { nonce: 99 },
    ]);
    frames
}

/// The variant's name, to be sure the list covers every one.
fn kind(frame: &ServerToCustomer) -> &'static str {
    match frame {
        ServerToCustomer::Welcome { .. } => "welcome",
        ServerToCustomer::Conversation { .. } => "conversation",
        ServerToCustomer::QueueStatus { .. } => "queue_status",
        ServerToCustomer::Assigned { .. } => "assigned",
        ServerToCustomer::Message { .. } => "message",
        ServerToCustomer::Ack { .. } => "ack",
        ServerToCustomer::Receipt { .. } => "receipt",
        ServerToCustomer::Typing { .. } => "typing",
        ServerToCustomer::History { .. } => "history",
        ServerToCustomer::Resync { .. } => "resync",
        ServerToCustomer::Error { .. } => "error",
        ServerToCustomer::Pong { .. } => "pong",
        // Not read by the widget yet (it has no call controls): see `decode.rs`.
        ServerToCustomer::Call { .. }
        | ServerToCustomer::CallIce { .. }
        | ServerToCustomer::CallSignal { .. }
        | ServerToCustomer::CallEnded { .. } => "call",
    }
}

#[test]
fn every_server_frame_reads_back_as_serde_wrote_it() {
    let frames = every_server_frame();
    let mut kinds: Vec<_> = frames.iter().map(kind).collect();
    kinds.dedup();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        12,
        "a ServerToCustomer variant is missing: {kinds:?}"
    );
    for frame in frames {
        let text = serde_json::to_string(&frame).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(server_frame(&&parsed, &EN).as_ref(), Some(&frame), "{text}");
    }
}

#[test]
fn unknown_or_broken_frames_are_dropped_not_guessed() {
    for text in [
        r#"{"type":"surprise"}"#,
        r#"{"type":"ack","conversation":"not-a-uuid","client_id":"x","seq":1}"#,
        r#"{"type":"message","message":{"seq":1}}"#,
        r#"[1,2]"#,
        r#""welcome""#,
    ] {
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(server_frame(&&parsed, &EN), None, "{text}");
    }
}

fn every_client_frame() -> Vec<CustomerToServer> {
    let c = ConversationId::new();
    let user = UserClaim {
        id: Some("42".into()),
        name: Some("Ada".into()),
        avatar_url: Some("https://example.com/ada.png".into()),
        email: Some("ada@example.com".into()),
        hash: Some("abc123".into()),
        token: Some("jwt.x.y".into()),
    };
    let mut frames = vec![
        CustomerToServer::Hello {
            protocol: 1,
            token: Some("tok".into()),
            user: Some(user),
            resume: vec![ResumePoint {
                conversation: c,
                last_seq: 17,
            }],
        },
        CustomerToServer::Hello {
            protocol: 1,
            token: None,
            user: Some(UserClaim::default()),
            resume: vec![],
        },
        CustomerToServer::Hello {
            protocol: 1,
            token: None,
            user: None,
            resume: vec![],
        },
        CustomerToServer::StartChat {
            queue: QueueId::parse("sales").ok(),
            prechat: Some(PreChat {
                name: Some("Ada".into()),
                email: Some("ada@example.com".into()),
                problem: Some("Où est ma commande ?".into()),
            }),
        },
        CustomerToServer::StartChat {
            queue: None,
            prechat: Some(PreChat::default()),
        },
        CustomerToServer::StartChat {
            queue: None,
            prechat: None,
        },
        CustomerToServer::Send {
            conversation: c,
            client_id: ClientMessageId::new(),
            text: MessageText::parse("line one\nline \"two\" \u{1F600}", 4096).unwrap(),
            attachments: Vec::new(),
        },
        CustomerToServer::EndChat { conversation: c },
        CustomerToServer::LeaveEmail {
            email: "ada@example.com".into(),
        },
        CustomerToServer::Rate {
            conversation: c,
            rating: Rating {
                score: 4,
                comment: Some("Kind".into()),
            },
        },
        CustomerToServer::Rate {
            conversation: c,
            rating: Rating {
                score: 1,
                comment: None,
            },
        },
        CustomerToServer::History {
            conversation: c,
            before_seq: Some(31),
            limit: Some(30),
        },
        CustomerToServer::History {
            conversation: c,
            before_seq: None,
            limit: None,
        },
        CustomerToServer::Ping { nonce: 5 },
    ];
    for kind in ReceiptKind::ALL {
        frames.push(CustomerToServer::Receipt {
            conversation: c,
            kind: *kind,
            up_to_seq: 12,
        });
    }
    for state in TypingState::ALL {
        frames.push(CustomerToServer::Typing {
            conversation: c,
            state: *state,
        });
    }
    for state in CustomerPresence::ALL {
        frames.push(CustomerToServer::Presence { state: *state });
    }
    frames
}

#[test]
fn every_client_frame_is_what_serde_reads() {
    for frame in every_client_frame() {
        let written: serde_json::Value = client_frame(&frame);
        let text = written.to_string();
        let read: CustomerToServer =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("serde refuses {text}: {e}"));
        assert_eq!(read, frame, "{text}");
        // And the widget writes nothing serde would not: the same JSON as serde's own, but
        // for `hello`'s empty `resume`, which the widget writes and serde leaves out.
        let mut written = written;
        if written["resume"] == serde_json::json!([]) {
            written.as_object_mut().unwrap().remove("resume");
        }
        assert_eq!(written, serde_json::to_value(&frame).unwrap(), "{text}");
    }
}

/// The chat says a call's record in the visitor's language, from the record (its English
/// text is for exports); it keeps no record of its own.
#[test]
fn a_call_record_is_said_in_the_visitor_s_language() {
    let record = |answered_at: Option<i64>, reason| chimpassist_protocol::CallRecord {
        call_id: chimpassist_protocol::CallId::new(),
        media: chimpassist_protocol::CallMedia::Video,
        started_by: Party::Attendant,
        invited_at: 1_764_000_000_000,
        answered_at,
        ended_at: 1_764_000_154_000,
        reason,
    };
    let said = |record: chimpassist_protocol::CallRecord, t| {
        let mut message = message(Party::Attendant, 9);
        message.text = MessageText::parse(record.summary(), 100).unwrap();
        message.call = Some(Box::new(record));
        let value = serde_json::to_value(ServerToCustomer::Message { message }).unwrap();
        match server_frame(&&value, t) {
            Some(ServerToCustomer::Message { message }) => {
                assert_eq!(message.call, None);
                message.text.as_str().to_owned()
            }
            other => panic!("{other:?}"),
        }
    };
    use chimpassist_protocol::CallEndReason::{Declined, HungUp, Missed};
    let talked = record(Some(1_764_000_004_000), HungUp);
    assert_eq!(said(talked.clone(), &EN), "Video call · 2:30");
    assert_eq!(said(talked, &PT_BR), "Chamada de vídeo · 2:30");
    assert_eq!(
        said(record(None, Missed), &PT_BR),
        "Chamada de vídeo · perdida"
    );
    assert_eq!(said(record(None, Declined), &EN), "Video call · declined");
    assert_eq!(said(record(None, HungUp), &EN), "Video call · cancelled");
    let short = record(Some(1_764_000_150_000), HungUp);
    assert_eq!(said(short, &EN), "Video call · 0:04");
}
