//! [`WebhookStore`] for [`SqliteStore`]: endpoints, the outbox, deliveries and their log, each
//! method sending its SQL (in `webhooks`) to the writer or a reader.

use async_trait::async_trait;
use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_protocol::{AttemptId, TimestampMs, WebhookEventId, WebhookId};

use super::{SqliteStore, webhooks};
use crate::{
    ClaimedDelivery, DeliveryAttempt, HealthChange, StoreResult, Subscription, WebhookEndpoint,
    WebhookStore,
};

#[async_trait]
impl WebhookStore for SqliteStore {
    fn record_events(&self, types: &[WebhookEventType]) {
        self.recording.set(types);
    }

    async fn create_webhook(&self, endpoint: WebhookEndpoint) -> StoreResult<()> {
        self.write(move |c| webhooks::create(c, &endpoint)).await
    }

    async fn update_webhook(&self, endpoint: WebhookEndpoint) -> StoreResult<()> {
        self.write(move |c| webhooks::update(c, &endpoint)).await
    }

    async fn get_webhook(&self, id: &WebhookId) -> StoreResult<Option<WebhookEndpoint>> {
        let id = *id;
        self.read(move |c| webhooks::get(c, &id)).await
    }

    async fn list_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        self.read(webhooks::list).await
    }

    async fn delete_webhook(&self, id: &WebhookId) -> StoreResult<()> {
        let id = *id;
        self.write(move |c| webhooks::delete(c, &id)).await
    }

    async fn webhook_health(&self, id: &WebhookId, change: HealthChange) -> StoreResult<()> {
        let id = *id;
        self.write(move |c| webhooks::health(c, &id, &change)).await
    }

    async fn fan_out_events(&self, subscriptions: &[Subscription], limit: u64) -> StoreResult<u64> {
        let subscriptions = subscriptions.to_vec();
        self.write(move |c| webhooks::fan_out(c, &subscriptions, limit))
            .await
    }

    async fn claim_deliveries(
        &self,
        holder: &str,
        endpoints: &[WebhookId],
        now: TimestampMs,
        lease_ms: u64,
        limit: u64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let (holder, endpoints) = (holder.to_owned(), endpoints.to_vec());
        self.write(move |c| webhooks::claim(c, &holder, &endpoints, now, lease_ms, limit))
            .await
    }

    async fn finish_attempt(&self, holder: &str, attempt: DeliveryAttempt) -> StoreResult<bool> {
        let holder = holder.to_owned();
        self.write(move |c| webhooks::finish(c, &holder, &attempt))
            .await
    }

    async fn delivery_log(
        &self,
        endpoint: &WebhookId,
        before: Option<AttemptId>,
        limit: u64,
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        let endpoint = *endpoint;
        self.read(move |c| webhooks::log(c, &endpoint, before, limit))
            .await
    }

    async fn redeliver(
        &self,
        endpoint: &WebhookId,
        event: &WebhookEventId,
        now: TimestampMs,
    ) -> StoreResult<()> {
        let (endpoint, event) = (*endpoint, *event);
        self.write(move |c| webhooks::redeliver(c, &endpoint, &event, now))
            .await
    }

    async fn prune_webhook_events(&self, before: TimestampMs) -> StoreResult<u64> {
        self.write(move |c| webhooks::prune(c, before)).await
    }
}
