//! `ServerToAttendant` frames about conversations and the desk (welcome, assignment,
//! moves between lists, withdrawal, presence, queue numbers, pong), checked by what the
//! attendant would notice: what is listed and shown, what is sent back, what pops up.

use chimpassist_protocol::{
    AttendantId, AttendantPublic, AttendantToServer, Attributes, ConversationStatus,
    ConversationView, CustomerPresence, PageVisit, Presence, QueueId, QueueObservations, Receipts,
    ServerToAttendant, VisitView,
};

use super::*;

use super::fixtures::*;

#[test]
fn welcome_lists_conversations_and_opens_the_desk() {
    let me = me();
    let (a, b) = (mine("Bia"), queued("Caio"));
    let mut d = Desk::default();
    let fx = d.on_frame(welcome(vec![a.clone(), b.clone()]), &env(&me));
    assert_eq!(d.conn, Conn::Open);
    assert_eq!(d.presence, Presence::Online);
    assert_eq!(d.max_text, 2000);
    assert_eq!(
        section(&d.conversation(&a.id).unwrap().view, &me),
        Section::Online
    );
    assert_eq!(
        section(&d.conversation(&b.id).unwrap().view, &me),
        Section::Waiting
    );
    assert!(fx.contains(&Effect::Welcomed));
    assert!(fx.contains(&Effect::Me(me.clone())));
    let mut changed = d.take_changes().conversations;
    changed.sort();
    let mut both = vec![a.id, b.id];
    both.sort();
    assert_eq!(changed, both);
}

#[test]
fn welcome_refreshes_open_conversations_the_server_no_longer_lists() {
    let me = me();
    let (kept, gone) = (mine("Bia"), mine("Caio"));
    let mut d = desk_with(vec![kept.clone(), gone.clone()]);
    d.on_command(Command::Lost, &env(&me));
    let fx = d.on_frame(welcome(vec![kept]), &env(&me));
    assert!(fx.contains(&Effect::Refresh(gone.id)));
    // Its answer (resolved meanwhile) takes it out of my lists.
    let ended = ConversationView {
        status: ConversationStatus::Resolved,
        ..gone.clone()
    };
    d.on_command(Command::Refreshed(ended), &env(&me));
    assert_eq!(
        section(&d.conversation(&gone.id).unwrap().view, &me),
        Section::Elsewhere
    );
}

#[test]
fn welcome_brings_the_preview_and_unread_count() {
    let me = me();
    let mut c = mine("Bia");
    c.last_message = Some(from_customer(&c, 3));
    c.receipts = Some(Receipts {
        attendant_read: 1,
        ..Receipts::default()
    });
    let d = desk_with(vec![c.clone()]);
    let t = &d.conversation(&c.id).unwrap().thread;
    assert_eq!(t.messages.last().unwrap().text.as_str(), "hello 3");
    assert_eq!(t.unread(), 1);
    // Only the newest message is held: the thread is not "loaded" and resumes nothing.
    assert!(!t.loaded);
    assert!(d.resume_points().is_empty());
    let _ = me;
}

#[test]
fn an_assignment_selects_it_when_nothing_is_selected_and_alerts_when_hidden() {
    let me = me();
    let mut d = desk_with(vec![]);
    let c = mine("Bia");
    let fx = d.on_frame(
        ServerToAttendant::Assigned {
            conversation: c.clone(),
        },
        &hidden(&me),
    );
    assert_eq!(d.selected, Some(c.id));
    assert!(fx.contains(&Effect::Alert(Alert::NewAssignment {
        customer: "Bia".into()
    })));
    assert!(fx.contains(&Effect::ShowDesk));
    assert!(sent(&fx).contains(&&AttendantToServer::History {
        conversation: c.id,
        before_seq: None,
        limit: Some(HISTORY_PAGE)
    }));
    // A second one does not take the screen away.
    let other = mine("Caio");
    let fx = d.on_frame(
        ServerToAttendant::Assigned {
            conversation: other.clone(),
        },
        &env(&me),
    );
    assert_eq!(d.selected, Some(c.id));
    assert!(fx.is_empty());
    assert_eq!(
        section(&d.conversation(&other.id).unwrap().view, &me),
        Section::Online
    );
}

#[test]
fn unassigned_rereads_the_conversation() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    let fx = d.on_frame(
        ServerToAttendant::Unassigned {
            conversation: c.id,
            reason: "transfer".into(),
        },
        &env(&me),
    );
    assert_eq!(fx, [Effect::Refresh(c.id)]);
}

#[test]
fn a_conversation_frame_moves_it_between_lists() {
    let me = me();
    let c = queued("Bia");
    let mut d = desk_with(vec![c.clone()]);
    assert_eq!(
        section(&d.conversation(&c.id).unwrap().view, &me),
        Section::Waiting
    );
    let taken = ConversationView {
        status: ConversationStatus::Active,
        attendant: Some(AttendantPublic {
            id: AttendantId::parse("rui").unwrap(),
            name: "Rui".into(),
            avatar_url: None,
        }),
        ..c.clone()
    };
    let fx = d.on_frame(
        ServerToAttendant::Conversation {
            conversation: taken,
        },
        &env(&me),
    );
    assert!(fx.is_empty());
    assert_eq!(
        section(&d.conversation(&c.id).unwrap().view, &me),
        Section::Elsewhere
    );
    assert_eq!(d.take_changes().conversations, [c.id]);
}

#[test]
fn a_resolved_conversation_reopened_comes_back_to_my_list_with_its_messages() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c.clone()]);
    d.on_frame(history(&c, [1, 2]), &env(&me));
    let resolved = ConversationView {
        status: ConversationStatus::Resolved,
        ended_at: Some(5_000),
        ..c.clone()
    };
    d.on_frame(
        ServerToAttendant::Conversation {
            conversation: resolved,
        },
        &env(&me),
    );
    assert_eq!(
        section(&d.conversation(&c.id).unwrap().view, &me),
        Section::Elsewhere
    );
    d.on_frame(
        ServerToAttendant::Conversation {
            conversation: c.clone(),
        },
        &env(&me),
    );
    assert_eq!(
        section(&d.conversation(&c.id).unwrap().view, &me),
        Section::Online
    );
    assert_eq!(seqs(&d, &c.id), [1, 2]);
}

#[test]
fn withdrawn_drops_it_and_says_so_when_it_was_on_screen() {
    let me = me();
    let (a, b) = (mine("Bia"), mine("Caio"));
    let mut d = desk_with(vec![a.clone(), b.clone()]);
    d.on_command(Command::Select(a.id), &env(&me));
    let fx = d.on_frame(
        ServerToAttendant::Withdrawn { conversation: a.id },
        &env(&me),
    );
    assert!(d.conversation(&a.id).is_none());
    assert_eq!(d.selected, None);
    assert_eq!(
        fx,
        [Effect::Toast(Toast::Withdrawn {
            customer: "Bia".into()
        })]
    );
    // Not on screen: it goes quietly.
    let fx = d.on_frame(
        ServerToAttendant::Withdrawn { conversation: b.id },
        &env(&me),
    );
    assert!(fx.is_empty());
    assert!(d.conversation(&b.id).is_none());
    assert!(d.take_changes().conversations.contains(&b.id));
}

#[test]
fn customer_presence_changes_every_conversation_of_that_customer() {
    let me = me();
    let (a, b) = (mine("Bia"), mine("Caio"));
    let mut d = desk_with(vec![a.clone(), b.clone()]);
    d.on_frame(
        ServerToAttendant::CustomerPresence {
            customer: a.customer.id.clone(),
            state: CustomerPresence::Gone,
        },
        &env(&me),
    );
    assert_eq!(
        section(&d.conversation(&a.id).unwrap().view, &me),
        Section::Offline
    );
    assert_eq!(
        section(&d.conversation(&b.id).unwrap().view, &me),
        Section::Online
    );
    assert_eq!(d.take_changes().conversations, [a.id]);
}

#[test]
fn visits_and_attributes_go_to_the_panel_even_inside_a_batch_and_change_no_conversation() {
    let me = me();
    let a = mine("Bia");
    let mut d = desk_with(vec![a.clone()]);
    let visit = VisitView {
        pages: vec![PageVisit {
            url: "https://shop.example/pricing".into(),
            title: "Pricing".into(),
            at: 5,
        }],
        updated_at: 5,
        ..VisitView::default()
    };
    let frame = ServerToAttendant::Visit {
        customer: a.customer.id.clone(),
        visit: visit.clone(),
    };
    let attributes: Attributes =
        serde_json::from_value(serde_json::json!({"plan": "pro"})).unwrap();
    let said = ServerToAttendant::Attributes {
        customer: a.customer.id.clone(),
        attributes: attributes.clone(),
    };
    let fx = d.on_frame(
        ServerToAttendant::Batch {
            frames: vec![frame, said],
        },
        &env(&me),
    );
    assert_eq!(
        fx,
        [
            Effect::Visit {
                customer: a.customer.id.clone(),
                visit: Box::new(visit),
            },
            Effect::Attributes {
                customer: a.customer.id.clone(),
                attributes,
            }
        ]
    );
    assert!(d.take_changes().conversations.is_empty());
}

#[test]
fn presence_and_queue_numbers_are_kept() {
    let me = me();
    let mut d = desk_with(vec![]);
    d.on_frame(
        ServerToAttendant::Presence {
            presence: Presence::Away,
        },
        &env(&me),
    );
    assert_eq!(d.presence, Presence::Away);
    let numbers = QueueObservations {
        available_agents: 2,
        ..QueueObservations::default()
    };
    d.on_frame(
        ServerToAttendant::Queue {
            queue: QueueId::default_queue(),
            observations: numbers.clone(),
        },
        &env(&me),
    );
    assert_eq!(d.observations[&QueueId::default_queue()], numbers);
}

#[test]
fn pong_changes_nothing() {
    let me = me();
    let c = mine("Bia");
    let mut d = desk_with(vec![c]);
    let before = d.clone();
    let fx = d.on_frame(ServerToAttendant::Pong { nonce: 7 }, &env(&me));
    assert!(fx.is_empty());
    assert_eq!(d, before);
}

#[test]
fn a_batch_is_every_frame_in_it() {
    let me = me();
    let (waiting, withdrawn) = (queued("Bia"), queued("Caio"));
    let mut d = desk_with(vec![withdrawn.clone()]);
    let numbers = QueueObservations {
        available_agents: 3,
        ..QueueObservations::default()
    };
    d.on_frame(
        ServerToAttendant::Batch {
            frames: vec![
                ServerToAttendant::Conversation {
                    conversation: waiting.clone(),
                },
                ServerToAttendant::Withdrawn {
                    conversation: withdrawn.id,
                },
                ServerToAttendant::Queue {
                    queue: QueueId::default_queue(),
                    observations: numbers.clone(),
                },
            ],
        },
        &env(&me),
    );
    assert_eq!(
        section(&d.conversation(&waiting.id).unwrap().view, &me),
        Section::Waiting
    );
    assert!(d.conversation(&withdrawn.id).is_none());
    assert_eq!(d.observations[&QueueId::default_queue()], numbers);
}
