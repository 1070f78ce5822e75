//! The back-office: `GET /` is its page, `GET /backoffice/{file}` the files the page loads.
//!
//! Trunk writes `{ASSETS_DIR}/backoffice/`: `index.html`, whose URLs start with
//! `/backoffice/` (its `public_url`), and content-hashed `.js`, `_bg.wasm` and `.css` files,
//! maybe with brotli `.br` siblings.
//!
//! The page's Content-Security-Policy allows only this origin's scripts plus each inline
//! script by its hash: Trunk's loader is one (a module that imports the JS and starts the
//! WASM). The page is read and hashed once at start, so a rebuilt back-office needs a restart
//! (`cargo xtask run` builds, then starts).

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{HASHED_CACHE, finish};
use crate::error::AppError;

const NOT_BUILT: &str = "the back-office is not built: run `cargo xtask run`";
const NOT_BUILT_PAGE: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
    <title>Chimp Assist</title><p>The back-office is not built: run \
    <code>cargo xtask run</code> (it builds, then starts the server).</p></html>";

/// The page as read at start.
enum Page {
    Built { html: Bytes, csp: HeaderValue },
    Missing,
}

impl Page {
    fn load(path: &Path) -> Self {
        let html = match std::fs::read_to_string(path) {
            Ok(html) => html,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "{NOT_BUILT}; / answers 503 until then");
                return Self::Missing;
            }
        };
        let hashes: Vec<String> = inline_scripts(&html).into_iter().map(script_hash).collect();
        match HeaderValue::from_str(&policy(&hashes)) {
            Ok(csp) => Self::Built {
                html: Bytes::from(html),
                csp,
            },
            // Hashes are base64: every character is a valid header byte.
            Err(e) => {
                tracing::error!(error = %e, "back-office page unusable");
                Self::Missing
            }
        }
    }
}

/// `GET /`, `GET /backoffice/index.html` (the same page) and `GET /backoffice/{file}`.
pub(super) fn router(assets_dir: &Path) -> Router {
    let dir = assets_dir.join("backoffice");
    let page = Arc::new(Page::load(&dir.join("index.html")));
    // Like the widget's: only files the build wrote, nothing outside the directory.
    let files = Router::new()
        .nest_service(
            "/backoffice",
            ServeDir::new(dir)
                .precompressed_br()
                .append_index_html_on_directories(false),
        )
        .layer(map_response(finish_file))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Never framed, no referrer, whatever the file: the page's own protections hold for
        // everything under /backoffice.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    // `index.html` is the one file without a hash: never cached as immutable.
    Router::new()
        .route("/", get(index))
        .route("/backoffice/index.html", get(index))
        .with_state(page)
        .merge(files)
}

/// # GET /
async fn index(State(page): State<Arc<Page>>) -> Response {
    match page.as_ref() {
        Page::Built { html, csp } => {
            let mut headers = page_headers();
            headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
            (headers, html.clone()).into_response()
        }
        Page::Missing => {
            let mut headers = page_headers();
            if let Ok(csp) = HeaderValue::from_str(&policy(&[])) {
                headers.insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            (StatusCode::SERVICE_UNAVAILABLE, headers, NOT_BUILT_PAGE).into_response()
        }
    }
}

/// Headers of the page: never cached without asking (it names the current build's files),
/// never framed, and no referrer to other sites.
fn page_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
}

/// The Content-Security-Policy of the page. `'wasm-unsafe-eval'` lets it compile its WASM;
/// images may come from any https site (avatars, the configured logo).
fn policy(script_hashes: &[String]) -> String {
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        scripts.push_str(&format!(" '{hash}'"));
    }
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' https: data:; connect-src 'self'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    )
}

/// `sha256-…` of a script's text as the browser hashes it: the HTML parser turns CR LF and
/// lone CR into LF before the script sees its text.
fn script_hash(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    format!("sha256-{}", BASE64.encode(Sha256::digest(text.as_bytes())))
}

/// The text of every inline `<script>` (one without `src`) of a page.
fn inline_scripts(html: &str) -> Vec<&str> {
    // ASCII lower-casing keeps every byte offset, so positions found here index `html`.
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let attrs_start = start + "<script".len();
        at = attrs_start;
        // `<scripts>` or `<script-x>` are other elements.
        if !lower[attrs_start..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>') {
            continue;
        }
        let Some(body_start) = tag_end(&lower, attrs_start) else {
            break;
        };
        let Some(body_end) = lower[body_start..].find("</script").map(|i| body_start + i) else {
            break;
        };
        if !has_src(&lower[attrs_start..body_start - 1]) {
            found.push(&html[body_start..body_end]);
        }
        at = body_end;
    }
    found
}

/// The position just after the `>` closing a start tag, skipping `>` inside quoted values.
fn tag_end(html: &str, from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in html[from..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(from + i + 1),
            _ => {}
        }
    }
    None
}

/// Whether a start tag's attributes (lower-cased) include `src`.
fn has_src(attrs: &str) -> bool {
    let mut rest = attrs.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if &rest[..name_len] == "src" {
            return true;
        }
        rest = rest[name_len..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            rest = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].find(q).map_or("", |end| &value[end + 2..]),
                _ => value
                    .find(|c: char| c.is_ascii_whitespace())
                    .map_or("", |end| &value[end..]),
            };
        }
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
    }
    false
}

/// Finishes `GET /backoffice/{file}`. A page is served only by [`index`], with its CSP:
/// ServeDir would hand out `index.html` again for `/backoffice//index.html`,
/// `/backoffice/./index.html` or `/backoffice/%69ndex.html` (security review, finding 9),
/// so any HTML it finds answers 404. The build's other files are scripts, WASM and CSS.
async fn finish_file(response: Response) -> Response {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        return AppError::not_found("back-office asset").into_response();
    }
    finish(response, HASHED_CACHE, || {
        AppError::not_found("back-office asset")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_and_skips_those_with_src() {
        let html = concat!(
            "<html><head><script src=\"/a.js\"></script>",
            "<SCRIPT type=\"module\" data-x='a>b'>import init from '/b.js';</SCRIPT>",
            "<script type=module srcset=x>one()</script>",
            "<scripts>not a script</scripts><script\n>two()</script></head></html>"
        );
        assert_eq!(
            inline_scripts(html),
            ["import init from '/b.js';", "one()", "two()"]
        );
    }

    #[test]
    fn hashes_what_the_browser_hashes() {
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        let expected = "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=";
        assert_eq!(script_hash("alert(1)"), expected);
        assert_eq!(script_hash("alert(1)\r\n"), script_hash("alert(1)\n"));
    }

    #[test]
    fn the_policy_lists_each_hash() {
        let csp = policy(&["sha256-abc".into()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
