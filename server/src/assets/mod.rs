//! The built front ends: the customer widget (with a demo page that embeds it) and the
//! attendants' back-office.
//!
//! A build step writes them under `ASSETS_DIR` (`widget/`, `backoffice/`). The server only
//! reads that directory, so it runs without it: the routes then say how to build it.
//!
//! These routes are merged outside the API's CORS layer (startup.rs), which would otherwise
//! answer the widget files' own `Access-Control-Allow-Origin: *` with the API's list.

mod backoffice;
mod widget;

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Files with their content hash in their name: a release gets new URLs, so a copy never
/// goes stale.
const HASHED_CACHE: &str = "public, max-age=31536000, immutable";

/// `GET /widget.js`, `GET /widget/{file}`, `GET /demo`, `GET /` and `GET /backoffice/{file}`.
pub fn router(assets_dir: &Path) -> Router {
    widget::router(assets_dir).merge(backoffice::router(assets_dir))
}

/// Gives a served file its cache policy, and a miss the app's JSON 404 (ServeDir's own is
/// empty). Only hits are cached: a 404 must not stick for a year after the build runs.
fn finish(
    mut response: Response,
    cache: &'static str,
    missing: impl FnOnce() -> AppError,
) -> Response {
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return missing().into_response();
    }
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // The body depends on Accept-Encoding (the `.br` sibling); ServeDir does not say so, and
    // a shared cache would otherwise hand brotli to clients that cannot read it.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // The build writes UTF-8; without a charset a classic script is decoded in the host
    // page's encoding.
    let text_without_charset = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("text/") && !v.contains(';'))
        .map(|v| format!("{v}; charset=utf-8"));
    if let Some(value) = text_without_charset.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}
