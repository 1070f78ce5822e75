//! What the visitor does, and how it meets the socket's comings and goings.

use super::*;

#[test]
fn a_pending_message_is_resent_after_a_reconnect_with_the_same_client_id() {
    let (mut s, c) = chatting();
    s.closed();
    let (id, fx) = send(&mut s, "sent while offline");
    // Goes out now (the shell drops it: the socket is down)…
    assert_eq!(sent(&fx).len(), 1);
    assert_eq!(
        lines(&s),
        [("sent while offline".into(), Some(Tick::Pending))]
    );
    s.connecting();
    assert_eq!(s.conn, Conn::Reconnecting);
    // …and again after the next welcome, with the same id.
    let fx = s.on_frame(welcome(Some(conversation(c, ConversationStatus::Assigned))));
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::Send {
            conversation: c,
            client_id: id,
            text: MessageText::parse("sent while offline", 100).unwrap(),
            attachments: Vec::new(),
        }]
    );
    assert_eq!(s.conn, Conn::Online);
}

#[test]
fn files_go_with_or_without_words_and_again_after_a_reconnect() {
    use chimpassist_protocol::FileId;
    let (mut s, c) = chatting();
    let files = vec![FileId::new(), FileId::new()];
    let id = ClientMessageId::new();
    let names = "a.png, b.pdf".to_owned();
    let fx = s
        .send_text("  ", files.clone(), names, id, 5)
        .expect("files need no words");
    let expected = CustomerToServer::Send {
        conversation: c,
        client_id: id,
        text: MessageText::none(),
        attachments: files.clone(),
    };
    assert_eq!(sent(&fx), [&expected]);
    assert_eq!(lines(&s), [("📎 a.png, b.pdf".into(), Some(Tick::Pending))]);
    // Saved with its files, so a reload sends them too.
    let Some(Effect::SaveOutbox(saved)) = fx.iter().find(|e| matches!(e, Effect::SaveOutbox(_)))
    else {
        panic!("the outbox is saved");
    };
    assert_eq!(saved[0].files, files);
    s.closed();
    s.connecting();
    let fx = s.on_frame(welcome(Some(conversation(c, ConversationStatus::Assigned))));
    assert_eq!(sent(&fx), [&expected], "the same files, under the same id");
}

#[test]
fn sending_queues_a_pending_line_saves_it_and_ends_our_typing() {
    let (mut s, c) = chatting();
    s.typing(TypingState::Composing, 1);
    let (id, fx) = send(&mut s, "hi");
    assert_eq!(
        sent(&fx),
        [
            &CustomerToServer::Typing {
                conversation: c,
                state: TypingState::Paused
            },
            &CustomerToServer::Send {
                conversation: c,
                client_id: id,
                text: MessageText::parse("hi", 100).unwrap(),
                attachments: Vec::new(),
            }
        ]
    );
    let Some(Effect::SaveOutbox(saved)) = fx.iter().find(|e| matches!(e, Effect::SaveOutbox(_)))
    else {
        panic!("outbox not saved: {fx:?}");
    };
    assert_eq!(saved[0].client_id, id);
}

#[test]
fn text_that_cannot_be_sent_is_refused_before_it_is_queued() {
    let mut s = State::default();
    assert_eq!(
        s.send_text("hi", Vec::new(), String::new(), ClientMessageId::new(), 1),
        Err(SendError::NoConversation)
    );
    let (mut s, _) = chatting();
    let long = "x".repeat(101);
    assert!(matches!(
        s.send_text(&long, Vec::new(), String::new(), ClientMessageId::new(), 1),
        Err(SendError::Invalid(_))
    ));
    assert!(matches!(
        s.send_text("   ", Vec::new(), String::new(), ClientMessageId::new(), 1),
        Err(SendError::Invalid(_))
    ));
    assert!(texts(&s).is_empty());
}

#[test]
fn typing_is_sent_at_most_every_four_seconds_and_paused_once() {
    let (mut s, _) = chatting();
    let composing = |s: &mut State, now| sent(&s.typing(TypingState::Composing, now)).len();
    assert_eq!(composing(&mut s, 0), 1);
    assert_eq!(composing(&mut s, 1000), 0);
    assert_eq!(composing(&mut s, 4001), 1);
    // A keystroke 1 s before the timer fires: not paused yet.
    assert!(s.typing_idle(4001 + 2000).is_empty());
    assert_eq!(sent(&s.typing_idle(4001 + 2500)).len(), 1);
    assert!(s.typing_idle(9000).is_empty());
}

#[test]
fn an_unseen_reply_counts_as_unread_chimes_and_is_only_delivered() {
    let (mut s, c) = chatting();
    let fx = s.on_frame(from_attendant(c, 1));
    assert_eq!(s.unread, 1);
    assert!(fx.contains(&Effect::Badge(1)));
    assert!(fx.contains(&Effect::Alert));
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::Receipt {
            conversation: c,
            kind: ReceiptKind::Delivered,
            up_to_seq: 1
        }]
    );
    assert_eq!(
        events(&fx),
        [&Event::Message {
            conversation: c,
            seq: 1,
            text: "m1".into(),
            from: Party::Attendant,
            name: "Grace".into()
        }]
    );
    // Opening the panel reads it, once.
    s.open = true;
    let fx = s.acknowledge();
    assert_eq!(s.unread, 0);
    assert!(fx.contains(&Effect::Badge(0)));
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::Receipt {
            conversation: c,
            kind: ReceiptKind::Read,
            up_to_seq: 1
        }]
    );
    assert!(sent(&s.acknowledge()).is_empty());
}

#[test]
fn a_reply_the_visitor_sees_is_read_at_once_without_a_chime() {
    let (mut s, c) = chatting();
    s.open = true;
    let fx = s.on_frame(from_attendant(c, 1));
    assert!(!fx.contains(&Effect::Alert));
    assert_eq!(s.unread, 0);
    let kinds: Vec<_> = sent(&fx)
        .into_iter()
        .filter_map(|f| match f {
            CustomerToServer::Receipt { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, [ReceiptKind::Read]);
}

#[test]
fn hiding_the_tab_tells_the_attendant() {
    let (mut s, _) = chatting();
    s.visible = false;
    let fx = s.presence_changed();
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::Presence {
            state: chimpassist_protocol::CustomerPresence::Inactive
        }]
    );
}

#[test]
fn start_end_and_rate_send_their_frames() {
    let mut s = State::default();
    s.on_frame(welcome(None));
    let queue = QueueId::parse("sales").ok();
    let fx = s.start_chat(queue.clone(), PreChat::default());
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::StartChat {
            queue,
            prechat: None
        }]
    );
    assert_eq!(s.session.screen, Screen::Chat);
    assert!(s.end_chat().is_empty(), "no conversation yet");
    let (s, c) = chatting();
    assert_eq!(
        sent(&s.end_chat()),
        [&CustomerToServer::EndChat { conversation: c }]
    );
    let fx = s.rate(4, "  ".into());
    assert!(matches!(
        sent(&fx)[..],
        [CustomerToServer::Rate { rating, .. }] if rating.score == 4 && rating.comment.is_none()
    ));
}

#[test]
fn forgetting_the_visitor_clears_the_chat_and_the_outbox() {
    let (mut s, c) = chatting();
    s.on_frame(from_attendant(c, 1));
    send(&mut s, "pending");
    let fx = s.forget();
    assert!(texts(&s).is_empty());
    assert_eq!(s.session.conversation, None);
    assert_eq!(s.session.screen, Screen::Home);
    assert_eq!(s.unread, 0);
    assert_eq!(
        s.conn,
        Conn::Connecting,
        "nothing starts before the new identity is welcomed"
    );
    assert_eq!(fx, [Effect::SaveOutbox(vec![]), Effect::Badge(0)]);
    assert!(s.resume().is_empty());
}

#[test]
fn an_address_left_in_the_chat_is_sent_and_kept_as_the_visitor_s() {
    let (mut s, _) = chatting();
    assert_eq!(s.session.customer.as_ref().unwrap().email, None);
    let fx = s.leave_email("ana@example.com".into());
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::LeaveEmail {
            email: "ana@example.com".into()
        }]
    );
    assert_eq!(
        s.session.customer.as_ref().unwrap().email.as_deref(),
        Some("ana@example.com"),
        "the prompt for it goes"
    );
}
