//! A site's own bot answering first: the queue's bot greets the visitor in the widget (named
//! as a bot), the desk sees the conversation waiting with the bot, and when the visitor asks
//! for a person the bot hands over and an attendant takes it, the bot's words in the thread.
//!
//! The bot is the site's side, as a site would write it: an HTTP endpoint that takes the
//! server's webhooks and answers through the REST API with an API token.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chimpassist_e2e::{ADMIN_PASSWORD, Browser, ChimpServer, HostPage, snippet};
use serde_json::{Value, json};

use crate::support::*;

const GREETING: &str = "Hi, I am the shop's bot. Type \"person\" to talk to someone.";

/// The site's bot: what it needs to answer.
struct Bot {
    server: String,
    token: String,
    http: reqwest::Client,
}

impl Bot {
    async fn call(&self, path: String, body: Value) {
        let answer = self
            .http
            .post(format!("{}{path}", self.server))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("the bot's call");
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
    }
}

/// Greets each new conversation; hands it over when the visitor asks for a person.
async fn on_event(State(bot): State<Arc<Bot>>, body: String) -> StatusCode {
    let event: Value = serde_json::from_str(&body).expect("a webhook's JSON");
    let data = &event["data"];
    match event["type"].as_str() {
        Some("conversation.created") => {
            let id = data["conversation"]["id"].as_str().unwrap_or_default();
            bot.call(
                format!("/api/conversations/{id}/messages"),
                json!({"text": GREETING}),
            )
            .await;
        }
        Some("message.created")
            if data["sender"]["party"] == "customer"
                && data["text"].as_str().is_some_and(|t| t.contains("person")) =>
        {
            let id = data["conversation_id"].as_str().unwrap_or_default();
            bot.call(
                format!("/api/conversations/{id}/messages"),
                json!({"text": "Passing you to a person now."}),
            )
            .await;
            bot.call(format!("/api/conversations/{id}/handoff"), json!({}))
                .await;
        }
        _ => {}
    }
    StatusCode::NO_CONTENT
}

async fn admin_post(server: &ChimpServer, cookie: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .request(
            if path.starts_with("/api/queues") {
                reqwest::Method::PUT
            } else {
                reqwest::Method::POST
            },
            server.url(path),
        )
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .expect("an admin call");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_answers_first_and_hands_the_visitor_to_an_attendant() {
    let server = ChimpServer::start_with(|c| {
        c.webhook_allow_private_destinations = true;
        c.webhook_poll_ms = 50;
    })
    .await;
    let cookie = chimpassist_e2e::admin_cookie(&server).await;
    admin_post(
        &server,
        &cookie,
        "/api/queues/default",
        json!({"id": "default", "name": "Default", "mode": "auto",
               "bot": {"name": "Chimpbot", "timeout_secs": 600}}),
    )
    .await;
    let token = admin_post(
        &server,
        &cookie,
        "/api/tokens",
        json!({"name": "Shop bot", "scopes": ["messages:write", "conversations:manage"]}),
    )
    .await;
    let bot = Arc::new(Bot {
        server: server.url(""),
        token: token["secret"].as_str().expect("the token").to_owned(),
        http: reqwest::Client::new(),
    });
    let site =
        HostPage::serve_router(Router::new().route("/bot", post(on_event)).with_state(bot)).await;
    admin_post(
        &server,
        &cookie,
        "/api/webhooks",
        json!({"url": site.url("/bot"), "events": ["conversation.created", "message.created"]}),
    )
    .await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    go_online(&office).await;

    // The visitor starts a chat: the bot greets them, named as a bot; no queue line.
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Maria", "Where is my order?").await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", "Type \"person\"")
        .await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-bot", "Chimpbot · bot")
        .await;
    customer.wait_shadow_text(W, ".ca-header", "Chimpbot").await;
    assert!(
        !customer.shadow_query(W, ".ca-queue").await,
        "no queue line while the bot answers"
    );
    customer.screenshot("widget-bot").await;
    // The desk sees it waiting with the bot, not offered to anyone.
    office.wait_for("[data-testid=bot-tag]").await;

    // The visitor asks for a person: the bot hands over, the attendant gets it.
    customer
        .shadow_send_keys(
            W,
            ".ca-composer textarea",
            &format!("A person, please{}", enter()),
        )
        .await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Maria")
        .await;
    office.wait_text(".ba-msg-name", "Chimpbot · bot").await;
    office
        .wait_text(".ba-msg .ba-text", "Passing you to a person")
        .await;
    office.screenshot("backoffice-bot").await;
    office
        .type_into(
            "[data-testid=composer]",
            &format!("Hello Maria, I am here.{}", enter()),
        )
        .await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", "Hello Maria, I am here.")
        .await;
    customer
        .wait_shadow_text(W, ".ca-header", "Administrator")
        .await;
    customer.close().await;
    office.close().await;
}
