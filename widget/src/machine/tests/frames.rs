//! One server frame at a time, every `ServerToCustomer` variant.

use super::*;

#[test]
fn welcome_without_a_conversation_goes_online_keeps_the_token_and_checks_the_queue() {
    let mut s = State::default();
    let fx = s.on_frame(welcome(None));
    assert_eq!(s.conn, Conn::Online);
    assert_eq!(s.session.max_text, 100);
    assert!(fx.contains(&Effect::Welcomed("tok".into())));
    assert!(fx.contains(&Effect::CheckAvailability));
    assert!(sent(&fx).is_empty());
    assert_eq!(s.session.screen, Screen::Home);
}

#[test]
fn welcome_with_an_open_conversation_shows_it_and_asks_for_its_history() {
    let c = ConversationId::new();
    let mut s = State::default();
    let fx = s.on_frame(welcome(Some(conversation(c, ConversationStatus::Queued))));
    assert_eq!(s.session.screen, Screen::Chat);
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::History {
            conversation: c,
            before_seq: None,
            limit: Some(30)
        }]
    );
    // Not live: the host page is not told the conversation "started" on every reload.
    assert!(events(&fx).is_empty());
}

#[test]
fn conversation_frames_announce_start_and_end_and_stop_the_typing_line() {
    let c = ConversationId::new();
    let mut s = State::default();
    s.on_frame(welcome(None));
    let fx = s.on_frame(ServerToCustomer::Conversation {
        conversation: conversation(c, ConversationStatus::Queued),
    });
    assert_eq!(
        events(&fx),
        [&Event::Started {
            conversation: c,
            status: ConversationStatus::Queued
        }]
    );
    assert_eq!(s.session.screen, Screen::Chat);
    s.on_frame(ServerToCustomer::Typing {
        conversation: c,
        state: TypingState::Composing,
    });
    assert!(s.attendant_typing);
    let fx = s.on_frame(ServerToCustomer::Conversation {
        conversation: conversation(c, ConversationStatus::Resolved),
    });
    assert_eq!(
        events(&fx),
        [&Event::Ended {
            conversation: c,
            status: ConversationStatus::Resolved
        }]
    );
    assert!(!s.attendant_typing);
    assert!(!s.session.is_open_conversation());
}

#[test]
fn a_resolved_conversation_reopened_by_a_message_is_live_again_with_its_lines() {
    let (mut s, c) = chatting();
    s.on_frame(from_attendant(c, 1));
    s.on_frame(ServerToCustomer::Conversation {
        conversation: conversation(c, ConversationStatus::Resolved),
    });
    // Writing into a resolved conversation reopens it (the server answers with the view).
    send(&mut s, "one more thing");
    let fx = s.on_frame(ServerToCustomer::Conversation {
        conversation: conversation(c, ConversationStatus::Queued),
    });
    assert_eq!(
        events(&fx),
        [&Event::Started {
            conversation: c,
            status: ConversationStatus::Queued
        }]
    );
    assert!(s.session.is_open_conversation());
    assert_eq!(texts(&s), ["m1", "one more thing"]);
    // Same conversation: no history asked again.
    assert!(sent(&fx).is_empty());
}

#[test]
fn queue_status_shows_the_place_of_the_current_conversation_only() {
    let c = ConversationId::new();
    let mut s = State::default();
    s.on_frame(welcome(Some(conversation(c, ConversationStatus::Queued))));
    s.on_frame(ServerToCustomer::QueueStatus {
        conversation: ConversationId::new(),
        position: 9,
        ewt_seconds: 900,
    });
    assert_eq!(s.session.queue, None);
    s.on_frame(ServerToCustomer::QueueStatus {
        conversation: c,
        position: 2,
        ewt_seconds: 120,
    });
    assert_eq!(s.session.queue, Some((2, 120)));
}

#[test]
fn assigned_names_the_attendant_and_leaves_the_queue() {
    let c = ConversationId::new();
    let mut s = State::default();
    s.on_frame(welcome(Some(conversation(c, ConversationStatus::Queued))));
    s.on_frame(ServerToCustomer::QueueStatus {
        conversation: c,
        position: 1,
        ewt_seconds: 30,
    });
    s.on_frame(ServerToCustomer::Assigned {
        conversation: c,
        attendant: attendant(),
        may_call: true,
    });
    let conv = s.session.conversation.as_ref().unwrap();
    assert_eq!(conv.status, ConversationStatus::Assigned);
    assert_eq!(conv.attendant.as_ref().unwrap().name, "Grace");
    assert_eq!(s.session.queue, None);
}

#[test]
fn out_of_order_messages_are_shown_in_seq_order() {
    let (mut s, c) = chatting();
    for seq in [3, 1, 2] {
        s.on_frame(from_attendant(c, seq));
    }
    assert_eq!(texts(&s), ["m1", "m2", "m3"]);
}

#[test]
fn a_duplicate_message_is_shown_and_announced_once() {
    let (mut s, c) = chatting();
    let first = s.on_frame(from_attendant(c, 1));
    let again = s.on_frame(from_attendant(c, 1));
    assert_eq!(events(&first).len(), 1);
    assert!(events(&again).is_empty());
    assert_eq!(texts(&s), ["m1"]);
}

#[test]
fn messages_of_another_conversation_are_not_shown() {
    let (mut s, _) = chatting();
    let fx = s.on_frame(from_attendant(ConversationId::new(), 1));
    assert!(fx.is_empty());
    assert!(texts(&s).is_empty());
}

#[test]
fn resume_after_a_gap_fills_in_the_missed_messages_once() {
    let (mut s, c) = chatting();
    s.on_frame(from_attendant(c, 1));
    s.on_frame(from_attendant(c, 2));
    s.closed();
    assert_eq!(s.conn, Conn::Reconnecting);
    // hello carries where we left off…
    assert_eq!(s.resume()[0].last_seq, 2);
    s.on_frame(welcome(Some(conversation(c, ConversationStatus::Assigned))));
    // …and the server replays from there (overlapping by one).
    for seq in [2, 3, 4] {
        s.on_frame(from_attendant(c, seq));
    }
    assert_eq!(texts(&s), ["m1", "m2", "m3", "m4"]);
    assert_eq!(s.conn, Conn::Online);
}

#[test]
fn resync_starts_again_from_the_newest_page_and_keeps_pending_messages() {
    let (mut s, c) = chatting();
    s.on_frame(from_attendant(c, 1));
    send(&mut s, "still mine");
    let fx = s.on_frame(ServerToCustomer::Resync {
        conversation: c,
        latest_seq: 900,
    });
    assert_eq!(texts(&s), ["still mine"]);
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::History {
            conversation: c,
            before_seq: None,
            limit: Some(30)
        }]
    );
    let page = (899..=900)
        .rev()
        .map(|q| view(c, q, Party::Attendant, ClientMessageId::new()));
    s.on_frame(ServerToCustomer::History {
        conversation: c,
        messages: page.collect(),
        more: true,
    });
    assert_eq!(texts(&s), ["m899", "m900", "still mine"]);
    assert!(s.timeline.more_before);
}

#[test]
fn a_history_page_adds_older_lines_and_ends_loading() {
    let (mut s, c) = chatting();
    s.on_frame(from_attendant(c, 5));
    let fx = s.load_older();
    assert!(s.loading_older);
    assert_eq!(
        sent(&fx),
        [&CustomerToServer::History {
            conversation: c,
            before_seq: Some(5),
            limit: Some(30)
        }]
    );
    // Asking again while the page is on its way sends nothing.
    assert!(s.load_older().is_empty());
    s.on_frame(ServerToCustomer::History {
        conversation: c,
        messages: vec![view(c, 4, Party::Customer, ClientMessageId::new())],
        more: false,
    });
    assert!(!s.loading_older);
    assert_eq!(texts(&s), ["m4", "m5"]);
}

#[test]
fn ack_turns_the_pending_tick_into_sent_and_rewrites_the_outbox() {
    let (mut s, c) = chatting();
    let (id, fx) = send(&mut s, "hello");
    assert_eq!(lines(&s), [("hello".into(), Some(Tick::Pending))]);
    assert!(saves_outbox(&fx));
    let fx = s.on_frame(ServerToCustomer::Ack {
        conversation: c,
        client_id: id,
        seq: 1,
        timestamp: 11,
    });
    assert_eq!(lines(&s), [("hello".into(), Some(Tick::Sent))]);
    assert_eq!(fx, [Effect::SaveOutbox(vec![])]);
}

#[test]
fn the_echo_of_our_own_message_replaces_the_pending_line() {
    let (mut s, c) = chatting();
    let (id, _) = send(&mut s, "m1");
    let fx = s.on_frame(message(c, 1, Party::Customer, id));
    assert_eq!(lines(&s), [("m1".into(), Some(Tick::Sent))]);
    assert!(saves_outbox(&fx));
    // The ack that follows changes nothing.
    let fx = s.on_frame(ServerToCustomer::Ack {
        conversation: c,
        client_id: id,
        seq: 1,
        timestamp: 1,
    });
    assert!(fx.is_empty());
    assert_eq!(texts(&s), ["m1"]);
}

#[test]
fn inbound_messages_and_foreign_acks_do_not_rewrite_the_outbox() {
    let (mut s, c) = chatting();
    send(&mut s, "waiting");
    assert!(!saves_outbox(&s.on_frame(from_attendant(c, 1))));
    let other_tab = ServerToCustomer::Ack {
        conversation: c,
        client_id: ClientMessageId::new(),
        seq: 2,
        timestamp: 2,
    };
    assert!(!saves_outbox(&s.on_frame(other_tab)));
}

#[test]
fn receipts_turn_our_ticks_into_delivered_and_read() {
    let (mut s, c) = chatting();
    for seq in 1..=2 {
        s.on_frame(message(c, seq, Party::Customer, ClientMessageId::new()));
    }
    s.on_frame(ServerToCustomer::Receipt {
        conversation: c,
        receipts: Receipts {
            attendant_delivered: 2,
            attendant_read: 1,
            ..Receipts::default()
        },
    });
    let ticks: Vec<_> = lines(&s).into_iter().map(|(_, t)| t).collect();
    assert_eq!(ticks, [Some(Tick::Read), Some(Tick::Delivered)]);
}

#[test]
fn the_typing_line_follows_the_attendant_and_ends_with_their_message() {
    let (mut s, c) = chatting();
    let typing = |state| ServerToCustomer::Typing {
        conversation: c,
        state,
    };
    s.on_frame(typing(TypingState::Composing));
    assert!(s.attendant_typing);
    s.on_frame(typing(TypingState::Paused));
    assert!(!s.attendant_typing);
    s.on_frame(typing(TypingState::Composing));
    s.on_frame(from_attendant(c, 1));
    assert!(!s.attendant_typing);
}

#[test]
fn a_refused_message_stays_visible_marked_and_is_never_resent() {
    let (mut s, c) = chatting();
    let (id, _) = send(&mut s, "too long really");
    let fx = s.on_frame(ServerToCustomer::Error {
        code: ErrorCode::TextTooLong,
        message: "too long".into(),
        client_id: Some(id),
        retry_after_seconds: None,
        call_id: None,
    });
    assert_eq!(lines(&s), [("too long really".into(), Some(Tick::Failed))]);
    assert!(saves_outbox(&fx));
    let fx = s.on_frame(welcome(Some(conversation(c, ConversationStatus::Assigned))));
    assert!(sent(&fx).is_empty());
}

#[test]
fn a_refusal_at_hello_stops_reconnecting_for_good() {
    let mut s = State::default();
    let fx = s.on_frame(ServerToCustomer::Error {
        code: ErrorCode::VerificationRequired,
        message: "verify".into(),
        client_id: None,
        retry_after_seconds: None,
        call_id: None,
    });
    assert_eq!(fx, [Effect::Stop]);
    assert_eq!(s.conn, Conn::Refused("verify".into()));
    s.closed();
    assert_eq!(s.conn, Conn::Refused("verify".into()));
}

#[test]
fn other_errors_become_a_notice_until_the_next_welcome() {
    let (mut s, _) = chatting();
    let fx = s.on_frame(ServerToCustomer::Error {
        code: ErrorCode::RateLimited,
        message: "slow down".into(),
        client_id: None,
        retry_after_seconds: Some(3),
        call_id: None,
    });
    assert_eq!(fx, [Effect::Warn("rate_limited: slow down".into())]);
    assert_eq!(s.session.notice.as_deref(), Some("slow down"));
    assert_eq!(s.conn, Conn::Online);
    s.on_frame(welcome(None));
    assert_eq!(s.session.notice, None);
}

#[test]
fn pong_changes_nothing_and_redraws_nothing() {
    let (s, _) = chatting();
    let mut s = State::new(s.session, s.timeline, s.memory);
    assert!(s.on_frame(ServerToCustomer::Pong { nonce: 7 }).is_empty());
    assert_eq!(s.changed(), (false, false));
}
