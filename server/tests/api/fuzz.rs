//! The API fuzzer: schemathesis (PyPI, installed by `cargo xtask setup` into
//! `target/tools/schemathesis`) reads `/api/openapi.json` and sends requests generated from it
//! — valid ones, and ones that break the document — to a real server, as an admin with a
//! customer token besides. Every answer must be no server error and conform to the document:
//! its status, content type, headers and body schema.
//!
//! Bounded and repeatable: a fixed number of cases per operation and a fixed seed
//! (`FUZZ_CASES`, `FUZZ_SEED` to change them).

use std::path::PathBuf;
use std::process::Stdio;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::helpers::*;

/// Cases generated per operation and phase.
const CASES: &str = "60";
const SEED: &str = "20261205";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

fn schemathesis() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/schemathesis/bin/st")
}

/// A statistics endpoint that answers every customer, so the proxy's routes are reached.
async fn statistics() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = Router::new().route(
        "/chimpassist/{customer}/{kind}",
        get(|| async { axum::Json(json!([{"label": "Orders", "value": "3"}])) }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://127.0.0.1:{port}/")
}

/// Runs schemathesis on `operations` (`--include-path-regex`) of `app` with `headers`;
/// returns its summary, or fails with its whole report.
async fn fuzz(app: &TestApp, operations: &str, headers: &[String]) -> String {
    let st = schemathesis();
    assert!(
        st.is_file(),
        "{} is missing: run `cargo xtask setup` (it installs schemathesis)",
        st.display()
    );
    let report = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(&st);
    command
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .args(["--checks", CHECKS])
        .args([
            "--max-examples",
            &std::env::var("FUZZ_CASES").unwrap_or(CASES.into()),
        ])
        .args(["--seed", &std::env::var("FUZZ_SEED").unwrap_or(SEED.into())])
        .args(["--include-path-regex", operations])
        .args([
            "--workers",
            "2",
            "--no-color",
            "--generation-database",
            "none",
        ])
        .args(["--request-timeout", "10"])
        .arg("--report-dir")
        .arg(report.path())
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(report.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for header in headers {
        command.args(["--header", header]);
    }
    let output = tokio::time::timeout(std::time::Duration::from_secs(300), command.output())
        .await
        .expect("schemathesis finished within 5 minutes")
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .filter(|l| l.contains("generated") || l.contains("Tested") || l.contains(" in "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_no_server_error_and_answers_the_document_describes() {
    let stats = statistics().await;
    let app = spawn_app_with(|c| {
        c.statistics_base_endpoint = Some(stats.parse().unwrap());
        c.identity_secret = Some("site-secret".to_owned().into());
    })
    .await;
    let admin = app.admin().await;
    // Something for the fuzzer to find: a conversation with a message, a note, a canned
    // response, a callback.
    let mut customer = app
        .customer(Some(json!({"id": "fuzz-1", "name": "Fuzz"})))
        .await;
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let conversation = start_chat(&mut customer).await;
    customer.say(&conversation, "hello").await;
    for (path, body) in [
        (
            format!("/api/conversations/{conversation}/notes"),
            json!({"text": "a note"}),
        ),
        (
            "/api/canned".to_owned(),
            json!({"shortcut": "hi", "text": "Hello!"}),
        ),
    ] {
        let created = app.post(&path, &admin, body).await;
        assert_eq!(created.status(), 201, "{path}");
    }
    let callback = app
        .post(
            "/api/callback",
            &Auth::None,
            json!({"name": "Ana", "phone": "+55 61 99676 8989"}),
        )
        .await;
    assert_eq!(callback.status(), 201);
    let Auth::Cookie(cookie) = &admin else {
        panic!("a cookie")
    };
    let headers = [
        format!("Cookie: {cookie}"),
        format!("Authorization: Bearer {token}"),
    ];
    // Everything but what ends the session the fuzzer acts with, and the statistics stream
    // (it never ends: a request timeout would be its success).
    let summary = fuzz(
        &app,
        "^/(?!api/logout$|api/me/password$|api/attendants/[^/]+/password$|api/stats/[^/]+/stream$).*",
        &headers,
    )
    .await;
    eprintln!("schemathesis, as an admin and a customer:\n{summary}");

    // Those, with a session of their own (each may end it).
    let (_, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let Auth::Cookie(bob) = &bob else {
        panic!("a cookie")
    };
    let summary = fuzz(
        &app,
        "^/(api/logout|api/me/password|api/attendants/[^/]+/password)$",
        &[format!("Cookie: {bob}")],
    )
    .await;
    eprintln!("schemathesis, the session's own routes:\n{summary}");
    // The server is still whole.
    let health: Value = app.get("/readyz", &Auth::None).await.json().await.unwrap();
    assert_eq!(health["status"], "ready");
}
