//! What the server's benchmark commands share: their `--name N` settings, a server's
//! settings on loopback with the embedded store, and how numbers are read out. Each example
//! includes this file (`#[path = "support/mod.rs"] mod support;`) and uses what it needs.

use std::path::Path;
use std::time::Duration;

use chimpassist_server::config::Config;

/// `--name N`, else `default`.
pub(crate) fn setting(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    let flag = format!("--{name}");
    args.iter()
        .position(|a| *a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(default)
}

/// The value at fraction `p` of `sorted` (nearest index); zero for an empty list.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Signs in as `admin` with `password` on the server at `port`; answers the session cookie
/// (`chimp_session=…`) to send with each request.
pub(crate) async fn admin_cookie(
    http: &reqwest::Client,
    port: u16,
    password: &str,
) -> anyhow::Result<String> {
    let login = http
        .post(format!("http://127.0.0.1:{port}/api/login"))
        .json(&serde_json::json!({"email": "admin", "password": password}))
        .send()
        .await?;
    anyhow::ensure!(
        login.status() == 200,
        "login: {} {}",
        login.status(),
        login.text().await.unwrap_or_default()
    );
    login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("chimp_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no session cookie"))
}

/// A server on 127.0.0.1 (a port of the system's choosing), the embedded store in `dir`, no
/// logs: the example sets whatever else it measures.
pub(crate) fn local_config(dir: &Path) -> anyhow::Result<Config> {
    let mut config = Config::from_env_defaults();
    config.host = "127.0.0.1".parse()?;
    config.port = 0;
    config.data_dir = dir.to_path_buf();
    config.mongo_connection_url = None;
    config.log = "off".into();
    Ok(config)
}
