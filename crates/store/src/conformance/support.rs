//! Builders and helpers shared by the checks.

use std::future::Future;
use std::sync::Arc;

use chimpassist_protocol::{
    AttendantId, ClientMessageId, ConversationId, ConversationStatus, CustomerId, MessageText,
    Party, QueueId, Role, TimestampMs,
};
use tokio::sync::Barrier;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::{
    Attendant, AttendantChange, Conversation, Customer, NewConversation, NewMessage, Store,
    StoreError, Transition,
};

/// A fixed, plausible epoch for all timestamps, so expectations are exact.
pub(super) const T0: TimestampMs = 1_700_000_000_000;

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4().simple())
}

pub(super) fn customer_record() -> Customer {
    Customer {
        id: CustomerId::parse(unique("cust")).expect("valid id"),
        external_id: None,
        verified: false,
        profile_verified: false,
        name: "Visitor".to_owned(),
        avatar_url: None,
        email: None,
        created_at: T0,
    }
}

pub(super) async fn new_customer(store: &dyn Store) -> Customer {
    store
        .create_customer(customer_record())
        .await
        .expect("create_customer")
}

pub(super) fn attendant_record(email: &str, capacity: u32) -> Attendant {
    Attendant {
        id: AttendantId::parse(unique("att")).expect("valid id"),
        email: email.to_owned(),
        name: format!("Agent {email}"),
        avatar_url: None,
        role: Role::Attendant,
        skill: "support".to_owned(),
        queues: vec![QueueId::default_queue()],
        capacity,
        disabled: false,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        must_change_password: false,
        created_at: T0,
    }
}

pub(super) async fn new_attendant(store: &dyn Store, capacity: u32) -> Attendant {
    let email = format!("{}@example.com", unique("agent"));
    store
        .create_attendant(attendant_record(&email, capacity))
        .await
        .expect("create_attendant")
}

pub(super) fn new_conversation(
    customer: &CustomerId,
    requested_at: TimestampMs,
) -> NewConversation {
    NewConversation {
        id: ConversationId::new(),
        customer_id: customer.clone(),
        queue_id: QueueId::default_queue(),
        requested_at,
        subject: Some("My order is late".to_owned()),
    }
}

/// A fresh customer with one queued conversation.
pub(super) async fn queued_conversation(
    store: &dyn Store,
    requested_at: TimestampMs,
) -> Conversation {
    let customer = new_customer(store).await;
    store
        .create_conversation(new_conversation(&customer.id, requested_at))
        .await
        .expect("create_conversation")
}

pub(super) fn transition(
    id: ConversationId,
    from: &[ConversationStatus],
    to: ConversationStatus,
    attendant: AttendantChange,
    at: TimestampMs,
) -> Transition {
    Transition {
        id,
        from: from.to_vec(),
        to,
        attendant,
        at,
        capacity: None,
        queue: None,
        requested_at: None,
    }
}

/// `queued → assigned` to `attendant`, without a capacity limit.
pub(super) async fn assign(
    store: &dyn Store,
    id: ConversationId,
    attendant: &AttendantId,
    at: TimestampMs,
) -> Conversation {
    store
        .transition(transition(
            id,
            &[ConversationStatus::Queued],
            ConversationStatus::Assigned,
            AttendantChange::Set(attendant.clone()),
            at,
        ))
        .await
        .expect("assign")
}

/// Moves an open conversation to `resolved`, keeping its attendant.
pub(super) async fn resolve(
    store: &dyn Store,
    id: ConversationId,
    at: TimestampMs,
) -> Conversation {
    use ConversationStatus::*;
    store
        .transition(transition(
            id,
            &[Queued, Assigned, Active],
            Resolved,
            AttendantChange::Keep,
            at,
        ))
        .await
        .expect("resolve")
}

pub(super) fn text(raw: &str) -> MessageText {
    MessageText::parse(raw, usize::MAX).expect("valid text")
}

pub(super) fn customer_message(
    conversation: ConversationId,
    customer: &CustomerId,
    body: &str,
    timestamp: TimestampMs,
) -> NewMessage {
    NewMessage {
        conversation,
        client_id: ClientMessageId::new(),
        sender_party: Party::Customer,
        sender_id: customer.as_str().to_owned(),
        sender_name: "Visitor".to_owned(),
        text: text(body),
        timestamp,
        call: None,
        attachments: Vec::new(),
    }
}

/// Runs `n` tasks that start together (a barrier releases them at once, to make races
/// likely) and returns their results in task order.
pub(super) async fn concurrently<T, F, Fut>(n: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let barrier = barrier.clone();
        let work = make(i);
        tasks.spawn(async move {
            barrier.wait().await;
            (i, work.await)
        });
    }
    let mut results: Vec<(usize, T)> = Vec::with_capacity(n);
    while let Some(joined) = tasks.join_next().await {
        results.push(joined.expect("a concurrent task panicked"));
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Panics unless `result` is the error `expected` names (ignoring messages).
#[track_caller]
pub(super) fn assert_err<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    expected: &str,
    what: &str,
) {
    let matches = |e: &StoreError| match e {
        StoreError::Conflict(_) => expected == "Conflict",
        StoreError::NotFound => expected == "NotFound",
        StoreError::AtCapacity => expected == "AtCapacity",
        StoreError::DuplicateClientId => expected == "DuplicateClientId",
        StoreError::Unavailable(_) => expected == "Unavailable",
        StoreError::Internal(_) => expected == "Internal",
    };
    match result {
        Err(e) if matches(&e) => {}
        other => panic!("{what}: expected {expected}, got {other:?}"),
    }
}
