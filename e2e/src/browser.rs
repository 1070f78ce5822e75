//! A headless Chromium session over WebDriver, with helpers that reach into shadow roots.
//!
//! The widget renders inside an open shadow root attached to its host element (`#chimpassist`
//! unless `containerEl` says otherwise). Plain CSS locators do not pierce shadow roots, so the
//! `shadow_*` helpers take two selectors: the host's (in the document) and the inner one (in
//! the host's shadow root). Clicks and keystrokes go through WebDriver for real (the element
//! is found through WebDriver's *Get Element Shadow Root*), so focus, hit testing and keyboard
//! handling behave as they do for a person; only [`Browser::shadow_type`] sets a value
//! through JavaScript, for when the keystrokes themselves do not matter.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::WAIT;
use crate::driver::Driver;

/// The browser binary (Debian's `chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";
/// Longest the `Drop` safety net waits for chromedriver to end a session.
const DROP_DELETE_TIMEOUT: Duration = Duration::from_secs(20);

/// WebDriver's key for an element reference in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// An asynchronous script that waits *inside the page* for `body` (a function body reading
/// `arguments`) to return something truthy, and resolves with it.
///
/// Why in the page: it re-evaluates the condition when something that could change it
/// happens — a DOM mutation in the document or any shadow root (the widget's), or a new
/// animation frame (for state outside the DOM, such as a variable a page script sets) — so a
/// wait ends on the frame where its condition becomes true, with no sleep anywhere. This is
/// how Playwright's `waitForFunction` works too. An exception counts as "not yet" and its
/// message is kept; after `timeout_ms` the script resolves with `{__timeout, __last}`.
fn wait_script(body: &str, timeout_ms: u128) -> String {
    format!(
        "const done = arguments[arguments.length - 1];          const args = Array.prototype.slice.call(arguments, 0, -1);          const check = () => {{ try {{ return (function () {{ {body} }}).apply(null, args); }}            catch (e) {{ return {{__error: String(e)}}; }} }};          const ok = (v) => !!v && !(typeof v === 'object' && '__error' in v);          let last = check();          if (ok(last)) {{ done(last); return; }}          const observers = []; const watched = new Set(); let finished = false; let timer;          const observe = (node) => {{ if (watched.has(node)) return; watched.add(node);            const o = new MutationObserver(recheck);            o.observe(node, {{subtree: true, childList: true, attributes: true, characterData: true}});            observers.push(o); }};          const observeAll = () => {{ observe(document);            for (const el of document.querySelectorAll('*')) if (el.shadowRoot) observe(el.shadowRoot); }};          function finish(v) {{ if (finished) return; finished = true;            observers.forEach((o) => o.disconnect()); clearTimeout(timer); done(v); }}          function recheck() {{ if (finished) return; observeAll(); last = check();            if (ok(last)) finish(last); }}          function frame() {{ if (finished) return; recheck(); requestAnimationFrame(frame); }}          observeAll(); requestAnimationFrame(frame);          timer = setTimeout(() => finish({{__timeout: true, __last: last}}), {timeout_ms});"
    )
}

/// Defines `host` and `root` (the host's shadow root, or `null`) from `arguments[0]`.
const SHADOW_PRELUDE: &str = "const host = document.querySelector(arguments[0]); \
     const root = host ? host.shadowRoot : null;";

/// One Chromium with a fresh profile, driven over the process's shared chromedriver.
///
/// Every method that talks to the browser panics with the failing step on error, as test
/// fixtures do. Call [`Browser::close`] at the end of a test; if the test panics first,
/// `Drop` ends the session anyway (see there).
#[derive(Debug)]
pub struct Browser {
    /// `None` once closed.
    client: Option<Client>,
    /// WebDriver session id, for the `Drop` safety net.
    session: String,
    driver_port: u16,
    /// The Chromium profile (`--user-data-dir`); removed after the session ends.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium (1280×800, headless) in a fresh profile.
    pub async fn new() -> Self {
        Self::with_args(&[]).await
    }

    /// Chromium with a fake camera and microphone that it grants without asking (the flags
    /// WPT uses), and WebRTC allowed on loopback with its host addresses shown (the machine has
    /// no other network): for calls.
    pub async fn with_fake_media() -> Self {
        Self::with_args(&[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ])
        .await
    }

    async fn with_args(extra: &[&str]) -> Self {
        let driver = Driver::shared().await.expect("starting chromedriver");
        let profile = tempfile::Builder::new()
            .prefix("chimpassist-e2e-profile-")
            .tempdir()
            .expect("profile directory");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,800".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ]
        .into_iter()
        .chain(extra.iter().map(|a| (*a).to_owned()))
        .collect::<Vec<_>>();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": CHROMIUM, "args": args}),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .expect("opening a WebDriver session in Chromium");
        let session = client
            .session_id()
            .await
            .expect("session id")
            .expect("chromedriver names its sessions");
        Self {
            client: Some(client),
            session,
            driver_port: driver.port(),
            _profile: profile,
        }
    }

    /// The underlying WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the browser is open")
    }

    /// Navigates and waits for the page's `load` event.
    pub async fn goto(&self, url: &str) {
        self.client()
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("navigating to {url}: {e}"));
    }

    /// Waits (up to [`WAIT`]) until an element of the document matches `css`.
    pub async fn wait_for(&self, css: &str) -> Element {
        let what = format!("`{css}`");
        let found = self
            .poll(
                &what,
                "return document.querySelector(arguments[0]);",
                vec![json!(css)],
            )
            .await;
        match found.get(ELEMENT_KEY).and_then(Value::as_str) {
            Some(id) => Element::from_element_id(self.client().clone(), id.to_owned().into()),
            None => panic!("waiting for {what} returned no element: {found}"),
        }
    }

    /// Waits (up to [`WAIT`]) until the JavaScript expression `predicate` is truthy. An
    /// expression that throws counts as false (the last error is reported on timeout).
    pub async fn wait_until(&self, predicate: &str) {
        self.poll(predicate, &format!("return Boolean({predicate});"), vec![])
            .await;
    }

    /// Evaluates the JavaScript expression `expression` and returns its JSON value.
    pub async fn eval(&self, expression: &str) -> Value {
        self.execute(&format!("return ({expression});"), vec![])
            .await
    }

    /// Runs a script body (use `return`; arguments are `arguments[0]`, …).
    pub async fn execute(&self, body: &str, args: Vec<Value>) -> Value {
        self.client()
            .execute(body, args)
            .await
            .unwrap_or_else(|e| panic!("running script `{body}`: {e}"))
    }

    /// URLs of every resource the page has fetched so far (Resource Timing; WebSockets are
    /// not listed). Used to check what the widget loads, and when.
    pub async fn resource_urls(&self) -> Vec<String> {
        let value = self
            .eval("performance.getEntriesByType('resource').map(e => e.name)")
            .await;
        serde_json::from_value(value).expect("a list of URLs")
    }

    /// Browser console entries logged since the previous call (chromedriver's log
    /// endpoint; each entry has `level`, `message`, `timestamp`).
    pub async fn console_logs(&self) -> Vec<Value> {
        let value = self
            .client()
            .issue_cmd(BrowserLog)
            .await
            .expect("reading the browser log");
        match value {
            Value::Array(entries) => entries,
            other => panic!("unexpected browser log: {other}"),
        }
    }

    /// Saves a PNG of the viewport to `docs/screenshots/<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client()
            .screenshot()
            .await
            .expect("taking a screenshot");
        let dir = crate::repo_root().join("docs").join("screenshots");
        std::fs::create_dir_all(&dir).expect("creating docs/screenshots");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Resizes the window so that the *viewport* (`innerWidth`×`innerHeight`) is
    /// `width`×`height`, e.g. 375×667 for a phone.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client()
            .set_window_size(width, height)
            .await
            .expect("resizing the window");
        let inner = self.eval("[window.innerWidth, window.innerHeight]").await;
        let (inner_w, inner_h) = (
            inner[0].as_u64().unwrap_or(u64::from(width)),
            inner[1].as_u64().unwrap_or(u64::from(height)),
        );
        let chrome_w = u64::from(width).saturating_sub(inner_w);
        let chrome_h = u64::from(height).saturating_sub(inner_h);
        if chrome_w > 0 || chrome_h > 0 {
            let outer_w = u32::try_from(u64::from(width) + chrome_w).expect("window width");
            let outer_h = u32::try_from(u64::from(height) + chrome_h).expect("window height");
            self.client()
                .set_window_size(outer_w, outer_h)
                .await
                .expect("resizing the window");
        }
        self.wait_until(&format!(
            "window.innerWidth === {width} && window.innerHeight === {height}"
        ))
        .await;
    }

    /// True when `inner` matches inside the shadow root of `host` right now.
    pub async fn shadow_query(&self, host: &str, inner: &str) -> bool {
        let body = format!("{SHADOW_PRELUDE} return !!(root && root.querySelector(arguments[1]));");
        self.execute(&body, vec![json!(host), json!(inner)]).await == Value::Bool(true)
    }

    /// How many elements match `inner` inside the shadow root of `host` right now.
    pub async fn shadow_count(&self, host: &str, inner: &str) -> usize {
        let body = format!(
            "{SHADOW_PRELUDE} return root ? root.querySelectorAll(arguments[1]).length : 0;"
        );
        let count = self.execute(&body, vec![json!(host), json!(inner)]).await;
        count
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .expect("a count")
    }

    /// Waits (up to [`WAIT`]) for the shadow root of `host`.
    pub async fn shadow(&self, host: &str) -> ShadowRoot {
        let body = format!("{SHADOW_PRELUDE} return !!root;");
        self.poll(
            &format!("shadow root of `{host}`"),
            &body,
            vec![json!(host)],
        )
        .await;
        let element = self
            .client()
            .find(Locator::Css(host))
            .await
            .unwrap_or_else(|e| panic!("finding `{host}`: {e}"));
        element
            .shadow_root()
            .await
            .unwrap_or_else(|e| panic!("shadow root of `{host}`: {e}"))
    }

    /// Waits (up to [`WAIT`]) until `inner` matches inside the shadow root of `host`; returns
    /// the first match as a WebDriver element (so it can be clicked, typed into, …).
    pub async fn wait_shadow(&self, host: &str, inner: &str) -> Element {
        let what = format!("`{inner}` in the shadow root of `{host}`");
        let body = format!("{SHADOW_PRELUDE} return root && root.querySelector(arguments[1]);");
        // The script returns the element itself, as a WebDriver reference.
        let found = self
            .poll(&what, &body, vec![json!(host), json!(inner)])
            .await;
        match found.get(ELEMENT_KEY).and_then(Value::as_str) {
            Some(id) => Element::from_element_id(self.client().clone(), id.to_owned().into()),
            None => panic!("waiting for {what} returned no element: {found}"),
        }
    }

    /// Waits (up to [`WAIT`]) until nothing matches `inner` inside the shadow root of `host`
    /// (or `host` or its shadow root is gone).
    pub async fn wait_shadow_gone(&self, host: &str, inner: &str) {
        let body = format!("{SHADOW_PRELUDE} return !(root && root.querySelector(arguments[1]));");
        self.poll(
            &format!("`{inner}` to leave the shadow root of `{host}`"),
            &body,
            vec![json!(host), json!(inner)],
        )
        .await;
    }

    /// Waits (up to [`WAIT`]) until an element matching `inner` inside the shadow root of
    /// `host` has `needle` in its rendered text.
    pub async fn wait_shadow_text(&self, host: &str, inner: &str, needle: &str) {
        let body = format!(
            "{SHADOW_PRELUDE} return !!root && Array.from(root.querySelectorAll(arguments[1])) \
             .some(el => el.innerText.includes(arguments[2]));"
        );
        self.poll(
            &format!("{needle:?} in `{inner}` in the shadow root of `{host}`"),
            &body,
            vec![json!(host), json!(inner), json!(needle)],
        )
        .await;
    }

    /// Rendered text (`innerText`) of the first match of `inner` in the shadow root of `host`,
    /// once it exists.
    pub async fn shadow_text(&self, host: &str, inner: &str) -> String {
        self.wait_shadow(host, inner).await;
        let body = format!(
            "{SHADOW_PRELUDE} const el = root && root.querySelector(arguments[1]); \
             return el ? el.innerText : null;"
        );
        match self.execute(&body, vec![json!(host), json!(inner)]).await {
            Value::String(text) => text,
            other => panic!("`{inner}` in `{host}` vanished while reading its text: {other}"),
        }
    }

    /// Rendered text of every match of `inner` in the shadow root of `host` right now.
    pub async fn shadow_texts(&self, host: &str, inner: &str) -> Vec<String> {
        let body = format!(
            "{SHADOW_PRELUDE} return root ? Array.from(root.querySelectorAll(arguments[1])) \
             .map(el => el.innerText) : [];"
        );
        let texts = self.execute(&body, vec![json!(host), json!(inner)]).await;
        serde_json::from_value(texts).expect("a list of strings")
    }

    /// Clicks (a real WebDriver click) the first match of `inner` in the shadow root of
    /// `host`, once it exists.
    pub async fn shadow_click(&self, host: &str, inner: &str) {
        self.wait_shadow(host, inner)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{inner}` in `{host}`: {e}"));
    }

    /// Types real keystrokes into the first match of `inner` in the shadow root of `host`,
    /// once it exists. Append `Key::Enter` (`char::from(Key::Enter)`) to press Enter.
    pub async fn shadow_send_keys(&self, host: &str, inner: &str, text: &str) {
        self.wait_shadow(host, inner)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into `{inner}` in `{host}`: {e}"));
    }

    /// Sets the `value` of the first match of `inner` in the shadow root of `host` (once it
    /// exists) and dispatches an `input` event, without keystrokes.
    pub async fn shadow_type(&self, host: &str, inner: &str, text: &str) {
        self.wait_shadow(host, inner).await;
        let body = format!(
            "{SHADOW_PRELUDE} const el = root && root.querySelector(arguments[1]); \
             if (!el) return false; el.focus(); el.value = arguments[2]; \
             el.dispatchEvent(new Event('input', {{bubbles: true, composed: true}})); \
             return true;"
        );
        let done = self
            .execute(&body, vec![json!(host), json!(inner), json!(text)])
            .await;
        assert_eq!(done, Value::Bool(true), "`{inner}` in `{host}` vanished");
    }

    /// Goes to `url` (a host page with the widget's snippet), opens the widget through its
    /// bubble and waits until the chat is connected.
    pub async fn open_widget(&self, url: &str) {
        const W: &str = "#chimpassist";
        self.goto(url).await;
        self.shadow_click(W, "button.b").await;
        self.wait_shadow(W, ".ca-panel.open").await;
        self.wait_shadow(W, ".ca-conn.online").await;
    }

    /// Ends the WebDriver session, which quits Chromium.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take()
            && let Err(e) = client.close().await
        {
            eprintln!("closing the browser session failed ({e}); deleting it directly");
            self.delete_session_blocking();
        }
    }

    /// Waits in the page (see [`wait_script`]) until `body` returns something truthy, and
    /// returns it; panics after [`WAIT`] saying what was awaited.
    async fn poll(&self, what: &str, body: &str, args: Vec<Value>) -> Value {
        let script = wait_script(body, WAIT.as_millis());
        let value = self
            .client()
            .execute_async(&script, args)
            .await
            .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
        if value.get("__timeout").is_some() {
            let detail = match value["__last"].get("__error") {
                Some(error) => format!(" (last error: {error})"),
                None => String::new(),
            };
            // What the page complained about is usually why it never got there.
            let console: Vec<String> = self
                .console_logs()
                .await
                .iter()
                .filter(|e| e["level"] != "DEBUG")
                .map(|e| e["message"].to_string())
                .collect();
            panic!(
                "timed out after {WAIT:?} waiting for {what}{detail}; page at {:?}; console: {console:#?}",
                self.client()
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            );
        }
        value
    }

    /// Ends the session with a plain blocking HTTP request to chromedriver; works without a
    /// tokio runtime (used from `Drop`).
    fn delete_session_blocking(&self) {
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n",
            self.session, self.driver_port
        );
        let result = (|| -> std::io::Result<()> {
            let address = SocketAddr::from(([127, 0, 0, 1], self.driver_port));
            let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
            stream.set_read_timeout(Some(DROP_DELETE_TIMEOUT))?;
            stream.set_write_timeout(Some(Duration::from_secs(2)))?;
            stream.write_all(request.as_bytes())?;
            // chromedriver answers once Chromium has quit. It keeps the connection open
            // despite `Connection: close`, so read just the one response.
            let mut response = Vec::new();
            let mut chunk = [0_u8; 1024];
            while !http_response_complete(&response) {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                response.extend_from_slice(&chunk[..n]);
            }
            Ok(())
        })();
        if let Err(e) = result {
            eprintln!("deleting WebDriver session {} failed: {e}", self.session);
        }
    }
}

/// Safety net for a test that panics (or forgets [`Browser::close`]): fantoccini would end
/// the session from a task on the test's runtime, but a panicking `#[tokio::test]` drops
/// that runtime right away, so the task never runs and Chromium would be orphaned. Here
/// the session is deleted with a blocking request that needs no runtime; it briefly
/// blocks one worker thread, which is fine in a test.
impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.delete_session_blocking();
            // fantoccini's own close request, if its task still runs, now finds no session.
            drop(client);
        }
    }
}

/// True once `response` holds a whole HTTP response with a `Content-Length` body.
fn http_response_complete(response: &[u8]) -> bool {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    response.len() >= end + 4 + length
}

/// chromedriver's (non-W3C) `POST /session/{id}/se/log` for the `browser` log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::http_response_complete;

    #[test]
    fn a_response_is_complete_once_its_body_arrived() {
        let whole =
            b"HTTP/1.1 200 OK\r\nContent-Length:14\r\nConnection:close\r\n\r\n{\"value\":null}";
        assert!(http_response_complete(whole));
        assert!(!http_response_complete(&whole[..whole.len() - 1]));
        assert!(!http_response_complete(b"HTTP/1.1 200 OK\r\nContent-Le"));
    }
}
