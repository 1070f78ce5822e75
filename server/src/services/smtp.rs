//! A real SMTP server for tests: aiosmtpd (PyPI; `cargo xtask setup` installs it in
//! `target/tools/aiosmtpd`) on a free local port, printing every message it accepts (its
//! `Debugging` handler) to a pipe this side reads as it comes, so a test waits on a mail's
//! arrival, not on time. It can be stopped and started again on the same port, as an SMTP
//! outage. It never outlives the tests ([`Watched`]).

use std::io::BufRead as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::watched::{self, Watched, free_port};

/// Environment variable naming a Python with aiosmtpd installed, to run instead of the one
/// setup installs.
pub const BINARY_ENV: &str = "CHIMPASSIST_AIOSMTPD_PYTHON";

/// How long [`Smtp::wait_for`] waits for mail.
const WAIT: Duration = Duration::from_secs(20);

/// What the `Debugging` handler prints around each message.
const MESSAGE_FOLLOWS: &str = "---------- MESSAGE FOLLOWS ----------";
const END_MESSAGE: &str = "------------ END MESSAGE ------------";

/// A running (or stopped) SMTP server and what it received.
#[derive(Debug)]
pub struct Smtp {
    port: u16,
    python: PathBuf,
    /// The server's log (its standard error); deleted on drop.
    dir: tempfile::TempDir,
    server: Option<Watched>,
    /// Every message received, across restarts, oldest first.
    received: Arc<Mutex<Vec<Received>>>,
    /// How many there are: [`Smtp::wait_for`] waits on its changes.
    count: watch::Receiver<usize>,
    counter: Arc<watch::Sender<usize>>,
}

/// One message as received (RFC 5322 text).
#[derive(Debug, Clone)]
pub struct Received(pub String);

impl Received {
    /// A header's value (the first one), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self
            .0
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .replace("\r\n", "\n");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = head.lines().peekable();
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_owned();
                while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                }
                return Some(value);
            }
        }
        None
    }

    /// The text/plain part, decoded from quoted-printable or base64 if need be.
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    /// The text/html part, decoded.
    pub fn html(&self) -> String {
        self.part("text/html")
    }

    fn part(&self, kind: &str) -> String {
        let raw = self.0.replace("\r\n", "\n");
        let Some(start) = raw.find(&format!("Content-Type: {kind}")) else {
            return String::new();
        };
        let part = &raw[start..];
        let (head, body) = part.split_once("\n\n").unwrap_or((part, ""));
        // The part ends at the next boundary line (`--` and the multipart's boundary).
        let boundary = raw
            .split_once("boundary=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(b, _)| format!("\n--{b}"));
        let body = match &boundary {
            Some(b) => body.split(b.as_str()).next().unwrap_or_default(),
            None => body,
        };
        let lower = head.to_ascii_lowercase();
        if lower.contains("content-transfer-encoding: base64") {
            base64_decode(&body.replace('\n', ""))
        } else if lower.contains("content-transfer-encoding: quoted-printable") {
            quoted_printable(body)
        } else {
            body.to_owned()
        }
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64_decode(raw: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

impl Smtp {
    /// An SMTP server on `127.0.0.1` that accepts every message (no TLS, no login).
    pub async fn start() -> Result<Self, String> {
        let python = watched::binary(
            BINARY_ENV,
            &[concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/tools/aiosmtpd/bin/python"
            )],
            "python3",
            "run `cargo xtask setup` (it installs aiosmtpd from PyPI)",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("smtp-test-")
            .tempdir()
            .map_err(|e| format!("creating a directory for the SMTP server: {e}"))?;
        let (counter, count) = watch::channel(0);
        let mut smtp = Self {
            port: free_port()?,
            python,
            dir,
            server: None,
            received: Arc::default(),
            count,
            counter: Arc::new(counter),
        };
        smtp.resume().await?;
        Ok(smtp)
    }

    /// Starts it again on its port after [`Smtp::stop`].
    pub async fn resume(&mut self) -> Result<(), String> {
        // `-u`: unbuffered, so each message reaches the pipe as the server accepts it.
        let args = [
            "-u".to_owned(),
            "-m".to_owned(),
            "aiosmtpd".to_owned(),
            "-n".to_owned(),
            "-l".to_owned(),
            format!("127.0.0.1:{}", self.port),
            "-c".to_owned(),
            "aiosmtpd.handlers.Debugging".to_owned(),
            "stdout".to_owned(),
        ];
        let log = self.dir.path().join("aiosmtpd.log");
        let (server, stdout) =
            Watched::start_piped("aiosmtpd", &self.python, args, log, self.port).await?;
        let (received, counter) = (Arc::clone(&self.received), Arc::clone(&self.counter));
        // Ends when the server exits and the pipe closes.
        std::thread::spawn(move || read_messages(stdout, &received, &counter));
        self.server = Some(server);
        Ok(())
    }

    /// Stops the server (connections are refused until [`Smtp::resume`]).
    pub async fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.stop().await;
        }
    }

    /// `smtp://127.0.0.1:<port>`, as `SMTP_URL` takes it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits (up to 20 s) until `n` messages have arrived, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let mut count = self.count.clone();
        let arrived = tokio::time::timeout(WAIT, count.wait_for(|c| *c >= n)).await;
        let received = self.received();
        assert!(
            matches!(arrived, Ok(Ok(_))),
            "{} of {n} mails arrived within {WAIT:?}",
            received.len()
        );
        received
    }
}

/// Reads what the `Debugging` handler prints: each message between its two markers, after
/// the lines about the envelope's options (up to the first blank line) when there are some.
fn read_messages(
    stdout: std::process::ChildStdout,
    received: &Mutex<Vec<Received>>,
    counter: &watch::Sender<usize>,
) {
    let mut message: Option<Vec<String>> = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { return };
        match (&mut message, line.as_str()) {
            (None, MESSAGE_FOLLOWS) => message = Some(Vec::new()),
            (Some(lines), END_MESSAGE) => {
                let mut lines = std::mem::take(lines);
                message = None;
                if lines.first().is_some_and(|l| {
                    l.starts_with("mail options:") || l.starts_with("rcpt options:")
                }) {
                    let blank = lines.iter().position(String::is_empty).unwrap_or(0);
                    lines.drain(..=blank);
                }
                let n = {
                    let mut all = received.lock().unwrap_or_else(|p| p.into_inner());
                    all.push(Received(lines.join("\n")));
                    all.len()
                };
                counter.send_replace(n);
            }
            (Some(lines), _) => lines.push(line),
            (None, _) => {}
        }
    }
}
