//! The dispatcher: a task on every node that turns the outbox into signed HTTP requests.
//!
//! Each round (every `poll`): fan out new events to the endpoints enabled now, claim due
//! deliveries, send them (a bounded number at once), record each attempt and what it says
//! about the endpoint. Every node runs it; the store's claims make each attempt one node's
//! (see `chimpassist_store::webhooks`). Hourly, each node also prunes what is delivered.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chimpassist_protocol::WebhookId;
use chimpassist_store::{
    ClaimedDelivery, DeliveryAttempt, RecordedEvent, Store, StoreResult, WebhookEndpoint,
};
use futures_util::StreamExt as _;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Settings;
use super::policy::{self, Answer};
use super::sign;
use crate::views::now_ms;

/// Events fanned out per store call.
const FAN_OUT_BATCH: u64 = 500;
/// Deliveries claimed per store call.
const CLAIM_BATCH: u64 = 32;
/// Deliveries in flight at once on one node.
const CONCURRENCY: usize = 16;
/// How often a node prunes.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// One node's dispatcher.
#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn Store>,
    http: reqwest::Client,
    settings: Arc<Settings>,
    recorder: super::Recorder,
    /// E-mail to visitors, the outbox's internal subscribers (`SMTP_URL`).
    mail: Option<Arc<crate::mail::Mailer>>,
    /// This node, as claims name it.
    holder: String,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        recorder: super::Recorder,
        mail: Option<Arc<crate::mail::Mailer>>,
    ) -> reqwest::Result<Self> {
        let http = super::guard::client(settings.allow_private, settings.timeout)?;
        Ok(Self {
            store,
            http,
            settings: Arc::new(settings),
            recorder,
            mail,
            holder: format!("node-{}", uuid::Uuid::new_v4().simple()),
        })
    }

    /// A claim outlives the longest attempt of a whole batch, with room to spare, so a live
    /// node never loses a claim it is still working on.
    fn lease_ms(&self) -> u64 {
        let per_wave = self.settings.timeout.as_millis() as u64;
        let waves = CLAIM_BATCH.div_ceil(CONCURRENCY as u64);
        per_wave * waves * 2 + 10_000
    }

    pub fn spawn(self, stop: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.settings.poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pruned = Instant::now();
            let mut beacon: Option<Instant> = None;
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                if let Some(mail) = self.mail.as_ref().filter(|_| self.settings.clustered)
                    && beacon.is_none_or(|at| at.elapsed() >= crate::mail::beacon::RENEW_EVERY)
                {
                    match self
                        .store
                        .put_setting(crate::mail::beacon::KEY, mail.beacon(now_ms()))
                        .await
                    {
                        Ok(()) => beacon = Some(Instant::now()),
                        Err(error) => tracing::warn!(%error, "renewing the mail beacon failed"),
                    }
                }
                if let Err(error) = self.round().await {
                    tracing::warn!(%error, "webhook round failed; retrying next round");
                }
                if pruned.elapsed() >= PRUNE_EVERY {
                    pruned = Instant::now();
                    self.prune().await;
                }
            }
        })
    }

    async fn prune(&self) {
        let before = now_ms().saturating_sub(policy::millis(self.settings.keep_events));
        match self.store.prune_webhook_events(before).await {
            Ok(n) if n > 0 => tracing::info!(events = n, "webhook events pruned"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "pruning webhook events failed"),
        }
    }

    /// One round: fan out, then claim and send until nothing is due.
    pub async fn round(&self) -> StoreResult<()> {
        let (endpoints, subscriptions) = self.recorder.refresh(&*self.store).await?;
        while self
            .store
            .fan_out_events(&subscriptions, FAN_OUT_BATCH)
            .await?
            == FAN_OUT_BATCH
        {}
        // Mail's deliveries are claimed only by a node that mails: one that only relays
        // them (`crate::mail::beacon`) would hold them until their claims ran out.
        let internal = chimpassist_store::webhooks::internal::all();
        let enabled: Vec<WebhookId> = subscriptions
            .iter()
            .map(|s| s.endpoint)
            .filter(|id| self.mail.is_some() || !internal.contains(id))
            .collect();
        if enabled.is_empty() {
            return Ok(());
        }
        let by_id: HashMap<WebhookId, WebhookEndpoint> =
            endpoints.into_iter().map(|e| (e.id, e)).collect();
        loop {
            let claimed = self
                .store
                .claim_deliveries(
                    &self.holder,
                    &enabled,
                    now_ms(),
                    self.lease_ms(),
                    CLAIM_BATCH,
                )
                .await?;
            let full = claimed.len() as u64 == CLAIM_BATCH;
            futures_util::stream::iter(claimed)
                .for_each_concurrent(CONCURRENCY, |d| async {
                    if let Some(endpoint) = by_id.get(&d.endpoint) {
                        self.attempt(endpoint, d).await;
                    } else if let Some(mail) = &self.mail {
                        self.mail_attempt(mail, d).await;
                    }
                })
                .await;
            if !full {
                return Ok(());
            }
        }
    }

    /// Sends one delivery and records what came of it.
    async fn attempt(&self, endpoint: &WebhookEndpoint, d: ClaimedDelivery) {
        let at = now_ms();
        let started = Instant::now();
        let (answer, error) = self.send(endpoint, &d.event, at).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let s = &self.settings;
        let decision = policy::decide(
            &answer,
            d.attempt,
            now_ms(),
            &s.schedule,
            endpoint.failing_since,
            s.disable_after,
        );
        let status = match answer {
            Answer::Status { code, .. } => Some(code),
            Answer::NoAnswer => None,
        };
        let logged = (error.clone(), d.event.kind);
        let attempt = DeliveryAttempt::of(&d, at, status, duration_ms, error, decision.next);
        // The endpoint's health before the attempt's record: whoever sees the attempt in the
        // delivery log sees the endpoint as the attempt left it (a success has ended a
        // failing streak, a `410` has disabled it).
        for change in decision.health {
            if let Err(error) = self.store.webhook_health(&endpoint.id, change).await {
                tracing::warn!(%error, "recording an endpoint's health failed");
            }
        }
        if let Err(error) = self.store.finish_attempt(&self.holder, attempt).await {
            // The claim runs out and the delivery is tried again: at least once.
            tracing::warn!(%error, "recording a webhook attempt failed");
        }
        // After the records: a reader of the log knows the attempt is in the store.
        tracing::info!(
            endpoint = %endpoint.id, event = %d.event.id, kind = logged.1.as_str(),
            attempt = d.attempt, status, duration_ms, error = logged.0.as_deref(),
            "webhook attempt"
        );
    }

    /// Sends one mail delivery and records what came of it (no endpoint health: the SMTP
    /// server's failures are retried on the same schedule, and logged).
    async fn mail_attempt(&self, mail: &crate::mail::Mailer, d: ClaimedDelivery) {
        let at = now_ms();
        let started = Instant::now();
        // Within the time an endpoint has, so the claim (`lease_ms`) outlives the attempt and
        // no other node sends the same mail meanwhile.
        let timeout = self.settings.timeout;
        let outcome = tokio::time::timeout(timeout, mail.attempt(&d))
            .await
            .unwrap_or_else(|_| crate::mail::Outcome::Failed {
                error: format!("SMTP: no answer within {} s", timeout.as_secs()),
                permanent: false,
            });
        let duration_ms = started.elapsed().as_millis() as u64;
        let (next, error) = mail.next(&outcome, d.attempt, d.event.at, now_ms());
        let attempt = DeliveryAttempt::of(&d, at, None, duration_ms, error.clone(), next);
        if let Err(error) = self.store.finish_attempt(&self.holder, attempt).await {
            tracing::warn!(%error, "recording a mail attempt failed");
        }
        tracing::info!(
            event = %d.event.id, kind = d.event.kind.as_str(), attempt = d.attempt,
            duration_ms, error = error.as_deref(), sent = matches!(outcome, crate::mail::Outcome::Sent),
            "mail attempt"
        );
    }

    /// One signed `POST`; the answer and, for a failure, what to show in the log.
    async fn send(
        &self,
        endpoint: &WebhookEndpoint,
        event: &RecordedEvent,
        now: i64,
    ) -> (Answer, Option<String>) {
        let url = match url::Url::parse(&endpoint.url) {
            Ok(url) => url,
            Err(e) => return (Answer::NoAnswer, Some(format!("invalid URL: {e}"))),
        };
        if let Err(refused) = super::guard::check_url(&url, self.settings.allow_private) {
            return (Answer::NoAnswer, Some(refused.to_string()));
        }
        let body = body(event);
        let id = event.id.to_string();
        let timestamp = now.div_euclid(1000);
        let mut secrets = vec![endpoint.secret.as_str()];
        if let Some(previous) = endpoint.previous_secret.as_ref().filter(|p| p.until > now) {
            secrets.push(previous.secret.as_str());
        }
        let Some(signature) = sign::header(&secrets, &id, timestamp, body.as_bytes()) else {
            return (
                Answer::NoAnswer,
                Some("the endpoint's secret is unusable; rotate it".to_owned()),
            );
        };
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let code = response.status().as_u16();
                let retry_after = policy::retry_after(
                    response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()),
                );
                let error = (!response.status().is_success()).then(|| format!("HTTP {code}"));
                (Answer::Status { code, retry_after }, error)
            }
            Err(e) => (Answer::NoAnswer, Some(describe(&e, self.settings.timeout))),
        }
    }
}

/// `{"type", "timestamp", "data"}`: `data` as the outbox keeps it (JSON text), `timestamp`
/// the change's time in RFC 3339.
pub fn body(event: &RecordedEvent) -> String {
    let timestamp = jiff::Timestamp::from_millisecond(event.at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    format!(
        r#"{{"type":"{}","timestamp":"{timestamp}","data":{}}}"#,
        event.kind.as_str(),
        event.data
    )
}

/// A transport failure in words an admin can act on.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if let Some(refused) = super::guard::refusal(error) {
        return refused.to_string();
    }
    if error.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs());
    }
    if error.is_connect() {
        return "could not connect".to_owned();
    }
    "the request failed".to_owned()
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::WebhookEventId;
    use chimpassist_protocol::webhook::WebhookEventType;

    use super::*;

    #[test]
    fn the_body_is_type_timestamp_and_data() {
        let event = RecordedEvent {
            id: WebhookEventId::new(),
            kind: WebhookEventType::CsatSubmitted,
            at: 1_765_000_000_123,
            data: r#"{"score":5}"#.to_owned(),
        };
        let parsed: serde_json::Value = serde_json::from_str(&body(&event)).unwrap();
        assert_eq!(parsed["type"], "csat.submitted");
        assert_eq!(parsed["timestamp"], "2025-12-06T05:46:40.123Z");
        assert_eq!(parsed["data"]["score"], 5);
    }
}
