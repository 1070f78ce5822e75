//! A webhook event survives the server being killed between the change and its delivery.

use serde_json::json;

use crate::helpers::*;

async fn start(dir: &std::path::Path, poll_ms: &str) -> (tokio::process::Child, TestApp) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chimpassist"));
    command
        .args(["serve", "--port", "0", "--log-json", "--log", "info"])
        .arg("--data-dir")
        .arg(dir)
        .envs(UNTHROTTLED)
        .env("WEBHOOK_ALLOW_PRIVATE_DESTINATIONS", "true")
        .env("WEBHOOK_POLL_MS", poll_ms);
    let (child, port, _) = spawn_listening(&mut command).await;
    (child, TestApp::attached(port))
}

#[tokio::test]
async fn an_event_recorded_before_a_crash_is_delivered_after_the_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut receiver = Receiver::start().await;
    // First life: the dispatcher looks once at start and then only once a minute, so
    // the event below is stored but not yet sent when the process is killed.
    let (mut first, app) = start(dir.path(), "60000").await;
    let admin = app.admin().await;
    app.subscribe(&admin, &receiver, json!(["callback.requested"]))
        .await;
    let asked = app
        .post(
            "/api/callback",
            &Auth::None,
            json!({"name": "Ana", "phone": "+55 11 5555-0000"}),
        )
        .await;
    assert_eq!(asked.status(), 201, "stored, with its event");
    first.kill().await.expect("SIGKILL");
    let killed = std::time::Instant::now();

    let (_second, _) = start(dir.path(), "50").await;
    let delivered = receiver.next().await;
    assert!(delivered.at > killed, "sent by the second life");
    assert!(delivered.verified);
    assert_eq!(delivered.json()["type"], "callback.requested");
    assert_eq!(delivered.json()["data"]["name"], "Ana");
}
