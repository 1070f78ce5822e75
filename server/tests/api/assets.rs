//! The widget's static files and the demo page (the back-office's: backoffice_assets.rs).

use std::path::Path;

use reqwest::header::{
    ACCEPT_ENCODING, ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE,
    HeaderMap, IF_MODIFIED_SINCE, LAST_MODIFIED, ORIGIN, VARY, X_CONTENT_TYPE_OPTIONS,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const LOADER: &str = "/* loader */ import('/widget/chat-abc123.js');";
const CHAT_JS: &str = "export default function start() {}";
const WASM: &[u8] = b"\0asm\x01\0\0\0";
/// Not real brotli: the server only picks the file, so any bytes tell it apart.
const CHAT_JS_BR: &[u8] = b"\x8b\x03\x80pretend-brotli\x03";
const SECRET: &str = "outside the widget directory";
const ELSEWHERE: &str = "http://elsewhere.test";

/// An assets directory as the build writes it, plus a file beside it that must stay private.
fn built_assets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let widget = dir.path().join("widget");
    std::fs::create_dir(&widget).expect("widget dir");
    write(&widget.join("widget.js"), LOADER.as_bytes());
    write(&widget.join("chat-abc123.js"), CHAT_JS.as_bytes());
    write(&widget.join("chat-abc123.js.br"), CHAT_JS_BR);
    write(&widget.join("chat-abc123.wasm"), WASM);
    write(&dir.path().join("secret.txt"), SECRET.as_bytes());
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("fixture file");
}

async fn get_from(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .header(ORIGIN, origin)
        .send()
        .await
        .expect("request")
}

fn header(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_loader_is_javascript_for_any_origin_cached_five_minutes() {
    let assets = built_assets();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    let response = get_from(&app, "/widget.js", ELSEWHERE).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(
        header(&headers, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&headers, CACHE_CONTROL), "public, max-age=300");
    assert_eq!(header(&headers, ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(header(&headers, X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(response.text().await.unwrap(), LOADER);

    // Revalidation keeps the cache policy.
    let again = reqwest::Client::new()
        .get(app.url("/widget.js"))
        .header(IF_MODIFIED_SINCE, header(&headers, LAST_MODIFIED))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        header(again.headers(), CACHE_CONTROL),
        "public, max-age=300"
    );
}

#[tokio::test]
async fn hashed_files_are_immutable_and_wasm_has_its_type() {
    let assets = built_assets();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    let wasm = get_from(&app, "/widget/chat-abc123.wasm", ELSEWHERE).await;
    assert_eq!(wasm.status(), 200);
    let headers = wasm.headers().clone();
    assert_eq!(header(&headers, CONTENT_TYPE), "application/wasm");
    assert_eq!(
        header(&headers, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&headers, ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(header(&headers, X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), WASM);

    let js = get_from(&app, "/widget/chat-abc123.js", ELSEWHERE).await;
    assert_eq!(js.status(), 200);
    assert_eq!(
        header(js.headers(), CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert!(js.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(js.text().await.unwrap(), CHAT_JS);
}

#[tokio::test]
async fn the_brotli_sibling_is_served_to_clients_that_accept_it() {
    let assets = built_assets();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    let response = reqwest::Client::new()
        .get(app.url("/widget/chat-abc123.js"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, CONTENT_ENCODING), "br");
    assert_eq!(
        header(&headers, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&headers, VARY), "accept-encoding");
    assert_eq!(
        header(&headers, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), CHAT_JS_BR);

    // No sibling: the plain file, whatever the client accepts.
    let wasm = reqwest::Client::new()
        .get(app.url("/widget/chat-abc123.wasm"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert!(wasm.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), WASM);
}

#[tokio::test]
async fn widget_files_allow_every_origin_while_the_api_keeps_its_cors_list() {
    let assets = built_assets();
    let app = spawn_app_with(|c| {
        c.assets_dir = assets.path().into();
        c.allowed_origins = vec!["https://shop.example".into()];
    })
    .await;

    for origin in [ELSEWHERE, "https://shop.example"] {
        for path in ["/widget.js", "/widget/chat-abc123.wasm"] {
            let response = get_from(&app, path, origin).await;
            assert_eq!(response.status(), 200, "{path} from {origin}");
            assert_eq!(
                header(response.headers(), ACCESS_CONTROL_ALLOW_ORIGIN),
                "*",
                "{path} from {origin}"
            );
        }
    }

    let listed = get_from(&app, "/healthz", "https://shop.example").await;
    assert_eq!(
        header(listed.headers(), ACCESS_CONTROL_ALLOW_ORIGIN),
        "https://shop.example"
    );
    let unlisted = get_from(&app, "/healthz", ELSEWHERE).await;
    assert!(
        unlisted
            .headers()
            .get(ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn missing_assets_answer_a_json_404_that_says_how_to_build_them() {
    let empty = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(|c| c.assets_dir = empty.path().join("not-built")).await;

    let response = get_from(&app, "/widget.js", ELSEWHERE).await;
    assert_eq!(response.status(), 404);
    assert!(response.headers().get(CACHE_CONTROL).is_none());
    assert_eq!(header(response.headers(), ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("not built"), "{message}");
    assert!(message.contains("cargo xtask run"), "{message}");

    let response = get_from(&app, "/widget/chat-abc123.js", ELSEWHERE).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn a_missing_file_or_directory_in_built_assets_is_a_json_404_never_cached() {
    let assets = built_assets();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    for path in ["/widget/chat-000000.js", "/widget/", "/widget"] {
        let response = get_from(&app, path, ELSEWHERE).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().get(CACHE_CONTROL).is_none(), "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn paths_cannot_escape_the_widget_directory() {
    let assets = built_assets();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    for path in [
        "/widget/..%2fsecret.txt",
        "/widget/..%2f..%2fCargo.toml",
        "/widget/%2e%2e%2fsecret.txt",
        "/widget/..%5csecret.txt",
    ] {
        let response = get_from(&app, path, ELSEWHERE).await;
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains(SECRET), "{path} leaked: {body}");
    }

    // HTTP clients remove `..` before sending; a raw request keeps it.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    tcp.write_all(
        b"GET /widget/../secret.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
    .expect("write");
    let mut raw = String::new();
    tcp.read_to_string(&mut raw).await.expect("read");
    assert!(raw.starts_with("HTTP/1.1 404"), "{raw}");
    assert!(!raw.contains(SECRET), "{raw}");
}

#[tokio::test]
async fn the_demo_page_embeds_the_widget() {
    let app = spawn_app().await;

    let response = app.get("/demo", &Auth::None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(response.headers(), CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(response.headers(), CACHE_CONTROL), "no-cache");
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<script src="/widget.js" async></script>"#));
    assert!(page.contains("window.ChimpAssistConfig = { title: \"Chimp Assist demo\" };"));
    assert!(page.contains("userData"));
}

/// The back-office page as Trunk writes it: a module script that starts the app, inline.
const INDEX: &str = "<!DOCTYPE html><html><head>\
<link rel=\"modulepreload\" href=\"/backoffice/x-abc.js\">\
<script src=\"/backoffice/other-abc.js\"></script>\
<script type=\"module\">
import init, * as bindings from '/backoffice/x-abc.js';
const wasm = await init({ module_or_path: '/backoffice/x-abc_bg.wasm' });
window.wasmBindings = bindings;
</script></head><body></body></html>";
/// Of the inline script's text, computed apart: `base64(sha256(text))`.
const INLINE_HASH: &str = "sha256-L8YOW97Aoqh7oVmj5MVDJhvlLu7bNafBS7fhgRp8t8I=";
const APP_JS: &str = "export default async function init() {}";

fn built_backoffice() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let backoffice = dir.path().join("backoffice");
    std::fs::create_dir(&backoffice).expect("backoffice dir");
    write(&backoffice.join("index.html"), INDEX.as_bytes());
    write(&backoffice.join("x-abc.js"), APP_JS.as_bytes());
    write(&backoffice.join("x-abc.js.br"), CHAT_JS_BR);
    dir
}

#[tokio::test]
async fn the_root_is_the_backoffice_page_with_its_inline_script_allowed_by_hash() {
    let assets = built_backoffice();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    for path in ["/", "/backoffice/index.html"] {
        let response = app.get(path, &Auth::None).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(header(&headers, CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header(&headers, CACHE_CONTROL), "no-cache", "{path}");
        assert_eq!(header(&headers, X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(header(&headers, "x-frame-options"), "DENY");
        assert_eq!(header(&headers, "referrer-policy"), "same-origin");
        assert_eq!(
            header(&headers, "content-security-policy"),
            format!(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' '{INLINE_HASH}'; \
                 style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; \
                 connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            )
        );
        assert_eq!(response.text().await.unwrap(), INDEX);
    }

    // Security review, finding 9: other spellings of the page's path served it without its
    // headers. Sent as written (no client-side normalisation).
    for path in [
        "/backoffice//index.html",
        "/backoffice/./index.html",
        "/backoffice/%69ndex.html",
        "/backoffice/",
    ] {
        let (status, head, body) = raw_get(app.port, path).await;
        let html = head
            .to_ascii_lowercase()
            .contains("content-type: text/html");
        let protected = head
            .to_ascii_lowercase()
            .contains("content-security-policy");
        assert!(
            !html || protected,
            "{path} served a page without its CSP: {status}\n{head}"
        );
        assert!(!body.contains("<html"), "{path}: {status} {body}");
    }

    let js = app.get("/backoffice/x-abc.js", &Auth::None).await;
    assert_eq!(js.status(), 200);
    assert_eq!(
        header(js.headers(), CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        header(js.headers(), CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(js.text().await.unwrap(), APP_JS);
    let br = reqwest::Client::new()
        .get(app.url("/backoffice/x-abc.js"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(br.headers(), CONTENT_ENCODING), "br");
    assert_eq!(br.bytes().await.unwrap().as_ref(), CHAT_JS_BR);

    let missing = app.get("/backoffice/x-000.js", &Auth::None).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get(CACHE_CONTROL).is_none());
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], "not_found");
}

#[tokio::test]
async fn the_backoffice_page_leaves_every_other_route_alone() {
    let assets = built_backoffice();
    let app = spawn_app_with(|c| c.assets_dir = assets.path().into()).await;

    for (path, status) in [
        ("/demo", 200),
        ("/healthz", 200),
        ("/config/backoffice", 200),
        ("/api/openapi.json", 200),
        ("/api/me", 401),
        ("/widget.js", 404),
        ("/nowhere", 404),
    ] {
        let response = app.get(path, &Auth::None).await;
        assert_eq!(response.status(), status, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("wasmBindings"), "{path} answered the page");
    }
}

#[tokio::test]
async fn without_a_built_backoffice_the_root_says_how_to_build_it() {
    let empty = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(|c| c.assets_dir = empty.path().join("not-built")).await;

    let response = app.get("/", &Auth::None).await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        header(response.headers(), CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(response.headers(), CACHE_CONTROL), "no-cache");
    let page = response.text().await.unwrap();
    assert!(page.contains("not built"), "{page}");
    assert!(page.contains("cargo xtask run"), "{page}");

    let file = app.get("/backoffice/x-abc.js", &Auth::None).await;
    assert_eq!(file.status(), 404);
    assert_eq!(file.json::<Value>().await.unwrap()["code"], "not_found");
}

/// `GET path` over a bare TCP connection, exactly as written: (status line, headers, body).
async fn raw_get(port: u16, path: &str) -> (String, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut raw))
        .await
        .expect("an answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, head.to_owned(), body.to_owned())
}
