//! Chimp Assist's REST side of the setup: log in as the default admin, create the
//! attendants, and log each one in for the session cookie its WebSocket needs.
//!
//! Each create and each login hashes or verifies an Argon2 password (tens of ms of CPU), so
//! they run a few at a time and are not part of any measured number.

use anyhow::{Context as _, bail};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;

/// Password of every benchmark attendant (the server wants at least 8 characters).
const PASSWORD: &str = "load-test-pass";
/// The first admin the load generator has the server create (`ADMIN_EMAIL`/`ADMIN_PASSWORD`),
/// so it does not print the default-account warning into the measured log.
pub(crate) const ADMIN_EMAIL: &str = "bench-admin@example.com";
pub(crate) const ADMIN_PASSWORD: &str = "bench-admin-pass";
/// REST calls in flight at once (two cores: more only queues on the Argon2 work).
const PARALLEL: usize = 2;

/// Creates `count` attendants holding `capacity` conversations each; returns their cookies.
pub(crate) async fn attendant_cookies(
    port: u16,
    count: usize,
    capacity: usize,
) -> anyhow::Result<Vec<String>> {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let admin = login(&client, &base, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .context("logging in as the first admin")?;
    futures_util::stream::iter(0..count)
        .map(|i| {
            let (client, base, admin) = (&client, &base, &admin);
            async move {
                let email = format!("load{i}@example.com");
                let response = client
                    .post(format!("{base}/api/attendants"))
                    .header("cookie", admin)
                    .json(&json!({
                        "email": email, "name": format!("Load {i}"),
                        "password": PASSWORD, "capacity": capacity,
                    }))
                    .send()
                    .await
                    .context("creating an attendant")?;
                if response.status().as_u16() != 201 {
                    bail!(
                        "creating attendant {i}: {} {}",
                        response.status(),
                        response.text().await.unwrap_or_default()
                    );
                }
                login(client, base, &email, PASSWORD).await
            }
        })
        .buffered(PARALLEL)
        .try_collect()
        .await
}

/// Logs in and returns the `chimp_session=…` cookie pair.
async fn login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .with_context(|| format!("logging in {email}"))?;
    if !response.status().is_success() {
        bail!("login of {email} answered {}", response.status());
    }
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("chimp_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .with_context(|| format!("login of {email} set no session cookie"))
}
