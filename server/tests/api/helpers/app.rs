//! The server under test, its settings, and REST calls.

use chimpassist_server::config::Config;
use chimpassist_server::startup::Application;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::ADMIN_PASSWORD;

pub(crate) struct TestApp {
    pub(crate) port: u16,
    pub(crate) dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub(crate) fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::from_env_defaults();
    config.host = "127.0.0.1".parse().expect("loopback");
    config.port = 0;
    config.data_dir = dir.to_path_buf();
    // The embedded store, even where the environment names a MongoDB.
    config.mongo_connection_url = None;
    config.log = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into());
    // Every client of a test is on 127.0.0.1: the per-network limits would meet each other.
    // The tests of those limits set them back (tests/api/limits.rs).
    config.lift_network_limits();
    config
}

/// The same for a server process, as its environment.
#[allow(dead_code)] // used by the tests that include this file, not all of them
pub(crate) const UNTHROTTLED: [(&str, &str); 8] = [
    ("MAX_CONNECTIONS_PER_IP", "1000000"),
    ("REQUESTS_PER_MINUTE_PER_IP", "1000000"),
    ("NEW_CUSTOMERS_PER_MINUTE_PER_IP", "1000000"),
    ("CHATS_PER_MINUTE_PER_IP", "1000000"),
    ("MAX_OPEN_CONVERSATIONS_PER_IP", "1000000"),
    ("CALLBACKS_PER_MINUTE_PER_IP", "1000000"),
    ("LOGINS_PER_MINUTE_PER_IP", "1000000"),
    ("UPLOADS_PER_MINUTE_PER_IP", "1000000"),
];

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub(crate) async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(dir.path());
    tweak(&mut config);
    start(config, dir).await
}

pub(crate) async fn start(config: Config, dir: tempfile::TempDir) -> TestApp {
    chimpassist_server::telemetry::init(&config.log, false);
    let app = Application::build(config).await.expect("app builds");
    let port = app.port();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        port,
        dir,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestApp {
    /// The helpers for a server running elsewhere (another process) on `port`; it is not
    /// stopped by this handle.
    #[allow(dead_code)] // used by tests/cluster, which includes this file
    pub(crate) fn attached(port: u16) -> TestApp {
        TestApp {
            port,
            dir: tempfile::tempdir().expect("temp dir"),
            stop: None,
            task: None,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Stops gracefully and waits; returns the data directory for a restart.
    pub(crate) async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }

    pub(crate) async fn get(&self, path: &str, auth: &Auth) -> reqwest::Response {
        auth.apply(reqwest::Client::new().get(self.url(path)))
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn post(&self, path: &str, auth: &Auth, body: Value) -> reqwest::Response {
        auth.apply(reqwest::Client::new().post(self.url(path)))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: &Auth,
        body: Value,
    ) -> reqwest::Response {
        auth.apply(reqwest::Client::new().request(method, self.url(path)))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Logs in; returns the session cookie.
    pub(crate) async fn login(&self, email: &str, password: &str) -> Auth {
        let response = self
            .post(
                "/api/login",
                &Auth::None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 200, "login of {email} failed");
        session_of(&response)
    }

    /// Signs in as the default admin, first changing its `admin`/`admin` password to
    /// [`ADMIN_PASSWORD`] when that has not happened yet (the server refuses everything else
    /// to a session that must change its password).
    pub(crate) async fn admin(&self) -> Auth {
        let settled = self
            .post(
                "/api/login",
                &Auth::None,
                json!({"email": "admin", "password": ADMIN_PASSWORD}),
            )
            .await;
        if settled.status() == 200 {
            return session_of(&settled);
        }
        let first = self.login("admin", "admin").await;
        let changed = self
            .post(
                "/api/me/password",
                &first,
                json!({"current": "admin", "new": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(
            changed.status(),
            204,
            "changing the default admin's password"
        );
        first
    }

    /// Creates an attendant through the admin API and returns (id, login).
    pub(crate) async fn create_attendant(
        &self,
        admin: &Auth,
        name: &str,
        capacity: u32,
    ) -> (String, Auth) {
        self.create_attendant_with(admin, name, json!({"capacity": capacity}))
            .await
    }

    /// Creates an attendant `name` (login `name@example.com`, password `secret-pass`) with
    /// the other fields of `more` (`role`, `queues`, `capacity`…); returns (id, login).
    pub(crate) async fn create_attendant_with(
        &self,
        admin: &Auth,
        name: &str,
        more: Value,
    ) -> (String, Auth) {
        let email = format!("{}@example.com", name.to_lowercase());
        let mut body = json!({"email": email, "name": name, "password": "secret-pass"});
        if let (Some(body), Some(more)) = (body.as_object_mut(), more.as_object()) {
            body.extend(more.clone());
        }
        let response = self.post("/api/attendants", admin, body).await;
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let body: Value = response.json().await.expect("json");
        let id = body["id"].as_str().expect("id").to_owned();
        (id, self.login(&email, "secret-pass").await)
    }

    /// Creates an API token with `scopes` (as `admin`): `(its id, the bearer credential)`.
    #[allow(dead_code)] // used by the tests that include this file, not all of them
    pub(crate) async fn api_token(
        &self,
        admin: &Auth,
        name: &str,
        scopes: Value,
    ) -> (String, Auth) {
        let created = self
            .post(
                "/api/tokens",
                admin,
                json!({"name": name, "scopes": scopes}),
            )
            .await;
        assert_eq!(created.status(), 201, "creating the token");
        let body: Value = created.json().await.expect("json");
        let secret = body["secret"].as_str().expect("the token, once").to_owned();
        (
            body["token"]["id"].as_str().expect("an id").to_owned(),
            Auth::Bearer(secret),
        )
    }

    /// Creates or replaces queue `id` (named after it) in `mode` (`auto` or `manual`).
    pub(crate) async fn put_queue(&self, admin: &Auth, id: &str, mode: &str) {
        self.put_queue_with(admin, id, json!({"mode": mode})).await;
    }

    /// Creates or replaces queue `id` (named after it) with the fields of `more`; returns
    /// the queue as the server stored it.
    pub(crate) async fn put_queue_with(&self, admin: &Auth, id: &str, more: Value) -> Value {
        let mut name = id.to_owned();
        name[..1].make_ascii_uppercase();
        let mut body = json!({"id": id, "name": name});
        if let (Some(body), Some(more)) = (body.as_object_mut(), more.as_object()) {
            body.extend(more.clone());
        }
        let response = self
            .send(
                reqwest::Method::PUT,
                &format!("/api/queues/{id}"),
                admin,
                body,
            )
            .await;
        assert_eq!(response.status(), 200, "PUT /api/queues/{id}");
        response.json().await.expect("the queue")
    }
}

/// The session cookie a successful login set.
pub(crate) fn session_of(response: &reqwest::Response) -> Auth {
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("chimp_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly"),
        "cookie must be HttpOnly: {cookie}"
    );
    Auth::Cookie(cookie.split(';').next().unwrap_or_default().to_owned())
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A response's JSON body, whatever its status.
pub(crate) async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// Credentials for a REST call.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    None,
    Cookie(String),
    Bearer(String),
}

impl Auth {
    fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Cookie(c) => request.header("cookie", c),
            Auth::Bearer(t) => request.bearer_auth(t),
        }
    }
}
