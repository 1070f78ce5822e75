//! The visitor's context: `page` frames from the widget reach the attendant holding the
//! conversation live, are kept with the customer for `GET /api/customers/{id}/visit`, are
//! cut as `PAGE_TRACKING` says, and bad ones get a typed error without harming the socket.

use chimpassist_protocol::PageTracking;
use serde_json::{Value, json};

use crate::helpers::*;

/// The customer id a socket's welcome gave.
fn customer_id(ws: &Ws) -> String {
    ws.welcome["customer"]["id"].as_str().unwrap().to_owned()
}

fn page(url: &str, title: &str) -> Value {
    json!({
        "type": "page", "url": url, "title": title,
        "referrer": "https://www.search.example/results?q=chimp+shoes",
        "language": "pt-BR", "time_zone": "America/Sao_Paulo", "utc_offset": -180,
    })
}

#[tokio::test]
async fn the_attendant_follows_the_visitors_pages_live_and_reads_them_later() {
    let app = spawn_app().await;
    let mut s = app.ana_with_alice().await;
    let customer = customer_id(&s.customer);
    assert_eq!(
        s.customer.welcome.get("page_tracking"),
        None,
        "the default (path) goes unsaid"
    );

    s.customer
        .send(page(
            "https://shop.example/reset?token=s3cret#step",
            "Reset – Shop",
        ))
        .await;
    let frame = s.alice.wait_for("visit", |f| f["type"] == "visit").await;
    assert_eq!(frame["customer"], customer);
    let visit = &frame["visit"];
    assert_eq!(
        visit["pages"][0]["url"], "https://shop.example/reset",
        "query and fragment never kept by default"
    );
    assert_eq!(visit["pages"][0]["title"], "Reset – Shop");
    assert_eq!(visit["referrer"], "https://www.search.example/results");
    assert_eq!(
        (
            &visit["language"],
            &visit["time_zone"],
            &visit["utc_offset_minutes"]
        ),
        (&json!("pt-BR"), &json!("America/Sao_Paulo"), &json!(-180))
    );

    // A page change: the trail grows, newest last.
    s.customer
        .send(page("https://shop.example/pricing", "Pricing"))
        .await;
    let frame = s
        .alice
        .wait_for("second page", |f| {
            f["type"] == "visit" && f["visit"]["pages"].as_array().is_some_and(|p| p.len() == 2)
        })
        .await;
    assert_eq!(
        frame["visit"]["pages"][1]["url"],
        "https://shop.example/pricing"
    );

    // Kept with the customer: read over REST by who may see them.
    let path = format!("/api/customers/{customer}/visit");
    let read = json_of(app.get(&path, &s.alice_auth).await).await;
    assert_eq!(read, frame["visit"]);
    assert_eq!(json_of(app.get(&path, &s.admin).await).await, read);
    app.put_queue(&s.admin, "billing", "manual").await;
    let (_, cleo) = app
        .create_attendant_with(&s.admin, "Cleo", json!({"queues": ["billing"]}))
        .await;
    let refused = app.get(&path, &cleo).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(json_of(refused).await["code"], "forbidden");
    assert_eq!(app.get(&path, &s.customer_auth).await.status(), 401);
    let nobody = app.get("/api/customers/nobody/visit", &s.admin).await;
    assert_eq!(nobody.status(), 404);

    // A reconnecting widget (a reload) goes on with the same trail.
    let token = s.customer.welcome["token"].as_str().unwrap().to_owned();
    s.customer.close().await;
    let ana = json!({"id": "ana-1", "name": "Ana"});
    let mut again = app.customer_with(Some(ana), Some(&token), json!([])).await;
    again
        .send(page("https://shop.example/checkout", "Checkout"))
        .await;
    let frame = s
        .alice
        .wait_for("third page", |f| {
            f["type"] == "visit" && f["visit"]["pages"].as_array().is_some_and(|p| p.len() == 3)
        })
        .await;
    assert_eq!(frame["visit"]["pages"][2]["title"], "Checkout");
}

#[tokio::test]
async fn bad_reports_are_refused_with_a_typed_error_and_the_socket_goes_on() {
    let app = spawn_app().await;
    let mut customer = app.customer(None).await;
    let id = customer_id(&customer);
    for (bad, field) in [
        (json!({"type": "page", "url": "javascript:alert(1)"}), "url"),
        (
            json!({"type": "page", "url": "https://s.example/", "language": "<b>"}),
            "language",
        ),
        (
            json!({"type": "page", "url": "https://s.example/", "utc_offset": 5000}),
            "utc_offset",
        ),
        (
            json!({"type": "page", "url": "https://s.example/", "time_zone": "x y"}),
            "time_zone",
        ),
    ] {
        customer.send(bad).await;
        let error = customer.expect("error").await;
        assert_eq!(error["code"], "invalid_field", "{field}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{error}"
        );
    }
    customer.send(json!({"type": "page", "url": 7})).await;
    assert_eq!(customer.expect("error").await["code"], "invalid_field");
    assert!(customer.answers().await, "the socket still answers");
    // Nothing of it was kept.
    let admin = app.admin().await;
    let read = json_of(app.get(&format!("/api/customers/{id}/visit"), &admin).await).await;
    assert_eq!(read, Value::Null);
}

#[tokio::test]
async fn a_page_must_be_on_the_site_the_chat_runs_on() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = spawn_app_with(|c| c.allowed_origins = vec!["https://shop.example".into()]).await;
    let mut request = format!("ws://127.0.0.1:{}/ws/customer", app.port)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "https://shop.example".parse().unwrap());
    let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut ws = Ws::new(stream);
    ws.send(json!({"type": "hello", "protocol": 1})).await;
    let id = ws.expect("welcome").await["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.send(page("https://evil.example/account", "Account – Shop"))
        .await;
    let error = ws.expect("error").await;
    assert_eq!(error["code"], "invalid_field");
    assert!(
        error["message"].as_str().unwrap().contains("site"),
        "{error}"
    );
    ws.send(page("https://shop.example/account", "Account – Shop"))
        .await;
    assert!(ws.answers().await);
    let admin = app.admin().await;
    let read = json_of(app.get(&format!("/api/customers/{id}/visit"), &admin).await).await;
    assert_eq!(read["pages"][0]["url"], "https://shop.example/account");
    assert_eq!(read["pages"].as_array().unwrap().len(), 1);

    // Without an Origin (not a browser), still only a site that may open the chat.
    let mut other = app.customer(None).await;
    other.send(page("https://evil.example/", "Evil")).await;
    assert_eq!(other.expect("error").await["code"], "invalid_field");
}

#[tokio::test]
async fn with_page_tracking_off_no_page_is_kept_but_the_clock_is() {
    let app = spawn_app_with(|c| c.page_tracking = PageTracking::Off).await;
    let mut s = app.ana_with_alice().await;
    assert_eq!(s.customer.welcome["page_tracking"], "off");
    s.customer
        .send(page("https://shop.example/account", "My account"))
        .await;
    let frame = s.alice.wait_for("visit", |f| f["type"] == "visit").await;
    assert_eq!(frame["visit"]["pages"], json!([]));
    assert_eq!(frame["visit"].get("referrer"), None);
    assert_eq!(frame["visit"]["time_zone"], "America/Sao_Paulo");
}

#[tokio::test]
async fn the_sites_attributes_reach_the_desk_live_are_searchable_and_refused_past_the_limits() {
    let app = spawn_app().await;
    let mut s = app.ana_with_alice().await;
    let customer = customer_id(&s.customer);
    let path = format!("/api/customers/{customer}/attributes");
    assert_eq!(
        json_of(app.get(&path, &s.alice_auth).await).await,
        json!({})
    );

    s.customer
        .send(json!({"type": "set_attributes", "attributes": {"plan": "Gold", "orders": 12, "trial": false}}))
        .await;
    let frame = s
        .alice
        .wait_for("attributes", |f| f["type"] == "attributes")
        .await;
    assert_eq!(frame["customer"], customer);
    let all = json!({"orders": 12, "plan": "Gold", "trial": false});
    assert_eq!(frame["attributes"], all);
    // A change names only what changes; null removes.
    s.customer
        .send(json!({"type": "set_attributes", "attributes": {"plan": "Platinum", "trial": null}}))
        .await;
    let frame = s
        .alice
        .wait_for("changed", |f| {
            f["type"] == "attributes" && f["attributes"]["plan"] == "Platinum"
        })
        .await;
    assert_eq!(
        frame["attributes"],
        json!({"orders": 12, "plan": "Platinum"})
    );
    assert_eq!(
        json_of(app.get(&path, &s.alice_auth).await).await,
        frame["attributes"]
    );

    // Attendants find the customer's conversation by a value.
    let hits = json_of(app.get("/api/search?q=platinum", &s.alice_auth).await).await;
    assert_eq!(
        hits[0]["conversation"]["id"],
        s.conversation.as_str(),
        "{hits}"
    );

    // Past the limits: refused whole, with a typed error; what was kept stays.
    let many: serde_json::Map<String, Value> =
        (0..49).map(|i| (format!("k{i}"), json!(i))).collect();
    for (bad, says) in [
        (json!({"nested": {"a": 1}}), "nested"),
        (json!({"bad-name": 1}), "bad-name"),
        (Value::Object(many), "at most 50"),
    ] {
        s.customer
            .send(json!({"type": "set_attributes", "attributes": bad}))
            .await;
        let error = s.customer.expect("error").await;
        assert_eq!(error["code"], "invalid_field");
        assert!(error["message"].as_str().unwrap().contains(says), "{error}");
    }
    assert!(s.customer.answers().await);
    assert_eq!(
        json_of(app.get(&path, &s.admin).await).await,
        json!({"orders": 12, "plan": "Platinum"})
    );
}

#[tokio::test]
async fn attributes_signed_in_the_identity_token_are_kept_at_hello() {
    let app = spawn_app_with(|c| c.identity_secret = Some("site-secret".to_owned().into())).await;
    #[derive(serde::Serialize)]
    struct Claims {
        sub: &'static str,
        exp: i64,
        attributes: Value,
    }
    let token = |attributes: Value| {
        let exp = chimpassist_server::views::now_ms() / 1000 + 600;
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &Claims {
                sub: "77",
                exp,
                attributes,
            },
            &jsonwebtoken::EncodingKey::from_secret(b"site-secret"),
        )
        .unwrap()
    };
    let ana = app
        .customer(Some(
            json!({"id": "77", "token": token(json!({"plan": "pro", "seats": 5}))}),
        ))
        .await;
    let id = customer_id(&ana);
    let admin = app.admin().await;
    let read = json_of(
        app.get(&format!("/api/customers/{id}/attributes"), &admin)
            .await,
    )
    .await;
    assert_eq!(read, json!({"plan": "pro", "seats": 5}));

    // A signed token whose attributes break the rules is the site's bug: logged, and the
    // visitor chats without them (refusing the hello would lock them out).
    let exp = chimpassist_server::views::now_ms() / 1000 + 600;
    let bad = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &Claims {
            sub: "78",
            exp,
            attributes: json!({"plan": ["pro"]}),
        },
        &jsonwebtoken::EncodingKey::from_secret(b"site-secret"),
    )
    .unwrap();
    let bob = app.customer(Some(json!({"id": "78", "token": bad}))).await;
    let bob_id = customer_id(&bob);
    assert_eq!(bob.welcome["customer"]["verified"], true);
    let read = json_of(
        app.get(&format!("/api/customers/{bob_id}/attributes"), &admin)
            .await,
    )
    .await;
    assert_eq!(read, json!({}));
}
