//! `Store` for [`MongoStore`]: each method delegates to the module of its area.

use async_trait::async_trait;
use chimpassist_protocol::greeting::GreetingRule;
use chimpassist_protocol::{
    ApiTokenId, AttemptId, AttendantId, AttributeChanges, Attributes, AuditId, CallbackId,
    CannedId, ConversationId, CustomerId, FileId, GreetingId, Party, QueueId, Rating, ReceiptKind,
    Receipts, SearchQuery, Seq, TimestampMs, VisitView, WebhookEventId, WebhookId,
};
use chimpassist_store::{
    ApiTokenRecord, Appended, Attendant, AttendantUpdate, AuditRecord, AuthSession, Callback,
    CallbackCursor, CallbackFilter, ClaimedDelivery, Conversation, ConversationFacts, Customer,
    DeliveryAttempt, Erased, FactsCursor, FilePart, FileRecord, HealthChange, Lease, MessageCursor,
    NewConversation, NewFile, NewMessage, Pending, Purged, PutFile, Queue, SearchMatch, Store,
    StoreResult, StoredCanned, StoredMessage, StoredNote, Subscription, Transition, Visibility,
    WebhookEndpoint, WebhookStore,
};

use crate::{
    MongoStore, accounts, audit, callbacks, conversations, deliveries, erasure, files, leases,
    mail, messages, reports, retention, search, tokens, visits, webhooks, workspace,
};

#[async_trait]
impl Store for MongoStore {
    async fn ping(&self) -> StoreResult<()> {
        MongoStore::ping(self).await
    }

    async fn setting_or_init(&self, key: &str, init: String) -> StoreResult<String> {
        accounts::setting_or_init(self, key, init).await
    }

    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        accounts::setting(self, key).await
    }

    async fn put_setting(&self, key: &str, value: String) -> StoreResult<()> {
        accounts::put_setting(self, key, value).await
    }

    async fn create_customer(&self, customer: Customer) -> StoreResult<Customer> {
        accounts::create_customer(self, &customer).await
    }

    async fn upsert_verified_customer(&self, customer: Customer) -> StoreResult<Customer> {
        accounts::upsert_verified_customer(self, &customer).await
    }

    async fn get_customer(&self, id: &CustomerId) -> StoreResult<Option<Customer>> {
        accounts::get_customer(self, id).await
    }

    async fn update_customer_profile(
        &self,
        id: &CustomerId,
        name: String,
        avatar_url: Option<String>,
        email: Option<String>,
    ) -> StoreResult<()> {
        accounts::update_customer_profile(self, id, name, avatar_url, email).await
    }

    async fn customer_visit(&self, id: &CustomerId) -> StoreResult<Option<VisitView>> {
        visits::customer_visit(self, id).await
    }

    async fn set_customer_visit(&self, id: &CustomerId, visit: &VisitView) -> StoreResult<()> {
        visits::set_customer_visit(self, id, visit).await
    }

    async fn mail_suppressed(&self, address_key: &str) -> StoreResult<Option<TimestampMs>> {
        mail::mail_suppressed(self, address_key).await
    }

    async fn suppress_mail(&self, address_key: &str, at: TimestampMs) -> StoreResult<()> {
        mail::suppress_mail(self, address_key, at).await
    }

    async fn customer_attributes(&self, id: &CustomerId) -> StoreResult<Attributes> {
        visits::customer_attributes(self, id).await
    }

    async fn update_customer_attributes(
        &self,
        id: &CustomerId,
        changes: &AttributeChanges,
        at: TimestampMs,
    ) -> StoreResult<Option<Attributes>> {
        visits::update_customer_attributes(self, id, changes, at).await
    }

    async fn create_attendant(&self, attendant: Attendant) -> StoreResult<Attendant> {
        accounts::create_attendant(self, &attendant).await
    }

    async fn get_attendant(&self, id: &AttendantId) -> StoreResult<Option<Attendant>> {
        accounts::get_attendant(self, id).await
    }

    async fn get_attendant_by_email(&self, email: &str) -> StoreResult<Option<Attendant>> {
        accounts::get_attendant_by_email(self, email).await
    }

    async fn list_attendants(&self) -> StoreResult<Vec<Attendant>> {
        accounts::list_attendants(self).await
    }

    async fn count_attendants(&self) -> StoreResult<u64> {
        accounts::count_attendants(self).await
    }

    async fn update_attendant(
        &self,
        id: &AttendantId,
        update: AttendantUpdate,
    ) -> StoreResult<Attendant> {
        accounts::update_attendant(self, id, update).await
    }

    async fn create_auth_session(&self, session: AuthSession) -> StoreResult<()> {
        accounts::create_auth_session(self, &session).await
    }

    async fn get_auth_session(&self, token_hash: &str) -> StoreResult<Option<AuthSession>> {
        accounts::get_auth_session(self, token_hash).await
    }

    async fn delete_auth_session(&self, token_hash: &str) -> StoreResult<()> {
        accounts::delete_auth_session(self, token_hash).await
    }

    async fn delete_auth_sessions_of(
        &self,
        attendant: &AttendantId,
        keep: Option<&str>,
    ) -> StoreResult<()> {
        accounts::delete_auth_sessions_of(self, attendant, keep).await
    }

    async fn upsert_queue(&self, queue: Queue) -> StoreResult<()> {
        accounts::upsert_queue(self, &queue).await
    }

    async fn get_queue(&self, id: &QueueId) -> StoreResult<Option<Queue>> {
        accounts::get_queue(self, id).await
    }

    async fn list_queues(&self) -> StoreResult<Vec<Queue>> {
        accounts::list_queues(self).await
    }

    async fn create_conversation(
        &self,
        conversation: NewConversation,
    ) -> StoreResult<Conversation> {
        conversations::create(self, conversation).await
    }

    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>> {
        conversations::get(self, id).await
    }

    async fn transition(&self, transition: Transition) -> StoreResult<Conversation> {
        conversations::transition(self, transition).await
    }

    async fn list_open_conversations(&self) -> StoreResult<Vec<Conversation>> {
        conversations::list_open(self).await
    }

    async fn customer_conversations(
        &self,
        customer: &CustomerId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Conversation>> {
        conversations::of_customer(self, customer, offset, limit).await
    }

    async fn attendant_conversations(
        &self,
        attendant: &AttendantId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Conversation>> {
        conversations::of_attendant(self, attendant, offset, limit).await
    }

    async fn set_rating(
        &self,
        id: &ConversationId,
        rating: Rating,
        at: TimestampMs,
    ) -> StoreResult<()> {
        conversations::set_rating(self, id, rating, at).await
    }

    async fn customer_names(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<std::collections::HashMap<CustomerId, String>> {
        reports::customer_names(self, ids).await
    }

    async fn conversation_facts(
        &self,
        from: TimestampMs,
        to: TimestampMs,
        after: Option<FactsCursor>,
        limit: u64,
    ) -> StoreResult<Vec<ConversationFacts>> {
        reports::facts(self, from, to, after, limit).await
    }

    fn submit_message(&self, message: NewMessage) -> Pending<Appended> {
        crate::batch::submit(self, message)
    }

    async fn messages_before(
        &self,
        conversation: &ConversationId,
        before: Option<Seq>,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>> {
        messages::before(self, conversation, before, limit).await
    }

    async fn messages_after(
        &self,
        conversation: &ConversationId,
        after: Seq,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>> {
        messages::after(self, conversation, after, limit).await
    }

    async fn customer_messages(
        &self,
        customer: &CustomerId,
        before: Option<MessageCursor>,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>> {
        messages::of_customer(self, customer, before, limit).await
    }

    async fn record_receipt(
        &self,
        conversation: &ConversationId,
        party: Party,
        kind: ReceiptKind,
        up_to: Seq,
    ) -> StoreResult<Receipts> {
        crate::receipts::record(self, conversation, party, kind, up_to).await
    }

    async fn receipts(&self, conversation: &ConversationId) -> StoreResult<Receipts> {
        conversations::receipts(self, conversation).await
    }

    async fn create_callback(&self, callback: Callback) -> StoreResult<()> {
        callbacks::create(self, &callback).await
    }

    async fn list_callbacks(
        &self,
        filter: CallbackFilter,
        before: Option<CallbackCursor>,
        limit: u64,
    ) -> StoreResult<Vec<Callback>> {
        callbacks::list(self, filter, before, limit).await
    }

    async fn customer_callbacks(&self, customer: &CustomerId) -> StoreResult<Vec<Callback>> {
        callbacks::of_customer(self, customer).await
    }

    async fn mark_callback_done(
        &self,
        id: &CallbackId,
        by: &AttendantId,
        at: TimestampMs,
    ) -> StoreResult<Callback> {
        callbacks::mark_done(self, id, by, at).await
    }

    async fn list_canned(&self) -> StoreResult<Vec<StoredCanned>> {
        workspace::list_canned(self).await
    }

    async fn create_canned(&self, canned: StoredCanned) -> StoreResult<()> {
        workspace::create_canned(self, &canned).await
    }

    async fn update_canned(&self, canned: StoredCanned) -> StoreResult<()> {
        workspace::update_canned(self, &canned).await
    }

    async fn delete_canned(&self, id: &CannedId) -> StoreResult<()> {
        workspace::delete_canned(self, id).await
    }

    async fn list_greetings(&self) -> StoreResult<Vec<GreetingRule>> {
        workspace::list_greetings(self).await
    }

    async fn create_greeting(&self, rule: GreetingRule) -> StoreResult<()> {
        workspace::create_greeting(self, &rule).await
    }

    async fn update_greeting(&self, rule: GreetingRule) -> StoreResult<()> {
        workspace::update_greeting(self, &rule).await
    }

    async fn delete_greeting(&self, id: &GreetingId) -> StoreResult<()> {
        workspace::delete_greeting(self, id).await
    }

    async fn create_note(&self, note: StoredNote) -> StoreResult<()> {
        workspace::create_note(self, &note).await
    }

    async fn notes(&self, conversation: &ConversationId) -> StoreResult<Vec<StoredNote>> {
        workspace::notes(self, conversation).await
    }

    async fn conversation_attendants(&self, id: &ConversationId) -> StoreResult<Vec<AttendantId>> {
        workspace::conversation_attendants(self, id).await
    }

    async fn search(
        &self,
        query: &SearchQuery,
        visible: &Visibility,
        limit: u64,
    ) -> StoreResult<Vec<SearchMatch>> {
        search::search(self, query, visible, limit).await
    }

    async fn erase_customer(&self, customer: &CustomerId, at: TimestampMs) -> StoreResult<Erased> {
        erasure::erase(self, customer, at).await
    }

    async fn purge_ended_before(
        &self,
        cutoff: TimestampMs,
        at: TimestampMs,
        limit: u32,
    ) -> StoreResult<Purged> {
        retention::purge(self, cutoff, at, limit).await
    }

    async fn record_audit(&self, entry: AuditRecord) -> StoreResult<()> {
        audit::record(self, &entry).await
    }

    async fn audit_log(
        &self,
        before: Option<AuditId>,
        limit: u64,
    ) -> StoreResult<Vec<AuditRecord>> {
        audit::page(self, before, limit).await
    }

    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()> {
        tokens::create(self, &token).await
    }

    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>> {
        tokens::list(self).await
    }

    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiTokenRecord>> {
        tokens::by_hash(self, token_hash).await
    }

    async fn revoke_api_token(
        &self,
        id: &ApiTokenId,
        at: TimestampMs,
    ) -> StoreResult<Option<ApiTokenRecord>> {
        tokens::revoke(self, id, at).await
    }

    async fn touch_api_token(&self, id: &ApiTokenId, at: TimestampMs) -> StoreResult<()> {
        tokens::touch(self, id, at).await
    }

    async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        now: TimestampMs,
        ttl_ms: u64,
    ) -> StoreResult<Lease> {
        leases::claim(self, name, holder, now, ttl_ms).await
    }

    async fn put_file(&self, file: NewFile) -> StoreResult<PutFile> {
        files::put(self, file).await
    }

    async fn get_file(&self, id: &FileId) -> StoreResult<Option<FileRecord>> {
        files::get(self, id).await
    }

    async fn file_bytes(&self, id: &FileId, part: FilePart) -> StoreResult<Option<Vec<u8>>> {
        files::bytes(self, id, part).await
    }

    async fn delete_customer_files(&self, customer: &CustomerId) -> StoreResult<u64> {
        files::delete_of(self, customer).await
    }

    async fn release_lease(&self, name: &str, holder: &str, now: TimestampMs) -> StoreResult<()> {
        leases::release(self, name, holder, now).await
    }
}

/// The webhooks' part: endpoints (`webhooks.rs`), the outbox, deliveries and their log
/// (`deliveries.rs`).
#[async_trait]
impl WebhookStore for MongoStore {
    fn record_events(&self, types: &[chimpassist_protocol::webhook::WebhookEventType]) {
        self.recording.set(types);
    }

    async fn create_webhook(&self, endpoint: WebhookEndpoint) -> StoreResult<()> {
        webhooks::create(self, &endpoint).await
    }

    async fn update_webhook(&self, endpoint: WebhookEndpoint) -> StoreResult<()> {
        webhooks::update(self, &endpoint).await
    }

    async fn get_webhook(&self, id: &WebhookId) -> StoreResult<Option<WebhookEndpoint>> {
        webhooks::get(self, id).await
    }

    async fn list_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        webhooks::list(self).await
    }

    async fn delete_webhook(&self, id: &WebhookId) -> StoreResult<()> {
        webhooks::delete(self, id).await
    }

    async fn webhook_health(&self, id: &WebhookId, change: HealthChange) -> StoreResult<()> {
        webhooks::health(self, id, &change).await
    }

    async fn fan_out_events(&self, subscriptions: &[Subscription], limit: u64) -> StoreResult<u64> {
        deliveries::fan_out(self, subscriptions, limit).await
    }

    async fn claim_deliveries(
        &self,
        holder: &str,
        endpoints: &[WebhookId],
        now: TimestampMs,
        lease_ms: u64,
        limit: u64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        deliveries::claim(self, holder, endpoints, now, lease_ms, limit).await
    }

    async fn finish_attempt(&self, holder: &str, attempt: DeliveryAttempt) -> StoreResult<bool> {
        deliveries::finish(self, holder, &attempt).await
    }

    async fn delivery_log(
        &self,
        endpoint: &WebhookId,
        before: Option<AttemptId>,
        limit: u64,
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        deliveries::log(self, endpoint, before, limit).await
    }

    async fn redeliver(
        &self,
        endpoint: &WebhookId,
        event: &WebhookEventId,
        now: TimestampMs,
    ) -> StoreResult<()> {
        deliveries::redeliver(self, endpoint, event, now).await
    }

    async fn prune_webhook_events(&self, before: TimestampMs) -> StoreResult<u64> {
        deliveries::prune(self, before).await
    }
}
