//! Conversation lists: open ones, a customer's, an attendant's.

use std::sync::Arc;

use chimpassist_protocol::{AttendantId, ConversationStatus::*, CustomerId};

use super::support::*;
use crate::{AttendantChange, Conversation, Store};

pub async fn open_conversations_oldest_first(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 5).await;
    let late = queued_conversation(&*store, T0 + 30).await;
    let early = queued_conversation(&*store, T0 + 10).await;
    let middle = queued_conversation(&*store, T0 + 20).await;
    let ended = queued_conversation(&*store, T0 + 5).await;
    resolve(&*store, ended.id, T0 + 40).await;
    let middle = assign(&*store, middle.id, &a.id, T0 + 41).await;
    let early = store
        .transition(transition(
            early.id,
            &[Queued],
            Active,
            AttendantChange::Set(a.id.clone()),
            T0 + 42,
        ))
        .await
        .expect("activate");
    let open = store.list_open_conversations().await.expect("list_open");
    assert_eq!(
        open,
        vec![early, middle, late],
        "open ones, oldest request first"
    );
}

/// Resolves each conversation before the next, so one customer can have several.
async fn history(store: &dyn Store, customer: &CustomerId, n: i64) -> Vec<Conversation> {
    let mut made = Vec::new();
    for i in 0..n {
        let c = store
            .create_conversation(new_conversation(customer, T0 + i * 100))
            .await
            .expect("create_conversation");
        made.push(resolve(store, c.id, T0 + i * 100 + 50).await);
    }
    made
}

pub async fn customer_conversations_newest_first_paged(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let other = new_customer(&*store).await;
    let mut mine = history(&*store, &customer.id, 5).await;
    history(&*store, &other.id, 2).await;
    mine.reverse();
    let page = |offset, limit| {
        let store = store.clone();
        let id = customer.id.clone();
        async move {
            store
                .customer_conversations(&id, offset, limit)
                .await
                .expect("list")
        }
    };
    assert_eq!(page(0, 10).await, mine, "all of them, newest first");
    assert_eq!(page(1, 2).await, mine[1..3], "offset 1, limit 2");
    assert_eq!(page(4, 10).await, mine[4..], "the last page");
    assert!(page(5, 10).await.is_empty(), "past the end");
}

pub async fn attendant_conversations_newest_first_paged(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 10).await;
    let b = new_attendant(&*store, 10).await;
    let idle = new_attendant(&*store, 10).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = queued_conversation(&*store, T0 + i * 10).await;
        assign(&*store, c.id, &a.id, T0 + 100).await;
        ids.push(c.id);
    }
    let c4 = queued_conversation(&*store, T0 + 15).await;
    assign(&*store, c4.id, &b.id, T0 + 100).await;
    resolve(&*store, ids[0], T0 + 200).await;
    // A transfer: the conversation stays in a's history and joins b's.
    store
        .transition(transition(
            ids[2],
            &[Assigned],
            Assigned,
            AttendantChange::Set(b.id.clone()),
            T0 + 300,
        ))
        .await
        .expect("transfer");

    let list = |who: AttendantId, offset, limit| {
        let store = store.clone();
        async move {
            store
                .attendant_conversations(&who, offset, limit)
                .await
                .expect("attendant_conversations")
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(a.id.clone(), 0, 10).await,
        vec![ids[2], ids[1], ids[0]],
        "a, newest first"
    );
    assert_eq!(
        list(b.id.clone(), 0, 10).await,
        vec![ids[2], c4.id],
        "b, newest first"
    );
    assert_eq!(
        list(a.id.clone(), 1, 1).await,
        vec![ids[1]],
        "offset 1, limit 1"
    );
    assert!(list(a.id.clone(), 3, 10).await.is_empty(), "past the end");
    assert!(
        list(idle.id.clone(), 0, 10).await.is_empty(),
        "never assigned"
    );
    let full = store
        .attendant_conversations(&a.id, 0, 1)
        .await
        .expect("list");
    let stored = store
        .get_conversation(&ids[2])
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(full, vec![stored], "lists hold the current records");
}
