//! The customer widget's built files and a demo page that embeds it.
//!
//! A build step writes the widget into `{ASSETS_DIR}/widget/`: `widget.js`, the loader that
//! sites embed by URL and that therefore never changes its name, and the content-hashed files
//! it loads, each maybe with a brotli `.br` sibling. Without it the routes answer the app's
//! JSON 404 saying how to build it.
//!
//! Any site may load the widget, so these routes always answer
//! `Access-Control-Allow-Origin: *`, whatever `ALLOWED_ORIGINS` lets call the API.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chimpassist_protocol::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{HASHED_CACHE, finish};
use crate::error::AppError;

/// The loader is the one URL every embedding site points at: cached briefly, so a release
/// reaches visitors within minutes.
const LOADER_CACHE: &str = "public, max-age=300";
const NOT_BUILT: &str =
    "the widget assets are not built: run `cargo xtask run` (or `cargo xtask widget`)";

/// A host page for trying the widget; in the binary so it works wherever the server runs.
const DEMO_PAGE: &str = include_str!("../demo.html");

/// `GET /widget.js`, `GET /widget/{file}` and `GET /demo`.
pub(super) fn router(assets_dir: &Path) -> Router {
    let widget_dir = assets_dir.join("widget");
    let loader = widget_dir.join("widget.js");
    if !loader.is_file() {
        tracing::warn!(path = %loader.display(), "{NOT_BUILT}; /widget.js answers 404 until then");
    }
    let loader = Router::new()
        .route_service("/widget.js", ServeFile::new(loader).precompressed_br())
        .layer(map_response(finish_loader));
    // No directory listings or index pages: only files the build wrote are served. ServeDir
    // refuses `..` (also percent-encoded), so nothing outside the directory is reachable.
    let hashed = Router::new()
        .nest_service(
            "/widget",
            ServeDir::new(widget_dir)
                .precompressed_br()
                .append_index_html_on_directories(false),
        )
        .layer(map_response(finish_hashed));
    let widget = loader
        .merge(hashed)
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    Router::new().route("/demo", get(demo)).merge(widget)
}

/// # GET /demo
async fn demo() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        DEMO_PAGE,
    )
}

/// Finishes `GET /widget.js`.
async fn finish_loader(response: Response) -> Response {
    finish(response, LOADER_CACHE, || {
        AppError::client(ErrorCode::NotFound, NOT_BUILT)
    })
}

/// Finishes `GET /widget/{file}`.
async fn finish_hashed(response: Response) -> Response {
    finish(response, HASHED_CACHE, || {
        AppError::not_found("widget asset")
    })
}
