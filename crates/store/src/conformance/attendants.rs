//! Attendants, their sessions, queues.

use std::sync::Arc;

use chimpassist_protocol::{AssignmentMode, AttendantId, CallPolicy, QueueId, Role};

use super::support::*;
use crate::{AttendantUpdate, AuthSession, Queue, Store};

pub async fn attendant_create_and_get(store: Arc<dyn Store>) {
    let record = attendant_record("Ann.Lee@Example.COM", 4);
    let created = store
        .create_attendant(record.clone())
        .await
        .expect("create_attendant");
    assert_eq!(
        created.email, "ann.lee@example.com",
        "e-mail is stored lower-case"
    );
    assert_eq!(
        created,
        crate::Attendant {
            email: "ann.lee@example.com".to_owned(),
            ..record
        }
    );
    let by_id = store
        .get_attendant(&created.id)
        .await
        .expect("get_attendant");
    assert_eq!(by_id.as_ref(), Some(&created));
    for spelling in [
        "ann.lee@example.com",
        "ANN.LEE@EXAMPLE.COM",
        "Ann.Lee@example.com",
    ] {
        let found = store
            .get_attendant_by_email(spelling)
            .await
            .expect("get_attendant_by_email");
        assert_eq!(found.as_ref(), Some(&created), "lookup by {spelling:?}");
    }
    let none = store
        .get_attendant_by_email("someone@example.com")
        .await
        .expect("get_attendant_by_email");
    assert_eq!(none, None);
    let unknown = AttendantId::parse("nobody").expect("valid id");
    assert_eq!(
        store.get_attendant(&unknown).await.expect("get_attendant"),
        None
    );
}

pub async fn attendant_email_is_unique_case_insensitively(store: Arc<dyn Store>) {
    store
        .create_attendant(attendant_record("admin", 3))
        .await
        .expect("create_attendant");
    store
        .create_attendant(attendant_record("bob@example.com", 3))
        .await
        .expect("create_attendant");
    for taken in ["bob@example.com", "BOB@example.com", "Admin"] {
        assert_err(
            store.create_attendant(attendant_record(taken, 3)).await,
            "Conflict",
            &format!("create_attendant with taken e-mail {taken:?}"),
        );
    }
    assert_eq!(
        store.count_attendants().await.expect("count"),
        2,
        "nothing written"
    );
}

/// An update and what it should do to the record.
type UpdateStep = (AttendantUpdate, Box<dyn Fn(&mut crate::Attendant)>);

pub async fn attendant_update_changes_each_field(store: Arc<dyn Store>) {
    let a = store
        .create_attendant(attendant_record("eve@example.com", 3))
        .await
        .expect("create_attendant");
    let mut want = a.clone();
    let steps: Vec<UpdateStep> = vec![
        (
            AttendantUpdate {
                name: Some("Eve".to_owned()),
                ..Default::default()
            },
            Box::new(|w| w.name = "Eve".to_owned()),
        ),
        (
            AttendantUpdate {
                avatar_url: Some(Some("https://example.com/e.png".to_owned())),
                ..Default::default()
            },
            Box::new(|w| w.avatar_url = Some("https://example.com/e.png".to_owned())),
        ),
        (
            AttendantUpdate {
                role: Some(Role::Admin),
                ..Default::default()
            },
            Box::new(|w| w.role = Role::Admin),
        ),
        (
            AttendantUpdate {
                skill: Some("billing/second".to_owned()),
                ..Default::default()
            },
            Box::new(|w| w.skill = "billing/second".to_owned()),
        ),
        (
            AttendantUpdate {
                queues: Some(vec![
                    QueueId::parse("billing").expect("id"),
                    QueueId::default_queue(),
                ]),
                ..Default::default()
            },
            Box::new(|w| {
                w.queues = vec![
                    QueueId::parse("billing").expect("id"),
                    QueueId::default_queue(),
                ]
            }),
        ),
        (
            AttendantUpdate {
                capacity: Some(7),
                ..Default::default()
            },
            Box::new(|w| w.capacity = 7),
        ),
        (
            AttendantUpdate {
                disabled: Some(true),
                ..Default::default()
            },
            Box::new(|w| w.disabled = true),
        ),
        (
            AttendantUpdate {
                password_hash: Some(None),
                ..Default::default()
            },
            Box::new(|w| w.password_hash = None),
        ),
        (
            AttendantUpdate {
                must_change_password: Some(true),
                ..Default::default()
            },
            Box::new(|w| w.must_change_password = true),
        ),
        (
            AttendantUpdate {
                avatar_url: Some(None),
                ..Default::default()
            },
            Box::new(|w| w.avatar_url = None),
        ),
        (AttendantUpdate::default(), Box::new(|_| {})),
    ];
    for (update, apply) in steps {
        apply(&mut want);
        let got = store
            .update_attendant(&a.id, update.clone())
            .await
            .expect("update_attendant");
        assert_eq!(got, want, "update_attendant({update:?}) returned");
        let stored = store.get_attendant(&a.id).await.expect("get_attendant");
        assert_eq!(stored.as_ref(), Some(&want), "stored after {update:?}");
    }
    let unknown = AttendantId::parse("nobody").expect("valid id");
    assert_err(
        store
            .update_attendant(&unknown, AttendantUpdate::default())
            .await,
        "NotFound",
        "update_attendant of unknown",
    );
}

pub async fn attendants_listed_by_email_and_counted(store: Arc<dyn Store>) {
    assert_eq!(store.count_attendants().await.expect("count"), 0);
    assert!(store.list_attendants().await.expect("list").is_empty());
    for email in [
        "carol@example.com",
        "admin",
        "Bob@example.com",
        "alice@example.com",
    ] {
        store
            .create_attendant(attendant_record(email, 3))
            .await
            .expect("create_attendant");
    }
    let emails: Vec<_> = store
        .list_attendants()
        .await
        .expect("list_attendants")
        .into_iter()
        .map(|a| a.email)
        .collect();
    assert_eq!(
        emails,
        [
            "admin",
            "alice@example.com",
            "bob@example.com",
            "carol@example.com"
        ],
        "ordered by e-mail"
    );
    assert_eq!(store.count_attendants().await.expect("count"), 4);
}

pub async fn auth_sessions_lifecycle(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 3).await;
    let b = new_attendant(&*store, 3).await;
    let session = |hash: &str, who: &AttendantId| AuthSession {
        token_hash: hash.to_owned(),
        attendant_id: who.clone(),
        created_at: T0,
        expires_at: T0 + 86_400_000,
    };
    for (hash, who) in [("h1", &a.id), ("h2", &a.id), ("h3", &b.id)] {
        store
            .create_auth_session(session(hash, who))
            .await
            .expect("create_auth_session");
    }
    let got = store
        .get_auth_session("h1")
        .await
        .expect("get_auth_session");
    assert_eq!(got, Some(session("h1", &a.id)));
    assert_eq!(store.get_auth_session("nope").await.expect("get"), None);

    store
        .delete_auth_session("h1")
        .await
        .expect("delete_auth_session");
    assert_eq!(
        store.get_auth_session("h1").await.expect("get"),
        None,
        "deleted"
    );
    store
        .delete_auth_session("h1")
        .await
        .expect("deleting an absent session is fine");
    assert!(
        store.get_auth_session("h2").await.expect("get").is_some(),
        "others stay"
    );

    store
        .delete_auth_sessions_of(&a.id, None)
        .await
        .expect("delete_auth_sessions_of");
    assert_eq!(
        store.get_auth_session("h2").await.expect("get"),
        None,
        "a's sessions gone"
    );
    assert_eq!(
        store.get_auth_session("h3").await.expect("get"),
        Some(session("h3", &b.id)),
        "b's session stays"
    );
}

/// Which of `hashes` still name a session.
async fn sessions_left<'h>(store: &dyn Store, hashes: &[&'h str]) -> Vec<&'h str> {
    let mut left = Vec::new();
    for &hash in hashes {
        if store.get_auth_session(hash).await.expect("get").is_some() {
            left.push(hash);
        }
    }
    left
}

/// Revoking with a `keep` spares that one session of the attendant's and only it; other
/// attendants' sessions are never touched, even when `keep` names one of them.
pub async fn revoking_sessions_can_keep_one(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 3).await;
    let b = new_attendant(&*store, 3).await;
    let idle = new_attendant(&*store, 3).await;
    let session = |hash: &str, who: &AttendantId| AuthSession {
        token_hash: hash.to_owned(),
        attendant_id: who.clone(),
        created_at: T0,
        expires_at: T0 + 86_400_000,
    };
    for (hash, who) in [("a1", &a.id), ("a2", &a.id), ("a3", &a.id), ("b1", &b.id)] {
        store
            .create_auth_session(session(hash, who))
            .await
            .expect("create_auth_session");
    }
    let hashes = ["a1", "a2", "a3", "b1"];

    store
        .delete_auth_sessions_of(&a.id, Some("a2"))
        .await
        .expect("delete_auth_sessions_of keeping a2");
    assert_eq!(
        sessions_left(&*store, &hashes).await,
        ["a2", "b1"],
        "a's other sessions go; the kept one and b's stay"
    );
    assert_eq!(
        store.get_auth_session("a2").await.expect("get"),
        Some(session("a2", &a.id)),
        "the kept session is unchanged"
    );

    store
        .delete_auth_sessions_of(&a.id, Some("b1"))
        .await
        .expect("delete_auth_sessions_of keeping another's session");
    assert_eq!(
        sessions_left(&*store, &hashes).await,
        ["b1"],
        "keeping someone else's session keeps none of a's, and b's is untouched"
    );

    store
        .delete_auth_sessions_of(&b.id, Some("b1"))
        .await
        .expect("delete_auth_sessions_of keeping the only one");
    assert_eq!(
        sessions_left(&*store, &hashes).await,
        ["b1"],
        "the only session is kept"
    );
    store
        .delete_auth_sessions_of(&idle.id, Some("nope"))
        .await
        .expect("an attendant without sessions is not an error");
    store
        .delete_auth_sessions_of(&b.id, None)
        .await
        .expect("delete_auth_sessions_of");
    assert!(
        sessions_left(&*store, &hashes).await.is_empty(),
        "without keep, all go"
    );
}

pub async fn queues_upsert_replaces_and_lists_by_id(store: Arc<dyn Store>) {
    let queue = |id: &str, name: &str| Queue {
        id: QueueId::parse(id).expect("valid id"),
        name: name.to_owned(),
        mode: AssignmentMode::Auto,
        skill: None,
        greeting: Some("Hi!".to_owned()),
        away_message: None,
        calls: CallPolicy::default(),
        bot: None,
        hours: None,
    };
    assert!(store.list_queues().await.expect("list_queues").is_empty());
    store
        .upsert_queue(queue("support", "Support"))
        .await
        .expect("upsert");
    store
        .upsert_queue(queue("billing", "Billing"))
        .await
        .expect("upsert");
    let replaced = Queue {
        mode: AssignmentMode::Manual,
        skill: Some("billing".to_owned()),
        greeting: None,
        away_message: Some("Back at 9".to_owned()),
        calls: CallPolicy::EitherSide,
        bot: Some(crate::QueueBot {
            name: "Billy".to_owned(),
            timeout_secs: 90,
        }),
        hours: Some(chimpassist_protocol::hours::BusinessHours {
            time_zone: "America/Sao_Paulo".to_owned(),
            weekly: vec![chimpassist_protocol::hours::OpenSpan {
                day: chimpassist_protocol::hours::Day::Mon,
                open: "09:00".to_owned(),
                close: "18:00".to_owned(),
            }],
            holidays: vec!["2026-12-25".to_owned()],
        }),
        ..queue("billing", "Billing & invoices")
    };
    store.upsert_queue(replaced.clone()).await.expect("upsert");
    let got = store.get_queue(&replaced.id).await.expect("get_queue");
    assert_eq!(got.as_ref(), Some(&replaced), "upsert replaces every field");
    let unbotted = Queue {
        bot: None,
        ..replaced.clone()
    };
    store.upsert_queue(unbotted.clone()).await.expect("upsert");
    let got = store.get_queue(&replaced.id).await.expect("get_queue");
    assert_eq!(got, Some(unbotted), "the bot can be taken off again");
    store.upsert_queue(replaced.clone()).await.expect("upsert");
    let unknown = QueueId::parse("nope").expect("valid id");
    assert_eq!(store.get_queue(&unknown).await.expect("get_queue"), None);
    let all = store.list_queues().await.expect("list_queues");
    assert_eq!(
        all,
        vec![replaced, queue("support", "Support")],
        "ordered by id"
    );
}
