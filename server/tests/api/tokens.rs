//! API tokens: created by a signed-in admin and shown once, stored hashed, scoped per route
//! (the OpenAPI document says which scope each operation takes, and the server agrees),
//! revocable at once, last use shown, audited.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Creates a token with `scopes`: `(its id, the bearer credential)`.
async fn token(app: &TestApp, admin: &Auth, name: &str, scopes: Value) -> (String, Auth) {
    app.api_token(admin, name, scopes).await
}

async fn tokens(app: &TestApp, admin: &Auth) -> Vec<Value> {
    let list = app.get("/api/tokens", admin).await;
    assert_eq!(list.status(), 200);
    list.json().await.unwrap()
}

#[tokio::test]
async fn a_token_reads_what_its_scope_opens_until_it_is_revoked() {
    let app = spawn_app().await;
    let mut chat = app.ana_with_alice().await;
    chat.customer
        .say(&chat.conversation, "my order is late")
        .await;
    let admin = chat.admin.clone();
    let (id, reader) = token(&app, &admin, "CRM sync", json!(["conversations:read"])).await;
    let Auth::Bearer(secret) = &reader else {
        unreachable!()
    };
    assert!(secret.starts_with("chimp_"), "{secret}");

    // Shown once: the list names it by its last characters, never the token.
    let listed = app.get("/api/tokens", &admin).await.text().await.unwrap();
    assert!(!listed.contains(secret.as_str()), "{listed}");
    let list = tokens(&app, &admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "CRM sync");
    assert_eq!(list[0]["scopes"], json!(["conversations:read"]));
    assert!(secret.ends_with(list[0]["hint"].as_str().unwrap()));
    assert_eq!(list[0]["last_used_at"], Value::Null);

    // conversations:read: the conversation, its transcript, search.
    let conversation = app
        .get(
            &format!("/api/conversations/{}", chat.conversation),
            &reader,
        )
        .await;
    assert_eq!(conversation.status(), 200);
    let transcript = json_of(
        app.get(&format!("/session/{}/messages", chat.conversation), &reader)
            .await,
    )
    .await;
    assert_eq!(transcript["messages"][0]["text"], "my order is late");
    let hits = json_of(app.get("/api/search?q=order", &reader).await).await;
    assert_eq!(hits[0]["conversation"]["id"], chat.conversation.as_str());
    assert!(tokens(&app, &admin).await[0]["last_used_at"].is_i64());

    // …and nothing else: reports, admin routes, attendant routes, writes.
    for path in ["/api/reports/live", "/api/attendants", "/api/audit"] {
        assert_eq!(app.get(path, &reader).await.status(), 403, "{path}");
    }
    for path in ["/api/me", "/api/callbacks", "/api/tokens"] {
        assert_eq!(app.get(path, &reader).await.status(), 401, "{path}");
    }
    let note = app
        .post(
            &format!("/api/conversations/{}/notes", chat.conversation),
            &reader,
            json!({"text": "a token's note"}),
        )
        .await;
    assert_eq!(note.status(), 401);

    // Revoked: refused from the next request on.
    let revoked = app
        .send(
            Method::DELETE,
            &format!("/api/tokens/{id}"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    assert!(json_of(revoked).await["revoked_at"].is_i64());
    let refused = app
        .get(
            &format!("/api/conversations/{}", chat.conversation),
            &reader,
        )
        .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(json_of(refused).await["code"], "unauthenticated");
    let forged = Auth::Bearer(format!("{secret}x"));
    assert_eq!(app.get("/api/search?q=order", &forged).await.status(), 401);
}

#[tokio::test]
async fn an_admin_token_administers_and_the_log_names_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, robot) = token(&app, &admin, "Provisioning", json!(["admin"])).await;

    let attendants = app.get("/api/attendants", &robot).await;
    assert_eq!(attendants.status(), 200);
    let canned = app
        .post(
            "/api/canned",
            &robot,
            json!({"shortcut": "ship", "text": "It ships tomorrow."}),
        )
        .await;
    assert_eq!(canned.status(), 201);
    assert_eq!(app.get("/api/reports/live", &robot).await.status(), 200);

    // Tokens are managed from a signed-in admin's session only.
    let minted = app
        .post(
            "/api/tokens",
            &robot,
            json!({"name": "successor", "scopes": ["admin"]}),
        )
        .await;
    assert_eq!(minted.status(), 401);

    let log = json_of(app.get("/api/audit", &admin).await).await;
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor"]["kind"].as_str().unwrap(),
                e["actor"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("canned.created", "token", id.as_str()),
            ("token.created", "attendant", "admin"),
        ]
    );
    assert_eq!(entries[0]["actor"]["name"], "Provisioning");
    assert_eq!(entries[1]["summary"], "scopes: admin");
}

#[tokio::test]
async fn only_signed_in_admins_make_tokens_and_bad_requests_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, bob) = app.create_attendant(&admin, "Bob", 2).await;
    let body = json!({"name": "x", "scopes": ["admin"]});
    assert_eq!(
        app.post("/api/tokens", &bob, body.clone()).await.status(),
        403
    );
    assert_eq!(app.get("/api/tokens", &bob).await.status(), 403);
    assert_eq!(
        app.post("/api/tokens", &Auth::None, body).await.status(),
        401
    );
    for (bad, code) in [
        (json!({"name": "x", "scopes": []}), "invalid_field"),
        (json!({"name": "  ", "scopes": ["admin"]}), "invalid_field"),
        (
            json!({"name": "x".repeat(81), "scopes": ["admin"]}),
            "invalid_field",
        ),
        (json!({"name": "x", "scopes": ["root"]}), "invalid_field"),
        (
            json!({"name": "x", "scopes": ["admin"], "expires_in_days": 0}),
            "invalid_field",
        ),
        (json!({"scopes": ["admin"]}), "missing_field"),
    ] {
        let refused = app.post("/api/tokens", &admin, bad.clone()).await;
        assert_eq!(refused.status(), 400, "{bad}");
        assert_eq!(json_of(refused).await["code"], code, "{bad}");
    }
    let unknown = app
        .send(
            Method::DELETE,
            "/api/tokens/01890000-0000-7000-8000-000000000000",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert!(tokens(&app, &admin).await.is_empty(), "nothing was created");

    // An expiring token says when, and works until then.
    let created = app
        .post(
            "/api/tokens",
            &admin,
            json!({"name": "trial", "scopes": ["reports:read", "reports:read"], "expires_in_days": 7}),
        )
        .await;
    let body = json_of(created).await;
    assert_eq!(
        body["token"]["scopes"],
        json!(["reports:read"]),
        "deduplicated"
    );
    let week = body["token"]["expires_at"].as_i64().unwrap()
        - body["token"]["created_at"].as_i64().unwrap();
    assert_eq!(week, 7 * 24 * 3600 * 1000);
    let trial = Auth::Bearer(body["secret"].as_str().unwrap().to_owned());
    assert_eq!(app.get("/api/reports/live", &trial).await.status(), 200);
}

/// Every operation the OpenAPI document opens to a token scope answers a token without it
/// `403` and a token with it something else than `401`/`403`; every other operation that
/// needs a caller answers a token `401`. So the document is what the server does.
#[tokio::test]
async fn the_openapi_document_states_each_routes_scope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, conversations) = token(&app, &admin, "c", json!(["conversations:read"])).await;
    let (_, reports) = token(&app, &admin, "r", json!(["reports:read"])).await;
    let (_, both) = token(
        &app,
        &admin,
        "c+r",
        json!(["conversations:read", "reports:read"]),
    )
    .await;
    let (_, all) = token(&app, &admin, "a", json!(["admin"])).await;
    let (_, write) = token(&app, &admin, "w", json!(["messages:write"])).await;
    let (_, manage) = token(&app, &admin, "m", json!(["conversations:manage"])).await;
    let doc = json_of(app.get("/api/openapi.json", &Auth::None).await).await;
    assert_eq!(
        doc["components"]["securitySchemes"]["api_token"]["scheme"],
        "bearer"
    );
    // Anonymous by design, or reached by a signed link.
    let open = ["public", "ops", "files"];
    let anonymous = [
        "/api/login",
        "/api/logout",
        "/config/backoffice",
        "/session",
    ];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let url = path
            .replace("{id}", "01890000-0000-7000-8000-000000000000")
            .replace("{event_id}", "01890000-0000-7000-8000-000000000000")
            .replace("{kind}", "orders");
        for (method, op) in item.as_object().unwrap() {
            let tag = op["tags"][0].as_str().unwrap_or("");
            let scope = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|r| r["api_token"][0].as_str());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            match scope {
                Some(scope) => {
                    let (without, with) = match scope {
                        "conversations:read" => (&reports, &conversations),
                        "reports:read" => (&conversations, &reports),
                        "admin" => (&both, &all),
                        "messages:write" => (&manage, &write),
                        "conversations:manage" => (&write, &manage),
                        other => panic!("unknown scope {other} on {method} {path}"),
                    };
                    let refused = app.send(method.clone(), &url, without, json!({})).await;
                    assert_eq!(refused.status(), 403, "{method} {path} without {scope}");
                    let status = app
                        .send(method.clone(), &url, with, json!({}))
                        .await
                        .status();
                    assert!(
                        status != 401 && status != 403,
                        "{method} {path} with {scope}: {status}"
                    );
                }
                None if open.contains(&tag) || anonymous.contains(&path.as_str()) => continue,
                None => {
                    let status = app
                        .send(method.clone(), &url, &all, json!({}))
                        .await
                        .status();
                    assert_eq!(status, 401, "{method} {path} is not for tokens");
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "checked {checked} operations");
}
