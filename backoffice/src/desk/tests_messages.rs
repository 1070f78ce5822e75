//! `ServerToAttendant` frames about messages (message, history, resync, receipts, typing,
//! errors, notes): order, gaps, duplicates, what is read and what alerts.

use chimpassist_protocol::{
    AttendantPublic, AttendantToServer, ClientMessageId, ErrorCode, Note, NoteId, ReceiptKind,
    Receipts, ResumePoint, Seq, ServerToAttendant, TypingState,
};

use super::*;

use super::fixtures::*;

#[test]
fn resume_after_a_gap_starts_below_the_hole() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_frame(history(&c, [1, 2, 3]), &env(&me));
    // Seq 4 was lost with the connection; 5 arrived.
    d.on_frame(
        ServerToAttendant::Message {
            message: from_customer(&c, 5),
        },
        &env(&me),
    );
    assert_eq!(
        d.resume_points(),
        vec![ResumePoint {
            conversation: c.id,
            last_seq: 3
        }]
    );
    // The replay fills the hole; 5 is not doubled.
    for s in [4, 5] {
        d.on_frame(
            ServerToAttendant::Message {
                message: from_customer(&c, s),
            },
            &env(&me),
        );
    }
    assert_eq!(seqs(&d, &c.id), [1, 2, 3, 4, 5]);
    assert_eq!(d.resume_points()[0].last_seq, 5);
}

#[test]
fn resync_drops_the_messages_and_fetches_the_newest_page() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_frame(history(&c, [1, 2]), &env(&me));
    let fx = d.on_frame(
        ServerToAttendant::Resync {
            conversation: c.id,
            latest_seq: 900,
        },
        &env(&me),
    );
    assert!(seqs(&d, &c.id).is_empty());
    assert!(!d.conversation(&c.id).unwrap().thread.loaded);
    assert_eq!(
        sent(&fx),
        [&AttendantToServer::History {
            conversation: c.id,
            before_seq: None,
            limit: Some(HISTORY_PAGE)
        }]
    );
}

#[test]
fn messages_out_of_order_are_shown_in_order_and_duplicates_once() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let mut receipts = Vec::new();
    for s in [3, 1, 2, 3, 1] {
        let fx = d.on_frame(
            ServerToAttendant::Message {
                message: from_customer(&c, s),
            },
            &env(&me),
        );
        receipts.extend(sent(&fx).into_iter().cloned());
    }
    assert_eq!(seqs(&d, &c.id), [1, 2, 3]);
    // One delivered receipt per new message, none for the duplicates.
    let delivered: Vec<Seq> = receipts
        .iter()
        .filter_map(|f| match f {
            AttendantToServer::Receipt {
                kind: ReceiptKind::Delivered,
                up_to_seq,
                ..
            } => Some(*up_to_seq),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, [3, 1, 2]);
}

#[test]
fn a_message_in_the_selected_conversation_is_read_at_once() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_command(Command::Select(c.id), &env(&me));
    d.on_frame(history(&c, []), &env(&me));
    let fx = d.on_frame(
        ServerToAttendant::Message {
            message: from_customer(&c, 1),
        },
        &env(&me),
    );
    assert!(sent(&fx).contains(&&AttendantToServer::Receipt {
        conversation: c.id,
        kind: ReceiptKind::Read,
        up_to_seq: 1
    }));
    assert_eq!(d.conversation(&c.id).unwrap().thread.unread(), 0);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Alert(_))));
}

#[test]
fn a_message_while_the_tab_is_hidden_alerts_and_stays_unread() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_command(Command::Select(c.id), &env(&me));
    let fx = d.on_frame(
        ServerToAttendant::Message {
            message: from_customer(&c, 1),
        },
        &hidden(&me),
    );
    assert!(fx.contains(&Effect::Alert(Alert::NewMessage {
        from: "Bia".into(),
        preview: "hello 1".into()
    })));
    assert_eq!(d.conversation(&c.id).unwrap().thread.unread(), 1);
}

#[test]
fn the_customers_message_ends_their_typing() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let fx = d.on_frame(
        ServerToAttendant::Typing {
            conversation: c.id,
            state: TypingState::Composing,
        },
        &env(&me),
    );
    assert!(d.conversation(&c.id).unwrap().typing);
    assert_eq!(fx, [Effect::ExpireTyping(c.id)]);
    d.on_frame(
        ServerToAttendant::Message {
            message: from_customer(&c, 1),
        },
        &env(&me),
    );
    assert!(!d.conversation(&c.id).unwrap().typing);
    // `paused`, and the timeout, clear it too.
    d.on_frame(
        ServerToAttendant::Typing {
            conversation: c.id,
            state: TypingState::Composing,
        },
        &env(&me),
    );
    d.on_command(Command::TypingExpired(c.id), &env(&me));
    assert!(!d.conversation(&c.id).unwrap().typing);
    d.on_frame(
        ServerToAttendant::Typing {
            conversation: c.id,
            state: TypingState::Composing,
        },
        &env(&me),
    );
    d.on_frame(
        ServerToAttendant::Typing {
            conversation: c.id,
            state: TypingState::Paused,
        },
        &env(&me),
    );
    assert!(!d.conversation(&c.id).unwrap().typing);
}

#[test]
fn receipts_move_our_ticks_forward_only() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let receipt = |delivered, read| ServerToAttendant::Receipt {
        conversation: c.id,
        receipts: Receipts {
            customer_delivered: delivered,
            customer_read: read,
            ..Receipts::default()
        },
    };
    d.on_frame(receipt(4, 2), &env(&me));
    d.on_frame(receipt(1, 1), &env(&me));
    let t = &d.conversation(&c.id).unwrap().thread;
    assert_eq!(t.tick(2), crate::thread::Tick::Read);
    assert_eq!(t.tick(4), crate::thread::Tick::Delivered);
    assert_eq!(t.tick(5), crate::thread::Tick::Sent);
}

#[test]
fn history_pages_fill_the_thread_and_read_the_selected_one() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let fx = d.on_command(Command::Select(c.id), &env(&me));
    assert!(
        sent(&fx)
            .iter()
            .any(|f| matches!(f, AttendantToServer::History { .. }))
    );
    let page = ServerToAttendant::History {
        conversation: c.id,
        messages: (31..=60).map(|s| from_customer(&c, s)).collect(),
        more: true,
    };
    let fx = d.on_frame(page, &env(&me));
    assert!(sent(&fx).contains(&&AttendantToServer::Receipt {
        conversation: c.id,
        kind: ReceiptKind::Read,
        up_to_seq: 60
    }));
    // Scrolled to the top: the page before 31, asked once until it arrives.
    let fx = d.on_command(Command::LoadOlder(c.id), &env(&me));
    assert_eq!(
        sent(&fx),
        [&AttendantToServer::History {
            conversation: c.id,
            before_seq: Some(31),
            limit: Some(HISTORY_PAGE)
        }]
    );
    assert!(d.on_command(Command::LoadOlder(c.id), &env(&me)).is_empty());
    assert!(d.conversation(&c.id).unwrap().loading_older);
    let older = ServerToAttendant::History {
        conversation: c.id,
        messages: (1..=30).map(|s| from_customer(&c, s)).collect(),
        more: false,
    };
    d.on_frame(older, &env(&me));
    let conv = d.conversation(&c.id).unwrap();
    assert!(!conv.loading_older);
    assert_eq!(conv.thread.messages.len(), 60);
    // Nothing older left: no more asking.
    assert!(d.on_command(Command::LoadOlder(c.id), &env(&me)).is_empty());
}

#[test]
fn an_error_about_our_message_marks_it_failed_and_others_are_shown() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let id = ClientMessageId::new();
    d.on_command(
        Command::Send {
            conversation: c.id,
            client_id: id,
            text: text("too much"),
            attachments: Vec::new(),
        },
        &env(&me),
    );
    let fx = d.on_frame(
        ServerToAttendant::Error {
            code: ErrorCode::TextTooLong,
            message: "too long".into(),
            client_id: Some(id),
            retry_after_seconds: None,
            call_id: None,
        },
        &env(&me),
    );
    assert!(fx.is_empty());
    let p = &d.conversation(&c.id).unwrap().thread.pending[0];
    assert_eq!(p.failed.as_deref(), Some("too long"));
    let fx = d.on_frame(
        ServerToAttendant::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            client_id: None,
            retry_after_seconds: Some(3),
            call_id: None,
        },
        &env(&me),
    );
    assert_eq!(fx, [Effect::Toast(Toast::Server("slow down".into()))]);
    // A call's error is the call card's to say: no toast.
    let fx = d.on_frame(
        ServerToAttendant::Error {
            code: ErrorCode::Forbidden,
            message: "this call or conversation is not yours".into(),
            client_id: None,
            retry_after_seconds: None,
            call_id: Some(chimpassist_protocol::CallId::new()),
        },
        &env(&me),
    );
    assert!(fx.is_empty());
}

#[test]
fn notes_arrive_once_in_time_order() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let note = |at| Note {
        id: NoteId::new(),
        conversation: c.id,
        author: AttendantPublic {
            id: me.id.clone(),
            name: "Ana".into(),
            avatar_url: None,
        },
        text: text("call back tomorrow"),
        created_at: at,
    };
    let (late, early) = (note(20), note(10));
    let fx = d.on_frame(ServerToAttendant::Note { note: late.clone() }, &env(&me));
    assert!(fx.is_empty());
    d.on_frame(ServerToAttendant::Note { note: late.clone() }, &env(&me));
    // The REST list crosses the frame: nothing doubled, oldest first.
    d.on_command(Command::Notes(vec![early.clone(), late.clone()]), &env(&me));
    assert_eq!(d.notes(&c.id), [early, late]);
    assert_eq!(d.take_changes().notes, [c.id]);
}
