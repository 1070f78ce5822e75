//! The statistics proxy (your `STATISTICS_BASE_ENDPOINT`) and the short caches in front of
//! it and of the public queue numbers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use chimpassist_protocol::{CustomerId, ErrorCode, QueueId, QueueObservations};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use super::extract::CurrentAttendant;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
/// Most cached upstream answers kept; the cache is emptied when full.
const MAX_CACHED: usize = 10_000;

/// Queue numbers with their EWT, as cached.
type QueueNumbers = (QueueObservations, u32);

/// Time-bounded caches.
#[derive(Debug, Default)]
pub struct UpstreamCache {
    stats: Mutex<HashMap<QueueId, (Instant, QueueNumbers)>>,
    answers: Mutex<HashMap<String, (Instant, Value)>>,
}

impl UpstreamCache {
    /// Queue numbers, at most `CACHE_SECONDS` old.
    pub async fn queue_stats(&self, state: &AppState, queue: &QueueId) -> Option<QueueNumbers> {
        let ttl = state.config.cache_ttl();
        let mut cache = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, value)) = cache.get(queue)
            && at.elapsed() < ttl
        {
            return Some(value.clone());
        }
        let value = state.coordinator.observations(queue)?;
        cache.insert(queue.clone(), (Instant::now(), value.clone()));
        Some(value)
    }

    fn cached(&self, url: &str, ttl: Duration) -> Option<Value> {
        let cache = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(url)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v.clone())
    }

    fn store(&self, url: String, value: Value) {
        let mut cache = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(url, (Instant::now(), value));
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Range {
    /// `24h` or `7d`; or give `start_date_time` and `end_date_time`.
    range: Option<String>,
    /// `YYYYMMDD-HH:MM:SS`
    start_date_time: Option<String>,
    /// `YYYYMMDD-HH:MM:SS`
    end_date_time: Option<String>,
}

fn check_stamp(raw: &str) -> AppResult<()> {
    let ok = raw.len() == 17
        && raw.char_indices().all(|(i, c)| match i {
            8 => c == '-',
            11 | 14 => c == ':',
            _ => c.is_ascii_digit(),
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid("dates must look like 20181221-11:33:09"))
    }
}

fn stamp(epoch_secs: i64) -> String {
    let c = chimpassist_protocol::time::Civil::from_unix(epoch_secs);
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// # GET /api/customers/{id}/{kind}
///
/// `kind` is `contactInfo`, `additionalInfo` or `statistics`. Calls
/// `{STATISTICS_BASE_ENDPOINT}/chimpassist/{id}/{kind}?attendant=<me>` (plus the date range
/// for statistics), with a 5 s timeout and a `CACHE_SECONDS` cache, and returns its JSON.
#[utoipa::path(get, path = "/api/customers/{id}/{kind}", tag = "attendant", params(Range),
    responses((status = 200, description = "the endpoint's JSON"), (status = 503, body = chimpassist_protocol::ErrorBody)))]
pub async fn customer_info(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    Path((id, kind)): Path<(CustomerId, String)>,
    Query(range): Query<Range>,
) -> AppResult<Json<Value>> {
    if !matches!(
        kind.as_str(),
        "contactInfo" | "additionalInfo" | "statistics"
    ) {
        return Err(AppError::not_found("statistics kind"));
    }
    let Some(base) = &state.config.statistics_base_endpoint else {
        return Err(AppError::client(
            ErrorCode::NotConfigured,
            "no statistics endpoint is configured (STATISTICS_BASE_ENDPOINT)",
        ));
    };
    let mut url = url::Url::parse(&format!(
        "{}/chimpassist/{}/{}",
        base.as_str().trim_end_matches('/'),
        urlencode(id.as_str()),
        kind
    ))
    .map_err(|e| AppError::Internal(e.into()))?;
    url.query_pairs_mut()
        .append_pair("attendant", me.id.as_str());
    if kind == "statistics" {
        let (start, end) = match (
            &range.start_date_time,
            &range.end_date_time,
            range.range.as_deref(),
        ) {
            (Some(s), Some(e), _) => {
                check_stamp(s)?;
                check_stamp(e)?;
                (s.clone(), e.clone())
            }
            (None, None, r) => {
                let now = crate::views::now_ms() / 1000;
                let span = match r.unwrap_or("24h") {
                    "24h" => 86_400,
                    "7d" => 7 * 86_400,
                    _ => return Err(AppError::invalid("range is 24h or 7d")),
                };
                (stamp(now - span), stamp(now))
            }
            _ => {
                return Err(AppError::invalid(
                    "give both start_date_time and end_date_time",
                ));
            }
        };
        url.query_pairs_mut()
            .append_pair("start_date_time", &start)
            .append_pair("end_date_time", &end);
    }
    let key = url.to_string();
    if let Some(hit) = state.upstream.cached(&key, state.config.cache_ttl()) {
        return Ok(Json(hit));
    }
    let failed = |what: &str| {
        AppError::client(
            ErrorCode::UpstreamFailed,
            format!("the statistics endpoint {what}"),
        )
    };
    let response = state
        .http
        .get(url)
        .timeout(UPSTREAM_TIMEOUT)
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, kind, "statistics endpoint unreachable");
            failed("did not answer")
        })?;
    if !response.status().is_success() {
        return Err(failed(&format!("answered {}", response.status().as_u16())));
    }
    let value: Value = response
        .json()
        .await
        .map_err(|_| failed("did not answer JSON"))?;
    state.upstream.store(key, value.clone());
    Ok(Json(value))
}

fn urlencode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_use_the_seed_format() {
        assert_eq!(stamp(1_545_392_589), "20181221-11:43:09");
        assert!(check_stamp("20181221-11:33:09").is_ok());
        assert!(check_stamp("2018-12-21").is_err());
    }
}
