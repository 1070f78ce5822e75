//! The real chat server, in-process, on a free port with a fresh data directory, serving the
//! widget from the repository's `dist/` (like `server/tests/api/helpers.rs`, plus assets and
//! restarts on the same port).

use std::path::{Path, PathBuf};

use chimpassist_server::config::Config;
use chimpassist_server::startup::Application;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::WAIT;

const NOT_BUILT: &str =
    "widget assets are not built: run `cargo xtask test` (or `cargo xtask widget`)";

/// A running chat server.
#[derive(Debug)]
pub struct ChimpServer {
    port: u16,
    /// The configuration it runs with; `port` is the bound one, so a restart reuses it.
    config: Config,
    /// The embedded database; lives as long as the server value, across restarts.
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// The repository's `dist/` (the server's `assets_dir`).
pub fn assets_dir() -> PathBuf {
    crate::repo_root().join("dist")
}

/// True when `cargo xtask widget` has written `dist/widget/widget.js`.
pub fn widget_built() -> bool {
    assets_dir().join("widget").join("widget.js").is_file()
}

impl ChimpServer {
    /// Starts with the default test settings. Panics if the widget is not built.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts after `tweak` adjusted the settings. Panics if the widget is not built.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        assert!(widget_built(), "{NOT_BUILT}");
        Self::start_without_widget_with(tweak).await
    }

    /// Starts even when `dist/` holds no widget (`/widget.js` then answers 404): for tests
    /// of the harness itself and of the API alone.
    pub async fn start_without_widget() -> Self {
        Self::start_without_widget_with(|_| {}).await
    }

    /// [`ChimpServer::start_without_widget`] with adjusted settings.
    pub async fn start_without_widget_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("chimpassist-e2e-data-")
            .tempdir()
            .expect("data directory");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let (port, stop, task) = launch(config.clone()).await;
        config.port = port;
        Self {
            port,
            config,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The bound port (the same after [`ChimpServer::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:{port}`: what the widget's `backendEndpoint` is set to.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// `ws://127.0.0.1:{port}{path}`.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// The embedded database's directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The settings the server runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Stops gracefully (WebSockets are closed with 1001, writes are flushed) and starts
    /// again with the same settings, data directory and port, so open pages reconnect.
    pub async fn restart(&mut self) {
        self.shutdown().await;
        self.resume().await;
    }

    /// Stops gracefully but keeps the port and data for [`ChimpServer::resume`]: clients see
    /// the server gone for as long as the test wants.
    pub async fn pause(&mut self) {
        self.shutdown().await;
    }

    /// Starts again after [`ChimpServer::pause`], on the same port and data directory.
    pub async fn resume(&mut self) {
        let (port, stop, task) = launch(self.config.clone()).await;
        assert_eq!(port, self.port, "the restarted server must keep its port");
        self.stop = Some(stop);
        self.task = Some(task);
    }

    /// Stops gracefully and waits until every write is on disk.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("the server stops within the wait limit")
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }
}

impl Drop for ChimpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn test_config(dir: &Path) -> Config {
    let mut config = Config::from_env_defaults();
    config.host = "127.0.0.1".parse().expect("loopback");
    config.port = 0;
    config.data_dir = dir.to_path_buf();
    config.assets_dir = assets_dir();
    config.log = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into());
    // Both browsers and the test's own clients are on 127.0.0.1.
    config.lift_network_limits();
    config
}

async fn launch(config: Config) -> (u16, oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>) {
    chimpassist_server::telemetry::init(&config.log, false);
    let app = Application::build(config)
        .await
        .expect("the chat server builds");
    let port = app.port();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    (port, stop, task)
}
