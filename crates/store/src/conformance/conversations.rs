//! Conversations: creation, one open per customer, ratings.

use std::sync::Arc;

use chimpassist_protocol::{ConversationId, ConversationStatus::*, Rating};

use super::support::*;
use crate::{AttendantChange, Conversation, Store, StoreError};

pub async fn conversation_create_and_get(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let new = new_conversation(&customer.id, T0);
    let created = store
        .create_conversation(new.clone())
        .await
        .expect("create_conversation");
    let want = Conversation {
        id: new.id,
        customer_id: customer.id.clone(),
        queue_id: new.queue_id.clone(),
        status: Queued,
        attendant_id: None,
        requested_at: T0,
        assigned_at: None,
        ended_at: None,
        last_seq: 0,
        rating: None,
        subject: new.subject.clone(),
    };
    assert_eq!(created, want, "a new conversation is queued and empty");
    let got = store
        .get_conversation(&new.id)
        .await
        .expect("get_conversation");
    assert_eq!(got, Some(want));
    let unknown = store
        .get_conversation(&ConversationId::new())
        .await
        .expect("get_conversation");
    assert_eq!(unknown, None);
}

pub async fn one_open_conversation_per_customer(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let first = store
        .create_conversation(new_conversation(&customer.id, T0))
        .await
        .expect("create_conversation");
    assert_err(
        store
            .create_conversation(new_conversation(&customer.id, T0 + 1))
            .await,
        "Conflict",
        "second queued conversation of one customer",
    );
    // Still refused while the first is assigned, then active.
    let a = new_attendant(&*store, 5).await;
    assign(&*store, first.id, &a.id, T0 + 2).await;
    assert_err(
        store
            .create_conversation(new_conversation(&customer.id, T0 + 3))
            .await,
        "Conflict",
        "second conversation while one is assigned",
    );
    let other = new_customer(&*store).await;
    store
        .create_conversation(new_conversation(&other.id, T0 + 4))
        .await
        .expect("another customer may open one");
    let open = store.list_open_conversations().await.expect("list_open");
    assert_eq!(open.len(), 2, "the refused creates wrote nothing");
}

pub async fn concurrent_creates_leave_one_open_conversation(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let results = concurrently(10, |i| {
        let store = store.clone();
        let new = new_conversation(&customer.id, T0 + i as i64);
        async move { store.create_conversation(new).await }
    })
    .await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict(_))))
        .count();
    assert_eq!(
        (won, conflicts),
        (1, 9),
        "10 concurrent creates: {results:?}"
    );
    let mine = store
        .customer_conversations(&customer.id, 0, 100)
        .await
        .expect("customer_conversations");
    assert_eq!(mine.len(), 1, "exactly one conversation stored");
}

pub async fn new_conversation_after_previous_ended(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let first = store
        .create_conversation(new_conversation(&customer.id, T0))
        .await
        .expect("create_conversation");
    resolve(&*store, first.id, T0 + 10).await;
    let second = store
        .create_conversation(new_conversation(&customer.id, T0 + 20))
        .await
        .expect("a new conversation after the previous one was resolved");
    store
        .transition(transition(
            second.id,
            &[Queued],
            Abandoned,
            AttendantChange::Clear,
            T0 + 30,
        ))
        .await
        .expect("abandon");
    store
        .create_conversation(new_conversation(&customer.id, T0 + 40))
        .await
        .expect("a new conversation after the previous one was abandoned");
}

pub async fn reopening_conflicts_with_another_open_conversation(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let old = store
        .create_conversation(new_conversation(&customer.id, T0))
        .await
        .expect("create_conversation");
    resolve(&*store, old.id, T0 + 1).await;
    store
        .create_conversation(new_conversation(&customer.id, T0 + 2))
        .await
        .expect("create_conversation");
    assert_err(
        store
            .transition(transition(
                old.id,
                &[Resolved],
                Queued,
                AttendantChange::Clear,
                T0 + 3,
            ))
            .await,
        "Conflict",
        "re-opening while the customer has another open conversation",
    );
    let stored = store
        .get_conversation(&old.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        stored.status, Resolved,
        "the refused re-open changed nothing"
    );
}

pub async fn rating_set_replaced_and_not_found(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    resolve(&*store, conv.id, T0 + 1).await;
    let first = Rating {
        score: 5,
        comment: Some("great".to_owned()),
    };
    store
        .set_rating(&conv.id, first.clone(), T0 + 1)
        .await
        .expect("set_rating");
    let got = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.rating, Some(first));
    let second = Rating {
        score: 2,
        comment: None,
    };
    store
        .set_rating(&conv.id, second.clone(), T0 + 2)
        .await
        .expect("set_rating again");
    let got = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.rating, Some(second), "a new rating replaces the old");
    assert_err(
        store
            .set_rating(
                &ConversationId::new(),
                Rating {
                    score: 3,
                    comment: None,
                },
                T0,
            )
            .await,
        "NotFound",
        "set_rating on unknown",
    );
}
