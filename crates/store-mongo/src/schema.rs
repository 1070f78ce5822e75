//! Collections and their indexes, created by [`ensure`] at start.
//!
//! MongoDB has no migrations to run: collections appear on first write. What must exist
//! before the first write are the indexes, because the unique ones *are* the rules
//! (one open conversation per customer, one verified record per identity, one message per
//! client id, one message per seq). `createIndexes` with an index that already exists under
//! the same name and spec is a no-op, so [`ensure`] runs on every start. An index that exists
//! with the same name but another spec makes it fail with a clear error instead of
//! silently keeping the old rule; a changed index therefore gets a new name.

use chimpassist_store::{StoreError, StoreResult};
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use crate::error::OrStore;

pub(crate) const SETTINGS: &str = "settings";
pub(crate) const CUSTOMERS: &str = "customers";
pub(crate) const ATTENDANTS: &str = "attendants";
pub(crate) const AUTH_SESSIONS: &str = "auth_sessions";
pub(crate) const QUEUES: &str = "queues";
pub(crate) const CONVERSATIONS: &str = "conversations";
pub(crate) const MESSAGES: &str = "messages";
pub(crate) const CALLBACKS: &str = "callbacks";
pub(crate) const CANNED: &str = "canned_responses";
pub(crate) const NOTES: &str = "notes";
/// Proactive greeting rules (`workspace.rs`).
pub(crate) const GREETINGS: &str = "greetings";
/// Addresses whose owner turned mail off (`_id`: the server's key of the address).
pub(crate) const MAIL_SUPPRESSIONS: &str = "mail_suppressions";
pub(crate) const LEASES: &str = "leases";
/// Read receipts, one document per conversation (`_id`: its UUID). Apart from the
/// conversation's document on purpose: see `conversations::record_receipt`.
pub(crate) const RECEIPTS: &str = "receipts";
/// Records of uploaded files; their bytes are in the GridFS bucket `attachments`.
pub(crate) const FILES: &str = "files";
/// Webhook endpoints (`webhooks.rs`).
pub(crate) const WEBHOOKS: &str = "webhooks";
/// The outbox: events recorded by the writes that cause them (`webhooks.rs`).
pub(crate) const WEBHOOK_EVENTS: &str = "webhook_events";
/// One document per `(event, endpoint)` (`deliveries.rs`).
pub(crate) const WEBHOOK_DELIVERIES: &str = "webhook_deliveries";
/// The delivery log: one document per attempt (`deliveries.rs`).
pub(crate) const WEBHOOK_ATTEMPTS: &str = "webhook_attempts";
/// What admins did (`audit.rs`); newest first is the `_id` index read backwards.
pub(crate) const AUDIT_LOG: &str = "audit_log";
/// API tokens, by their hash (`tokens.rs`).
pub(crate) const API_TOKENS: &str = "api_tokens";

/// Every collection, so each exists before a transaction writes to it (servers before 4.4
/// cannot create a collection inside a transaction).
const ALL: [&str; 19] = [
    SETTINGS,
    CUSTOMERS,
    ATTENDANTS,
    AUTH_SESSIONS,
    QUEUES,
    CONVERSATIONS,
    MESSAGES,
    CALLBACKS,
    CANNED,
    NOTES,
    LEASES,
    RECEIPTS,
    FILES,
    WEBHOOKS,
    WEBHOOK_EVENTS,
    WEBHOOK_DELIVERIES,
    WEBHOOK_ATTEMPTS,
    AUDIT_LOG,
    API_TOKENS,
];

/// "Collection already exists", harmless for [`ensure`].
const NAMESPACE_EXISTS: i32 = 48;

fn index(name: &str, keys: Document) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

fn unique(name: &str, keys: Document, partial: Option<Document>) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_owned())
                .unique(true)
                .partial_filter_expression(partial)
                .build(),
        )
        .build()
}

/// The secondary indexes of each collection (`_id` is always there). Keep in step with the
/// table in the crate docs and `docs/storage-mongodb.md`.
fn indexes() -> Vec<(&'static str, Vec<IndexModel>)> {
    vec![
        (
            CUSTOMERS,
            vec![unique(
                "customers_verified_external_id",
                doc! {"verified_external_id": 1},
                Some(doc! {"verified_external_id": {"$exists": true}}),
            )],
        ),
        (
            ATTENDANTS,
            vec![unique("attendants_email", doc! {"email": 1}, None)],
        ),
        (
            AUTH_SESSIONS,
            vec![index("auth_sessions_attendant", doc! {"attendant_id": 1})],
        ),
        (
            CONVERSATIONS,
            vec![
                unique(
                    "conversations_one_open",
                    doc! {"open_customer": 1},
                    Some(doc! {"open_customer": {"$exists": true}}),
                ),
                index(
                    "conversations_by_customer",
                    doc! {"customer_id": 1, "requested_at": -1, "_id": -1},
                ),
                index(
                    "conversations_by_attendant",
                    doc! {"attendants": 1, "requested_at": -1, "_id": -1},
                ),
                // The retention sweep: not emptied (absent reads as null), oldest end first.
                index(
                    "conversations_to_purge",
                    doc! {"purged_at": 1, "ended_at": 1},
                ),
                // Partial on the same helper field as the uniqueness rule, so "every open
                // conversation, oldest first" reads only open ones, already in order.
                IndexModel::builder()
                    .keys(doc! {"requested_at": 1, "_id": 1})
                    .options(
                        IndexOptions::builder()
                            .name("conversations_open".to_owned())
                            .partial_filter_expression(doc! {"open_customer": {"$exists": true}})
                            .build(),
                    )
                    .build(),
                index(
                    "conversations_attendant_load",
                    doc! {"attendant_id": 1, "status": 1},
                ),
                // A report's period, in order.
                index("conversations_created", doc! {"created_at": 1, "_id": 1}),
            ],
        ),
        (
            MESSAGES,
            vec![
                unique("messages_seq", doc! {"conversation_id": 1, "seq": 1}, None),
                unique(
                    "messages_client_id",
                    doc! {"conversation_id": 1, "client_id": 1},
                    None,
                ),
                index(
                    "messages_by_customer",
                    doc! {"customer_id": 1, "timestamp": -1, "conversation_id": -1, "seq": -1},
                ),
            ],
        ),
        (
            CALLBACKS,
            vec![
                index("callbacks_newest", doc! {"created_at": -1, "_id": -1}),
                // Open ones have `done_at: null`: a prefix of this index.
                index(
                    "callbacks_open",
                    doc! {"done_at": 1, "created_at": -1, "_id": -1},
                ),
                // A customer's callbacks, for their data export.
                index(
                    "callbacks_by_customer",
                    doc! {"customer_id": 1, "created_at": -1, "_id": -1},
                ),
            ],
        ),
        (
            CANNED,
            vec![unique(
                "canned_responses_shortcut",
                doc! {"shortcut": 1},
                None,
            )],
        ),
        (
            GREETINGS,
            vec![index("greetings_order", doc! {"position": 1, "_id": 1})],
        ),
        (
            NOTES,
            vec![index(
                "notes_by_conversation",
                doc! {"conversation_id": 1, "created_at": 1, "_id": 1},
            )],
        ),
        (
            FILES,
            vec![
                unique(
                    "files_client_id",
                    doc! {"conversation_id": 1, "uploader_id": 1, "client_id": 1},
                    None,
                ),
                index("files_by_customer", doc! {"customer_id": 1}),
            ],
        ),
        (
            API_TOKENS,
            vec![unique("api_tokens_hash", doc! {"token_hash": 1}, None)],
        ),
        (
            WEBHOOKS,
            vec![index("webhooks_created", doc! {"created_at": 1, "_id": 1})],
        ),
        (
            WEBHOOK_EVENTS,
            // Both outbox scans are ranges of this one index, in `(at, _id)` order: fan-out
            // reads `fanned: false` oldest first, pruning `fanned: true` older than a time.
            vec![index(
                "webhook_events_order",
                doc! {"fanned": 1, "at": 1, "_id": 1},
            )],
        ),
        (
            WEBHOOK_DELIVERIES,
            vec![
                // Claims: pending ones, earliest due first, then in event order.
                index(
                    "webhook_deliveries_due",
                    doc! {"state": 1, "due_at": 1, "event_at": 1, "event_id": 1},
                ),
                // Pruning: does an event still have a pending delivery; its deliveries.
                index("webhook_deliveries_event", doc! {"event_id": 1, "state": 1}),
                // Deleting an endpoint's deliveries.
                index("webhook_deliveries_endpoint", doc! {"endpoint_id": 1}),
            ],
        ),
        (
            WEBHOOK_ATTEMPTS,
            vec![
                // An endpoint's log, newest first (`_id` is a UUIDv7: it sorts by time).
                index("webhook_attempts_log", doc! {"endpoint_id": 1, "_id": 1}),
                // Pruning old entries.
                index("webhook_attempts_at", doc! {"at": 1}),
            ],
        ),
    ]
}

/// Refuses a standalone server up front: appends and capacity checks need transactions,
/// which only replica-set members and `mongos` offer. Without this check the first append
/// would fail with a server error far from its cause.
async fn check_transactions(db: &Database) -> StoreResult<()> {
    let hello = db.run_command(doc! {"hello": 1}).await.or_store()?;
    let replica_set = hello.contains_key("setName");
    let router = hello.get_str("msg") == Ok("isdbgrid");
    if replica_set || router {
        return Ok(());
    }
    Err(StoreError::internal(
        "this MongoDB is a standalone server; the store needs transactions, which need a \
         replica set (a single node is enough: start mongod with --replSet and run \
         rs.initiate()) or a sharded cluster"
            .to_owned(),
    ))
}

/// Checks that the server offers transactions, then creates the collections and indexes that
/// are missing. Safe to run on every start and from several nodes at once.
pub(crate) async fn ensure(db: &Database) -> StoreResult<()> {
    check_transactions(db).await?;
    let existing = db.list_collection_names().await.or_store()?;
    for name in ALL {
        if existing.iter().any(|e| e == name) {
            continue;
        }
        match db.create_collection(name).await {
            Ok(()) => {}
            // Another node created it first.
            Err(e) if crate::error::code_of(&e) == Some(NAMESPACE_EXISTS) => {}
            Err(e) => return Err(crate::error::store_error(e)),
        }
    }
    for (collection, models) in indexes() {
        db.collection::<Document>(collection)
            .create_indexes(models)
            .await
            .or_store()?;
    }
    Ok(())
}
