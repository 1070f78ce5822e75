//! A `chimpassist serve` process and its JSON log, for the tests that run real processes.

use std::time::Duration;

use serde_json::Value;

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

    /// The `fields` of every entry so far after `after` that satisfies `says`.
    pub(crate) fn entries(&self, after: usize, says: impl Fn(&Value) -> bool) -> Vec<Value> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines
            .iter()
            .skip(after)
            .filter(|l| says(&l["fields"]))
            .map(|l| l["fields"].clone())
            .collect()
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
