//! Bad input gets typed errors; the connection and the server keep working.

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn bad_frames_get_typed_errors_and_the_socket_keeps_working() {
    let app = spawn_app_with(|c| c.max_text_bytes = 100).await;
    let admin = app.admin().await;
    let _attendant = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;

    customer.send_raw("this is not json".into()).await;
    assert_eq!(customer.expect("error").await["code"], "malformed_json");
    customer.send(json!({"type": "launch_missiles"})).await;
    assert_eq!(customer.expect("error").await["code"], "unknown_type");
    customer
        .send(json!({"type": "send", "conversation": conversation, "text": "no id"}))
        .await;
    assert_eq!(customer.expect("error").await["code"], "missing_field");
    let long = json!({"type": "send", "conversation": conversation,
        "client_id": "0191e0a4-2222-7000-8000-000000000002", "text": "x".repeat(101)});
    customer.send(long).await;
    let error = customer.expect("error").await;
    assert_eq!(error["code"], "text_too_long");
    assert_eq!(
        error["client_id"], "0191e0a4-2222-7000-8000-000000000002",
        "the client learns which message failed"
    );
    customer
        .send_raw(format!(
            "{{\"type\":\"ping\",\"pad\":\"{}\"}}",
            "p".repeat(20_000)
        ))
        .await;
    assert_eq!(customer.expect("error").await["code"], "frame_too_large");
    customer.send(json!({"type": "hello", "protocol": 1})).await;
    assert_eq!(customer.expect("error").await["code"], "conflict");
    customer
        .send(json!({"type": "rate", "conversation": conversation, "rating": {"score": 9}}))
        .await;
    assert_eq!(customer.expect("error").await["code"], "invalid_field");

    // still fine
    let ack = customer.say(&conversation, "still here").await;
    assert_eq!(ack["seq"], 1);
}

#[tokio::test]
async fn the_first_frame_must_be_hello_with_our_version() {
    let app = spawn_app().await;
    let url = format!("ws://127.0.0.1:{}/ws/customer", app.port);
    let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut ws = WsRaw(stream);
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.next().await["code"], "hello_required");
    ws.send(json!({"type": "hello", "protocol": 99})).await;
    assert_eq!(ws.next().await["code"], "unsupported_version");
    ws.send(json!({"type": "hello", "protocol": 1})).await;
    assert_eq!(ws.next().await["type"], "welcome");
}

struct WsRaw(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl WsRaw {
    async fn send(&mut self, v: Value) {
        use futures_util::SinkExt;
        self.0
            .send(tokio_tungstenite::tungstenite::Message::Text(
                v.to_string().into(),
            ))
            .await
            .unwrap();
    }
    async fn next(&mut self) -> Value {
        use futures_util::StreamExt;
        loop {
            let m = tokio::time::timeout(WAIT, self.0.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                return serde_json::from_str(&t).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn a_flooding_client_is_rate_limited_and_others_are_unaffected() {
    let app = spawn_app_with(|c| c.rate_limit_per_second = 5).await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut flooder = app.customer(None).await;
    let mut calm = app.customer(None).await;
    let conversation = start_chat(&mut calm).await;
    attendant.expect("assigned").await;
    for i in 0..30 {
        flooder.send(json!({"type": "ping", "nonce": i})).await;
    }
    let limited = flooder
        .wait_for("rate limit", |f| {
            f["type"] == "error" && f["code"] == "rate_limited"
        })
        .await;
    assert!(limited["message"].as_str().unwrap().contains("slow down"));
    let ack = calm.say(&conversation, "I am not flooding").await;
    assert_eq!(ack["seq"], 1);
}

#[tokio::test]
async fn bad_rest_bodies_get_json_errors() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(app.url("/api/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "malformed_json");
    let missing = app
        .post("/api/login", &Auth::None, json!({"email": "admin"}))
        .await;
    assert_eq!(missing.status(), 400);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["code"],
        "missing_field"
    );
    let wrong = app
        .post(
            "/api/login",
            &Auth::None,
            json!({"email": "admin", "password": "nope"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["code"],
        "invalid_credentials"
    );
    let callback = app
        .post("/api/callback", &Auth::None, json!({"name": "Ana"}))
        .await;
    assert_eq!(callback.status(), 400);
    assert_eq!(
        callback.json::<Value>().await.unwrap()["code"],
        "missing_field"
    );
}
