//! What the back-office reads besides its socket: its configuration, conversation lists,
//! the attendant directory, and the details its list needs in `welcome` and `assigned`.

use chimpassist_server::config::UiLanguage;
use serde_json::{Value, json};

use crate::helpers::*;

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("json body");
    assert_eq!(status, 200, "{body}");
    body
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn the_backoffice_config_is_public_and_leaves_out_what_is_not_set() {
    let app = spawn_app_with(|c| c.max_text_bytes = 2000).await;

    let config = json_of(app.get("/config/backoffice", &Auth::None).await).await;
    assert_eq!(
        config,
        json!({
            "main_page_title": "Chimp Assist",
            "login_page_title": "Chimp Assist – Sign in",
            "max_text_bytes": 2000,
            "statistics_configured": false,
        })
    );

    let api = json_of(app.get("/api/openapi.json", &Auth::None).await).await;
    for path in [
        "/config/backoffice",
        "/api/attendants/directory",
        "/api/me/conversations",
        "/api/customers/{id}/conversations",
    ] {
        assert!(
            api["paths"][path]["get"].is_object(),
            "{path} not documented"
        );
    }
}

#[tokio::test]
async fn the_backoffice_config_carries_the_branding_and_the_forced_language() {
    let app = spawn_app_with(|c| {
        c.logo_small_url = Some("https://cdn.example.com/logo.svg".into());
        c.default_attendant_avatar_url = Some("https://cdn.example.com/agent.png".into());
        c.fav_icon_url = Some("/favicon.ico".into());
        c.main_page_title = "Acme Desk".into();
        c.login_page_title = "Acme Desk – Entrar".into();
        c.online_customers_label = Some("Na loja".into());
        // Blank counts as unset, so the back-office keeps its translated default.
        c.offline_customers_label = Some("  ".into());
        c.force_i18n_language = Some(UiLanguage::PtBr);
        c.statistics_base_endpoint = Some("http://127.0.0.1:9/".parse().expect("url"));
    })
    .await;

    let config = json_of(app.get("/config/backoffice", &Auth::None).await).await;
    assert_eq!(
        config,
        json!({
            "logo_small_url": "https://cdn.example.com/logo.svg",
            "default_attendant_avatar_url": "https://cdn.example.com/agent.png",
            "fav_icon_url": "/favicon.ico",
            "main_page_title": "Acme Desk",
            "login_page_title": "Acme Desk – Entrar",
            "online_customers_label": "Na loja",
            "force_language": "pt-BR",
            "max_text_bytes": 4096,
            "statistics_configured": true,
        })
    );
}

#[tokio::test]
async fn any_attendant_sees_enabled_colleagues_with_their_presence_in_the_directory() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (ann_id, ann_login) = app.create_attendant(&admin, "Ann", 2).await;
    let (ben_id, _) = app.create_attendant(&admin, "Ben", 2).await;
    let (cid_id, _) = app.create_attendant(&admin, "Cid", 2).await;
    let disabled = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{cid_id}"),
            &admin,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    let mut ann = app.attendant(&ann_login).await;
    ann.send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    ann.wait_for("away", |f| {
        f["type"] == "presence" && f["presence"] == "away"
    })
    .await;

    // Not an admin, and still allowed.
    let directory = json_of(app.get("/api/attendants/directory", &ann_login).await).await;
    assert_eq!(
        directory,
        json!([
            {"id": "admin", "name": "Administrator", "presence": "offline", "queues": ["default"]},
            {"id": ann_id, "name": "Ann", "presence": "away", "queues": ["default"]},
            {"id": ben_id, "name": "Ben", "presence": "offline", "queues": ["default"]},
        ])
    );
    assert_eq!(app.get("/api/attendants", &ann_login).await.status(), 403);
    let anonymous = app.get("/api/attendants/directory", &Auth::None).await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_customers_conversations_are_listed_newest_first_with_ratings_beside_the_proxy() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, ann_login) = app.create_attendant(&admin, "Ann", 2).await;
    let mut ann = app.attendant(&ann_login).await;
    let mut customer = app.customer(None).await;
    let customer_id = customer.welcome["customer"]["id"]
        .as_str()
        .expect("customer id")
        .to_owned();
    let first = start_chat(&mut customer).await;
    ann.expect("assigned").await;
    ann.send(json!({"type": "resolve", "conversation": first}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
    customer
        .send(json!({"type": "rate", "conversation": first, "rating": {"score": 4}}))
        .await;
    ann.wait_for("rating", |f| {
        f["type"] == "conversation" && f["conversation"]["rating"]["score"] == 4
    })
    .await;
    customer.send(json!({"type": "start_chat"})).await;
    let second = customer
        .wait_for("a new conversation", |f| {
            f["type"] == "conversation" && f["conversation"]["id"] != first.as_str()
        })
        .await["conversation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let path = format!("/api/customers/{customer_id}/conversations");
    let list = json_of(app.get(&path, &ann_login).await).await;
    assert_eq!(ids(&list), [second.as_str(), first.as_str()]);
    assert_eq!(list[1]["status"], "resolved");
    assert_eq!(list[1]["rating"]["score"], 4);
    assert_eq!(list[1]["attendant"]["name"], "Ann");
    assert_eq!(list[0]["customer_presence"], "active");
    let older = json_of(
        app.get(&format!("{path}?offset=1&limit=1"), &ann_login)
            .await,
    )
    .await;
    assert_eq!(ids(&older), [first.as_str()]);
    assert_eq!(app.get(&path, &Auth::None).await.status(), 401);

    // The statistics proxy still answers its kinds (none configured here) and only those.
    let contact = app
        .get(
            &format!("/api/customers/{customer_id}/contactInfo"),
            &ann_login,
        )
        .await;
    assert_eq!(contact.status(), 503);
    assert_eq!(
        contact.json::<Value>().await.expect("json")["code"],
        "not_configured"
    );
    let other = app
        .get(&format!("/api/customers/{customer_id}/orders"), &ann_login)
        .await;
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn my_conversations_include_resolved_ones_newest_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, ann_login) = app.create_attendant(&admin, "Ann", 2).await;
    let (_, ben_login) = app.create_attendant(&admin, "Ben", 2).await;
    let mut ann = app.attendant(&ann_login).await;
    let mut first_customer = app.customer(None).await;
    let first = start_chat(&mut first_customer).await;
    ann.expect("assigned").await;
    ann.send(json!({"type": "resolve", "conversation": first}))
        .await;
    ann.wait_for("resolved", |f| {
        f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
    })
    .await;
    let mut second_customer = app.customer(None).await;
    let second = start_chat(&mut second_customer).await;
    ann.expect("assigned").await;

    let mine = json_of(app.get("/api/me/conversations", &ann_login).await).await;
    assert_eq!(ids(&mine), [second.as_str(), first.as_str()]);
    assert_eq!(mine[0]["status"], "assigned");
    assert_eq!(mine[1]["status"], "resolved");
    let bens = json_of(app.get("/api/me/conversations", &ben_login).await).await;
    assert_eq!(bens, json!([]));
    let anonymous = app.get("/api/me/conversations", &Auth::None).await;
    assert_eq!(anonymous.status(), 401);

    // One conversation's current state, for any attendant; typed errors otherwise.
    let one = json_of(
        app.get(&format!("/api/conversations/{first}"), &ben_login)
            .await,
    )
    .await;
    assert_eq!(one["status"], "resolved");
    assert_eq!(one["id"], first.as_str());
    let unknown = format!("/api/conversations/{}", uuid::Uuid::new_v4());
    let missing = app.get(&unknown, &ben_login).await;
    assert_eq!(missing.status(), 404);
    let garbage = app.get("/api/conversations/not-an-id", &ben_login).await;
    assert_eq!(garbage.status(), 400);
    let anonymous = app
        .get(&format!("/api/conversations/{first}"), &Auth::None)
        .await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn welcome_and_assigned_carry_presence_last_message_and_receipts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, ann_login) = app.create_attendant(&admin, "Ann", 2).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    customer.say(&conversation, "hello?").await;

    // Nobody was online: Ann gets it on connecting, in both frames, with the waiting message.
    let mut ann = app.attendant(&ann_login).await;
    let welcomed = ann.welcome["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .find(|c| c["id"] == conversation.as_str())
        .expect("in the welcome")
        .clone();
    let assigned = ann.expect("assigned").await["conversation"].clone();
    for view in [&welcomed, &assigned] {
        assert_eq!(view["customer_presence"], "active", "{view}");
        assert_eq!(view["last_seq"], 1, "{view}");
        assert_eq!(view["last_message"]["text"], "hello?", "{view}");
        assert_eq!(view["last_message"]["from"]["party"], "customer", "{view}");
        assert_eq!(view["receipts"]["attendant_read"], 0, "{view}");
    }

    // Ann answers, the customer reads it, then leaves: a second tab sees all of that.
    ann.say(&conversation, "hi, how can I help?").await;
    customer
        .send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 2}))
        .await;
    ann.wait_for("read", |f| {
        f["type"] == "receipt" && f["receipts"]["customer_read"] == 2
    })
    .await;
    customer.close().await;
    ann.wait_for("gone", |f| {
        f["type"] == "customer_presence" && f["state"] == "gone"
    })
    .await;
    let second_tab = app.attendant(&ann_login).await;
    let view = &second_tab.welcome["conversations"][0];
    assert_eq!(view["id"], conversation.as_str());
    assert_eq!(view["customer_presence"], "gone");
    assert_eq!(view["last_seq"], 2);
    assert_eq!(view["last_message"]["text"], "hi, how can I help?");
    assert_eq!(view["receipts"]["customer_read"], 2);
}
