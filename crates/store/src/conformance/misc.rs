//! Readiness, settings, read-your-writes, receipts, callbacks.

use std::cmp::Reverse;
use std::sync::Arc;

use chimpassist_protocol::{
    CallbackId, ConversationId, Party, QueueId, Rating, ReceiptKind, Receipts,
};
use uuid::Uuid;

use super::support::*;
use crate::{Callback, CallbackCursor, CallbackFilter, Store};

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
            T0,
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

pub(super) fn callback(created_at: i64, name: &str) -> Callback {
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

/// One page large enough for every callback the filter lets through.
async fn list_callbacks(store: &dyn Store, filter: CallbackFilter) -> Vec<Callback> {
    store
        .list_callbacks(filter, None, 100)
        .await
        .expect("list_callbacks")
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
    let open = list_callbacks(&*store, CallbackFilter::Open).await;
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

    let open = list_callbacks(&*store, CallbackFilter::Open).await;
    assert_eq!(
        open,
        vec![third.clone(), first.clone()],
        "done callbacks are not open"
    );
    let all = list_callbacks(&*store, CallbackFilter::All).await;
    assert_eq!(
        all,
        vec![third.clone(), again.clone(), first],
        "All lists done ones too, newest first"
    );

    // A customer's own, done or not, newest first; nobody else's.
    let mut later = callback(T0 + 5, "later");
    later.customer_id = Some(customer.id.clone());
    store.create_callback(later.clone()).await.expect("create");
    assert_eq!(
        store.customer_callbacks(&customer.id).await.unwrap(),
        vec![later, again],
        "customer_callbacks"
    );
    let stranger = new_customer(&*store).await;
    assert!(
        store
            .customer_callbacks(&stranger.id)
            .await
            .unwrap()
            .is_empty()
    );

    assert_err(
        store
            .mark_callback_done(&CallbackId::new(), &a.id, T0)
            .await,
        "NotFound",
        "mark_callback_done on unknown",
    );
}

/// Every page of `filter` with `limit` per page, the final (empty) one included.
async fn callback_pages(
    store: &dyn Store,
    filter: CallbackFilter,
    limit: u64,
) -> Vec<Vec<Callback>> {
    let mut pages: Vec<Vec<Callback>> = Vec::new();
    let mut before = None;
    loop {
        assert!(
            pages.len() < 20,
            "{filter:?}: paging does not end (a cursor repeats or skips back)"
        );
        let page = store
            .list_callbacks(filter, before.clone(), limit)
            .await
            .expect("list_callbacks");
        before = page.last().map(|c| CallbackCursor {
            created_at: c.created_at,
            id: c.id,
        });
        let last = page.is_empty();
        pages.push(page);
        if last {
            return pages;
        }
    }
}

/// Paging by `(created_at, id)` cursors visits every callback a filter lets through exactly
/// once, newest first, however many share a timestamp, and ends with an empty page.
pub async fn callbacks_page_by_cursor_through_each_filter(store: Arc<dyn Store>) {
    // Three share T0 + 2 and two share T0 + 3. Ids are chosen so their order is neither the
    // insertion order nor the same when bytes are read as signed (0x80… above 0x7f…).
    let specs: [(u128, i64, &str); 7] = [
        (0x7f00_0000_0000_4000_8000_0000_0000_0001, T0 + 2, "tie-7f"),
        (0x0100_0000_0000_4000_8000_0000_0000_0002, T0 + 4, "newest"),
        (0x8000_0000_0000_4000_8000_0000_0000_0003, T0 + 2, "tie-80"),
        (0x2000_0000_0000_4000_8000_0000_0000_0004, T0 + 1, "oldest"),
        (0xff00_0000_0000_4000_8000_0000_0000_0005, T0 + 3, "pair-ff"),
        (0x0000_0000_0000_4000_8000_0000_0000_0006, T0 + 2, "tie-00"),
        (0x1000_0000_0000_4000_8000_0000_0000_0007, T0 + 3, "pair-10"),
    ];
    let mut stored = Vec::new();
    for (id, created_at, name) in specs {
        let cb = Callback {
            id: CallbackId::from(Uuid::from_u128(id)),
            ..callback(created_at, name)
        };
        store
            .create_callback(cb.clone())
            .await
            .expect("create_callback");
        stored.push(cb);
    }
    let marker = new_attendant(&*store, 3).await;
    for name in ["tie-80", "pair-10", "oldest"] {
        let cb = stored.iter_mut().find(|c| c.name == name).expect("spec");
        *cb = store
            .mark_callback_done(&cb.id, &marker.id, T0 + 10)
            .await
            .expect("mark_callback_done");
    }
    stored.sort_by_key(|c| Reverse((c.created_at, c.id)));

    for filter in [
        CallbackFilter::Open,
        CallbackFilter::Done,
        CallbackFilter::All,
    ] {
        let expected: Vec<Callback> = stored
            .iter()
            .filter(|c| filter.allows(c))
            .cloned()
            .collect();
        let pages = callback_pages(&*store, filter, 2).await;
        let (last, full) = pages.split_last().expect("at least one page");
        assert!(
            last.is_empty(),
            "{filter:?}: paging ends with an empty page"
        );
        let sizes: Vec<usize> = full.iter().map(Vec::len).collect();
        let want: Vec<usize> = expected.chunks(2).map(<[Callback]>::len).collect();
        assert_eq!(sizes, want, "{filter:?}: pages of 2 until the rest");
        let names = |list: &[Callback]| list.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        let seen: Vec<Callback> = full.concat();
        assert_eq!(
            names(&seen),
            names(&expected),
            "{filter:?}: each once, newest first by (created_at, id)"
        );
        assert_eq!(seen, expected, "{filter:?}: records as stored");
    }

    // A cursor need not be a stored callback: it is a position in the order.
    let between = CallbackCursor {
        created_at: T0 + 2,
        id: CallbackId::from(Uuid::from_u128(0x7f00_0000_0000_4000_8000_0000_0000_0000)),
    };
    let below = store
        .list_callbacks(CallbackFilter::All, Some(between), 10)
        .await
        .expect("list_callbacks");
    let names: Vec<&str> = below.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["tie-00", "oldest"], "strictly below the cursor");
    let none = store
        .list_callbacks(CallbackFilter::All, None, 0)
        .await
        .expect("list_callbacks");
    assert!(none.is_empty(), "a limit of 0 lists nothing: {none:?}");
}
