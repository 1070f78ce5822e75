//! Readiness, settings, read-your-writes, receipts, callbacks.

use std::sync::Arc;

use chimpassist_protocol::{
    CallbackId, ConversationId, Party, QueueId, Rating, ReceiptKind, Receipts,
};

use super::support::*;
use crate::{Callback, Store};

pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.expect("ping on a fresh store");
}

/// Concurrent first calls agree on one value, and it never changes afterwards.
pub async fn setting_or_init_is_atomic(store: Arc<dyn Store>) {
    let values = concurrently(20, |i| {
        let store = store.clone();
        async move {
            store
                .setting_or_init("identity_secret", format!("secret-{i}"))
                .await
                .expect("setting_or_init")
        }
    })
    .await;
    let first = &values[0];
    assert!(
        values.iter().all(|v| v == first),
        "concurrent setting_or_init disagreed: {values:?}"
    );
    assert!(
        (0..20).any(|i| *first == format!("secret-{i}")),
        "stored value {first:?} is none of the offered ones"
    );
    let again = store
        .setting_or_init("identity_secret", "other".to_owned())
        .await
        .expect("setting_or_init");
    assert_eq!(&again, first, "a later init replaced the stored value");
    let other_key = store
        .setting_or_init("other_key", "x".to_owned())
        .await
        .expect("setting_or_init");
    assert_eq!(other_key, "x", "keys are independent");
}

/// Every read started after a write returned sees it, from many tasks at once.
pub async fn reads_see_acknowledged_writes(store: Arc<dyn Store>) {
    let conversation = queued_conversation(&*store, T0).await;
    concurrently(8, |i| {
        let store = store.clone();
        let customer = conversation.customer_id.clone();
        async move {
            for n in 0..25 {
                let m = customer_message(conversation.id, &customer, &format!("{i}/{n}"), T0);
                let appended = store.append_message(m.clone()).await.expect("append");
                let seq = appended.message.seq;
                let seen = store
                    .messages_after(&conversation.id, seq - 1, 1)
                    .await
                    .expect("messages_after");
                assert_eq!(
                    seen.first().map(|s| s.client_id),
                    Some(m.client_id),
                    "message {seq} not visible right after its append returned"
                );
                let conv = store
                    .get_conversation(&conversation.id)
                    .await
                    .expect("get_conversation")
                    .expect("conversation exists");
                assert!(
                    conv.last_seq >= seq,
                    "last_seq {} lags seq {seq}",
                    conv.last_seq
                );
            }
        }
    })
    .await;
    store
        .set_rating(
            &conversation.id,
            Rating {
                score: 4,
                comment: None,
            },
        )
        .await
        .expect("set_rating");
    let conv = store
        .get_conversation(&conversation.id)
        .await
        .expect("get_conversation")
        .expect("conversation exists");
    assert_eq!(conv.rating.map(|r| r.score), Some(4), "rating not visible");
}

/// Receipts are per (party, kind), only rise, and stay monotonic under concurrency.
pub async fn receipts_only_move_forward(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let id = conv.id;
    let initial = store.receipts(&id).await.expect("receipts");
    assert_eq!(
        initial,
        Receipts::default(),
        "a new conversation has zero receipts"
    );

    let r = store
        .record_receipt(&id, Party::Customer, ReceiptKind::Delivered, 5)
        .await
        .expect("record_receipt");
    let want = Receipts {
        customer_delivered: 5,
        ..Receipts::default()
    };
    assert_eq!(r, want, "only customer_delivered moves");
    store
        .record_receipt(&id, Party::Customer, ReceiptKind::Read, 3)
        .await
        .expect("record_receipt");
    let lowered = store
        .record_receipt(&id, Party::Customer, ReceiptKind::Delivered, 2)
        .await
        .expect("record_receipt");
    assert_eq!(
        lowered.customer_delivered, 5,
        "a lower receipt lowered the stored one"
    );
    store
        .record_receipt(&id, Party::Attendant, ReceiptKind::Delivered, 9)
        .await
        .expect("record_receipt");
    let r = store
        .record_receipt(&id, Party::Attendant, ReceiptKind::Read, 7)
        .await
        .expect("record_receipt");
    let want = Receipts {
        customer_delivered: 5,
        customer_read: 3,
        attendant_delivered: 9,
        attendant_read: 7,
    };
    assert_eq!(r, want, "record_receipt returns all four receipts");
    assert_eq!(store.receipts(&id).await.expect("receipts"), want);

    concurrently(20, |i| {
        let store = store.clone();
        async move {
            store
                .record_receipt(&id, Party::Attendant, ReceiptKind::Read, 10 + i as u64)
                .await
                .expect("record_receipt")
        }
    })
    .await;
    let r = store.receipts(&id).await.expect("receipts");
    assert_eq!(
        r.attendant_read, 29,
        "concurrent receipts must end at the highest"
    );
    assert_eq!(r.customer_delivered, 5, "other receipts untouched");

    let unknown = ConversationId::new();
    assert_err(
        store.receipts(&unknown).await,
        "NotFound",
        "receipts of unknown",
    );
    assert_err(
        store
            .record_receipt(&unknown, Party::Customer, ReceiptKind::Read, 1)
            .await,
        "NotFound",
        "record_receipt on unknown",
    );
}

fn callback(created_at: i64, name: &str) -> Callback {
    Callback {
        id: CallbackId::new(),
        queue_id: QueueId::default_queue(),
        customer_id: None,
        name: name.to_owned(),
        phone: Some("+55 11 99999-0000".to_owned()),
        email: None,
        preferred_time: Some("after 18h".to_owned()),
        note: Some("about my invoice".to_owned()),
        created_at,
        done_at: None,
        done_by: None,
    }
}

/// Create, list open vs all (newest first), mark done once (first marker wins), NotFound.
pub async fn callbacks_lifecycle(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let first = callback(T0 + 1, "first");
    let mut second = callback(T0 + 2, "second");
    second.customer_id = Some(customer.id.clone());
    second.email = Some("c@example.com".to_owned());
    let third = callback(T0 + 3, "third");
    // Created out of order: the list orders by creation time, not insertion.
    for cb in [&second, &third, &first] {
        store
            .create_callback(cb.clone())
            .await
            .expect("create_callback");
    }
    let open = store.list_callbacks(false).await.expect("list_callbacks");
    assert_eq!(
        open,
        vec![third.clone(), second.clone(), first.clone()],
        "newest first"
    );

    let a = new_attendant(&*store, 3).await;
    let b = new_attendant(&*store, 3).await;
    let done = store
        .mark_callback_done(&second.id, &a.id, T0 + 10)
        .await
        .expect("mark_callback_done");
    assert_eq!(done.done_at, Some(T0 + 10));
    assert_eq!(done.done_by, Some(a.id.clone()));
    assert_eq!(done.name, "second", "mark_callback_done returns the record");

    let again = store
        .mark_callback_done(&second.id, &b.id, T0 + 20)
        .await
        .expect("mark_callback_done twice");
    assert_eq!(
        (again.done_at, again.done_by.clone()),
        (Some(T0 + 10), Some(a.id.clone())),
        "marking twice must keep the first done_at/done_by"
    );

    let open = store.list_callbacks(false).await.expect("list_callbacks");
    assert_eq!(
        open,
        vec![third.clone(), first.clone()],
        "done callbacks are not open"
    );
    let all = store.list_callbacks(true).await.expect("list_callbacks");
    assert_eq!(
        all,
        vec![third, again, first],
        "include_done lists all, newest first"
    );

    assert_err(
        store
            .mark_callback_done(&CallbackId::new(), &a.id, T0)
            .await,
        "NotFound",
        "mark_callback_done on unknown",
    );
}
