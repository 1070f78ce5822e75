//! Messages: dense seqs, idempotent appends, paging.

use std::sync::Arc;

use chimpassist_protocol::{ConversationId, Party, Seq};

use super::support::*;
use crate::{MessageCursor, NewMessage, Store, StoredMessage};

async fn last_seq(store: &dyn Store, id: &ConversationId) -> Seq {
    store
        .get_conversation(id)
        .await
        .expect("get_conversation")
        .expect("conversation exists")
        .last_seq
}

async fn all_messages(store: &dyn Store, id: &ConversationId) -> Vec<StoredMessage> {
    store
        .messages_after(id, 0, 100_000)
        .await
        .expect("messages_after")
}

fn seqs(messages: &[StoredMessage]) -> Vec<Seq> {
    messages.iter().map(|m| m.seq).collect()
}

/// Appends `n` messages one by one; the i-th (from 0) has timestamp `T0 + i`.
async fn fill(store: &dyn Store, conv: &crate::Conversation, n: u64) -> Vec<StoredMessage> {
    let mut out = Vec::new();
    for i in 0..n {
        let m = customer_message(conv.id, &conv.customer_id, &format!("m{i}"), T0 + i as i64);
        out.push(store.append_message(m).await.expect("append").message);
    }
    out
}

pub async fn seqs_are_dense_under_concurrent_appends(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let per_task = 4;
    let acked = concurrently(50, |i| {
        let store = store.clone();
        let conv = conv.clone();
        async move {
            let mut mine = Vec::new();
            for n in 0..per_task {
                let m = customer_message(conv.id, &conv.customer_id, &format!("{i}/{n}"), T0);
                let appended = store.append_message(m.clone()).await.expect("append");
                assert!(
                    !appended.duplicate,
                    "a fresh client id is never a duplicate"
                );
                assert_eq!(appended.message.client_id, m.client_id);
                mine.push(appended.message.seq);
            }
            mine
        }
    })
    .await;
    for mine in &acked {
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "one sender's seqs rise: {mine:?}"
        );
    }
    let mut all: Vec<Seq> = acked.into_iter().flatten().collect();
    all.sort_unstable();
    let want: Vec<Seq> = (1..=50 * per_task).collect();
    assert_eq!(
        all, want,
        "acknowledged seqs are 1..=N without gaps or repeats"
    );
    let stored = all_messages(&*store, &conv.id).await;
    assert_eq!(seqs(&stored), want, "stored seqs are 1..=N in order");
    assert_eq!(
        last_seq(&*store, &conv.id).await,
        50 * per_task,
        "last_seq follows"
    );
}

pub async fn duplicate_client_id_returns_original(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let first = customer_message(conv.id, &conv.customer_id, "hello", T0);
    let original = store.append_message(first.clone()).await.expect("append");
    assert_eq!((original.message.seq, original.duplicate), (1, false));
    assert_eq!(
        last_seq(&*store, &conv.id).await,
        1,
        "last_seq moves with an append"
    );
    let second = customer_message(conv.id, &conv.customer_id, "anyone?", T0 + 1);
    assert_eq!(
        store
            .append_message(second)
            .await
            .expect("append")
            .message
            .seq,
        2
    );

    // A resend: same client id and sender, even if the client changed the text.
    let resend = NewMessage {
        text: text("hello (edited)"),
        timestamp: T0 + 5,
        ..first
    };
    let again = store.append_message(resend).await.expect("append resend");
    assert!(again.duplicate, "a resend is reported as duplicate");
    assert_eq!(
        again.message, original.message,
        "a resend returns the original"
    );
    assert_eq!(
        all_messages(&*store, &conv.id).await.len(),
        2,
        "nothing new written"
    );
    assert_eq!(
        last_seq(&*store, &conv.id).await,
        2,
        "last_seq unchanged by a duplicate"
    );
}

pub async fn concurrent_duplicates_store_one_message(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let m = customer_message(conv.id, &conv.customer_id, "only once", T0);
    let results = concurrently(20, |_| {
        let store = store.clone();
        let m = m.clone();
        async move { store.append_message(m).await.expect("append") }
    })
    .await;
    let fresh = results.iter().filter(|r| !r.duplicate).count();
    assert_eq!(fresh, 1, "exactly one of 20 identical appends writes");
    assert!(
        results
            .iter()
            .all(|r| r.message == results[0].message && r.message.seq == 1),
        "all 20 see the same stored message"
    );
    assert_eq!(
        all_messages(&*store, &conv.id).await.len(),
        1,
        "one message stored"
    );
    assert_eq!(last_seq(&*store, &conv.id).await, 1);
}

pub async fn client_id_from_another_sender_is_rejected(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let m = customer_message(conv.id, &conv.customer_id, "mine", T0);
    store.append_message(m.clone()).await.expect("append");
    let as_attendant = NewMessage {
        sender_party: Party::Attendant,
        sender_id: "att-1".to_owned(),
        sender_name: "Agent".to_owned(),
        ..m.clone()
    };
    assert_err(
        store.append_message(as_attendant).await,
        "DuplicateClientId",
        "the same client id from an attendant",
    );
    let other_customer = NewMessage {
        sender_id: "someone-else".to_owned(),
        ..m
    };
    assert_err(
        store.append_message(other_customer).await,
        "DuplicateClientId",
        "the same client id from another customer id",
    );
    assert_eq!(
        all_messages(&*store, &conv.id).await.len(),
        1,
        "nothing written"
    );
    assert_eq!(last_seq(&*store, &conv.id).await, 1);
}

/// A bot's message is kept as the bot's, and its client id is the bot's own: neither the
/// customer nor an attendant can claim it.
pub async fn a_bot_message_keeps_its_party(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let by_bot = NewMessage {
        sender_party: Party::Bot,
        sender_id: "token-1".to_owned(),
        sender_name: "Chimpbot".to_owned(),
        ..customer_message(conv.id, &conv.customer_id, "Hi, I am a bot", T0)
    };
    store.append_message(by_bot.clone()).await.expect("append");
    let stored = all_messages(&*store, &conv.id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sender_party, Party::Bot, "read back as the bot's");
    assert_eq!(stored[0].sender_name, "Chimpbot");
    let again = store.append_message(by_bot.clone()).await.expect("resend");
    assert!(again.duplicate, "the bot's resend is the same message");
    let as_customer = NewMessage {
        sender_party: Party::Customer,
        sender_id: conv.customer_id.to_string(),
        ..by_bot
    };
    assert_err(
        store.append_message(as_customer).await,
        "DuplicateClientId",
        "the bot's client id from the customer",
    );
}

pub async fn client_ids_are_per_conversation(store: Arc<dyn Store>) {
    let one = queued_conversation(&*store, T0).await;
    let two = queued_conversation(&*store, T0).await;
    let m = customer_message(one.id, &one.customer_id, "hi", T0);
    let a = store.append_message(m.clone()).await.expect("append");
    let elsewhere = NewMessage {
        conversation: two.id,
        sender_id: two.customer_id.as_str().to_owned(),
        ..m
    };
    let b = store.append_message(elsewhere).await.expect("append");
    assert!(
        !a.duplicate && !b.duplicate,
        "one client id in two conversations is no duplicate"
    );
    assert_eq!(
        (a.message.seq, b.message.seq),
        (1, 1),
        "each conversation counts its own seqs"
    );
}

/// Appends that a backend may write together (the MongoDB store batches a node's concurrent
/// appends): a resend and an append to no conversation among fresh appends to several
/// conversations each get their own answer, and every conversation's seqs stay dense.
pub async fn a_mixed_burst_answers_each_append_alone(store: Arc<dyn Store>) {
    let mut conversations = Vec::new();
    for _ in 0..4 {
        conversations.push(queued_conversation(&*store, T0).await);
    }
    let first = &conversations[0];
    let resent = customer_message(first.id, &first.customer_id, "said before", T0);
    let original = store.append_message(resent.clone()).await.expect("append");
    let customer = new_customer(&*store).await;
    let nowhere = customer_message(ConversationId::new(), &customer.id, "into the void", T0);
    let conversations = Arc::new(conversations);
    let answers = concurrently(42, |i| {
        let (store, conversations) = (store.clone(), conversations.clone());
        let (resent, nowhere) = (resent.clone(), nowhere.clone());
        async move {
            let m = match i {
                0 => resent,
                1 => nowhere,
                _ => {
                    let c = &conversations[i % 4];
                    customer_message(c.id, &c.customer_id, &format!("m{i}"), T0)
                }
            };
            (i, store.append_message(m).await)
        }
    })
    .await;
    for (i, answer) in answers {
        match i {
            0 => {
                let again = answer.expect("a resend is answered");
                assert!(again.duplicate);
                assert_eq!(again.message, original.message);
            }
            1 => assert_err(answer, "NotFound", "append to no conversation"),
            _ => assert!(!answer.expect("fresh append").duplicate),
        }
    }
    for (k, c) in conversations.iter().enumerate() {
        let fresh = (2..42).filter(|i| i % 4 == k).count() as u64;
        let want: Vec<Seq> = (1..=fresh + u64::from(k == 0)).collect();
        assert_eq!(seqs(&all_messages(&*store, &c.id).await), want);
        assert_eq!(last_seq(&*store, &c.id).await, *want.last().unwrap_or(&0));
    }
}

/// A connection that keeps reading while its messages commit: each of 6 callers submits 20
/// messages without waiting (two callers share a conversation, and one resends a message in
/// the middle of its run), then awaits them newest first. Each caller's messages take seqs in
/// the order submitted, and the resend is answered with the original.
pub async fn submitted_messages_keep_their_order(store: Arc<dyn Store>) {
    let mut conversations = Vec::new();
    for _ in 0..5 {
        conversations.push(queued_conversation(&*store, T0).await);
    }
    let conversations = Arc::new(conversations);
    let runs = concurrently(6, |caller| {
        let (store, conversations) = (store.clone(), conversations.clone());
        async move {
            let c = &conversations[caller % 5];
            let mut sent: Vec<NewMessage> = Vec::new();
            let mut pending = Vec::new();
            for n in 0..20 {
                let m = if caller == 1 && n == 10 {
                    sent[3].clone()
                } else {
                    customer_message(c.id, &c.customer_id, &format!("{caller}/{n}"), T0)
                };
                pending.push(store.submit_message(m.clone()));
                sent.push(m);
            }
            let mut answers = Vec::new();
            while let Some(p) = pending.pop() {
                answers.push(p.await.expect("a submitted message is stored"));
            }
            answers.reverse();
            (caller, sent, answers)
        }
    })
    .await;
    for (caller, sent, answers) in runs {
        let mut last = 0;
        for (n, (m, a)) in sent.iter().zip(&answers).enumerate() {
            assert_eq!(a.message.client_id, m.client_id);
            if caller == 1 && n == 10 {
                assert!(a.duplicate, "the resend is answered with the original");
                assert_eq!(a.message, answers[3].message);
                continue;
            }
            assert!(!a.duplicate);
            assert!(
                a.message.seq > last,
                "caller {caller}: message {n} took seq {} after {last}",
                a.message.seq
            );
            last = a.message.seq;
        }
    }
    let shared = &conversations[0];
    let want: Vec<Seq> = (1..=40).collect();
    assert_eq!(seqs(&all_messages(&*store, &shared.id).await), want);
    assert_eq!(last_seq(&*store, &conversations[1].id).await, 19);
}

pub async fn append_to_unknown_conversation_is_not_found(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let unknown = ConversationId::new();
    let m = customer_message(unknown, &customer.id, "into the void", T0);
    assert_err(
        store.append_message(m).await,
        "NotFound",
        "append to unknown",
    );
    assert!(all_messages(&*store, &unknown).await.is_empty());
    let history = store
        .customer_messages(&customer.id, None, 10)
        .await
        .expect("customer_messages");
    assert!(history.is_empty(), "nothing written");
}

pub async fn messages_before_pages_newest_first(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let written = fill(&*store, &conv, 120).await;
    let page = |before: Option<Seq>, limit| {
        let store = store.clone();
        async move {
            store
                .messages_before(&conv.id, before, limit)
                .await
                .expect("messages_before")
        }
    };
    let newest = page(None, 50).await;
    assert_eq!(
        seqs(&newest),
        (71..=120).rev().collect::<Vec<_>>(),
        "newest 50, newest first"
    );
    let mut want: Vec<_> = written[70..].to_vec();
    want.reverse();
    assert_eq!(newest, want, "pages hold the stored messages");
    let cursor = newest.last().map(|m| m.seq);
    let older = page(cursor, 50).await;
    assert_eq!(
        seqs(&older),
        (21..=70).rev().collect::<Vec<_>>(),
        "the next page"
    );
    let oldest = page(older.last().map(|m| m.seq), 50).await;
    assert_eq!(
        seqs(&oldest),
        (1..=20).rev().collect::<Vec<_>>(),
        "a short last page"
    );
    assert!(page(Some(1), 50).await.is_empty(), "nothing before seq 1");
    assert_eq!(
        seqs(&page(Some(1000), 2).await),
        vec![120, 119],
        "a cursor past the end"
    );
}

pub async fn messages_after_resumes_oldest_first(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let written = fill(&*store, &conv, 30).await;
    let after = |seq, limit| {
        let store = store.clone();
        async move {
            store
                .messages_after(&conv.id, seq, limit)
                .await
                .expect("messages_after")
        }
    };
    assert_eq!(
        after(0, 10).await,
        written[..10],
        "from the start, oldest first"
    );
    assert_eq!(after(25, 10).await, written[25..], "resume after seq 25");
    assert!(after(30, 10).await.is_empty(), "nothing after the newest");
    let other = queued_conversation(&*store, T0).await;
    assert!(
        store
            .messages_after(&other.id, 0, 10)
            .await
            .expect("messages_after")
            .is_empty(),
        "conversations do not share messages"
    );
}

pub async fn customer_messages_span_conversations_newest_first(store: Arc<dyn Store>) {
    let customer = new_customer(&*store).await;
    let first = store
        .create_conversation(new_conversation(&customer.id, T0))
        .await
        .expect("create_conversation");
    resolve(&*store, first.id, T0 + 1).await;
    let second = store
        .create_conversation(new_conversation(&customer.id, T0 + 2))
        .await
        .expect("create_conversation");
    // Interleaved timestamps, with ties across and within conversations.
    let mut written = Vec::new();
    for (conv, ts) in [
        (first.id, 10),
        (second.id, 20),
        (first.id, 30),
        (second.id, 30),
        (first.id, 40),
        (first.id, 40),
        (second.id, 50),
    ] {
        let m = customer_message(conv, &customer.id, &format!("at {ts}"), T0 + ts);
        written.push(store.append_message(m).await.expect("append").message);
    }
    let stranger = queued_conversation(&*store, T0).await;
    fill(&*store, &stranger, 3).await;

    let mut want = written.clone();
    want.sort_by(|a, b| {
        (b.timestamp, b.conversation, b.seq).cmp(&(a.timestamp, a.conversation, a.seq))
    });
    let mut got = Vec::new();
    let mut cursor: Option<MessageCursor> = None;
    loop {
        let page = store
            .customer_messages(&customer.id, cursor.clone(), 3)
            .await
            .expect("customer_messages");
        assert!(page.len() <= 3, "limit respected");
        let Some(last) = page.last() else { break };
        cursor = Some(MessageCursor {
            timestamp: last.timestamp,
            conversation: last.conversation,
            seq: last.seq,
        });
        got.extend(page);
        assert!(got.len() <= want.len(), "paging does not repeat messages");
    }
    assert_eq!(
        got, want,
        "newest first by (timestamp, conversation, seq), across conversations"
    );
    let unknown = customer_record();
    let none = store
        .customer_messages(&unknown.id, None, 10)
        .await
        .expect("customer_messages");
    assert!(none.is_empty(), "a customer without messages has none");
}

/// A call's record (written by the coordinator when the call ends, keyed by the call's id)
/// comes back with its message from every read, and a second write of it stores nothing.
pub async fn a_call_record_is_kept_with_its_message(store: Arc<dyn Store>) {
    use chimpassist_protocol::{CallEndReason, CallId, CallMedia, CallRecord, ClientMessageId};
    let conv = queued_conversation(&*store, T0).await;
    let hello = customer_message(conv.id, &conv.customer_id, "can you call me?", T0 + 1);
    store.append_message(hello).await.expect("append");
    let record = CallRecord {
        call_id: CallId::new(),
        media: CallMedia::Video,
        started_by: Party::Attendant,
        invited_at: T0 + 2,
        answered_at: Some(T0 + 3),
        ended_at: T0 + 151_003,
        reason: CallEndReason::HungUp,
    };
    let call = NewMessage {
        client_id: ClientMessageId::from(record.call_id.as_uuid()),
        sender_party: Party::Attendant,
        sender_id: "att-1".to_owned(),
        sender_name: "Agent".to_owned(),
        text: text(&record.summary()),
        timestamp: record.ended_at,
        call: Some(record.clone()),
        ..customer_message(conv.id, &conv.customer_id, "-", T0)
    };
    let written = store
        .append_message(call.clone())
        .await
        .expect("append a record");
    assert_eq!(written.message.call.as_ref(), Some(&record));
    assert_eq!(written.message.text.as_str(), "Video call, 2:31");

    let calls = |messages: Vec<StoredMessage>| -> Vec<Option<CallRecord>> {
        messages.into_iter().map(|m| m.call).collect()
    };
    assert_eq!(
        calls(all_messages(&*store, &conv.id).await),
        vec![None, Some(record.clone())],
        "resume reads it"
    );
    let page = store
        .messages_before(&conv.id, None, 10)
        .await
        .expect("messages_before");
    assert_eq!(
        calls(page),
        vec![Some(record.clone()), None],
        "history reads it"
    );
    let theirs = store
        .customer_messages(&conv.customer_id, None, 10)
        .await
        .expect("customer_messages");
    assert_eq!(
        calls(theirs),
        vec![Some(record.clone()), None],
        "the customer's list reads it"
    );

    let again = store.append_message(call).await.expect("append again");
    assert!(again.duplicate, "the same call is recorded once");
    assert_eq!(again.message.call, Some(record));
    assert_eq!(last_seq(&*store, &conv.id).await, 2);
}
