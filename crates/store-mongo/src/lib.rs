//! The MongoDB backend of the Chimp Assist store, on the official `mongodb` driver.
//!
//! [`MongoStore`] implements [`chimpassist_store::Store`] and passes the same conformance
//! suite as the embedded SQLite store, unchanged (`tests/conformance.rs`).
//!
//! # Using it
//! ```text
//! let store = MongoStore::connect("mongodb://db.example.com:27017", "chimpassist").await?;
//! store.ensure_schema().await?; // creates missing collections and indexes
//! ```
//! [`MongoStore::connect`] parses the connection string but does not contact the server
//! (only a `mongodb+srv://` string looks up DNS), so a server can start while MongoDB is down
//! and call [`MongoStore::ensure_schema`] until it succeeds. The database name is an argument:
//! a database in the URI's path only names where credentials are checked.
//!
//! # How the guarantees are kept
//! - **Durability:** writes use write concern `majority` with journaling unless the URI says
//!   otherwise, so an acknowledged write survives a crash and a failover.
//! - **Dense seqs:** each conversation document holds a `last_seq` counter. An append
//!   `$inc`s it (getting the new value back) and inserts the message under that seq *in one
//!   transaction*, so a failed insert never leaves a gap. See `messages::append`. A node's
//!   concurrent appends share one such transaction per batch (`batch.rs`).
//! - **Idempotent appends:** the unique index `(conversation_id, client_id)` refuses a resend;
//!   its transaction is aborted (undoing the `$inc`) and the original is returned.
//! - **One open conversation per customer:** open conversations carry `open_customer`, under
//!   a unique partial index.
//! - **Transitions** are a compare-and-set in a transaction; with a capacity they count the
//!   attendant's open conversations and bump a field on the attendant's document, so two
//!   racing assignments to one attendant conflict and one is retried. See
//!   `conversations::transition`.
//! - **Search** matches `$regex` with option `i` on the text with its regular-expression
//!   characters escaped (SecantusDB supports both); see `search.rs`.
//! - **Receipts** are raised with `$max` in `receipts`, a document per conversation kept off
//!   the conversation's own document, which every append's transaction writes (see
//!   `conversations::record_receipt`); **settings** and **verified customers** are upserts
//!   under unique keys, retried once when two inserts race.
//! - **Webhook events** are inserted into `webhook_events` inside the transaction of the
//!   write that causes them (creations, ratings and callbacks, single inserts before, are
//!   transactions for it), so a change and its event commit together or not at all; a resend
//!   or refused transition aborts before its event. See `webhooks.rs`.
//! - **Deliveries** are keyed `{event}:{endpoint}`, so concurrent fan-outs insert each once
//!   (duplicate keys ignored); a claim is a `findAndModify` whose filter requires the
//!   previous claim to have run out, so of concurrent claimers one gets each delivery; only
//!   the holder moves it on. See `deliveries.rs`.
//! - **Leases** are claimed without a transaction, by conditional single-document writes
//!   (renew if ours and live, take over if run out, else insert; see `leases::claim`): of
//!   racing claims at most one write can match, so exactly one is granted.
//! - **Errors:** one mapping (`error.rs`): duplicate key (11000) is `Conflict`; network,
//!   server-selection and not-primary errors are `Unavailable`; the rest `Internal`.
//!
//! Transactions need a replica set (or sharded cluster); a single-node replica set is enough.
//! A standalone `mongod` does not support them: [`MongoStore::ensure_schema`] refuses it
//! with an explanation rather than letting the first append fail.
//!
//! # Collections and indexes
//! Created at start by [`MongoStore::ensure_schema`]; also in `docs/storage-mongodb.md`.
//!
//! | collection | `_id` | other indexes (name: keys) | why |
//! |---|---|---|---|
//! | `settings` | key | — | `setting_or_init` |
//! | `customers` | customer id | `customers_verified_external_id`: `verified_external_id` unique, partial (present only on verified records) | one record per proven identity |
//! | `attendants` | attendant id | `attendants_email`: `email` unique (stored lower-case) | login lookup; case-insensitive uniqueness |
//! | `auth_sessions` | token hash | `auth_sessions_attendant`: `attendant_id` | revoke all of an attendant's sessions |
//! | `queues` | queue id | — | lookups by id, listed by id |
//! | `conversations` | conversation UUID | `conversations_one_open`: `open_customer` unique, partial; `conversations_by_customer`: `customer_id, requested_at↓, _id↓`; `conversations_by_attendant`: `attendants, requested_at↓, _id↓` (multikey); `conversations_open`: `requested_at, _id`, partial on `open_customer`; `conversations_attendant_load`: `attendant_id, status`; `conversations_created`: `created_at, _id` | one open per customer; customer and attendant histories; open list at start; capacity count; a report's period |
//! | `messages` | ObjectId | `messages_seq`: `conversation_id, seq` unique; `messages_client_id`: `conversation_id, client_id` unique; `messages_by_customer`: `customer_id, timestamp↓, conversation_id↓, seq↓` | paging and resume by seq; idempotent resends; a customer's history |
//! | `callbacks` | callback UUID | `callbacks_newest`: `created_at↓, _id↓`; `callbacks_open`: `done_at, created_at↓, _id↓`; `callbacks_by_customer`: `customer_id, created_at↓, _id↓` | all, or open ones, newest first; a customer's (data export) |
//! | `canned_responses` | canned UUID | `canned_responses_shortcut`: `shortcut` unique | one response per shortcut; listed by shortcut |
//! | `greetings` | greeting UUID | `greetings_order`: `position, _id` | rules in the order they were created (`position`: the clock then) |
//! | `notes` | note UUID | `notes_by_conversation`: `conversation_id, created_at, _id` | a conversation's notes, oldest first |
//! | `leases` | lease name | — | `claim_lease`, `release_lease`: by `_id` only |
//! | `receipts` | conversation UUID | — | a conversation's receipts, apart from its counter |
//! | `files` | file UUID | `files_client_id`: `conversation_id, uploader_id, client_id` unique; `files_by_customer`: `customer_id` | idempotent uploads; deleting a customer's files |
//! | `webhooks` | webhook UUID (text) | `webhooks_created`: `created_at, _id` | endpoints, oldest first |
//! | `webhook_events` | event UUIDv7 (text) | `webhook_events_order`: `fanned, at, _id` | the outbox: unfanned oldest first (fan-out), fanned and old (pruning) |
//! | `webhook_deliveries` | `{event}:{endpoint}` | `webhook_deliveries_due`: `state, due_at, event_at, event_id`; `webhook_deliveries_event`: `event_id, state`; `webhook_deliveries_endpoint`: `endpoint_id` | one delivery per pair; claims, earliest due first; pruning; deleting an endpoint |
//! | `webhook_attempts` | attempt UUIDv7 (text) | `webhook_attempts_log`: `endpoint_id, _id`; `webhook_attempts_at`: `at` | an endpoint's log, newest first; pruning |
//! | `audit_log` | entry UUIDv7 (text) | — | the log, newest first (`_id` read backwards) |
//! | `api_tokens` | token UUIDv7 (text) | `api_tokens_hash`: `token_hash` unique | a presented token, by its hash; the list, oldest first |
//! | `attachments.files`, `attachments.chunks` | GridFS (`<file id>`, `<file id>.thumb`) | the driver's GridFS indexes | a file's bytes, readable from any node |

mod accounts;
mod audit;
mod batch;
mod callbacks;
mod codec;
mod combine;
mod conversations;
mod deliveries;
mod erasure;
mod error;
mod files;
mod leases;
mod mail;
mod messages;
mod receipts;
mod reports;
mod retention;
mod schema;
mod search;
mod store_impl;
mod tokens;
mod transaction;
mod visits;
mod webhooks;
mod workspace;

#[cfg(feature = "test-support")]
pub mod test_support;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chimpassist_store::{StoreError, StoreResult};
use mongodb::bson::doc;
use mongodb::options::{Acknowledgment, ClientOptions, ConnectionString, HostInfo, WriteConcern};
use mongodb::{Client, Database};

use crate::batch::Batcher;
use crate::error::{OrStore, store_error};
use crate::receipts::Receipter;

/// How long an operation waits for a usable server when the URI does not say
/// (`serverSelectionTimeoutMS`). The driver's 30 s would hold a chat message's ack — and a
/// readiness probe — far longer than a client waits; after this the write fails as
/// `Unavailable` and the client resends.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// TCP connect timeout when the URI does not set `connectTimeoutMS`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A readiness check answers within this, reachable or not (probes have short timeouts).
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The servers a connection string names — `host:port,…`, or the DNS name of a
/// `mongodb+srv://` string — for logs: never its credentials or options. Parses without any
/// I/O; `Internal` when the string is invalid.
pub fn hosts_of(uri: &str) -> StoreResult<String> {
    let parsed = ConnectionString::parse(uri).map_err(store_error)?;
    Ok(match parsed.host_info {
        HostInfo::HostIdentifiers(hosts) => hosts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
        HostInfo::DnsRecord(name) => name,
        // The enum may grow; a name we cannot show is better than a credential.
        #[allow(unreachable_patterns)]
        _ => "(unknown hosts)".to_owned(),
    })
}

/// The MongoDB [`chimpassist_store::Store`]. A cheap handle: the driver pools connections.
#[derive(Clone)]
pub struct MongoStore {
    client: Client,
    db: Database,
    /// `host:port,…` from the connection string, for logs (never the credentials).
    hosts: String,
    /// This process's appends, written in batches (see `batch.rs`).
    appends: Arc<Batcher>,
    /// This process's receipts, written in batches (see `receipts.rs`).
    receipts: Arc<Receipter>,
    /// Which webhook events this process's writes record.
    recording: chimpassist_store::Recording,
}

impl fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoStore")
            .field("hosts", &self.hosts)
            .field("database", &self.db.name())
            .finish_non_exhaustive()
    }
}

impl MongoStore {
    /// Prepares a client for `uri` and the database `database`, without contacting the
    /// server (see the crate docs). Fails with `Internal` on an invalid connection string and
    /// `Unavailable` when a `mongodb+srv://` lookup fails.
    pub async fn connect(uri: &str, database: &str) -> StoreResult<MongoStore> {
        let mut options = ClientOptions::parse(uri).await.map_err(store_error)?;
        let hosts = options
            .hosts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        options
            .app_name
            .get_or_insert_with(|| "chimpassist".to_owned());
        options
            .server_selection_timeout
            .get_or_insert(SERVER_SELECTION_TIMEOUT);
        options.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
        options.write_concern.get_or_insert_with(|| {
            WriteConcern::builder()
                .w(Acknowledgment::Majority)
                .journal(true)
                .build()
        });
        let client = Client::with_options(options).map_err(store_error)?;
        Ok(MongoStore {
            db: client.database(database),
            client,
            hosts,
            appends: Arc::new(batch::batcher()),
            receipts: Arc::new(receipts::receipter()),
            recording: chimpassist_store::Recording::default(),
        })
    }

    /// Creates the collections and indexes that are missing (see the crate docs). Idempotent;
    /// `Unavailable` while the server cannot be reached.
    pub async fn ensure_schema(&self) -> StoreResult<()> {
        schema::ensure(&self.db).await?;
        let backfilled = reports::backfill_facts(self).await?;
        if backfilled > 0 {
            tracing::info!(backfilled, "report facts given to older conversations");
        }
        Ok(())
    }

    /// The servers named by the connection string, `host:port` comma-separated.
    pub fn hosts(&self) -> &str {
        &self.hosts
    }

    /// The database this store uses.
    pub fn database_name(&self) -> &str {
        self.db.name()
    }

    /// A round trip to the server, bounded by [`PING_TIMEOUT`].
    async fn ping(&self) -> StoreResult<()> {
        match tokio::time::timeout(PING_TIMEOUT, self.db.run_command(doc! {"ping": 1})).await {
            Ok(answer) => answer.or_store().map(drop),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer from {} within {PING_TIMEOUT:?}",
                self.hosts
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_leave_out_credentials_and_options() {
        for (uri, hosts) in [
            ("mongodb://db.example.com:27017", "db.example.com:27017"),
            (
                "mongodb://user:p%40ss@a.example.com:1,b.example.com:2/admin?authSource=x",
                "a.example.com:1,b.example.com:2",
            ),
            (
                "mongodb+srv://u:secret@cluster0.example.net/?w=majority",
                "cluster0.example.net",
            ),
            (
                "mongodb://127.0.0.1:27017/?retryWrites=false",
                "127.0.0.1:27017",
            ),
        ] {
            assert_eq!(hosts_of(uri).expect("valid"), hosts, "{uri}");
        }
        assert!(hosts_of("http://nope").is_err());
    }
}
