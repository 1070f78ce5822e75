//! Tests of the SQLite internals: query plans, the writer's batching and shutdown, schema
//! versions, error mapping. The behaviour every backend shares is in the conformance suite.

use std::sync::mpsc;

use chimpassist_protocol::{
    ClientMessageId, ConversationId, CustomerId, MessageText, Party, QueueId,
};
use rusqlite::{Connection, ffi};
use tempfile::TempDir;

use super::{SqliteStore, accounts, callbacks, conversations, messages, reports, schema};
use crate::{Customer, NewConversation, NewMessage, Store, StoreError};

fn migrated() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    schema::migrate(&mut conn).expect("migrate");
    conn
}

fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    // The plan does not depend on the values; NULL fills every parameter.
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    stmt.query_map(rusqlite::params_from_iter(nulls), |row| {
        row.get::<_, String>(3)
    })
    .expect("plan")
    .collect::<Result<_, _>>()
    .expect("plan rows")
}

/// A lookup that reads only a range of `index`, in the order asked for.
#[track_caller]
fn assert_index_range(conn: &Connection, sql: &str, index: &str) {
    let plan = plan(conn, sql);
    assert!(
        plan.iter().any(|step| step.contains(index)),
        "expected index {index}: {plan:?}"
    );
    assert!(
        !plan
            .iter()
            .any(|s| s.starts_with("SCAN") || s.contains("TEMP B-TREE")),
        "expected no table scan and no sort: {plan:?}"
    );
}

#[test]
fn hot_lookups_are_index_ranges() {
    let conn = migrated();
    // Newest 50 messages of a conversation: the primary key, backwards.
    assert_index_range(&conn, messages::BEFORE, "sqlite_autoindex_messages_1");
    assert_index_range(&conn, messages::AFTER, "sqlite_autoindex_messages_1");
    assert_index_range(&conn, messages::BY_CLIENT_ID, "messages_client_id");
    assert_index_range(
        &conn,
        conversations::OF_CUSTOMER,
        "conversations_by_customer",
    );
    assert_index_range(
        &conn,
        conversations::OF_ATTENDANT,
        "SEARCH h USING PRIMARY KEY",
    );
    assert_index_range(&conn, messages::OF_CUSTOMER, "messages_by_customer");
    // A report's period: a range of its index, then each customer by primary key.
    assert_index_range(&conn, reports::FACTS, "conversations_created");
    assert_index_range(
        &conn,
        conversations::ATTENDANT_LOAD,
        "conversations_attendant_load",
    );
    // All open conversations: the whole partial index (which holds only open ones), in order.
    let open = plan(&conn, conversations::OPEN);
    assert!(
        open.iter()
            .any(|s| s.contains("USING INDEX conversations_open")),
        "open conversations come from their partial index: {open:?}"
    );
    assert!(!open.iter().any(|s| s.contains("TEMP B-TREE")), "{open:?}");
}

#[test]
fn callback_pages_are_index_ranges() {
    let conn = migrated();
    // Each filter's page is a backwards range below the cursor, already in order.
    assert_index_range(&conn, callbacks::ALL, "callbacks_newest");
    assert_index_range(&conn, callbacks::DONE, "callbacks_newest");
    // Open ones come from the partial index that holds only them.
    assert_index_range(&conn, callbacks::OPEN, "callbacks_open");
    for sql in [callbacks::ALL, callbacks::OPEN, callbacks::DONE] {
        let plan = plan(&conn, sql);
        assert!(
            plan.iter()
                .any(|s| s.starts_with("SEARCH") && s.contains("<")),
            "the cursor bounds the range, not a filter after a scan: {plan:?}"
        );
    }
}

fn new_message(conversation: ConversationId, customer: &CustomerId, body: &str) -> NewMessage {
    NewMessage {
        conversation,
        client_id: ClientMessageId::new(),
        sender_party: Party::Customer,
        sender_id: customer.as_str().to_owned(),
        sender_name: "Visitor".to_owned(),
        text: MessageText::parse(body, usize::MAX).expect("text"),
        timestamp: 1,
        call: None,
        attachments: Vec::new(),
    }
}

async fn store_with_conversation(dir: &TempDir) -> (SqliteStore, ConversationId, CustomerId) {
    let store = SqliteStore::open_in(dir.path()).expect("open");
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse("c1").expect("id"),
            external_id: None,
            verified: false,
            profile_verified: false,
            name: "Visitor".to_owned(),
            avatar_url: None,
            email: None,
            created_at: 1,
        })
        .await
        .expect("customer");
    let conv = store
        .create_conversation(NewConversation {
            id: ConversationId::new(),
            customer_id: customer.id.clone(),
            queue_id: QueueId::default_queue(),
            requested_at: 1,
            subject: None,
        })
        .await
        .expect("conversation");
    (store, conv.id, customer.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_finishes_every_queued_write() {
    let dir = TempDir::new().expect("temp dir");
    let (store, conv, customer) = store_with_conversation(&dir).await;
    // Queued without awaiting, so most are still waiting when close() is called.
    let pending: Vec<_> = (0..500)
        .map(|i| {
            let m = new_message(conv, &customer, &format!("m{i}"));
            let recording = store.recording.clone();
            store
                .writer
                .submit(move |c| messages::append(c, m, &recording))
                .expect("submit")
        })
        .collect();
    store.close().await;
    let mut seqs = Vec::new();
    for reply in pending {
        let appended = reply.await.expect("answered").expect("committed");
        seqs.push(appended.message.seq);
    }
    assert_eq!(
        seqs,
        (1..=500).collect::<Vec<_>>(),
        "queued writes ran in order"
    );

    let late = store
        .append_message(new_message(conv, &customer, "late"))
        .await;
    assert!(
        matches!(late, Err(StoreError::Unavailable(_))),
        "closed: {late:?}"
    );
    assert!(store.ping().await.is_err(), "a closed store is not ready");
    store.close().await; // twice is harmless
    let read = store
        .messages_before(&conv, None, 1)
        .await
        .expect("reads still work");
    assert_eq!(read[0].seq, 500);
    drop(store);

    let reopened = SqliteStore::open_in(dir.path()).expect("reopen");
    let conv = reopened
        .get_conversation(&conv)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(conv.last_seq, 500, "everything acknowledged is on disk");
    reopened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_rolls_back_only_itself() {
    let dir = TempDir::new().expect("temp dir");
    let store = SqliteStore::open_in(dir.path()).expect("open");
    // Hold the writer so the next four jobs queue up and run as one batch.
    let (release, hold) = mpsc::channel::<()>();
    let held = store
        .writer
        .submit(move |_| {
            let _ = hold.recv();
            Ok(())
        })
        .expect("submit");
    let put = |key: &'static str| move |c: &Connection| accounts::setting_or_init(c, key, "v");
    let a = store.writer.submit(put("a")).expect("submit");
    let b = store
        .writer
        .submit(|c| {
            accounts::setting_or_init(c, "b", "v")?;
            Err::<(), _>(StoreError::Conflict("refused after writing".to_owned()))
        })
        .expect("submit");
    let c = store
        .writer
        .submit(|c| -> Result<(), StoreError> {
            accounts::setting_or_init(c, "c", "v")?;
            panic!("a bug in a job (this panic is expected by the test)");
        })
        .expect("submit");
    let d = store.writer.submit(put("d")).expect("submit");
    release.send(()).expect("release");

    held.await.expect("answered").expect("held job");
    assert_eq!(a.await.expect("answered").expect("a"), "v");
    assert!(matches!(
        b.await.expect("answered"),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        c.await.expect("answered"),
        Err(StoreError::Internal(_))
    ));
    assert_eq!(d.await.expect("answered").expect("d"), "v");

    let conn = Connection::open(store.path()).expect("open");
    let keys: Vec<String> = conn
        .prepare("SELECT key FROM settings ORDER BY key")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(keys, ["a", "d"], "the failed jobs left nothing behind");
    store.close().await;
}

#[tokio::test]
async fn schema_version_is_recorded_and_newer_files_are_refused() {
    let dir = TempDir::new().expect("temp dir");
    let nested = dir.path().join("data").join("store");
    let store = SqliteStore::open_in(&nested).expect("open creates parent directories");
    store.close().await;
    drop(store);
    let reopened = SqliteStore::open_in(&nested).expect("reopening migrates nothing");
    let path = reopened.path().to_owned();
    reopened.close().await;
    drop(reopened);

    let conn = Connection::open(&path).expect("open");
    let version: usize = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, schema::version());
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "user_version", 999).expect("set");
    drop(conn);
    let refused = SqliteStore::open(&path);
    assert!(
        matches!(refused, Err(StoreError::Internal(_))),
        "{refused:?}"
    );
}

#[test]
fn customers_of_older_files_read_as_profile_unverified() {
    let mut conn = Connection::open_in_memory().expect("open");
    schema::create_at(&conn, 3);
    conn.execute(
        "INSERT INTO customers (id, external_id, verified, name, created_at) \
         VALUES ('old', 'ext-1', 1, 'Old', 1)",
        [],
    )
    .expect("a customer of schema 3");
    schema::migrate(&mut conn).expect("migrate");
    let id = CustomerId::parse("old").expect("id");
    let old = accounts::get_customer(&conn, &id)
        .expect("get_customer")
        .expect("kept");
    assert!(old.verified, "{old:?}");
    assert!(!old.profile_verified, "no older record proved its profile");
}

#[test]
fn sqlite_errors_map_to_store_errors() {
    let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    assert!(matches!(
        StoreError::from(failure(ffi::SQLITE_CONSTRAINT)),
        StoreError::Conflict(_)
    ));
    for code in [
        ffi::SQLITE_BUSY,
        ffi::SQLITE_LOCKED,
        ffi::SQLITE_IOERR,
        ffi::SQLITE_FULL,
    ] {
        assert!(
            matches!(StoreError::from(failure(code)), StoreError::Unavailable(_)),
            "{code}"
        );
    }
    assert!(matches!(
        StoreError::from(failure(ffi::SQLITE_CORRUPT)),
        StoreError::Internal(_)
    ));
    let conn = migrated();
    conn.execute(
        "INSERT INTO queues (id, name, mode) VALUES ('bad id', 'x', 'auto')",
        [],
    )
    .expect("insert");
    let undecodable = accounts::list_queues(&conn);
    assert!(
        matches!(undecodable, Err(StoreError::Internal(_))),
        "{undecodable:?}"
    );
}

#[test]
fn conversations_of_older_files_get_their_report_facts_from_what_is_stored() {
    let mut conn = Connection::open_in_memory().expect("open");
    schema::create_at(&conn, 7);
    conn.execute_batch(
        "INSERT INTO customers (id, verified, name, created_at) VALUES ('c1', 0, 'Old', 1);
         INSERT INTO conversations (id, customer_id, queue_id, status, requested_at,
             assigned_at, ended_at, last_seq)
         VALUES (x'00000000000000000000000000000001', 'c1', 'default', 'resolved', 1000,
             3000, 90000, 5);
         INSERT INTO messages (conversation_id, seq, client_id, sender_party, sender_id,
             sender_name, text, timestamp, customer_id, call) VALUES
         (x'00000000000000000000000000000001', 1, x'01', 'customer', 'c1', 'Old', 'hi', 2000, 'c1', NULL),
         (x'00000000000000000000000000000001', 2, x'02', 'attendant', 'a', 'A', 'yes', 4000, 'c1', NULL),
         (x'00000000000000000000000000000001', 3, x'03', 'attendant', 'a', 'A', 'and', 5000, 'c1', NULL),
         (x'00000000000000000000000000000001', 4, x'04', 'attendant', 'a', 'A', 'Voice call, 1:00', 70000, 'c1',
          '{\"answered_at\": 10000, \"ended_at\": 70000, \"reason\": \"hung_up\"}'),
         (x'00000000000000000000000000000001', 5, x'05', 'attendant', 'a', 'A', 'Missed voice call', 80000, 'c1',
          '{\"ended_at\": 80000, \"reason\": \"missed\"}');",
    )
    .expect("a conversation of schema 7");
    schema::migrate(&mut conn).expect("migrate");
    let facts = reports::facts(&conn, 0, 10_000, None, 0).expect("facts");
    assert_eq!(facts.len(), 1);
    let f = &facts[0];
    let names = reports::customer_names(&conn, std::slice::from_ref(&f.conversation.customer_id))
        .expect("names");
    assert_eq!(names.values().collect::<Vec<_>>(), ["Old"]);
    assert_eq!(
        (
            f.created_at,
            f.first_assigned_at,
            f.first_response_at,
            f.reopened
        ),
        (1000, Some(3000), Some(4000), 0)
    );
    assert_eq!((f.customer_messages, f.attendant_messages), (1, 2));
    assert_eq!(
        (f.calls, f.calls_answered, f.calls_missed, f.talk_ms),
        (2, 1, 1, 60_000)
    );
}

#[test]
fn messages_of_older_files_survive_the_copy_that_lets_bots_write() {
    let mut conn = Connection::open_in_memory().expect("open");
    schema::create_at(&conn, 11);
    conn.execute_batch(
        "INSERT INTO customers (id, verified, name, created_at) VALUES ('c1', 0, 'Old', 1);
         INSERT INTO conversations (id, customer_id, queue_id, status, requested_at, last_seq)
         VALUES (x'00000000000000000000000000000001', 'c1', 'default', 'queued', 1000, 2);
         INSERT INTO messages (conversation_id, seq, client_id, sender_party, sender_id,
             sender_name, text, timestamp, customer_id, call, attachments) VALUES
         (x'00000000000000000000000000000001', 1, x'00000000000000000000000000000001', 'customer', 'c1', 'Old', 'hi', 2000, 'c1', NULL, NULL),
         (x'00000000000000000000000000000001', 2, x'00000000000000000000000000000002', 'attendant', 'a', 'A', 'yes', 4000, 'c1', NULL, NULL);",
    )
    .expect("messages of schema 11");
    schema::migrate(&mut conn).expect("migrate");
    conn.execute(
        "INSERT INTO messages (conversation_id, seq, client_id, sender_party, sender_id, \
         sender_name, text, timestamp, customer_id) VALUES \
         (x'00000000000000000000000000000001', 3, x'00000000000000000000000000000003', 'bot', 't', 'Bot', 'hello', 5000, 'c1')",
        [],
    )
    .expect("a bot may write now");
    let id = ConversationId::from(uuid::Uuid::from_u128(1));
    let kept = messages::after(&conn, &id, 0, 10).expect("messages");
    let said: Vec<_> = kept
        .iter()
        .map(|m| (m.seq, m.sender_party, m.text.as_str().to_owned()))
        .collect();
    assert_eq!(
        said,
        [
            (1, Party::Customer, "hi".to_owned()),
            (2, Party::Attendant, "yes".to_owned()),
            (3, Party::Bot, "hello".to_owned())
        ]
    );
    let unknown = conn.execute(
        "INSERT INTO messages (conversation_id, seq, client_id, sender_party, sender_id, \
         sender_name, text, timestamp, customer_id) VALUES \
         (x'00000000000000000000000000000001', 4, x'00000000000000000000000000000004', 'robot', 't', 'Bot', 'x', 6000, 'c1')",
        [],
    );
    assert!(unknown.is_err(), "the party is still checked");
}
