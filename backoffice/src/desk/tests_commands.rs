//! The attendant's commands, and our own messages from Enter to their ack: pending, resent
//! after a reconnect, failed and retried.

use chimpassist_protocol::{
    AttendantToServer, ClientMessageId, ConversationStatus, ConversationView, ServerToAttendant,
    TypingState,
};

use super::fixtures::{desk_with, env, from_customer, me, mine, queued, sent, seqs, text, welcome};
use super::*;

fn send(d: &mut Desk, c: &ConversationView, words: &str) -> (ClientMessageId, Vec<Effect>) {
    let me = me();
    let id = ClientMessageId::new();
    let fx = d.on_command(
        Command::Send {
            conversation: c.id,
            client_id: id,
            text: text(words),
            attachments: Vec::new(),
        },
        &env(&me),
    );
    (id, fx)
}

#[test]
fn a_sent_message_is_pending_until_its_ack_then_stored_as_mine() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let (id, fx) = send(&mut d, &c, "hi there");
    assert_eq!(
        sent(&fx),
        [&AttendantToServer::Send {
            conversation: c.id,
            client_id: id,
            text: text("hi there"),
            attachments: Vec::new()
        }]
    );
    let t = &d.conversation(&c.id).unwrap().thread;
    assert_eq!(t.pending[0].text.as_str(), "hi there");
    d.on_frame(
        ServerToAttendant::Ack {
            conversation: c.id,
            client_id: id,
            seq: 4,
            timestamp: 9_000,
        },
        &env(&me),
    );
    let t = &d.conversation(&c.id).unwrap().thread;
    assert!(t.pending.is_empty());
    let m = &t.messages[0];
    assert_eq!(
        (m.seq, m.text.as_str(), m.from.name.as_str()),
        (4, "hi there", "Ana")
    );
    // The echo of the same message (another tab of mine) is not shown twice.
    let mut echo = m.clone();
    echo.client_id = id;
    d.on_frame(ServerToAttendant::Message { message: echo }, &env(&me));
    assert_eq!(seqs(&d, &c.id), [4]);
}

#[test]
fn an_ack_for_nothing_pending_adds_nothing() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_frame(
        ServerToAttendant::Ack {
            conversation: c.id,
            client_id: ClientMessageId::new(),
            seq: 1,
            timestamp: 0,
        },
        &env(&me),
    );
    assert!(seqs(&d, &c.id).is_empty());
}

#[test]
fn a_pending_message_is_resent_with_the_same_id_after_a_reconnect() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let (id, _) = send(&mut d, &c, "are you there?");
    let (refused, _) = send(&mut d, &c, "x");
    d.on_frame(
        ServerToAttendant::Error {
            code: chimpassist_protocol::ErrorCode::RateLimited,
            message: "slow".into(),
            client_id: Some(refused),
            retry_after_seconds: None,
            call_id: None,
        },
        &env(&me),
    );
    d.on_command(Command::Lost, &env(&me));
    assert_eq!(d.conn, Conn::Lost);
    // Reconnecting keeps the banner until the welcome.
    d.on_command(Command::Connecting, &env(&me));
    assert_eq!(d.conn, Conn::Lost);
    let fx = d.on_frame(welcome(vec![c.clone()]), &env(&me));
    assert_eq!(d.conn, Conn::Open);
    // The refused one waits for the attendant's retry.
    assert_eq!(
        sent(&fx),
        [&AttendantToServer::Send {
            conversation: c.id,
            client_id: id,
            text: text("are you there?"),
            attachments: Vec::new()
        }]
    );
    assert_eq!(d.conversation(&c.id).unwrap().thread.pending.len(), 2);
}

#[test]
fn files_go_with_their_message_again_after_a_reconnect_and_show_once_stored() {
    use chimpassist_protocol::{AttachmentView, FileId, FileInfo, FileName, MessageText};
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let file = FileInfo {
        id: FileId::new(),
        name: FileName::parse("invoice.pdf").unwrap(),
        size: 1234,
        content_type: "application/pdf".into(),
        width: None,
        height: None,
    };
    let id = ClientMessageId::new();
    let command = Command::Send {
        conversation: c.id,
        client_id: id,
        text: MessageText::none(),
        attachments: vec![file.clone()],
    };
    let expected = AttendantToServer::Send {
        conversation: c.id,
        client_id: id,
        text: MessageText::none(),
        attachments: vec![file.id],
    };
    let fx = d.on_command(command, &env(&me));
    assert_eq!(sent(&fx), [&expected]);
    d.on_command(Command::Lost, &env(&me));
    let fx = d.on_frame(welcome(vec![c.clone()]), &env(&me));
    assert_eq!(sent(&fx), [&expected], "the same files, under the same id");
    // The ack makes the message stored; the server's copy brings the links to its files.
    d.on_frame(
        ServerToAttendant::Ack {
            conversation: c.id,
            client_id: id,
            seq: 1,
            timestamp: 5,
        },
        &env(&me),
    );
    let mut echo = d.conversation(&c.id).unwrap().thread.messages[0].clone();
    assert!(echo.attachments.is_empty());
    echo.attachments = vec![AttachmentView {
        file,
        url: "/api/files/x?sig=y".into(),
        thumbnail_url: None,
    }];
    d.on_frame(ServerToAttendant::Message { message: echo }, &env(&me));
    let t = &d.conversation(&c.id).unwrap().thread;
    assert_eq!(t.messages.len(), 1);
    assert_eq!(t.messages[0].attachments[0].url, "/api/files/x?sig=y");
}

#[test]
fn retry_sends_a_failed_message_again_as_a_new_one() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let (failed, _) = send(&mut d, &c, "again");
    d.on_frame(
        ServerToAttendant::Error {
            code: chimpassist_protocol::ErrorCode::RateLimited,
            message: "slow".into(),
            client_id: Some(failed),
            retry_after_seconds: None,
            call_id: None,
        },
        &env(&me),
    );
    let fresh = ClientMessageId::new();
    let fx = d.on_command(
        Command::Retry {
            conversation: c.id,
            failed,
            client_id: fresh,
        },
        &env(&me),
    );
    assert_eq!(
        sent(&fx),
        [&AttendantToServer::Send {
            conversation: c.id,
            client_id: fresh,
            text: text("again"),
            attachments: Vec::new()
        }]
    );
    let pending = &d.conversation(&c.id).unwrap().thread.pending;
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].client_id, &pending[0].failed), (fresh, &None));
}

#[test]
fn typing_is_announced_at_most_every_four_seconds_and_paused_by_sending() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let typing = |d: &mut Desk, state, now| {
        let e = Env { now, ..env(&me) };
        d.on_command(
            Command::Typing {
                conversation: c.id,
                state,
            },
            &e,
        )
    };
    assert_eq!(typing(&mut d, TypingState::Composing, 0).len(), 1);
    assert!(typing(&mut d, TypingState::Composing, 3_000).is_empty());
    assert_eq!(typing(&mut d, TypingState::Composing, 4_500).len(), 1);
    // Sending says `paused` first; a second `paused` says nothing.
    let (_, fx) = send(&mut d, &c, "done");
    assert!(matches!(
        sent(&fx)[..],
        [
            AttendantToServer::Typing {
                state: TypingState::Paused,
                ..
            },
            AttendantToServer::Send { .. }
        ]
    ));
    assert!(typing(&mut d, TypingState::Paused, 6_000).is_empty());
}

#[test]
fn selecting_a_loaded_conversation_reads_it_and_shows_the_desk() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_frame(
        ServerToAttendant::History {
            conversation: c.id,
            messages: vec![from_customer(&c, 1), from_customer(&c, 2)],
            more: false,
        },
        &env(&me),
    );
    let fx = d.on_command(Command::Select(c.id), &env(&me));
    assert_eq!(
        fx,
        [
            Effect::Send(AttendantToServer::Receipt {
                conversation: c.id,
                kind: chimpassist_protocol::ReceiptKind::Read,
                up_to_seq: 2
            }),
            Effect::ShowDesk
        ]
    );
    assert_eq!(d.conversation(&c.id).unwrap().thread.unread(), 0);
}

#[test]
fn nothing_is_marked_read_offline_or_in_a_conversation_not_mine() {
    let me = me();
    let (c, q) = (mine("Bia"), queued("Caio"));
    let mut d = desk_with(vec![c.clone(), q.clone()]);
    for conv in [&c, &q] {
        d.on_frame(
            ServerToAttendant::Message {
                message: from_customer(conv, 1),
            },
            &env(&me),
        );
    }
    let offline = Env {
        online: false,
        ..env(&me)
    };
    assert!(d.on_command(Command::MarkRead(c.id), &offline).is_empty());
    assert_eq!(d.conversation(&c.id).unwrap().thread.unread(), 1);
    assert!(d.on_command(Command::MarkRead(q.id), &env(&me)).is_empty());
    assert_eq!(d.on_command(Command::MarkRead(c.id), &env(&me)).len(), 1);
    assert_eq!(d.conversation(&c.id).unwrap().thread.unread(), 0);
}

#[test]
fn a_search_hit_opens_even_when_not_listed_and_keeps_a_listed_ones_state() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let old = ConversationView {
        status: ConversationStatus::Resolved,
        ..mine("Dora")
    };
    let fx = d.on_command(Command::Open(old.clone()), &env(&me));
    assert_eq!(d.selected, Some(old.id));
    assert!(
        sent(&fx)
            .iter()
            .any(|f| matches!(f, AttendantToServer::History { .. }))
    );
    // A stale copy of a listed conversation does not replace the live one.
    let stale = ConversationView {
        status: ConversationStatus::Resolved,
        ..c.clone()
    };
    d.on_command(Command::Open(stale), &env(&me));
    assert_eq!(
        d.conversation(&c.id).unwrap().view.status,
        ConversationStatus::Active
    );
}

#[test]
fn notes_are_fetched_once_per_conversation() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    assert_eq!(
        d.on_command(Command::OpenNotes(c.id), &env(&me)),
        [Effect::FetchNotes(c.id)]
    );
    assert!(d.on_command(Command::OpenNotes(c.id), &env(&me)).is_empty());
}

#[test]
fn a_refresh_that_finds_it_gone_withdraws_it() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_command(Command::Gone(c.id), &env(&me));
    assert!(d.conversation(&c.id).is_none());
}

#[test]
fn signing_out_drops_every_conversation() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_command(Command::Select(c.id), &env(&me));
    d.on_command(Command::SignedOut, &env(&me));
    assert!(d.conversations().next().is_none());
    assert_eq!((d.selected, d.conn), (None, Conn::Connecting));
    assert!(d.take_changes().cleared);
}
