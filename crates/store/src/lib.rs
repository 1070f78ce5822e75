//! Storage for Chimp Assist: one trait, an embedded SQLite backend, and the conformance
//! suite every backend must pass unchanged.
//!
//! # Guarantees every backend gives
//! - **Durability:** when a write returns `Ok`, it survives a process crash (and, for the
//!   embedded store, a power loss: commits are fsynced). An acknowledged message is never lost.
//! - **Messages:** `append_message` gives each conversation's messages the sequence numbers
//!   1, 2, 3, … with no gaps and no repeats, under any concurrency. A second append with the
//!   same `(conversation, client_id)` returns the original message with `duplicate: true` and
//!   writes nothing; if the original came from a different sender it fails with
//!   `DuplicateClientId`. `last_seq` of the conversation moves with each append.
//! - **Conversations:** a customer has at most one open (`queued`/`assigned`/`active`)
//!   conversation; `create_conversation` fails with `Conflict` otherwise. `transition` is an
//!   atomic compare-and-set on the status, and with `capacity` set it also atomically refuses
//!   to give an attendant more open conversations than that.
//! - **Report facts** (`conversation_facts`) move with the writes that cause them, atomically:
//!   a conversation's first assignment and first attendant message are kept once, its
//!   reopens and message and call counts go up exactly once per transition and per message
//!   stored (a resend adds nothing).
//! - **Receipts** only move forward: recording a lower `up_to` keeps the higher one.
//! - **Canned responses** have unique shortcuts: a create or update that would repeat one
//!   fails with `Conflict` and writes nothing.
//! - **Notes** are not messages: they have no seq, never move `last_seq`, and no message read
//!   (`messages_before`, `messages_after`, `customer_messages`, `search`) returns them.
//! - **Search** takes its text literally (`%`, `_`, `.`, `*`, `\` match themselves) and
//!   compares ASCII letters case-insensitively on every backend (MongoDB also folds other
//!   letters; SQLite does not).
//! - **Files:** `put_file` returns only once the bytes (and thumbnail) are durable, and the
//!   record becomes visible only then: no read ever finds a record whose bytes are missing or
//!   partial. A second put with the same `(conversation, uploader_id, client_id)` returns the
//!   original with `duplicate: true` and keeps nothing new. `delete_customer_files` removes
//!   records and bytes; a read afterwards finds neither.
//! - **Webhook events** are recorded by the writes that cause them ([`events`] says which),
//!   in the same atomic write: a change is never stored without its event, nor an event
//!   without its change; a resend, a refused transition or a failed write records none.
//!   A fan-out makes one delivery per `(event, endpoint)` however often it runs; a claimed
//!   delivery is handed to no one else until its claim runs out (see [`webhooks`]). Only
//!   the types last given to `record_events` are recorded (all, until it is called).
//! - **Leases:** of concurrent `claim_lease`s on a free or expired lease exactly one wins, also
//!   across nodes; every fresh grant raises `term` by one (a fencing token), a renewal keeps it.
//! - Reads see every write that returned before they started.

pub mod audit;
pub mod erasure;
mod error;
pub mod events;
pub mod files;
pub mod model;
pub mod retention;
pub mod sqlite;
pub mod story;
pub mod tokens;
pub mod webhooks;
pub mod workspace;

#[cfg(feature = "conformance")]
pub mod conformance;

use async_trait::async_trait;
use chimpassist_protocol::greeting::GreetingRule;
use chimpassist_protocol::{
    ApiTokenId, AttemptId, AttendantId, AttributeChanges, Attributes, AuditId, CallbackId,
    CannedId, ConversationId, CustomerId, FileId, GreetingId, Party, QueueId, Rating, ReceiptKind,
    Receipts, SearchQuery, Seq, TimestampMs, VisitView, WebhookEventId, WebhookId,
};

pub use audit::AuditRecord;
pub use erasure::{ERASED_CUSTOMER, Erased};
pub use error::StoreError;
pub use files::*;
pub use model::*;
pub use retention::Purged;
pub use sqlite::SqliteStore;
pub use story::Story;
pub use tokens::ApiTokenRecord;
pub use webhooks::*;
pub use workspace::*;

pub type StoreResult<T> = Result<T, StoreError>;

/// A write already queued, to await: see [`Store::submit_message`].
pub type Pending<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<T>> + Send + 'static>>;

/// The persistence the server needs. See the crate docs for the guarantees.
#[async_trait]
pub trait Store: WebhookStore + Send + Sync + 'static {
    /// Cheap round trip proving the backend answers (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// Returns the value stored under `key`, storing `init` first if there is none.
    /// Atomic: concurrent callers (even on other nodes) all get the same value.
    async fn setting_or_init(&self, key: &str, init: String) -> StoreResult<String>;
    /// The value stored under `key`, if any.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Stores `value` under `key`, replacing what was there (the last writer wins): for
    /// values nodes keep current, such as a mailing node's beacon (`server::mail`).
    async fn put_setting(&self, key: &str, value: String) -> StoreResult<()>;

    // --- customers ---------------------------------------------------------------------------

    /// Creates an unverified customer record (`verified` and `profile_verified` are stored as
    /// `false` whatever the argument says; only `upsert_verified_customer` makes verified
    /// records).
    async fn create_customer(&self, customer: Customer) -> StoreResult<Customer>;
    /// Finds or creates the single verified record for `customer.external_id` (which must be
    /// `Some`), updating its display fields and `profile_verified` to the given ones.
    /// Concurrent calls yield one record.
    async fn upsert_verified_customer(&self, customer: Customer) -> StoreResult<Customer>;
    async fn get_customer(&self, id: &CustomerId) -> StoreResult<Option<Customer>>;
    /// The display names of those of `ids` that exist (one read for a page of report rows).
    async fn customer_names(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<std::collections::HashMap<CustomerId, String>>;
    /// Updates display name, avatar and e-mail. `NotFound` when absent.
    async fn update_customer_profile(
        &self,
        id: &CustomerId,
        name: String,
        avatar_url: Option<String>,
        email: Option<String>,
    ) -> StoreResult<()>;

    /// The visitor's context as the widget last reported it (pages, browser, language,
    /// clock: [`VisitView`]); `None` before any report or for an unknown customer.
    async fn customer_visit(&self, id: &CustomerId) -> StoreResult<Option<VisitView>>;
    /// Replaces the customer's visit (the caller merges a report into what was kept). Goes
    /// with the record: erasing the customer erases it. `NotFound` when absent.
    async fn set_customer_visit(&self, id: &CustomerId, visit: &VisitView) -> StoreResult<()>;
    /// Since when mail to an address has been off (its owner followed the link in a mail),
    /// by the key the server makes of the address (a hash: the list holds no address). `None`
    /// while mail to it is on.
    async fn mail_suppressed(&self, address_key: &str) -> StoreResult<Option<TimestampMs>>;
    /// Turns mail to an address off from `at`, for good; the first time is kept. It outlives
    /// the contacts that gave the address (erasing one keeps the promise not to mail it).
    async fn suppress_mail(&self, address_key: &str, at: TimestampMs) -> StoreResult<()>;

    /// What the host site says about the customer ([`Attributes`]); empty before any, or
    /// for an unknown customer.
    async fn customer_attributes(&self, id: &CustomerId) -> StoreResult<Attributes>;
    /// Applies `changes` to the customer's attributes in one atomic step (changes from two
    /// tabs or two nodes at once both land), recording `contact.updated` in the same write
    /// when anything changed. From then on [`Store::search`] finds the customer's
    /// conversations by any of the values. Erased with the customer. Returns the attributes
    /// after, or `None` when nothing changed. `Conflict` when the result would hold more
    /// than [`chimpassist_protocol::attributes::MAX_ATTRIBUTES`]; `NotFound` when absent.
    async fn update_customer_attributes(
        &self,
        id: &CustomerId,
        changes: &AttributeChanges,
        at: TimestampMs,
    ) -> StoreResult<Option<Attributes>>;

    // --- attendants and their sessions -------------------------------------------------------

    /// Stores the e-mail lower-cased. Fails with `Conflict` when the e-mail
    /// (case-insensitively) is taken.
    async fn create_attendant(&self, attendant: Attendant) -> StoreResult<Attendant>;
    async fn get_attendant(&self, id: &AttendantId) -> StoreResult<Option<Attendant>>;
    /// Case-insensitive lookup.
    async fn get_attendant_by_email(&self, email: &str) -> StoreResult<Option<Attendant>>;
    /// All attendants, ordered by e-mail.
    async fn list_attendants(&self) -> StoreResult<Vec<Attendant>>;
    async fn count_attendants(&self) -> StoreResult<u64>;
    /// `NotFound` when absent; returns the updated record.
    async fn update_attendant(
        &self,
        id: &AttendantId,
        update: AttendantUpdate,
    ) -> StoreResult<Attendant>;

    async fn create_auth_session(&self, session: AuthSession) -> StoreResult<()>;
    async fn get_auth_session(&self, token_hash: &str) -> StoreResult<Option<AuthSession>>;
    /// Deleting an absent session is not an error (logging out twice is harmless).
    async fn delete_auth_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Revokes every session of an attendant (disable, password reset), except the one whose
    /// token hash is `keep` (a password changed by its owner keeps them signed in where they
    /// changed it). Not an error when there are none.
    async fn delete_auth_sessions_of(
        &self,
        attendant: &AttendantId,
        keep: Option<&str>,
    ) -> StoreResult<()>;

    // --- queues --------------------------------------------------------------------------------

    async fn upsert_queue(&self, queue: Queue) -> StoreResult<()>;
    async fn get_queue(&self, id: &QueueId) -> StoreResult<Option<Queue>>;
    /// All queues, ordered by id.
    async fn list_queues(&self) -> StoreResult<Vec<Queue>>;

    // --- conversations -------------------------------------------------------------------------

    /// Creates a `queued` conversation. `Conflict` if the customer already has an open one.
    async fn create_conversation(&self, conversation: NewConversation)
    -> StoreResult<Conversation>;
    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>>;
    /// Atomic compare-and-set; see [`Transition`]. `NotFound`, `Conflict` or `AtCapacity`.
    async fn transition(&self, transition: Transition) -> StoreResult<Conversation>;
    /// Creations and transitions applied in the given order, each exactly as
    /// [`Store::create_conversation`] / [`Store::transition`] would (a later one sees the
    /// earlier ones), each atomic on its own: one that fails leaves the others, and has its
    /// error in its place of the answer (one answer per write, in order). When the call
    /// returns, every `Ok` is durable.
    ///
    /// Why: the coordinator decides many transitions at once in a busy moment and must not
    /// pay one commit for each. The embedded store runs the whole list in one transaction
    /// (one fsync); the default applies the writes one after another.
    async fn write_conversations(
        &self,
        writes: Vec<ConversationWrite>,
    ) -> Vec<StoreResult<Conversation>> {
        let mut answers = Vec::with_capacity(writes.len());
        for write in writes {
            answers.push(match write {
                ConversationWrite::Create(new) => self.create_conversation(new).await,
                ConversationWrite::Transition(t) => self.transition(t).await,
            });
        }
        answers
    }
    /// Every open conversation, oldest request first (rebuilds the coordinator at start).
    async fn list_open_conversations(&self) -> StoreResult<Vec<Conversation>>;
    /// A customer's conversations, newest request first.
    async fn customer_conversations(
        &self,
        customer: &CustomerId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Conversation>>;
    /// Conversations that are or were assigned to an attendant, newest request first. A
    /// conversation transferred to someone else stays in the first attendant's list.
    async fn attendant_conversations(
        &self,
        attendant: &AttendantId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Conversation>>;
    /// Stores (or replaces) the rating given at `at`. `NotFound` when the conversation does
    /// not exist.
    async fn set_rating(
        &self,
        id: &ConversationId,
        rating: Rating,
        at: TimestampMs,
    ) -> StoreResult<()>;
    /// Up to `limit` conversations first requested in `[from, to)` (by
    /// [`ConversationFacts::created_at`]), with their report facts, in `(created_at, id)`
    /// order, strictly after `after`. A range of one index; paging by the cursor never skips
    /// or repeats one. No customer is read (names, when wanted, come from
    /// [`Store::customer_names`] for the rows shown). The facts are kept by `create_conversation`, `transition` and the
    /// message appends ([`Transition::marks`], [`MessageTally`]), in the same atomic writes.
    async fn conversation_facts(
        &self,
        from: TimestampMs,
        to: TimestampMs,
        after: Option<FactsCursor>,
        limit: u64,
    ) -> StoreResult<Vec<ConversationFacts>>;

    // --- messages ------------------------------------------------------------------------------

    /// Durably appends a message with the next seq (see crate docs). `NotFound` when the
    /// conversation does not exist.
    async fn append_message(&self, message: NewMessage) -> StoreResult<Appended> {
        self.submit_message(message).await
    }
    /// Queues `message` for [`Store::append_message`] and returns its commit to await.
    ///
    /// Why: a connection that sent several messages should not wait for each commit before
    /// reading the next, yet its messages must keep the order they were sent in. The message
    /// is queued before this returns, so messages submitted one after another by one caller
    /// take their seqs in submission order (within a conversation) however their commits
    /// overlap, and their results are ready in that order too.
    ///
    /// Await the result: that is the only way to know the message is stored. A dropped result
    /// does not withdraw the message (it may still be written, with no one told).
    fn submit_message(&self, message: NewMessage) -> Pending<Appended>;
    /// Up to `limit` messages with seq < `before` (or the newest), newest first.
    async fn messages_before(
        &self,
        conversation: &ConversationId,
        before: Option<Seq>,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>>;
    /// Up to `limit` messages with seq > `after`, oldest first (resume).
    async fn messages_after(
        &self,
        conversation: &ConversationId,
        after: Seq,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>>;
    /// A customer's messages across all their conversations, newest first, strictly older
    /// than `before` in `(timestamp, conversation, seq)` order.
    async fn customer_messages(
        &self,
        customer: &CustomerId,
        before: Option<MessageCursor>,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>>;

    // --- receipts ------------------------------------------------------------------------------

    /// Raises the `(party, kind)` receipt of a conversation to `up_to` (never lowers it) and
    /// returns all receipts of the conversation after the change. `NotFound` when the
    /// conversation does not exist.
    async fn record_receipt(
        &self,
        conversation: &ConversationId,
        party: Party,
        kind: ReceiptKind,
        up_to: Seq,
    ) -> StoreResult<Receipts>;
    /// `NotFound` when the conversation does not exist.
    async fn receipts(&self, conversation: &ConversationId) -> StoreResult<Receipts>;

    // --- callbacks -----------------------------------------------------------------------------

    async fn create_callback(&self, callback: Callback) -> StoreResult<()>;
    /// Up to `limit` callbacks that `filter` lets through, newest first (`created_at`, then
    /// id, both descending), strictly after the cursor `before` in that order (`None`: from the
    /// newest). A page boundary never skips or repeats one, however many share a timestamp.
    async fn list_callbacks(
        &self,
        filter: CallbackFilter,
        before: Option<CallbackCursor>,
        limit: u64,
    ) -> StoreResult<Vec<Callback>>;
    /// Every callback linked to `customer`, newest first (`created_at`, then id).
    async fn customer_callbacks(&self, customer: &CustomerId) -> StoreResult<Vec<Callback>>;
    /// `NotFound` when absent; marking twice keeps the first `done_at`/`done_by`.
    async fn mark_callback_done(
        &self,
        id: &CallbackId,
        by: &AttendantId,
        at: TimestampMs,
    ) -> StoreResult<Callback>;

    // --- canned responses ----------------------------------------------------------------------

    /// Every canned response, ordered by shortcut.
    async fn list_canned(&self) -> StoreResult<Vec<StoredCanned>>;
    /// `Conflict` when the shortcut (or the id) is taken.
    async fn create_canned(&self, canned: StoredCanned) -> StoreResult<()>;
    /// Replaces the shortcut, text and `updated_at` of the response `canned.id`. `NotFound`
    /// when absent; `Conflict` when another response has the shortcut.
    async fn update_canned(&self, canned: StoredCanned) -> StoreResult<()>;
    /// `NotFound` when absent. Its shortcut is free again afterwards.
    async fn delete_canned(&self, id: &CannedId) -> StoreResult<()>;

    // --- greetings (proactive message rules) --------------------------------------------------

    /// Every greeting rule, in the order they were created (the order the widget tries
    /// them).
    async fn list_greetings(&self) -> StoreResult<Vec<GreetingRule>>;
    /// `Conflict` when the id is taken. Created last in the order.
    async fn create_greeting(&self, rule: GreetingRule) -> StoreResult<()>;
    /// Replaces the rule `rule.id`, keeping its place in the order. `NotFound` when absent.
    async fn update_greeting(&self, rule: GreetingRule) -> StoreResult<()>;
    /// `NotFound` when absent.
    async fn delete_greeting(&self, id: &GreetingId) -> StoreResult<()>;

    // --- notes and search ----------------------------------------------------------------------

    /// Stores a private note. `NotFound` when the conversation does not exist.
    async fn create_note(&self, note: StoredNote) -> StoreResult<()>;
    /// The notes of one conversation, oldest first (`created_at`, then id); none for an
    /// unknown conversation.
    async fn notes(&self, conversation: &ConversationId) -> StoreResult<Vec<StoredNote>>;
    /// Every attendant the conversation was ever given to, the current one included, in no
    /// particular order. `NotFound` when the conversation does not exist.
    async fn conversation_attendants(&self, id: &ConversationId) -> StoreResult<Vec<AttendantId>>;
    /// Up to `limit` conversations that `visible` allows (see [`Visibility::allows`]) and
    /// whose customer's name or one of their attribute values contains `query`, or that have
    /// a message containing it, newest
    /// request first (`requested_at`, then id). Each comes with its newest message that
    /// contains the text, if any. A scan of every message: no index serves a substring.
    async fn search(
        &self,
        query: &SearchQuery,
        visible: &Visibility,
        limit: u64,
    ) -> StoreResult<Vec<SearchMatch>>;

    // --- files ---------------------------------------------------------------------------------

    /// Keeps a file (see the crate docs: durable before `Ok`, visible only whole, idempotent
    /// by key). The server has checked it already; the store only keeps it.
    async fn put_file(&self, file: NewFile) -> StoreResult<PutFile>;
    async fn get_file(&self, id: &FileId) -> StoreResult<Option<FileRecord>>;
    /// The bytes of a file or of its thumbnail; `None` when there is no such file (or it has
    /// no thumbnail).
    async fn file_bytes(&self, id: &FileId, part: FilePart) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes every file of the customer's conversations, records and bytes; returns how
    /// many. Messages that carried them keep their [`chimpassist_protocol::FileInfo`], and
    /// a download of one then finds nothing.
    async fn delete_customer_files(&self, customer: &CustomerId) -> StoreResult<u64>;

    // --- data rights ---------------------------------------------------------------------------

    /// Erases a customer (their right to erasure): every message and note of their
    /// conversations, their files (records and bytes), their callbacks and their record, and
    /// records `contact.erased` in the same write. Their conversations stay for the reports,
    /// with nothing of them: moved to the [`ERASED_CUSTOMER`] placeholder, subject and rating
    /// comment cleared. `Conflict` while one of their conversations is open (end it first);
    /// `NotFound` when there is no such customer (erasing twice finds nothing the second time).
    async fn erase_customer(&self, customer: &CustomerId, at: TimestampMs) -> StoreResult<Erased>;
    /// The retention period's sweep: empties up to `limit` conversations that ended (resolved,
    /// expired, abandoned) before `cutoff`, oldest end first, and were not emptied since —
    /// their messages, notes and files (records and bytes) are deleted, subject and rating
    /// comment cleared, and each is marked emptied at `at`. The conversations and their report
    /// facts stay. A conversation reopened loses the mark, so what is written after goes too
    /// in its time. Fewer than `limit` conversations emptied: none is left before `cutoff`.
    async fn purge_ended_before(
        &self,
        cutoff: TimestampMs,
        at: TimestampMs,
        limit: u32,
    ) -> StoreResult<Purged>;

    // --- the audit log -------------------------------------------------------------------------

    /// Keeps an entry. `Conflict` when its id is taken.
    async fn record_audit(&self, entry: AuditRecord) -> StoreResult<()>;
    /// Up to `limit` entries newest first (by id: UUIDv7), strictly older than `before`.
    async fn audit_log(&self, before: Option<AuditId>, limit: u64)
    -> StoreResult<Vec<AuditRecord>>;

    // --- API tokens ----------------------------------------------------------------------------

    /// Keeps a new token. `Conflict` when its id or hash is taken.
    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()>;
    /// Every token, revoked ones too, oldest first.
    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>>;
    /// The token whose hash is `token_hash`, live or not (the caller decides).
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiTokenRecord>>;
    /// Marks a token revoked at `at`. Returns it as it now stands; `None` when there is no
    /// such token. Revoking twice keeps the first time.
    async fn revoke_api_token(
        &self,
        id: &ApiTokenId,
        at: TimestampMs,
    ) -> StoreResult<Option<ApiTokenRecord>>;
    /// Records a use at `at` (a later use than the one stored; an earlier one is ignored).
    async fn touch_api_token(&self, id: &ApiTokenId, at: TimestampMs) -> StoreResult<()>;

    // --- leases --------------------------------------------------------------------------------

    /// Claims or renews lease `name` for `holder` until `now + ttl_ms`. Granted when nobody
    /// holds it, when it has run out (`expires_at <= now`), or when `holder` holds it and it
    /// has not run out (a renewal: same term). A fresh grant (first, after expiry — even to the
    /// same holder — or after a release) sets `term` to the previous term + 1 (1 for the very
    /// first). Otherwise the lease is left untouched. Either way returns the lease as it stands
    /// afterwards, so the caller learns who holds it. Atomic: of any number of concurrent
    /// claims on a free or expired lease, exactly one is granted, also across nodes.
    ///
    /// Time is the caller's: the store reads no clock, so nodes must agree on `now` to well
    /// within `ttl_ms`. A `ttl_ms` of 0 grants a lease that has already run out.
    async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        now: TimestampMs,
        ttl_ms: u64,
    ) -> StoreResult<Lease>;
    /// Gives lease `name` up if `holder` holds it (it then expires at `now`, so the next claim
    /// is granted at once, with a new term); otherwise (someone else holds it, or it has
    /// already run out) does nothing. Not an error when absent.
    async fn release_lease(&self, name: &str, holder: &str, now: TimestampMs) -> StoreResult<()>;
}

/// Outgoing webhooks' part of the store (see [`webhooks`]): endpoints, the outbox, deliveries
/// and their log. Every [`Store`] is one; a trait of its own so each backend keeps this area
/// in a file of its own. Guarantees are in the crate docs.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    // --- webhooks (see [`webhooks`]) -----------------------------------------------------------

    /// From now on, the writes of this store (this process's handle on it) record only
    /// events of these types; until this is called, every type (see [`Recording`]). The
    /// dispatcher gives it the types the enabled endpoints take, on every round.
    fn record_events(&self, types: &[chimpassist_protocol::webhook::WebhookEventType]);

    /// `Conflict` when the id is taken.
    async fn create_webhook(&self, endpoint: WebhookEndpoint) -> StoreResult<()>;
    /// Replaces the stored endpoint `endpoint.id` (an admin's edit; `created_at` is kept).
    /// `NotFound` when absent.
    async fn update_webhook(&self, endpoint: WebhookEndpoint) -> StoreResult<()>;
    async fn get_webhook(&self, id: &WebhookId) -> StoreResult<Option<WebhookEndpoint>>;
    /// Every endpoint, oldest first.
    async fn list_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Deletes the endpoint with its deliveries and their log. `NotFound` when absent.
    async fn delete_webhook(&self, id: &WebhookId) -> StoreResult<()>;
    /// Applies `change` to the stored endpoint and to nothing else (see [`HealthChange`]).
    /// Not an error when absent (deleted meanwhile).
    async fn webhook_health(&self, id: &WebhookId, change: HealthChange) -> StoreResult<()>;
    /// Takes up to `limit` recorded events not yet fanned out, oldest first, and gives each
    /// one delivery, due at the event's time, per subscription that takes its type; returns
    /// how many events it took. Safe to run concurrently and again: a delivery's key is
    /// `(event, endpoint)`.
    async fn fan_out_events(&self, subscriptions: &[Subscription], limit: u64) -> StoreResult<u64>;
    /// Claims for `holder`, until `now + lease_ms`, up to `limit` pending deliveries to
    /// `endpoints` that are due (`due_at <= now`) and unclaimed (or whose claim has run out),
    /// earliest due first. Atomic: of concurrent claims, also across nodes, no two get the
    /// same delivery while its claim runs.
    async fn claim_deliveries(
        &self,
        holder: &str,
        endpoints: &[WebhookId],
        now: TimestampMs,
        lease_ms: u64,
        limit: u64,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Adds `attempt` to its endpoint's log and, if `holder` still holds the delivery's claim,
    /// moves the delivery on as `attempt.next` says (done; due again at a time, the claim
    /// released; failed for good) and answers `true`. `false`: someone else claimed it since
    /// (the attempt is logged, the delivery left to them).
    async fn finish_attempt(&self, holder: &str, attempt: DeliveryAttempt) -> StoreResult<bool>;
    /// One endpoint's log, newest first, strictly older than the attempt `before`.
    async fn delivery_log(
        &self,
        endpoint: &WebhookId,
        before: Option<AttemptId>,
        limit: u64,
    ) -> StoreResult<Vec<DeliveryAttempt>>;
    /// Makes the delivery of `event` to `endpoint` pending again, due at `now`, with a fresh
    /// schedule (creating it if the event never went there). `NotFound` when the endpoint or
    /// the event (pruned) is gone.
    async fn redeliver(
        &self,
        endpoint: &WebhookId,
        event: &WebhookEventId,
        now: TimestampMs,
    ) -> StoreResult<()>;
    /// Forgets deliveries to endpoints that no longer exist (a fan-out can race a delete);
    /// then events recorded before `before` that are fanned out and wait for no delivery,
    /// with their deliveries, and log entries older than `before`. Returns how many events.
    async fn prune_webhook_events(&self, before: TimestampMs) -> StoreResult<u64>;
}
