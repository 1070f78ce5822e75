//! Report facts: kept exactly by the writes that cause them, and read by period.

use std::sync::Arc;

use chimpassist_protocol::{
    CallEndReason, CallId, CallMedia, CallRecord, ClientMessageId, ConversationStatus, Party,
    Rating, TimestampMs,
};

use super::support::*;
use crate::{AttendantChange, ConversationFacts, FactsCursor, NewMessage, Store};

const MIN: TimestampMs = 60_000;
const DAY: TimestampMs = 24 * 60 * MIN;

/// A time of its own for each run, far from every other check's, so a backend shared
/// between checks shows this one only its own conversations.
fn own_epoch() -> TimestampMs {
    let spread = i64::from(uuid::Uuid::new_v4().as_u128() as u16);
    T0 + 1_000 * DAY + spread * 10 * DAY
}

fn attendant_message(
    conv: &crate::Conversation,
    attendant: &crate::Attendant,
    at: TimestampMs,
) -> NewMessage {
    NewMessage {
        sender_party: Party::Attendant,
        sender_id: attendant.id.as_str().to_owned(),
        sender_name: attendant.name.clone(),
        ..customer_message(conv.id, &conv.customer_id, "on it", at)
    }
}

fn call(
    conv: &crate::Conversation,
    answered: Option<TimestampMs>,
    ended: TimestampMs,
) -> NewMessage {
    let record = CallRecord {
        call_id: CallId::new(),
        media: CallMedia::Voice,
        started_by: Party::Attendant,
        invited_at: ended - 100_000,
        answered_at: answered,
        ended_at: ended,
        reason: if answered.is_some() {
            CallEndReason::HungUp
        } else {
            CallEndReason::Missed
        },
    };
    NewMessage {
        client_id: ClientMessageId::from(record.call_id.as_uuid()),
        sender_party: Party::Attendant,
        sender_id: "att-1".to_owned(),
        sender_name: "Agent".to_owned(),
        text: text(&record.summary()),
        timestamp: ended,
        call: Some(record),
        ..customer_message(conv.id, &conv.customer_id, "-", ended)
    }
}

async fn facts_of(store: &dyn Store, from: TimestampMs, to: TimestampMs) -> Vec<ConversationFacts> {
    store
        .conversation_facts(from, to, None, 0)
        .await
        .expect("conversation_facts")
}

/// One conversation through assignment, a transfer, messages (one resent), calls, a
/// resolution, a reopen and a second resolution: every fact exact.
pub async fn report_facts_follow_a_constructed_timeline(store: Arc<dyn Store>) {
    use ConversationStatus::*;
    let t = own_epoch();
    let ana = new_attendant(&*store, 5).await;
    let bob = new_attendant(&*store, 5).await;
    let customer = new_customer(&*store).await;
    let conv = store
        .create_conversation(new_conversation(&customer.id, t))
        .await
        .expect("create");
    let fresh = facts_of(&*store, t, t + 1).await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0].created_at, t);
    let names = store
        .customer_names(&[
            customer.id.clone(),
            chimpassist_protocol::CustomerId::parse("no-such-customer").expect("an id"),
        ])
        .await
        .expect("customer_names");
    assert_eq!(names.len(), 1, "only those that exist");
    assert_eq!(names.get(&customer.id), Some(&customer.name));
    assert_eq!(
        (
            fresh[0].first_assigned_at,
            fresh[0].first_response_at,
            fresh[0].reopened
        ),
        (None, None, 0)
    );

    let hello = customer_message(conv.id, &customer.id, "hello?", t + MIN);
    store.append_message(hello.clone()).await.expect("append");
    store
        .append_message(hello)
        .await
        .expect("a resend adds nothing");
    assign(&*store, conv.id, &ana.id, t + 2 * MIN).await;
    // Transferred to Bob before anyone answered: the first assignment stays Ana's time.
    store
        .transition(transition(
            conv.id,
            &[Assigned],
            Assigned,
            AttendantChange::Set(bob.id.clone()),
            t + 5 * MIN,
        ))
        .await
        .expect("transfer");
    // Two answers submitted together (one batch where the backend batches).
    let first = store.submit_message(attendant_message(&conv, &bob, t + 6 * MIN));
    let second = store.submit_message(attendant_message(&conv, &bob, t + 7 * MIN));
    first.await.expect("first answer");
    second.await.expect("second answer");
    store
        .append_message(call(&conv, Some(t + 8 * MIN), t + 9 * MIN + 30_000))
        .await
        .expect("answered call");
    store
        .append_message(call(&conv, None, t + 10 * MIN))
        .await
        .expect("missed call");
    resolve(&*store, conv.id, t + 20 * MIN).await;
    // The customer writes again half an hour later: the conversation is reopened.
    let mut reopen = transition(
        conv.id,
        &[Resolved],
        Queued,
        AttendantChange::Clear,
        t + 30 * MIN,
    );
    reopen.requested_at = Some(t + 30 * MIN);
    store.transition(reopen).await.expect("reopen");
    store
        .append_message(customer_message(
            conv.id,
            &customer.id,
            "one more thing",
            t + 30 * MIN,
        ))
        .await
        .expect("append");
    assign(&*store, conv.id, &ana.id, t + 31 * MIN).await;
    store
        .append_message(attendant_message(&conv, &ana, t + 32 * MIN))
        .await
        .expect("append");
    resolve(&*store, conv.id, t + 40 * MIN).await;
    store
        .set_rating(
            &conv.id,
            Rating {
                score: 4,
                comment: None,
            },
            T0,
        )
        .await
        .expect("rate");

    // The period is by first request: the reopen moved `requested_at`, not the period.
    assert!(facts_of(&*store, t + 30 * MIN, t + DAY).await.is_empty());
    let facts = facts_of(&*store, t, t + DAY).await;
    assert_eq!(facts.len(), 1);
    let f = &facts[0];
    assert_eq!(f.conversation.id, conv.id);
    assert_eq!(f.conversation.status, Resolved);
    assert_eq!(f.conversation.attendant_id.as_ref(), Some(&ana.id));
    assert_eq!(f.conversation.requested_at, t + 30 * MIN);
    assert_eq!(f.conversation.ended_at, Some(t + 40 * MIN));
    assert_eq!(f.conversation.rating.as_ref().map(|r| r.score), Some(4));
    assert_eq!(f.created_at, t);
    assert_eq!(f.first_assigned_at, Some(t + 2 * MIN));
    assert_eq!(f.first_response_at, Some(t + 6 * MIN));
    assert_eq!(f.reopened, 1);
    assert_eq!((f.customer_messages, f.attendant_messages), (2, 3));
    assert_eq!(
        (f.calls, f.calls_answered, f.calls_missed, f.talk_ms),
        (2, 1, 1, 90_000)
    );
}

/// A period is `[from, to)` by first request, in `(created_at, id)` order, and paging by
/// the cursor never skips or repeats one, also among conversations requested at one instant.
pub async fn report_facts_page_a_period_by_cursor(store: Arc<dyn Store>) {
    let t = own_epoch();
    let mut expected = Vec::new();
    for at in [t - 1, t, t, t, t + 5, t + DAY - 1, t + DAY] {
        let conv = queued_conversation(&*store, at).await;
        if (t..t + DAY).contains(&at) {
            expected.push((at, conv.id));
        }
    }
    expected.sort();
    let whole: Vec<_> = facts_of(&*store, t, t + DAY)
        .await
        .iter()
        .map(|f| (f.created_at, f.conversation.id))
        .collect();
    assert_eq!(whole, expected, "[from, to) in order");

    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .conversation_facts(t, t + DAY, after, 2)
            .await
            .expect("page");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(FactsCursor {
            created_at: last.created_at,
            id: last.conversation.id,
        });
        paged.extend(page.iter().map(|f| (f.created_at, f.conversation.id)));
    }
    assert_eq!(paged, expected, "pages of two add up to the whole");
}
