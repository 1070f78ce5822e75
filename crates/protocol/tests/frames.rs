//! Round trips of every direction and rejection of bad frames with typed errors.

use chimpassist_protocol::*;

fn limits() -> Limits {
    Limits::default()
}

fn customer(frame: &str) -> Result<CustomerToServer, ProtocolError> {
    decode::<CustomerToServer>(frame, &limits())
}

fn attendant(frame: &str) -> Result<AttendantToServer, ProtocolError> {
    decode::<AttendantToServer>(frame, &limits())
}

#[test]
fn customer_frames_round_trip() {
    let frames = vec![
        CustomerToServer::Hello {
            protocol: PROTOCOL_VERSION,
            token: Some("t".into()),
            user: Some(UserClaim {
                id: Some("298301".into()),
                name: Some("Ana".into()),
                avatar_url: Some("https://x/a.png".into()),
                ..UserClaim::default()
            }),
            resume: vec![ResumePoint {
                conversation: ConversationId::new(),
                last_seq: 7,
            }],
        },
        CustomerToServer::StartChat {
            queue: Some(QueueId::parse("billing").unwrap()),
            prechat: None,
        },
        CustomerToServer::Send {
            conversation: ConversationId::new(),
            client_id: ClientMessageId::new(),
            text: MessageText::parse("olá 👋 <b>", 4096).unwrap(),
            attachments: vec![FileId::new()],
        },
        CustomerToServer::Receipt {
            conversation: ConversationId::new(),
            kind: ReceiptKind::Read,
            up_to_seq: 3,
        },
        CustomerToServer::Typing {
            conversation: ConversationId::new(),
            state: TypingState::Composing,
        },
        CustomerToServer::Presence {
            state: CustomerPresence::Inactive,
        },
        CustomerToServer::EndChat {
            conversation: ConversationId::new(),
        },
        CustomerToServer::LeaveEmail {
            email: "ana@example.com".into(),
        },
        CustomerToServer::Rate {
            conversation: ConversationId::new(),
            rating: Rating {
                score: 5,
                comment: Some("great".into()),
            },
        },
        CustomerToServer::History {
            conversation: ConversationId::new(),
            before_seq: Some(10),
            limit: None,
        },
        CustomerToServer::Ping { nonce: 9 },
    ];
    for frame in frames {
        let text = encode(&frame);
        assert_eq!(customer(&text).unwrap(), frame, "{text}");
    }
}

#[test]
fn attendant_frames_round_trip() {
    let frames = vec![
        AttendantToServer::Hello {
            protocol: PROTOCOL_VERSION,
            resume: vec![],
            batch: false,
        },
        AttendantToServer::Hello {
            protocol: PROTOCOL_VERSION,
            resume: vec![],
            batch: true,
        },
        AttendantToServer::SetPresence {
            presence: Presence::Away,
        },
        AttendantToServer::Heartbeat,
        AttendantToServer::NextCustomer { queue: None },
        AttendantToServer::Transfer {
            conversation: ConversationId::new(),
            to: TransferTarget::Attendant(AttendantId::parse("a2").unwrap()),
        },
        AttendantToServer::Transfer {
            conversation: ConversationId::new(),
            to: TransferTarget::Queue(QueueId::parse("sales").unwrap()),
        },
        AttendantToServer::Resolve {
            conversation: ConversationId::new(),
        },
        AttendantToServer::Reopen {
            conversation: ConversationId::new(),
        },
    ];
    for frame in frames {
        let text = encode(&frame);
        assert_eq!(attendant(&text).unwrap(), frame, "{text}");
    }
}

#[test]
fn server_frames_use_snake_case_type_tags() {
    let ack = ServerToCustomer::Ack {
        conversation: ConversationId::new(),
        client_id: ClientMessageId::new(),
        seq: 4,
        timestamp: 1,
    };
    let json: serde_json::Value = serde_json::from_str(&encode(&ack)).unwrap();
    assert_eq!(json["type"], "ack");
    assert_eq!(json["seq"], 4);
    let back: ServerToCustomer = serde_json::from_value(json).unwrap();
    assert_eq!(back, ack);

    let status = ServerToAttendant::Presence {
        presence: Presence::Online,
    };
    assert_eq!(
        encode(&status),
        r#"{"type":"presence","presence":"online"}"#
    );
}

#[test]
fn a_conversation_without_the_list_details_reads_as_gone_and_writes_them_only_when_set() {
    let older = r#"{"id":"0191e0a4-0000-7000-8000-000000000000","queue":"default",
        "status":"queued","customer":{"id":"c-1","name":"Grace","verified":false},
        "requested_at":1,"last_seq":0}"#;
    let view: ConversationView = serde_json::from_str(older).unwrap();
    assert_eq!(view.customer_presence, CustomerPresence::Gone);
    assert_eq!(
        (view.last_message.as_ref(), view.receipts.as_ref()),
        (None, None)
    );
    let json: serde_json::Value = serde_json::to_value(&view).unwrap();
    assert_eq!(json["customer_presence"], "gone");
    assert!(json.get("last_message").is_none() && json.get("receipts").is_none());
}

#[test]
fn user_data_uses_the_seed_field_names() {
    let claim: UserClaim =
        serde_json::from_str(r#"{"id":"42","name":"Bob","avatarURL":"https://a/b.png"}"#).unwrap();
    assert_eq!(claim.avatar_url.as_deref(), Some("https://a/b.png"));
    assert_eq!(claim.id.as_deref(), Some("42"));
}

#[test]
fn unknown_type_is_a_typed_error() {
    let err = customer(r#"{"type":"delete_everything"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownType);
    // an attendant-only frame on the customer socket is unknown there
    let err = customer(r#"{"type":"next_customer"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownType);
}

#[test]
fn missing_fields_are_typed_errors() {
    assert_eq!(
        customer(r#"{"protocol":1}"#).unwrap_err().code,
        ErrorCode::MissingField
    );
    let err = customer(
        r#"{"type":"send","conversation":"0191e0a4-0000-7000-8000-000000000000","text":"hi"}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::MissingField);
    assert!(err.message.contains("client_id"), "{}", err.message);
}

#[test]
fn malformed_and_wrongly_typed_input_is_rejected() {
    assert_eq!(
        customer("not json").unwrap_err().code,
        ErrorCode::MalformedJson
    );
    assert_eq!(
        customer("[1,2]").unwrap_err().code,
        ErrorCode::MalformedJson
    );
    assert_eq!(
        customer(r#"{"type":7}"#).unwrap_err().code,
        ErrorCode::InvalidField
    );
    assert_eq!(
        customer(r#"{"type":"receipt","conversation":"nope","kind":"read","up_to_seq":1}"#)
            .unwrap_err()
            .code,
        ErrorCode::InvalidField
    );
    assert_eq!(
        customer(r#"{"type":"receipt","conversation":"0191e0a4-0000-7000-8000-000000000000","kind":"read","up_to_seq":-1}"#)
            .unwrap_err()
            .code,
        ErrorCode::InvalidField
    );
}

fn send_frame(text: &str) -> String {
    encode(&serde_json::json!({
        "type": "send",
        "conversation": ConversationId::new(),
        "client_id": ClientMessageId::new(),
        "text": text,
    }))
}

#[test]
fn oversized_text_is_a_typed_error_not_a_panic() {
    let limits = Limits {
        max_frame_bytes: 64 * 1024,
        max_text_bytes: 4096,
    };
    let ok = decode::<CustomerToServer>(&send_frame(&"a".repeat(4096)), &limits);
    assert!(ok.is_ok());
    let err = decode::<CustomerToServer>(&send_frame(&"a".repeat(4097)), &limits).unwrap_err();
    assert_eq!(err.code, ErrorCode::TextTooLong);
    // multi-byte characters count in bytes
    let err = decode::<CustomerToServer>(&send_frame(&"é".repeat(2049)), &limits).unwrap_err();
    assert_eq!(err.code, ErrorCode::TextTooLong);
}

#[test]
fn blank_text_is_rejected() {
    assert_eq!(
        customer(&send_frame("   \n")).unwrap_err().code,
        ErrorCode::EmptyText
    );
}

#[test]
fn a_send_needs_text_or_files_and_at_most_ten_files() {
    let conversation = ConversationId::new();
    let frame = |extra: &str| {
        format!(
            r#"{{"type":"send","conversation":"{conversation}","client_id":"{}"{extra}}}"#,
            ClientMessageId::new()
        )
    };
    assert_eq!(customer(&frame("")).unwrap_err().code, ErrorCode::EmptyText);
    let ids = |n: usize| {
        let ids: Vec<String> = (0..n).map(|_| format!("\"{}\"", FileId::new())).collect();
        format!(r#","attachments":[{}]"#, ids.join(","))
    };
    match attendant(&frame(&ids(2))).unwrap() {
        AttendantToServer::Send {
            text, attachments, ..
        } => {
            assert!(text.is_empty());
            assert_eq!(attachments.len(), 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        customer(&frame(&ids(MAX_ATTACHMENTS + 1)))
            .unwrap_err()
            .code,
        ErrorCode::InvalidField
    );
    // Blank text is still refused when files come with it: a client leaves it out instead.
    let blank = format!(r#","text":" "{}"#, ids(1));
    assert_eq!(
        customer(&frame(&blank)).unwrap_err().code,
        ErrorCode::EmptyText
    );
}

#[test]
fn oversized_frame_is_rejected_before_parsing() {
    let frame = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(20_000));
    assert_eq!(customer(&frame).unwrap_err().code, ErrorCode::FrameTooLarge);
}

#[test]
fn text_is_kept_verbatim_including_markup() {
    let frame = send_frame("<img src=x onerror=alert(1)>");
    match customer(&frame).unwrap() {
        CustomerToServer::Send { text, .. } => {
            assert_eq!(text.as_str(), "<img src=x onerror=alert(1)>")
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ratings_outside_one_to_five_are_invalid() {
    assert!(
        Rating {
            score: 0,
            comment: None
        }
        .validate()
        .is_err()
    );
    assert!(
        Rating {
            score: 6,
            comment: None
        }
        .validate()
        .is_err()
    );
    assert!(
        Rating {
            score: 3,
            comment: None
        }
        .validate()
        .is_ok()
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap fuzz: every prefix of a valid frame, and some junk.
    let frame = send_frame("hello");
    for end in 0..frame.len() {
        if frame.is_char_boundary(end) {
            let _ = customer(&frame[..end]);
            let _ = attendant(&frame[..end]);
        }
    }
    for junk in [
        "",
        "{}",
        "null",
        "\"type\"",
        r#"{"type":null}"#,
        r#"{"type":"hello","protocol":"x"}"#,
    ] {
        assert!(customer(junk).is_err(), "{junk}");
    }
}

#[test]
fn every_error_code_parses_back_from_its_wire_name() {
    use chimpassist_protocol::ErrorCode;
    for code in ErrorCode::ALL {
        let wire = serde_json::to_value(code).unwrap();
        assert_eq!(wire.as_str(), Some(code.as_str()));
        assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
    }
    assert_eq!(ErrorCode::parse("nope"), None);
}
