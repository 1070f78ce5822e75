//! The statistics proxy (your `STATISTICS_BASE_ENDPOINT`), behind the short cache in
//! [`crate::cache`].

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use chimpassist_protocol::{CustomerId, ErrorCode};
use chimpassist_store::Attendant;
use serde::Deserialize;
use serde_json::Value;

use super::extract::{AppPath, AppQuery, CurrentAttendant};
use crate::access;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
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
/// `kind` is `contactInfo`, `additionalInfo` or `statistics`. For a stored customer the
/// attendant may see (one of their conversations is visible to them), whose site id is
/// verified, calls `{STATISTICS_BASE_ENDPOINT}/chimpassist/{site id}/{kind}?attendant=<me>`
/// (plus the date range for statistics) with a 5 s timeout and a `CACHE_SECONDS` cache, and
/// returns its JSON. The site id is `userData.id`, what your endpoints know the person by;
/// it is one path segment, percent-encoded. An unverified id is whatever the visitor's page
/// claims, so it answers `403 verification_required` (unless
/// `ALLOW_UNVERIFIED_STATISTICS`); a customer without a site id, `404`.
#[utoipa::path(get, path = "/api/customers/{id}/{kind}", tag = "attendant", params(Range),
    responses((status = 200, description = "the endpoint's JSON"),
        (status = 403, body = chimpassist_protocol::ErrorBody),
        (status = 404, body = chimpassist_protocol::ErrorBody),
        (status = 503, body = chimpassist_protocol::ErrorBody)))]
pub async fn customer_info(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppPath((id, kind)): AppPath<(CustomerId, String)>,
    AppQuery(range): AppQuery<Range>,
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
    let site_id = site_id(&state, &me, &id).await?;
    let mut url = endpoint_url(base.url(), &site_id, &kind)?;
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

/// The site id of customer `id` to ask the endpoints about: the customer must be stored and
/// visible to the attendant ([`access::customer`]: admins, or one of their conversations),
/// and the id must be verified (or the operator accepts unverified ones).
async fn site_id(state: &AppState, me: &Attendant, id: &CustomerId) -> AppResult<String> {
    let customer = access::customer(state, me, id).await?;
    let external = customer
        .external_id
        .filter(|e| !e.is_empty())
        .ok_or_else(|| AppError::not_found("site id of this customer (no userData.id)"))?;
    if !customer.verified && !state.config.allow_unverified_statistics {
        return Err(AppError::client(
            ErrorCode::VerificationRequired,
            "statistics need a verified identity: the site must sign userData (IDENTITY_SECRET)",
        ));
    }
    Ok(external)
}

/// `{base}/chimpassist/{site id}/{kind}`: the id is one path segment whatever it holds
/// (`/`, `?`, `#`, `%` are percent-encoded; `.` and `..` are refused, since a URL parser
/// would otherwise resolve them as steps up the path).
fn endpoint_url(base: &url::Url, site_id: &str, kind: &str) -> AppResult<url::Url> {
    if site_id == "." || site_id == ".." {
        return Err(AppError::invalid("this site id cannot be asked about"));
    }
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().map_err(|()| {
            AppError::Internal(anyhow::anyhow!("the statistics base is not a path URL"))
        })?;
        path.pop_if_empty()
            .push("chimpassist")
            .push(site_id)
            .push(kind);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_id_is_one_path_segment() {
        let base = url::Url::parse("http://stats.example/base/").expect("url");
        let plain = endpoint_url(&base, "42", "contactInfo").expect("url");
        assert_eq!(
            plain.as_str(),
            "http://stats.example/base/chimpassist/42/contactInfo"
        );
        let odd = endpoint_url(&base, "a/b?x#y%", "statistics").expect("url");
        assert_eq!(
            odd.as_str(),
            "http://stats.example/base/chimpassist/a%2Fb%3Fx%23y%25/statistics"
        );
        let dots = endpoint_url(&base, "..x", "contactInfo").expect("url");
        assert_eq!(dots.path(), "/base/chimpassist/..x/contactInfo");
        assert!(endpoint_url(&base, "..", "contactInfo").is_err());
        assert!(endpoint_url(&base, ".", "contactInfo").is_err());
        let bare = url::Url::parse("http://stats.example").expect("url");
        assert_eq!(
            endpoint_url(&bare, "7", "additionalInfo")
                .expect("url")
                .path(),
            "/chimpassist/7/additionalInfo"
        );
    }

    #[test]
    fn stamps_use_the_seed_format() {
        assert_eq!(stamp(1_545_392_589), "20181221-11:43:09");
        assert!(check_stamp("20181221-11:33:09").is_ok());
        assert!(check_stamp("2018-12-21").is_err());
    }
}
