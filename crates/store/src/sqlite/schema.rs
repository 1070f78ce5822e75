//! The schema and its migrations.
//!
//! `PRAGMA user_version` holds how many entries of [`MIGRATIONS`] the file has had applied;
//! opening applies the rest, each in its own transaction with its version bump. Entries are
//! never edited once released: a change is a new entry.

use rusqlite::{Connection, TransactionBehavior};

use crate::{StoreError, StoreResult};

/// Each entry moves the schema one version up.
const MIGRATIONS: &[&str] = &[
    // 1: everything the first release stores.
    r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE customers (
    id          TEXT PRIMARY KEY NOT NULL,
    external_id TEXT,
    verified    INTEGER NOT NULL CHECK (verified IN (0, 1)),
    name        TEXT NOT NULL,
    avatar_url  TEXT,
    email       TEXT,
    created_at  INTEGER NOT NULL
) STRICT;
-- A proven identity has exactly one record; unproven claims may repeat.
CREATE UNIQUE INDEX customers_verified_external_id
    ON customers (external_id) WHERE verified = 1;

CREATE TABLE attendants (
    id                   TEXT PRIMARY KEY NOT NULL,
    -- Written lower-case (Unicode) by the store; NOCASE is the index's second guard.
    email                TEXT NOT NULL COLLATE NOCASE,
    name                 TEXT NOT NULL,
    avatar_url           TEXT,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'attendant')),
    skill                TEXT NOT NULL,
    -- JSON array of queue ids: always read with the account, never searched.
    queues               TEXT NOT NULL,
    capacity             INTEGER NOT NULL CHECK (capacity >= 0),
    disabled             INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    password_hash        TEXT,
    must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
    created_at           INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX attendants_email ON attendants (email);

CREATE TABLE auth_sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    attendant_id TEXT NOT NULL REFERENCES attendants (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX auth_sessions_attendant ON auth_sessions (attendant_id);

CREATE TABLE queues (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('auto', 'manual')),
    skill        TEXT,
    greeting     TEXT,
    away_message TEXT
) STRICT;

-- Ids of conversations, messages and callbacks are UUIDs stored as 16-byte blobs.
-- `queue_id` has no foreign key: queues come from configuration and may be renamed.
CREATE TABLE conversations (
    id                  BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    customer_id         TEXT NOT NULL REFERENCES customers (id),
    queue_id            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN
                            ('queued', 'assigned', 'active', 'resolved', 'expired', 'abandoned')),
    attendant_id        TEXT REFERENCES attendants (id),
    requested_at        INTEGER NOT NULL,
    assigned_at         INTEGER,
    ended_at            INTEGER,
    last_seq            INTEGER NOT NULL DEFAULT 0,
    rating_score        INTEGER,
    rating_comment      TEXT,
    subject             TEXT,
    -- Receipts live on the conversation: one row to raise, one row to read.
    customer_delivered  INTEGER NOT NULL DEFAULT 0,
    customer_read       INTEGER NOT NULL DEFAULT 0,
    attendant_delivered INTEGER NOT NULL DEFAULT 0,
    attendant_read      INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The store, not the caller, guarantees one open conversation per customer.
CREATE UNIQUE INDEX conversations_one_open
    ON conversations (customer_id) WHERE status IN ('queued', 'assigned', 'active');
CREATE INDEX conversations_by_customer
    ON conversations (customer_id, requested_at, id);
CREATE INDEX conversations_open
    ON conversations (requested_at, id) WHERE status IN ('queued', 'assigned', 'active');
-- What the capacity check counts.
CREATE INDEX conversations_attendant_load
    ON conversations (attendant_id) WHERE status IN ('assigned', 'active');

-- Every attendant a conversation was ever given to, so it stays in their history after a
-- transfer. `requested_at` (never changed) is copied here to order that history by index.
CREATE TABLE conversation_attendants (
    attendant_id    TEXT NOT NULL REFERENCES attendants (id),
    requested_at    INTEGER NOT NULL,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    PRIMARY KEY (attendant_id, requested_at, conversation_id)
) STRICT, WITHOUT ROWID;

-- `customer_id` is copied from the conversation so a customer's history across
-- conversations is one index range.
CREATE TABLE messages (
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    client_id       BLOB NOT NULL,
    customer_id     TEXT NOT NULL,
    sender_party    TEXT NOT NULL CHECK (sender_party IN ('customer', 'attendant')),
    sender_id       TEXT NOT NULL,
    sender_name     TEXT NOT NULL,
    text            TEXT NOT NULL,
    timestamp       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) STRICT;
-- Idempotency: a client id is unique within its conversation. Client ids are UUIDv7, so
-- keyed by client id first, new entries land at the end of the index: a group commit touches
-- a page or two here instead of one per conversation (this alone took the append benchmark
-- from about 22k to 34k appends/s). Lookups name both columns, so the order costs nothing.
CREATE UNIQUE INDEX messages_client_id ON messages (client_id, conversation_id);
CREATE INDEX messages_by_customer ON messages (customer_id, timestamp, conversation_id, seq);

CREATE TABLE callbacks (
    id             BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    queue_id       TEXT NOT NULL,
    customer_id    TEXT,
    name           TEXT NOT NULL,
    phone          TEXT,
    email          TEXT,
    preferred_time TEXT,
    note           TEXT,
    created_at     INTEGER NOT NULL,
    done_at        INTEGER,
    done_by        TEXT
) STRICT;
CREATE INDEX callbacks_newest ON callbacks (created_at, id);
CREATE INDEX callbacks_open ON callbacks (created_at, id) WHERE done_at IS NULL;
"#,
    // 2: the attendants' workspace: canned responses and private notes.
    r#"
CREATE TABLE canned_responses (
    id         BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    -- Lower-case by construction (`Shortcut`); the index is the uniqueness rule.
    shortcut   TEXT NOT NULL,
    text       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (shortcut);

-- Notes are not messages: a table of their own, so no message read can return one.
-- `author_id` has no foreign key, as in the MongoDB backend.
CREATE TABLE notes (
    id              BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    author_id       TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX notes_by_conversation ON notes (conversation_id, created_at, id);

-- Who a conversation was ever given to (note permissions), without scanning the history.
CREATE INDEX conversation_attendants_by_conversation
    ON conversation_attendants (conversation_id);
"#,
    // 3: named leases (which node coordinates). A handful of rows, each read and written by
    // key only.
    r#"
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    -- The fencing token: 1 at the first grant, +1 at every fresh one.
    term       INTEGER NOT NULL CHECK (term > 0),
    expires_at INTEGER NOT NULL
) STRICT;
"#,
    // 4: whether a verified customer's name, e-mail and avatar came from the site's signed
    // token too. Existing records did not prove theirs: 0. (Paged callback lists need no new
    // index: `callbacks_newest` and `callbacks_open`, read backwards, serve them.)
    r#"
ALTER TABLE customers ADD COLUMN profile_verified INTEGER NOT NULL DEFAULT 0
    CHECK (profile_verified IN (0, 1));
"#,
    // 5: who may start a call in a queue's conversations. Existing queues get the default:
    // the attendant calls.
    r#"
ALTER TABLE queues ADD COLUMN calls TEXT NOT NULL DEFAULT 'attendant_starts'
    CHECK (calls IN ('off', 'attendant_starts', 'either_side'));
"#,
    // 6: the record of a call, on the message that reports it (JSON; NULL on every other).
    r#"
ALTER TABLE messages ADD COLUMN call TEXT;
"#,
    // 7: files. Their bytes live beside the database (`files.rs`); a row appears only once
    // they are durable. A message keeps what its files were (JSON; NULL when none), so a
    // transcript needs no second read.
    r#"
ALTER TABLE messages ADD COLUMN attachments TEXT;
CREATE TABLE files (
    id              BLOB PRIMARY KEY,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    customer_id     TEXT NOT NULL,
    uploader_party  TEXT NOT NULL CHECK (uploader_party IN ('customer', 'attendant')),
    uploader_id     TEXT NOT NULL,
    client_id       BLOB NOT NULL,
    name            TEXT NOT NULL,
    size            INTEGER NOT NULL CHECK (size >= 0),
    content_type    TEXT NOT NULL,
    width           INTEGER,
    height          INTEGER,
    thumbnail_type  TEXT,
    created_at      INTEGER NOT NULL
) STRICT;
-- Idempotent uploads: one file per key.
CREATE UNIQUE INDEX files_client_id ON files (conversation_id, uploader_id, client_id);
-- Deleting a customer's data.
CREATE INDEX files_by_customer ON files (customer_id);
"#,
    // 8: what reports count, kept as each conversation changes (see `ConversationFacts`).
    // Existing conversations get theirs from what is stored: their request and assignment
    // times (a reopen or transfer before this release moved those), their messages and calls.
    r#"
ALTER TABLE conversations ADD COLUMN created_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_assigned_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_response_at INTEGER;
ALTER TABLE conversations ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN customer_messages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN attendant_messages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN calls_answered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN calls_missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN talk_ms INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET
    created_at = requested_at,
    first_assigned_at = assigned_at,
    first_response_at = (SELECT min(m.timestamp) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.sender_party = 'attendant'
          AND m.call IS NULL),
    customer_messages = (SELECT count(*) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.sender_party = 'customer'
          AND m.call IS NULL),
    attendant_messages = (SELECT count(*) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.sender_party = 'attendant'
          AND m.call IS NULL),
    calls = (SELECT count(*) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.call IS NOT NULL),
    calls_answered = (SELECT count(*) FROM messages m
        WHERE m.conversation_id = conversations.id
          AND json_extract(m.call, '$.answered_at') IS NOT NULL),
    calls_missed = (SELECT count(*) FROM messages m
        WHERE m.conversation_id = conversations.id
          AND json_extract(m.call, '$.answered_at') IS NULL
          AND json_extract(m.call, '$.reason') = 'missed'),
    talk_ms = (SELECT coalesce(sum(max(0, json_extract(m.call, '$.ended_at')
                                      - json_extract(m.call, '$.answered_at'))), 0)
        FROM messages m
        WHERE m.conversation_id = conversations.id
          AND json_extract(m.call, '$.answered_at') IS NOT NULL);
-- A period's conversations, in order: one range.
CREATE INDEX conversations_created ON conversations (created_at, id);
"#,
    // 9: outgoing webhooks — endpoints, the outbox, deliveries and their log.
    r#"
CREATE TABLE webhooks (
    id                    TEXT PRIMARY KEY NOT NULL,
    url                   TEXT NOT NULL,
    -- JSON array of event types: always read with the endpoint, never searched.
    events                TEXT NOT NULL,
    enabled               INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    description           TEXT,
    created_at            INTEGER NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until INTEGER,
    disabled_reason       TEXT,
    failing_since         INTEGER
) STRICT;

-- The outbox: each row written in the same transaction as the change it reports.
-- `seq` (the rowid) is the order they were recorded in.
CREATE TABLE webhook_events (
    seq    INTEGER PRIMARY KEY,
    id     TEXT NOT NULL UNIQUE,
    type   TEXT NOT NULL,
    at     INTEGER NOT NULL,
    data   TEXT NOT NULL,
    fanned INTEGER NOT NULL DEFAULT 0 CHECK (fanned IN (0, 1))
) STRICT;
CREATE INDEX webhook_events_unfanned ON webhook_events (seq) WHERE fanned = 0;
CREATE INDEX webhook_events_at ON webhook_events (at);

-- One per (event, endpoint subscribed when it was fanned out).
CREATE TABLE webhook_deliveries (
    event_id      TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    due_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, endpoint_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);

-- The delivery log. Ids are UUIDv7 text: an endpoint's newest first is one index range.
CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY NOT NULL,
    endpoint_id TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER,
    duration_ms INTEGER NOT NULL,
    error       TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'failed')),
    next_at     INTEGER
) STRICT;
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
"#,
    // 10: the audit log. Ids are UUIDv7 text: newest first is the key read backwards.
    r#"
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY NOT NULL,
    at         INTEGER NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    summary    TEXT
) STRICT;
"#,
    // 11: API tokens (found by their hash), who acted in the audit log (an attendant or a
    // token), and a customer's callbacks (for their data export).
    r#"
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
) STRICT;
ALTER TABLE audit_log ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'attendant';
CREATE INDEX callbacks_by_customer ON callbacks (customer_id, created_at)
    WHERE customer_id IS NOT NULL;
"#,
    // 12: a bot as a queue's first responder (both set or both null); when the retention
    // sweep emptied a conversation (the sweep reads those not emptied, by end); bots' messages:
    // SQLite cannot change a CHECK in place, so `messages` is copied into a table that
    // allows `bot` (the documented way: sqlite.org/lang_altertable.html#otheralter).
    r#"
ALTER TABLE queues ADD COLUMN bot_name TEXT;
ALTER TABLE queues ADD COLUMN bot_timeout_secs INTEGER;
ALTER TABLE conversations ADD COLUMN purged_at INTEGER;
CREATE INDEX conversations_to_purge ON conversations (ended_at)
    WHERE purged_at IS NULL AND ended_at IS NOT NULL;
CREATE TABLE messages_v12 (
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    client_id       BLOB NOT NULL,
    customer_id     TEXT NOT NULL,
    sender_party    TEXT NOT NULL CHECK (sender_party IN ('customer', 'attendant', 'bot')),
    sender_id       TEXT NOT NULL,
    sender_name     TEXT NOT NULL,
    text            TEXT NOT NULL,
    timestamp       INTEGER NOT NULL,
    call            TEXT,
    attachments     TEXT,
    PRIMARY KEY (conversation_id, seq)
) STRICT;
INSERT INTO messages_v12 (conversation_id, seq, client_id, customer_id, sender_party,
    sender_id, sender_name, text, timestamp, call, attachments)
    SELECT conversation_id, seq, client_id, customer_id, sender_party, sender_id,
        sender_name, text, timestamp, call, attachments FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v12 RENAME TO messages;
CREATE UNIQUE INDEX messages_client_id ON messages (client_id, conversation_id);
CREATE INDEX messages_by_customer ON messages (customer_id, timestamp, conversation_id, seq);
"#,
    // 13: the visitor's context (pages, browser, language, clock) as JSON: read and written
    // whole, never queried inside.
    r#"
ALTER TABLE customers ADD COLUMN visit TEXT;
"#,
    // 14: the site's attributes of a customer as JSON, and their values as text for search.
    r#"
ALTER TABLE customers ADD COLUMN attributes TEXT;
ALTER TABLE customers ADD COLUMN attribute_values TEXT;
"#,
    // 15: a queue's business hours, as JSON (read and written whole).
    r#"
ALTER TABLE queues ADD COLUMN hours TEXT;
"#,
    // 16: proactive greeting rules, each a JSON document read and written whole; `position`
    // keeps the order they were created in (the order the widget tries them).
    r#"
CREATE TABLE greetings (
    id BLOB PRIMARY KEY,
    position INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX greetings_position ON greetings (position);
"#,
    // 17: addresses whose owner turned mail off, by the server's key (a hash) of each.
    r#"
CREATE TABLE mail_suppressions (
    address_key TEXT PRIMARY KEY NOT NULL,
    at INTEGER NOT NULL
) STRICT;
"#,
];

/// Brings the schema up to date. Refuses a file written by a newer release rather than
/// guessing at a schema it does not know. Each step re-reads the version inside an
/// immediate (write-locked) transaction, so two processes opening one file cannot both
/// apply the same step.
pub(crate) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let Some(sql) = MIGRATIONS.get(current) else {
            if current > MIGRATIONS.len() {
                return Err(StoreError::internal(format!(
                    "the database has schema version {current}; this build knows up to {}",
                    MIGRATIONS.len()
                )));
            }
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(version = current + 1, "store schema migrated");
    }
}

/// The schema version this build writes.
#[cfg(test)]
pub(crate) fn version() -> usize {
    MIGRATIONS.len()
}

/// A file as the release with schema `version` left it (to test upgrades from it).
#[cfg(test)]
pub(crate) fn create_at(conn: &Connection, version: usize) {
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql).expect("an old migration");
    }
    conn.pragma_update(None, "user_version", version)
        .expect("set the version");
}
