//! The embedding site: a tiny web server on its own port, so its origin differs from the
//! chat server's, as on a real shop. It serves fixed pages (or a directory) and records
//! every path requested from it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use tokio::sync::oneshot;
use tower_http::services::ServeDir;

type RequestLog = Arc<Mutex<Vec<String>>>;

/// A running host site.
#[derive(Debug)]
pub struct HostPage {
    port: u16,
    requests: RequestLog,
    stop: Option<oneshot::Sender<()>>,
}

impl HostPage {
    /// Serves `html` at `/`.
    pub async fn serve(html: impl Into<String>) -> Self {
        Self::serve_pages([("/".to_owned(), html.into())]).await
    }

    /// Serves each `(path, html)` pair; anything else is a 404.
    pub async fn serve_pages(pages: impl IntoIterator<Item = (String, String)>) -> Self {
        let pages: BTreeMap<String, String> = pages.into_iter().collect();
        let mut router = Router::new();
        for (path, html) in pages {
            router = router.route(
                &path,
                get(move || async move { ([(header::CACHE_CONTROL, "no-store")], Html(html)) }),
            );
        }
        Self::launch(router.fallback(not_found)).await
    }

    /// Serves the files of `dir` (a directory's `index.html` at its path), e.g. a site
    /// built by Vite.
    pub async fn serve_dir(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        assert!(dir.is_dir(), "{} is not a directory", dir.display());
        Self::launch(Router::new().fallback_service(ServeDir::new(dir))).await
    }

    /// Serves any router, e.g. a fake statistics endpoint; requests are logged the same way.
    pub async fn serve_router(router: Router) -> Self {
        Self::launch(router).await
    }

    async fn launch(router: Router) -> Self {
        let requests = RequestLog::default();
        let app = router.layer(middleware::from_fn_with_state(
            Arc::clone(&requests),
            record,
        ));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("binding the host page's port");
        let port = listener.local_addr().expect("bound address").port();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                eprintln!("host page server failed: {e}");
            }
        });
        Self {
            port,
            requests,
            stop: Some(stop),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:{port}`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:{port}{path}`: another origin than the chat server (other port),
    /// but the same site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// `http://localhost:{port}{path}`: another *site* than the chat server at 127.0.0.1,
    /// as for a shop embedding a third-party widget (cookies are then third-party).
    pub fn cross_site_url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    /// Every path (with its query) requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .expect("request log lock poisoned")
            .clone()
    }
}

impl Drop for HostPage {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    log.lock().expect("request log lock poisoned").push(path);
    next.run(request).await
}

async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, "not found")
}

/// The host page that embeds the widget from `server_url` (e.g. [`ChimpServer::origin`]),
/// with `backendEndpoint` set to it and every key of `extra_config` (a JSON object, or
/// `null`) added to `window.ChimpAssistConfig`.
///
/// [`ChimpServer::origin`]: crate::ChimpServer::origin
pub fn snippet(server_url: &str, extra_config: Value) -> String {
    let base = script_json(&serde_json::json!({"backendEndpoint": server_url}));
    let extra = match extra_config {
        Value::Null => "{}".to_owned(),
        Value::Object(_) => script_json(&extra_config),
        other => panic!("extra widget config must be a JSON object, not {other}"),
    };
    let src = server_url.trim_end_matches('/');
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Host shop</title></head>\
         <body><h1>Host shop</h1>\
         <script>window.ChimpAssistConfig = {{...{base}, ...{extra}}};</script>\
         <script src=\"{src}/widget.js\" async></script></body></html>"
    )
}

/// JSON that is safe inside an inline `<script>` (no `</script>` can end it early).
fn script_json(value: &Value) -> String {
    value.to_string().replace("</", "<\\/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_sets_the_endpoint_and_extra_keys_and_loads_the_loader() {
        let html = snippet(
            "http://127.0.0.1:4000",
            serde_json::json!({"title": "</script>"}),
        );
        assert!(html.contains(r#"{"backendEndpoint":"http://127.0.0.1:4000"}"#));
        assert!(html.contains(r#"{"title":"<\/script>"}"#));
        assert!(html.contains(r#"<script src="http://127.0.0.1:4000/widget.js" async>"#));
        assert!(html.contains("<title>Host shop</title>"));
    }
}
