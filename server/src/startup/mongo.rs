//! Starting on MongoDB: reached in the background, retried with backoff, while a small
//! router answers health (alive) and readiness (not yet).

use std::sync::{Arc, OnceLock};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use chimpassist_protocol::ErrorCode;
use chimpassist_store_mongo::MongoStore;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::backoff::Backoff;
use crate::config::Config;
use crate::edge::Edge;
use crate::error::AppError;
use crate::storage::{Backend, MongoTarget};

use super::Checked;
use super::running::Running;

/// Reaches MongoDB, creates its schema and starts everything that needs the store, retrying
/// with backoff while the database cannot be reached; then installs the full router in
/// `slot`. `Ok(None)` when the server stops first; an error a retry cannot fix stops the
/// server.
pub(super) async fn start_on_mongo(
    config: Config,
    checked: Checked,
    target: MongoTarget,
    stop: CancellationToken,
    edge: Arc<Edge>,
    slot: Arc<OnceLock<Router>>,
) -> anyhow::Result<Option<Running>> {
    let mut backoff = Backoff::default();
    let mut store = None;
    for attempt in 1u32.. {
        let tried = async {
            let mongo = match &store {
                Some(mongo) => MongoStore::clone(mongo),
                None => store.insert(target.connect().await?).clone(),
            };
            mongo.ensure_schema().await?;
            Running::start(
                Backend::Mongo(mongo),
                config.clone(),
                checked.clone(),
                stop.clone(),
                Arc::clone(&edge),
            )
            .await
        };
        let outcome = tokio::select! {
            outcome = tried => outcome,
            () = stop.cancelled() => return Ok(None),
        };
        match outcome {
            Ok(running) => {
                let _ = slot.set(running.router());
                tracing::info!(hosts = target.hosts(), attempt, "MongoDB reached; ready");
                return Ok(Some(running));
            }
            Err(e) if e.is_retryable() => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    hosts = target.hosts(),
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error = format!("{e:#}"),
                    "MongoDB unreachable; not ready"
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.cancelled() => return Ok(None),
                }
            }
            Err(e) => {
                stop.cancel();
                return Err(anyhow::Error::new(e).context("starting on MongoDB"));
            }
        }
    }
    unreachable!("the attempts never run out")
}

/// While the store is being reached: `/healthz` answers (the process is alive), `/readyz`
/// and everything else say 503; once `app` is set, every request goes to it.
pub(super) fn while_connecting(app: Arc<OnceLock<Router>>) -> Router {
    Router::new().fallback(move |request: Request| {
        let app = Arc::clone(&app);
        async move {
            if let Some(app) = app.get() {
                return match app.clone().oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
            }
            match request.uri().path() {
                "/healthz" => Json(json!({"status": "ok"})).into_response(),
                "/readyz" => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({"status": "starting: store not reachable yet"})),
                )
                    .into_response(),
                _ => AppError::client(
                    ErrorCode::Unavailable,
                    "the server is starting: its store is not reachable yet; retry shortly",
                )
                .into_response(),
            }
        }
    })
}
