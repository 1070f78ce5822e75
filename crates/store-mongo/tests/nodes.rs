//! What the conformance suite cannot see: several server nodes on one database. Within one
//! `MongoStore`, appends to a conversation queue in-process before their transaction, so the
//! suite never exercises the write-conflict retries that keep seqs dense *between* nodes.
//! Here each "node" is a store with a client of its own. Leases have no in-process queue, so
//! the suite already races them; here the racing claims also come from separate clients.

use std::collections::BTreeSet;
use std::sync::Arc;

use chimpassist_protocol::{
    AttendantId, ClientMessageId, ConversationId, ConversationStatus, CustomerId, MessageText,
    Party, QueueId, Role, Seq,
};
use chimpassist_store::{
    Attendant, AttendantChange, Customer, Lease, NewConversation, NewMessage, Store, StoreError,
    Transition,
};
use chimpassist_store_mongo::MongoStore;
use chimpassist_store_mongo::test_support::{self, TestDatabase};

const NODES: usize = 3;

/// `NODES` stores on one fresh database.
async fn nodes() -> (Vec<Arc<MongoStore>>, TestDatabase) {
    let database = test_support::fresh_database().await;
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        let store = MongoStore::connect(database.uri(), database.name())
            .await
            .expect("connect");
        store.ensure_schema().await.expect("schema");
        nodes.push(Arc::new(store));
    }
    (nodes, database)
}

async fn conversation(store: &MongoStore, n: usize) -> (ConversationId, CustomerId) {
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse(format!("node-customer-{n}")).expect("id"),
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
            subject: None,
        })
        .await
        .expect("create_conversation");
    (conv.id, customer.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_from_several_nodes_keep_seqs_dense() {
    let (nodes, _database) = nodes().await;
    let (conversation, customer) = conversation(&nodes[0], 0).await;
    let per_writer = 10u64;
    let writers_per_node = 4;
    let mut tasks = tokio::task::JoinSet::new();
    for node in &nodes {
        for _ in 0..writers_per_node {
            let node = Arc::clone(node);
            let customer = customer.clone();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                for n in 0..per_writer {
                    let message = NewMessage {
                        conversation,
                        client_id: ClientMessageId::new(),
                        sender_party: Party::Customer,
                        sender_id: customer.as_str().to_owned(),
                        sender_name: "Visitor".to_owned(),
                        text: MessageText::parse(format!("m{n}"), usize::MAX).expect("text"),
                        timestamp: 1,
                        call: None,
                        attachments: Vec::new(),
                    };
                    // A resend from another node of the same message must not add one.
                    let first = node.append_message(message.clone()).await.expect("append");
                    let again = node.append_message(message).await.expect("resend");
                    assert!(again.duplicate && again.message == first.message);
                    mine.push(first.message.seq);
                }
                mine
            });
        }
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.expect("writer"));
    }
    all.sort_unstable();
    let total = (NODES * writers_per_node) as u64 * per_writer;
    assert_eq!(all, (1..=total).collect::<Vec<Seq>>(), "dense across nodes");
    let stored = nodes[1]
        .messages_after(&conversation, 0, 10_000)
        .await
        .expect("messages_after");
    assert_eq!(stored.len() as u64, total);
    let conv = nodes[2]
        .get_conversation(&conversation)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(conv.last_seq, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capacity_holds_across_nodes() {
    let (nodes, _database) = nodes().await;
    let attendant = nodes[0]
        .create_attendant(Attendant {
            id: AttendantId::parse("node-agent").expect("id"),
            email: "agent@example.com".to_owned(),
            name: "Agent".to_owned(),
            avatar_url: None,
            role: Role::Attendant,
            skill: "support".to_owned(),
            queues: vec![QueueId::default_queue()],
            capacity: 4,
            disabled: false,
            password_hash: None,
            must_change_password: false,
            created_at: 1,
        })
        .await
        .expect("create_attendant");
    let mut conversations = Vec::new();
    for n in 0..24 {
        conversations.push(conversation(&nodes[n % NODES], n).await.0);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, id) in conversations.into_iter().enumerate() {
        let node = Arc::clone(&nodes[n % NODES]);
        let attendant = attendant.id.clone();
        tasks.spawn(async move {
            node.transition(Transition {
                id,
                from: vec![ConversationStatus::Queued],
                to: ConversationStatus::Assigned,
                attendant: AttendantChange::Set(attendant),
                at: 2,
                capacity: Some(4),
                queue: None,
                requested_at: None,
            })
            .await
        });
    }
    let mut ok = 0;
    let mut full = 0;
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::AtCapacity) => full += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, full), (4, 20));
    let held: BTreeSet<_> = nodes[1]
        .list_open_conversations()
        .await
        .expect("list_open")
        .into_iter()
        .filter(|c| c.attendant_id.as_ref() == Some(&attendant.id))
        .map(|c| c.id)
        .collect();
    assert_eq!(
        held.len(),
        4,
        "exactly the capacity, whichever node assigned"
    );
}

/// Every node runs several claimers at once, with the same `now`; all are told the same
/// lease.
async fn claim_from_every_node(nodes: &[Arc<MongoStore>], now: i64) -> Vec<Lease> {
    let mut tasks = tokio::task::JoinSet::new();
    for (n, node) in nodes.iter().enumerate() {
        for c in 0..5 {
            let node = Arc::clone(node);
            tasks.spawn(async move {
                node.claim_lease("coordinator", &format!("node-{n}-{c}"), now, 10_000)
                    .await
                    .expect("claim_lease")
            });
        }
    }
    let mut leases = Vec::new();
    while let Some(done) = tasks.join_next().await {
        leases.push(done.expect("claimer"));
    }
    leases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lease_is_granted_once_across_nodes() {
    let (nodes, _database) = nodes().await;
    let now = 1_000_000;
    let first = claim_from_every_node(&nodes, now).await;
    assert!(
        first.iter().all(|l| *l == first[0]),
        "racing claims on a free lease disagree: {first:?}"
    );
    assert_eq!((first[0].term, first[0].expires_at), (1, now + 10_000));

    // Once it has run out, the takeover race has one winner too, with the next term.
    let later = first[0].expires_at;
    let second = claim_from_every_node(&nodes, later).await;
    assert!(
        second.iter().all(|l| *l == second[0]),
        "racing takeovers disagree: {second:?}"
    );
    assert_eq!((second[0].term, second[0].expires_at), (2, later + 10_000));
}

/// Customers on one node and attendants on another write the same conversations at once:
/// each node's batch spans every conversation, so the two batches conflict. Every message
/// is still stored (none answered `Unavailable`), seqs stay dense per conversation, and each
/// node's messages keep the order it submitted them in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_over_the_same_conversations_from_two_nodes_all_commit() {
    let (nodes, _database) = nodes().await;
    let mut conversations = Vec::new();
    for n in 0..30 {
        conversations.push(conversation(&nodes[0], 100 + n).await);
    }
    let per_node = 4;
    let mut tasks = tokio::task::JoinSet::new();
    for node in nodes.iter().take(2) {
        let node = Arc::clone(node);
        let conversations = conversations.clone();
        tasks.spawn(async move {
            let mut pending = Vec::new();
            for n in 0..per_node {
                for (conversation, customer) in &conversations {
                    let message = NewMessage {
                        conversation: *conversation,
                        client_id: ClientMessageId::new(),
                        sender_party: Party::Customer,
                        sender_id: customer.as_str().to_owned(),
                        sender_name: "Visitor".to_owned(),
                        text: MessageText::parse(format!("m{n}"), usize::MAX).expect("text"),
                        timestamp: 1,
                        call: None,
                        attachments: Vec::new(),
                    };
                    pending.push((*conversation, node.submit_message(message)));
                }
            }
            let mut seqs: Vec<(ConversationId, Seq)> = Vec::new();
            for (conversation, commit) in pending {
                let appended = commit.await.expect("every message of the burst is stored");
                seqs.push((conversation, appended.message.seq));
            }
            seqs
        });
    }
    let mut every = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let seqs = done.expect("node");
        for (conversation, _) in &conversations {
            let mine: Vec<Seq> = seqs
                .iter()
                .filter(|(c, _)| c == conversation)
                .map(|(_, s)| *s)
                .collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "submission order: {mine:?}"
            );
        }
        every.extend(seqs);
    }
    for (conversation, _) in &conversations {
        let mut seqs: Vec<Seq> = every
            .iter()
            .filter(|(c, _)| c == conversation)
            .map(|(_, s)| *s)
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=2 * per_node as u64).collect::<Vec<Seq>>());
    }
}
