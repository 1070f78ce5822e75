//! [`Store`] for [`SqliteStore`]: each method sends its SQL to the writer or a reader.
//! The SQL itself lives in the sibling modules; the webhooks' methods are in `webhook_impl`,
//! and keeping files' bytes on disk in step with their rows is `file_bytes`'.

use async_trait::async_trait;
use chimpassist_protocol::greeting::GreetingRule;
use chimpassist_protocol::{
    ApiTokenId, AttendantId, AttributeChanges, Attributes, AuditId, CallbackId, CannedId,
    ConversationId, CustomerId, FileId, GreetingId, Party, QueueId, Rating, ReceiptKind, Receipts,
    SearchQuery, Seq, TimestampMs, VisitView,
};

use super::{
    SqliteStore, accounts, audit, callbacks, conversations, erasure, files, leases, mail, messages,
    reports, retention, search, tokens, visits, workspace, writer,
};
use crate::{
    ApiTokenRecord, Appended, Attendant, AttendantUpdate, AuditRecord, AuthSession, Callback,
    CallbackCursor, CallbackFilter, Conversation, ConversationFacts, ConversationWrite, Customer,
    Erased, FactsCursor, FilePart, FileRecord, Lease, MessageCursor, NewConversation, NewFile,
    NewMessage, Pending, Purged, PutFile, Queue, SearchMatch, Store, StoreResult, StoredCanned,
    StoredMessage, StoredNote, Transition, Visibility,
};

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        if self.writer.is_closed() {
            return Err(writer::stopped());
        }
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn setting_or_init(&self, key: &str, init: String) -> StoreResult<String> {
        // Almost always already set: answer from a reader without queueing behind writes.
        let k = key.to_owned();
        if let Some(value) = self.read(move |c| accounts::setting(c, &k)).await? {
            return Ok(value);
        }
        let key = key.to_owned();
        self.write(move |c| accounts::setting_or_init(c, &key, &init))
            .await
    }

    // --- customers ---------------------------------------------------------------------------

    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.read(move |c| accounts::setting(c, &key)).await
    }

    async fn put_setting(&self, key: &str, value: String) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |c| accounts::put_setting(c, &key, &value))
            .await
    }

    async fn create_customer(&self, customer: Customer) -> StoreResult<Customer> {
        self.write(move |c| accounts::create_customer(c, &customer))
            .await
    }

    async fn upsert_verified_customer(&self, customer: Customer) -> StoreResult<Customer> {
        self.write(move |c| accounts::upsert_verified_customer(c, &customer))
            .await
    }

    async fn get_customer(&self, id: &CustomerId) -> StoreResult<Option<Customer>> {
        let id = id.clone();
        self.read(move |c| accounts::get_customer(c, &id)).await
    }

    async fn update_customer_profile(
        &self,
        id: &CustomerId,
        name: String,
        avatar_url: Option<String>,
        email: Option<String>,
    ) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |c| {
            accounts::update_customer_profile(
                c,
                &id,
                &name,
                avatar_url.as_deref(),
                email.as_deref(),
            )
        })
        .await
    }

    async fn customer_visit(&self, id: &CustomerId) -> StoreResult<Option<VisitView>> {
        let id = id.clone();
        self.read(move |c| visits::customer_visit(c, &id)).await
    }

    async fn set_customer_visit(&self, id: &CustomerId, visit: &VisitView) -> StoreResult<()> {
        let (id, visit) = (id.clone(), visit.clone());
        self.write(move |c| visits::set_customer_visit(c, &id, &visit))
            .await
    }

    async fn mail_suppressed(&self, address_key: &str) -> StoreResult<Option<TimestampMs>> {
        let key = address_key.to_owned();
        self.read(move |c| mail::mail_suppressed(c, &key)).await
    }

    async fn suppress_mail(&self, address_key: &str, at: TimestampMs) -> StoreResult<()> {
        let key = address_key.to_owned();
        self.write(move |c| mail::suppress_mail(c, &key, at)).await
    }

    async fn customer_attributes(&self, id: &CustomerId) -> StoreResult<Attributes> {
        let id = id.clone();
        self.read(move |c| visits::customer_attributes(c, &id))
            .await
    }

    async fn update_customer_attributes(
        &self,
        id: &CustomerId,
        changes: &AttributeChanges,
        at: TimestampMs,
    ) -> StoreResult<Option<Attributes>> {
        let (id, changes) = (id.clone(), changes.clone());
        let recording = self.recording.clone();
        self.write(move |c| visits::update_customer_attributes(c, &id, &changes, at, &recording))
            .await
    }

    // --- attendants and their sessions -------------------------------------------------------

    async fn create_attendant(&self, attendant: Attendant) -> StoreResult<Attendant> {
        self.write(move |c| accounts::create_attendant(c, &attendant))
            .await
    }

    async fn get_attendant(&self, id: &AttendantId) -> StoreResult<Option<Attendant>> {
        let id = id.clone();
        self.read(move |c| accounts::get_attendant(c, &id)).await
    }

    async fn get_attendant_by_email(&self, email: &str) -> StoreResult<Option<Attendant>> {
        let email = email.to_owned();
        self.read(move |c| accounts::get_attendant_by_email(c, &email))
            .await
    }

    async fn list_attendants(&self) -> StoreResult<Vec<Attendant>> {
        self.read(accounts::list_attendants).await
    }

    async fn count_attendants(&self) -> StoreResult<u64> {
        self.read(accounts::count_attendants).await
    }

    async fn update_attendant(
        &self,
        id: &AttendantId,
        update: AttendantUpdate,
    ) -> StoreResult<Attendant> {
        let id = id.clone();
        self.write(move |c| accounts::update_attendant(c, &id, update))
            .await
    }

    async fn create_auth_session(&self, session: AuthSession) -> StoreResult<()> {
        self.write(move |c| accounts::create_auth_session(c, &session))
            .await
    }

    async fn get_auth_session(&self, token_hash: &str) -> StoreResult<Option<AuthSession>> {
        let token_hash = token_hash.to_owned();
        self.read(move |c| accounts::get_auth_session(c, &token_hash))
            .await
    }

    async fn delete_auth_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| accounts::delete_auth_session(c, &token_hash))
            .await
    }

    async fn delete_auth_sessions_of(
        &self,
        attendant: &AttendantId,
        keep: Option<&str>,
    ) -> StoreResult<()> {
        let attendant = attendant.clone();
        let keep = keep.map(str::to_owned);
        self.write(move |c| accounts::delete_auth_sessions_of(c, &attendant, keep.as_deref()))
            .await
    }

    // --- queues ------------------------------------------------------------------------------

    async fn upsert_queue(&self, queue: Queue) -> StoreResult<()> {
        self.write(move |c| accounts::upsert_queue(c, &queue)).await
    }

    async fn get_queue(&self, id: &QueueId) -> StoreResult<Option<Queue>> {
        let id = id.clone();
        self.read(move |c| accounts::get_queue(c, &id)).await
    }

    async fn list_queues(&self) -> StoreResult<Vec<Queue>> {
        self.read(accounts::list_queues).await
    }

    // --- conversations -----------------------------------------------------------------------

    async fn create_conversation(
        &self,
        conversation: NewConversation,
    ) -> StoreResult<Conversation> {
        let recording = self.recording.clone();
        self.write(move |c| conversations::create(c, conversation, &recording))
            .await
    }

    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>> {
        let id = *id;
        self.read(move |c| conversations::get(c, &id)).await
    }

    async fn transition(&self, transition: Transition) -> StoreResult<Conversation> {
        let recording = self.recording.clone();
        self.write(move |c| conversations::transition(c, transition, &recording))
            .await
    }

    async fn write_conversations(
        &self,
        writes: Vec<ConversationWrite>,
    ) -> Vec<StoreResult<Conversation>> {
        let count = writes.len();
        let recording = self.recording.clone();
        match self
            .write(move |c| conversations::write_all(c, writes, &recording))
            .await
        {
            Ok(answers) => answers,
            Err(e) => (0..count).map(|_| Err(e.copy())).collect(),
        }
    }

    async fn list_open_conversations(&self) -> StoreResult<Vec<Conversation>> {
        self.read(conversations::list_open).await
    }

    async fn customer_conversations(
        &self,
        customer: &CustomerId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Conversation>> {
        let customer = customer.clone();
        self.read(move |c| conversations::of_customer(c, &customer, offset, limit))
            .await
    }

    async fn attendant_conversations(
        &self,
        attendant: &AttendantId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Conversation>> {
        let attendant = attendant.clone();
        self.read(move |c| conversations::of_attendant(c, &attendant, offset, limit))
            .await
    }

    async fn set_rating(
        &self,
        id: &ConversationId,
        rating: Rating,
        at: TimestampMs,
    ) -> StoreResult<()> {
        let id = *id;
        let recording = self.recording.clone();
        self.write(move |c| conversations::set_rating(c, &id, rating, at, &recording))
            .await
    }

    async fn customer_names(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<std::collections::HashMap<CustomerId, String>> {
        let ids = ids.to_vec();
        self.read(move |c| reports::customer_names(c, &ids)).await
    }

    async fn conversation_facts(
        &self,
        from: TimestampMs,
        to: TimestampMs,
        after: Option<FactsCursor>,
        limit: u64,
    ) -> StoreResult<Vec<ConversationFacts>> {
        self.read(move |c| reports::facts(c, from, to, after, limit))
            .await
    }

    // --- messages ----------------------------------------------------------------------------

    fn submit_message(&self, message: NewMessage) -> Pending<Appended> {
        // The writer's queue is FIFO and it runs jobs in queue order: submission order is
        // commit order.
        let recording = self.recording.clone();
        match self
            .writer
            .submit(move |c| messages::append(c, message, &recording))
        {
            Ok(reply) => Box::pin(async move { reply.await.map_err(|_| writer::stopped())? }),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    async fn messages_before(
        &self,
        conversation: &ConversationId,
        before: Option<Seq>,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>> {
        let conversation = *conversation;
        self.read(move |c| messages::before(c, &conversation, before, limit))
            .await
    }

    async fn messages_after(
        &self,
        conversation: &ConversationId,
        after: Seq,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>> {
        let conversation = *conversation;
        self.read(move |c| messages::after(c, &conversation, after, limit))
            .await
    }

    async fn customer_messages(
        &self,
        customer: &CustomerId,
        before: Option<MessageCursor>,
        limit: u64,
    ) -> StoreResult<Vec<StoredMessage>> {
        let customer = customer.clone();
        self.read(move |c| messages::of_customer(c, &customer, before, limit))
            .await
    }

    // --- receipts ----------------------------------------------------------------------------

    async fn record_receipt(
        &self,
        conversation: &ConversationId,
        party: Party,
        kind: ReceiptKind,
        up_to: Seq,
    ) -> StoreResult<Receipts> {
        let conversation = *conversation;
        self.write(move |c| conversations::record_receipt(c, &conversation, party, kind, up_to))
            .await
    }

    async fn receipts(&self, conversation: &ConversationId) -> StoreResult<Receipts> {
        let conversation = *conversation;
        self.read(move |c| conversations::receipts(c, &conversation))
            .await
    }

    // --- callbacks ---------------------------------------------------------------------------

    async fn create_callback(&self, callback: Callback) -> StoreResult<()> {
        let recording = self.recording.clone();
        self.write(move |c| callbacks::create(c, &callback, &recording))
            .await
    }

    async fn list_callbacks(
        &self,
        filter: CallbackFilter,
        before: Option<CallbackCursor>,
        limit: u64,
    ) -> StoreResult<Vec<Callback>> {
        self.read(move |c| callbacks::list(c, filter, before, limit))
            .await
    }

    async fn customer_callbacks(&self, customer: &CustomerId) -> StoreResult<Vec<Callback>> {
        let customer = customer.clone();
        self.read(move |c| callbacks::of_customer(c, &customer))
            .await
    }

    async fn mark_callback_done(
        &self,
        id: &CallbackId,
        by: &AttendantId,
        at: TimestampMs,
    ) -> StoreResult<Callback> {
        let (id, by) = (*id, by.clone());
        self.write(move |c| callbacks::mark_done(c, &id, &by, at))
            .await
    }

    // --- canned responses --------------------------------------------------------------------

    async fn list_canned(&self) -> StoreResult<Vec<StoredCanned>> {
        self.read(workspace::list_canned).await
    }

    async fn create_canned(&self, canned: StoredCanned) -> StoreResult<()> {
        self.write(move |c| workspace::create_canned(c, &canned))
            .await
    }

    async fn update_canned(&self, canned: StoredCanned) -> StoreResult<()> {
        self.write(move |c| workspace::update_canned(c, &canned))
            .await
    }

    async fn delete_canned(&self, id: &CannedId) -> StoreResult<()> {
        let id = *id;
        self.write(move |c| workspace::delete_canned(c, &id)).await
    }

    // --- greetings ---------------------------------------------------------------------------

    async fn list_greetings(&self) -> StoreResult<Vec<GreetingRule>> {
        self.read(workspace::list_greetings).await
    }

    async fn create_greeting(&self, rule: GreetingRule) -> StoreResult<()> {
        self.write(move |c| workspace::create_greeting(c, &rule))
            .await
    }

    async fn update_greeting(&self, rule: GreetingRule) -> StoreResult<()> {
        self.write(move |c| workspace::update_greeting(c, &rule))
            .await
    }

    async fn delete_greeting(&self, id: &GreetingId) -> StoreResult<()> {
        let id = *id;
        self.write(move |c| workspace::delete_greeting(c, &id))
            .await
    }

    // --- notes and search --------------------------------------------------------------------

    async fn create_note(&self, note: StoredNote) -> StoreResult<()> {
        self.write(move |c| workspace::create_note(c, &note)).await
    }

    async fn notes(&self, conversation: &ConversationId) -> StoreResult<Vec<StoredNote>> {
        let conversation = *conversation;
        self.read(move |c| workspace::notes(c, &conversation)).await
    }

    async fn conversation_attendants(&self, id: &ConversationId) -> StoreResult<Vec<AttendantId>> {
        let id = *id;
        self.read(move |c| workspace::conversation_attendants(c, &id))
            .await
    }

    async fn search(
        &self,
        query: &SearchQuery,
        visible: &Visibility,
        limit: u64,
    ) -> StoreResult<Vec<SearchMatch>> {
        let (query, visible) = (query.clone(), visible.clone());
        self.read(move |c| search::search(c, &query, &visible, limit))
            .await
    }

    // --- files -------------------------------------------------------------------------------

    async fn put_file(&self, file: NewFile) -> StoreResult<PutFile> {
        self.put_file_and_bytes(file).await
    }

    async fn get_file(&self, id: &FileId) -> StoreResult<Option<FileRecord>> {
        let id = *id;
        self.read(move |c| files::get(c, &id)).await
    }

    async fn file_bytes(&self, id: &FileId, part: FilePart) -> StoreResult<Option<Vec<u8>>> {
        self.bytes_of(*id, part).await
    }

    async fn delete_customer_files(&self, customer: &CustomerId) -> StoreResult<u64> {
        let customer = customer.clone();
        let ids = self.write(move |c| files::delete_of(c, &customer)).await?;
        let count = ids.len() as u64;
        self.remove_bytes(ids).await?;
        Ok(count)
    }

    // --- data rights ---------------------------------------------------------------------------

    async fn erase_customer(&self, customer: &CustomerId, at: TimestampMs) -> StoreResult<Erased> {
        let customer = customer.clone();
        let recording = self.recording.clone();
        let (erased, files) = self
            .write(move |c| erasure::erase(c, &customer, at, &recording))
            .await?;
        self.remove_bytes(files).await?;
        Ok(erased)
    }

    async fn purge_ended_before(
        &self,
        cutoff: TimestampMs,
        at: TimestampMs,
        limit: u32,
    ) -> StoreResult<Purged> {
        let (purged, files) = self
            .write(move |c| retention::purge(c, cutoff, at, limit))
            .await?;
        self.remove_bytes(files).await?;
        Ok(purged)
    }

    // --- the audit log -------------------------------------------------------------------------

    async fn record_audit(&self, entry: AuditRecord) -> StoreResult<()> {
        self.write(move |c| audit::record(c, &entry)).await
    }

    async fn audit_log(
        &self,
        before: Option<AuditId>,
        limit: u64,
    ) -> StoreResult<Vec<AuditRecord>> {
        self.read(move |c| audit::page(c, before, limit)).await
    }

    // --- API tokens ----------------------------------------------------------------------------

    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()> {
        self.write(move |c| tokens::create(c, &token)).await
    }

    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>> {
        self.read(tokens::list).await
    }

    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiTokenRecord>> {
        let hash = token_hash.to_owned();
        self.read(move |c| tokens::by_hash(c, &hash)).await
    }

    async fn revoke_api_token(
        &self,
        id: &ApiTokenId,
        at: TimestampMs,
    ) -> StoreResult<Option<ApiTokenRecord>> {
        let id = *id;
        self.write(move |c| tokens::revoke(c, &id, at)).await
    }

    async fn touch_api_token(&self, id: &ApiTokenId, at: TimestampMs) -> StoreResult<()> {
        let id = *id;
        self.write(move |c| tokens::touch(c, &id, at)).await
    }

    async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        now: TimestampMs,
        ttl_ms: u64,
    ) -> StoreResult<Lease> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |c| leases::claim(c, &name, &holder, now, ttl_ms))
            .await
    }

    async fn release_lease(&self, name: &str, holder: &str, now: TimestampMs) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |c| leases::release(c, &name, &holder, now))
            .await
    }
}
