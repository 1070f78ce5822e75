//! The conformance suite against `SqliteStore`, plus what only an embedded store promises:
//! acknowledged writes are in the file after a restart.

use std::sync::Arc;

use chimpassist_protocol::{
    ClientMessageId, ConversationId, CustomerId, MessageText, Party, QueueId, Seq,
};
use chimpassist_store::{Customer, NewConversation, NewMessage, SqliteStore, Store};
use tempfile::TempDir;

/// A fresh store in its own directory; the directory lives as long as the test's fixture.
async fn fresh_store() -> (Arc<dyn Store>, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    let store = SqliteStore::open_in(dir.path()).expect("open store");
    (Arc::new(store), dir)
}

chimpassist_store::conformance_suite!(fresh_store());

fn message(conversation: ConversationId, customer: &CustomerId, n: u64) -> NewMessage {
    NewMessage {
        conversation,
        client_id: ClientMessageId::new(),
        sender_party: Party::Customer,
        sender_id: customer.as_str().to_owned(),
        sender_name: "Visitor".to_owned(),
        text: MessageText::parse(format!("message {n}"), usize::MAX).expect("text"),
        timestamp: 1_700_000_000_000 + n as i64,
        call: None,
        attachments: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_restart() {
    let dir = TempDir::new().expect("temp dir");
    let store = Arc::new(SqliteStore::open_in(dir.path()).expect("open"));
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse("c-durable").expect("id"),
            external_id: None,
            verified: false,
            profile_verified: false,
            name: "Visitor".to_owned(),
            avatar_url: None,
            email: None,
            created_at: 1,
        })
        .await
        .expect("create_customer");
    let conv = store
        .create_conversation(NewConversation {
            id: ConversationId::new(),
            customer_id: customer.id.clone(),
            queue_id: QueueId::default_queue(),
            requested_at: 1,
            subject: Some("durable".to_owned()),
        })
        .await
        .expect("create_conversation");
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..10u64 {
        let store = store.clone();
        let customer = customer.id.clone();
        tasks.spawn(async move {
            let mut acked = Vec::new();
            for n in 0..10 {
                let m = message(conv.id, &customer, t * 10 + n);
                let appended = store.append_message(m).await.expect("append");
                acked.push(appended.message);
            }
            acked
        });
    }
    let mut acked = Vec::new();
    while let Some(done) = tasks.join_next().await {
        acked.extend(done.expect("task"));
    }
    acked.sort_by_key(|m| m.seq);
    store.close().await;
    drop(store);

    let reopened = SqliteStore::open_in(dir.path()).expect("reopen");
    let stored = reopened
        .messages_after(&conv.id, 0, 1000)
        .await
        .expect("messages_after");
    assert_eq!(
        stored, acked,
        "every acknowledged message is back after a restart"
    );
    let conv_after = reopened
        .get_conversation(&conv.id)
        .await
        .expect("get_conversation")
        .expect("conversation survives");
    assert_eq!(conv_after.last_seq, 100);
    let next = reopened
        .append_message(message(conv.id, &customer.id, 1000))
        .await
        .expect("append after reopen");
    assert_eq!(
        next.message.seq, 101 as Seq,
        "seqs continue after a restart"
    );
    reopened.close().await;
}
