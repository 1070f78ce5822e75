//! Test harness: a real server on port 0 with a fresh data directory, typed REST helpers and
//! WebSocket clients that wait on frames (never on time).

use std::collections::VecDeque;
use std::time::Duration;

use chimpassist_server::config::Config;
use chimpassist_server::startup::Application;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

/// How long a test waits for an expected frame before failing.
pub(crate) const WAIT: Duration = Duration::from_secs(10);
/// The password [`TestApp::admin`] gives the default `admin` account (it must change
/// `admin`/`admin` before anything else).
pub(crate) const ADMIN_PASSWORD: &str = "admin-test-password";

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
pub(crate) const UNTHROTTLED: [(&str, &str); 7] = [
    ("MAX_CONNECTIONS_PER_IP", "1000000"),
    ("REQUESTS_PER_MINUTE_PER_IP", "1000000"),
    ("NEW_CUSTOMERS_PER_MINUTE_PER_IP", "1000000"),
    ("CHATS_PER_MINUTE_PER_IP", "1000000"),
    ("MAX_OPEN_CONVERSATIONS_PER_IP", "1000000"),
    ("CALLBACKS_PER_MINUTE_PER_IP", "1000000"),
    ("LOGINS_PER_MINUTE_PER_IP", "1000000"),
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

    /// Creates or replaces queue `id` (named after it) in `mode` (`auto` or `manual`).
    pub(crate) async fn put_queue(&self, admin: &Auth, id: &str, mode: &str) {
        let mut name = id.to_owned();
        name[..1].make_ascii_uppercase();
        let response = self
            .send(
                reqwest::Method::PUT,
                &format!("/api/queues/{id}"),
                admin,
                json!({"id": id, "name": name, "mode": mode}),
            )
            .await;
        assert_eq!(response.status(), 200, "PUT /api/queues/{id}");
    }

    pub(crate) async fn customer(&self, user: Option<Value>) -> Ws {
        self.customer_with(user, None, json!([])).await
    }

    /// Opens a customer socket, says hello, waits for `welcome`.
    pub(crate) async fn customer_with(
        &self,
        user: Option<Value>,
        token: Option<&str>,
        resume: Value,
    ) -> Ws {
        let url = format!("ws://127.0.0.1:{}/ws/customer", self.port);
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("customer ws");
        let mut ws = Ws::new(stream);
        let mut hello = json!({"type": "hello", "protocol": 1, "resume": resume});
        if let Some(user) = user {
            hello["user"] = user;
        }
        if let Some(token) = token {
            hello["token"] = json!(token);
        }
        ws.send(hello).await;
        let welcome = ws.expect("welcome").await;
        ws.welcome = welcome;
        ws
    }

    /// Opens an attendant socket with the session cookie, says hello, waits for `welcome`.
    pub(crate) async fn attendant(&self, auth: &Auth) -> Ws {
        self.attendant_with(auth, json!([])).await
    }

    pub(crate) async fn attendant_with(&self, auth: &Auth, resume: Value) -> Ws {
        self.attendant_saying(
            auth,
            json!({"type": "hello", "protocol": 1, "resume": resume}),
        )
        .await
    }

    /// An attendant socket that takes `batch` frames, as the back-office does.
    pub(crate) async fn attendant_batching(&self, auth: &Auth) -> Ws {
        self.attendant_saying(auth, json!({"type": "hello", "protocol": 1, "batch": true}))
            .await
    }

    async fn attendant_saying(&self, auth: &Auth, hello: Value) -> Ws {
        let mut request = format!("ws://127.0.0.1:{}/ws/attendant", self.port)
            .into_client_request()
            .expect("request");
        if let Auth::Cookie(cookie) = auth {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("header"));
        }
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("attendant ws");
        let mut ws = Ws::new(stream);
        ws.send(hello).await;
        ws.welcome = ws.expect("welcome").await;
        ws
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

/// A WebSocket client that keeps frames it was not asked for yet.
pub(crate) struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pending: VecDeque<Value>,
    pub(crate) welcome: Value,
}

impl Ws {
    fn new(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            stream,
            pending: VecDeque::new(),
            welcome: Value::Null,
        }
    }

    pub(crate) async fn send(&mut self, frame: Value) {
        self.send_raw(frame.to_string()).await;
    }

    pub(crate) async fn send_raw(&mut self, text: String) {
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// Next application frame, or `None` when the socket closed.
    async fn read(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for a frame")?;
            match message {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).expect("json frame"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next frame, kept ones first; panics when the socket closed.
    pub(crate) async fn next(&mut self) -> Value {
        if let Some(frame) = self.pending.pop_front() {
            return frame;
        }
        self.read().await.expect("socket closed")
    }

    /// Waits for the first frame matching `pred` (earlier non-matching frames are kept).
    pub(crate) async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("present");
        }
        loop {
            match self.read().await {
                Some(frame) if pred(&frame) => return frame,
                Some(frame) => self.pending.push_back(frame),
                None => panic!(
                    "socket closed while waiting for {what}; got {:?}",
                    self.pending
                ),
            }
        }
    }

    pub(crate) async fn expect(&mut self, kind: &str) -> Value {
        self.wait_for(kind, |f| f["type"] == kind).await
    }

    /// Sends a message and waits for its ack; returns the ack.
    pub(crate) async fn say(&mut self, conversation: &str, text: &str) -> Value {
        let client_id = Uuid::new_v4().to_string();
        self.send(json!({"type": "send", "conversation": conversation, "client_id": client_id, "text": text}))
            .await;
        self.wait_for("ack", |f| {
            f["type"] == "ack" && f["client_id"] == client_id.as_str()
        })
        .await
    }

    /// Reads until the server closes the socket; returns the close frame's code (`None`
    /// when it closed without one). Fails after [`WAIT`].
    pub(crate) async fn closed(&mut self) -> Option<u16> {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for the server to close the socket");
            match message {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(Message::Text(text))) => {
                    if let Ok(frame) = serde_json::from_str(&text) {
                        self.pending.push_back(frame);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Frames received and not asked for yet.
    pub(crate) fn pending_frames(&self) -> &VecDeque<Value> {
        &self.pending
    }

    /// Whether the socket still answers: a `ping` frame gets its `pong`.
    pub(crate) async fn answers(&mut self) -> bool {
        let nonce = rand_nonce();
        self.send(json!({"type": "ping", "nonce": nonce})).await;
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for a pong");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).expect("json frame");
                    if frame["type"] == "pong" && frame["nonce"] == nonce {
                        return true;
                    }
                    self.pending.push_back(frame);
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return false,
                Some(Ok(_)) => {}
            }
        }
    }

    pub(crate) async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

fn rand_nonce() -> u64 {
    u64::from(Uuid::new_v4().as_fields().0)
}

/// Starts a chat as a customer and returns the conversation id.
pub(crate) async fn start_chat(customer: &mut Ws) -> String {
    customer.send(json!({"type": "start_chat"})).await;
    let frame = customer
        .wait_for("conversation", |f| f["type"] == "conversation")
        .await;
    frame["conversation"]["id"].as_str().expect("id").to_owned()
}

/// Waits for the chat message with `seq` on `ws`.
#[allow(dead_code)] // used by the tests that include this file, not all of them
pub(crate) async fn message_seq(ws: &mut Ws, seq: u64) -> Value {
    ws.wait_for(&format!("message {seq}"), |f| {
        f["type"] == "message" && f["message"]["seq"] == seq
    })
    .await
}

/// How long a test waits for a server process to log something.
const LOG_WAIT: Duration = Duration::from_secs(30);

/// A server process's JSON log, kept as it arrives, so a test waits on what the server says
/// rather than on time.
#[derive(Clone, Debug)]
#[allow(dead_code)] // used by the tests that include this file, not all of them
pub(crate) struct ServerLog {
    lines: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    count: tokio::sync::watch::Receiver<usize>,
}

#[allow(dead_code)] // used by the tests that include this file, not all of them
impl ServerLog {
    /// Where the log is now: [`Self::wait`] after it ignores what came before.
    pub(crate) fn mark(&self) -> usize {
        *self.count.borrow()
    }

    fn find(&self, after: usize, says: &impl Fn(&Value) -> bool) -> Option<Value> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().skip(after).find(|l| says(l)).cloned()
    }

    /// The `fields` of the first entry after `after` whose `fields` satisfy `says`
    /// (`fields.message` is the message); fails after [`LOG_WAIT`].
    pub(crate) async fn wait(
        &self,
        after: usize,
        what: &str,
        says: impl Fn(&Value) -> bool,
    ) -> Value {
        let says = |entry: &Value| says(&entry["fields"]);
        let mut count = self.count.clone();
        let seen = tokio::time::timeout(
            LOG_WAIT,
            count.wait_for(|_| self.find(after, &says).is_some()),
        )
        .await;
        assert!(
            matches!(seen, Ok(Ok(_))),
            "the server did not log {what} within {LOG_WAIT:?}"
        );
        self.find(after, &says).expect("just seen")["fields"].clone()
    }

    /// The first entry after `after` with this message.
    pub(crate) async fn said(&self, after: usize, message: &str) -> Value {
        self.wait(after, message, |f| f["message"] == message).await
    }
}

/// Starts `command` (a `chimpassist serve … --log-json`, its output piped) and reads its log
/// until it says where it listens; then keeps reading it into a [`ServerLog`] (so the process
/// never blocks on a full pipe), showing it on stderr, prefixed by the port, when `TEST_LOG` is
/// set.
#[allow(dead_code)] // used by the tests that include this file, not all of them
pub(crate) async fn spawn_listening(
    command: &mut tokio::process::Command,
) -> (tokio::process::Child, u16, ServerLog) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn chimpassist");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port = loop {
        let line = lines
            .next_line()
            .await
            .expect("read log")
            .expect("the server exited before listening");
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if entry["fields"]["message"] == "chimpassist listening" {
            break u16::try_from(entry["fields"]["port"].as_u64().expect("port")).expect("a port");
        }
    };
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (count_tx, count) = tokio::sync::watch::channel(0);
    let log = ServerLog {
        lines: std::sync::Arc::clone(&kept),
        count,
    };
    let show = std::env::var_os("TEST_LOG").is_some();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if show {
                eprintln!("[{port}] {line}");
            }
            if let Ok(entry) = serde_json::from_str::<Value>(&line) {
                let n = {
                    let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
                    kept.push(entry);
                    kept.len()
                };
                count_tx.send_replace(n);
            }
        }
    });
    (child, port, log)
}
