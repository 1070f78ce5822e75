//! The status compare-and-set: preconditions, timestamps, capacity.

use std::sync::Arc;

use chimpassist_protocol::{ConversationId, ConversationStatus::*, Rating};

use super::support::*;
use crate::{AttendantChange, Conversation, Store, StoreError};

pub async fn transition_is_compare_and_set(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let a = new_attendant(&*store, 5).await;
    assert_err(
        store
            .transition(transition(
                conv.id,
                &[Assigned, Active],
                Resolved,
                AttendantChange::Keep,
                T0 + 1,
            ))
            .await,
        "Conflict",
        "transition from the wrong status",
    );
    let unchanged = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(unchanged, conv, "a refused transition changes nothing");

    let assigned = store
        .transition(transition(
            conv.id,
            &[Queued, Assigned],
            Assigned,
            AttendantChange::Set(a.id.clone()),
            T0 + 2,
        ))
        .await
        .expect("transition from one of several allowed statuses");
    assert_eq!(
        (assigned.status, assigned.attendant_id.clone()),
        (Assigned, Some(a.id.clone()))
    );
    let stored = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored, assigned, "transition returns the stored record");

    assert_err(
        store
            .transition(transition(
                ConversationId::new(),
                &[Queued],
                Assigned,
                AttendantChange::Keep,
                T0,
            ))
            .await,
        "NotFound",
        "transition of an unknown conversation",
    );
}

pub async fn concurrent_transitions_one_wins(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let mut attendants = Vec::new();
    for _ in 0..10 {
        attendants.push(new_attendant(&*store, 5).await.id);
    }
    let results = concurrently(10, |i| {
        let store = store.clone();
        let t = transition(
            conv.id,
            &[Queued],
            Assigned,
            AttendantChange::Set(attendants[i].clone()),
            T0 + 1,
        );
        async move { store.transition(t).await }
    })
    .await;
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one of 10 racing transitions wins: {results:?}"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict(_)))),
        "the losers get Conflict: {results:?}"
    );
    let stored = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(&stored, winners[0], "the winner's change is what is stored");
}

pub async fn transition_timestamps_follow_target_status(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 5).await;
    let b = new_attendant(&*store, 5).await;
    let conv = queued_conversation(&*store, T0).await;
    let c = assign(&*store, conv.id, &a.id, T0 + 10).await;
    assert_eq!(
        (c.assigned_at, c.ended_at, c.requested_at),
        (Some(T0 + 10), None, T0)
    );

    let keep = |from, to, at| transition(conv.id, &[from], to, AttendantChange::Keep, at);
    let c = store
        .transition(keep(Assigned, Active, T0 + 20))
        .await
        .expect("activate");
    assert_eq!(
        (c.status, c.assigned_at, c.ended_at),
        (Active, Some(T0 + 10), None)
    );
    assert_eq!(
        c.attendant_id,
        Some(a.id.clone()),
        "Keep keeps the attendant"
    );

    // A transfer to another attendant is a new assignment.
    let c = store
        .transition(transition(
            conv.id,
            &[Active],
            Assigned,
            AttendantChange::Set(b.id.clone()),
            T0 + 30,
        ))
        .await
        .expect("transfer");
    assert_eq!(
        (c.attendant_id.clone(), c.assigned_at),
        (Some(b.id.clone()), Some(T0 + 30))
    );

    let c = store
        .transition(keep(Assigned, Resolved, T0 + 40))
        .await
        .expect("resolve");
    assert_eq!(
        (c.status, c.assigned_at, c.ended_at),
        (Resolved, Some(T0 + 30), Some(T0 + 40))
    );
    assert_eq!(
        c.attendant_id,
        Some(b.id.clone()),
        "an ended conversation keeps its attendant"
    );

    let other = queued_conversation(&*store, T0).await;
    let c = store
        .transition(transition(
            other.id,
            &[Queued],
            Abandoned,
            AttendantChange::Clear,
            T0 + 50,
        ))
        .await
        .expect("abandon");
    assert_eq!(
        (c.status, c.assigned_at, c.ended_at),
        (Abandoned, None, Some(T0 + 50))
    );

    let third = queued_conversation(&*store, T0).await;
    assign(&*store, third.id, &a.id, T0 + 60).await;
    let c = store
        .transition(transition(
            third.id,
            &[Assigned],
            Expired,
            AttendantChange::Keep,
            T0 + 70,
        ))
        .await
        .expect("expire");
    assert_eq!(
        (c.status, c.assigned_at, c.ended_at),
        (Expired, Some(T0 + 60), Some(T0 + 70))
    );
    let stored = store
        .get_conversation(&third.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored, c);
}

pub async fn requeue_clears_assignment_and_keeps_request_time(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 5).await;
    let conv = queued_conversation(&*store, T0).await;
    assign(&*store, conv.id, &a.id, T0 + 10).await;
    let m = customer_message(conv.id, &conv.customer_id, "hello", T0 + 11);
    store.append_message(m).await.expect("append");
    resolve(&*store, conv.id, T0 + 20).await;
    let rating = Rating {
        score: 5,
        comment: Some("great".to_owned()),
    };
    store
        .set_rating(&conv.id, rating, T0)
        .await
        .expect("set_rating");

    // The customer writes again: back to the queue.
    let c = store
        .transition(transition(
            conv.id,
            &[Resolved],
            Queued,
            AttendantChange::Clear,
            T0 + 30,
        ))
        .await
        .expect("requeue");
    let want = Conversation {
        status: Queued,
        attendant_id: None,
        assigned_at: None,
        ended_at: None,
        rating: None,
        last_seq: 1,
        ..conv.clone()
    };
    assert_eq!(
        c, want,
        "re-queue clears assignment, end and rating, keeps requested_at"
    );
    let stored = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored, want);
}

pub async fn capacity_is_atomic_under_concurrency(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 3).await;
    let mut queued = Vec::new();
    for i in 0..20 {
        queued.push(queued_conversation(&*store, T0 + i).await.id);
    }
    let results = concurrently(20, |i| {
        let store = store.clone();
        let mut t = transition(
            queued[i],
            &[Queued],
            Assigned,
            AttendantChange::Set(a.id.clone()),
            T0 + 100,
        );
        t.capacity = Some(3);
        async move { store.transition(t).await }
    })
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let full = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::AtCapacity)))
        .count();
    assert_eq!(
        (ok, full),
        (3, 17),
        "capacity 3, 20 racing assignments: {results:?}"
    );
    let open = store.list_open_conversations().await.expect("list_open");
    let held = open
        .iter()
        .filter(|c| c.attendant_id.as_ref() == Some(&a.id))
        .count();
    assert_eq!(held, 3, "the attendant holds exactly their capacity");
    assert_eq!(
        open.iter().filter(|c| c.status == Queued).count(),
        17,
        "the rest stay queued"
    );
}

pub async fn capacity_counts_only_other_assigned_and_active(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 1).await;
    let with_cap = |id, from: &[_], to| {
        let mut t = transition(id, from, to, AttendantChange::Set(a.id.clone()), T0 + 1);
        t.capacity = Some(1);
        t
    };
    let x = queued_conversation(&*store, T0).await.id;
    let y = queued_conversation(&*store, T0).await.id;
    store
        .transition(with_cap(x, &[Queued], Assigned))
        .await
        .expect("first fits");
    assert_err(
        store.transition(with_cap(y, &[Queued], Assigned)).await,
        "AtCapacity",
        "second",
    );
    assert_eq!(
        store
            .get_conversation(&y)
            .await
            .expect("get")
            .expect("exists")
            .status,
        Queued,
        "AtCapacity changes nothing"
    );
    store
        .transition(with_cap(x, &[Assigned], Active))
        .await
        .expect("the conversation itself does not count against the limit");

    // Without a capacity the limit is not checked.
    let z = queued_conversation(&*store, T0).await.id;
    assign(&*store, z, &a.id, T0 + 2).await;
    // Back to the queue, still naming the attendant: queued ones do not count.
    store
        .transition(transition(
            z,
            &[Assigned],
            Queued,
            AttendantChange::Keep,
            T0 + 3,
        ))
        .await
        .expect("requeue");
    store
        .transition(transition(
            x,
            &[Active],
            Resolved,
            AttendantChange::Keep,
            T0 + 4,
        ))
        .await
        .expect("resolve");
    store
        .transition(with_cap(y, &[Queued], Assigned))
        .await
        .expect("resolved and queued conversations do not count");
}

pub async fn transition_can_move_queue_and_request_time(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 5).await;
    let conv = queued_conversation(&*store, T0).await;
    assign(&*store, conv.id, &a.id, T0 + 10).await;
    let billing = chimpassist_protocol::QueueId::parse("billing").expect("queue id");
    let mut t = transition(
        conv.id,
        &[Assigned],
        Queued,
        AttendantChange::Clear,
        T0 + 20,
    );
    t.queue = Some(billing.clone());
    t.requested_at = Some(T0 + 20);
    let moved = store.transition(t).await.expect("transfer to queue");
    assert_eq!(moved.queue_id, billing);
    assert_eq!(moved.requested_at, T0 + 20);
    assert_eq!(moved.status, Queued);
    let stored = store
        .get_conversation(&conv.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(stored, moved, "the move is persisted");
    let open = store.list_open_conversations().await.expect("list_open");
    assert_eq!(open.iter().find(|c| c.id == conv.id), Some(&moved));
}

/// A list of writes applies in order (a transition sees the creation before it), each on
/// its own: a refused one changes nothing and leaves the others, and answers in its place.
pub async fn conversation_writes_apply_in_order_each_on_its_own(store: Arc<dyn Store>) {
    use crate::{ConversationWrite, NewConversation};
    let a = new_attendant(&*store, 1).await;
    let first = new_customer(&*store).await;
    let second = new_customer(&*store).await;
    let new_first = new_conversation(&first.id, T0);
    let new_second = new_conversation(&second.id, T0 + 1);
    let assign = |id, at| {
        let mut t = transition(
            id,
            &[Queued],
            Assigned,
            AttendantChange::Set(a.id.clone()),
            at,
        );
        t.capacity = Some(1);
        ConversationWrite::Transition(t)
    };
    let again = NewConversation {
        id: ConversationId::new(),
        ..new_first.clone()
    };
    let answers = store
        .write_conversations(vec![
            ConversationWrite::Create(new_first.clone()),
            assign(new_first.id, T0 + 2),
            // The customer's conversation is open: refused, and nothing else is undone.
            ConversationWrite::Create(again.clone()),
            ConversationWrite::Create(new_second.clone()),
            // The attendant's capacity of 1 is taken by the first assignment above.
            assign(new_second.id, T0 + 3),
            ConversationWrite::Transition(transition(
                new_second.id,
                &[Queued],
                Abandoned,
                AttendantChange::Keep,
                T0 + 4,
            )),
        ])
        .await;
    assert_eq!(answers.len(), 6, "one answer per write");
    let mut answers = answers.into_iter();
    let created = answers.next().expect("1").expect("the first creation");
    assert_eq!(created, Conversation::from(new_first.clone()));
    let assigned = answers
        .next()
        .expect("2")
        .expect("assigned after its creation");
    assert_eq!(
        (
            assigned.status,
            assigned.attendant_id.clone(),
            assigned.assigned_at
        ),
        (Assigned, Some(a.id.clone()), Some(T0 + 2))
    );
    assert_err(
        answers.next().expect("3"),
        "Conflict",
        "second open conversation",
    );
    assert!(
        answers.next().expect("4").is_ok(),
        "the second customer's creation"
    );
    assert_err(
        answers.next().expect("5"),
        "AtCapacity",
        "capacity taken in the batch",
    );
    let abandoned = answers.next().expect("6").expect("abandoned");
    assert_eq!(
        (abandoned.status, abandoned.ended_at),
        (Abandoned, Some(T0 + 4))
    );

    let stored = |id| {
        let store = store.clone();
        async move { store.get_conversation(&id).await.expect("get") }
    };
    assert_eq!(stored(new_first.id).await, Some(assigned));
    assert_eq!(
        stored(again.id).await,
        None,
        "a refused creation writes nothing"
    );
    assert_eq!(stored(new_second.id).await, Some(abandoned));
    assert!(
        store.write_conversations(Vec::new()).await.is_empty(),
        "nothing to write, nothing answered"
    );
}
