//! The attendants' workspace: canned responses, private notes, search.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Creates an attendant who is a member of `billing` only (not of the default queue).
async fn billing_attendant(app: &TestApp, admin: &Auth, name: &str) -> Auth {
    let (id, login) = app.create_attendant(admin, name, 2).await;
    let response = app
        .send(
            Method::PATCH,
            &format!("/api/attendants/{id}"),
            admin,
            json!({"queues": ["billing"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    login
}

#[tokio::test]
async fn canned_responses_are_read_by_attendants_and_changed_by_admins() {
    let app = spawn_app_with(|c| c.max_text_bytes = 64).await;
    let admin = app.admin().await;
    let (_, alice) = app.create_attendant(&admin, "Alice", 2).await;

    let created = app
        .post(
            "/api/canned",
            &admin,
            json!({"shortcut": "Hello", "text": "Hi! How can I help?"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let hello = json_of(created).await;
    assert_eq!(hello["shortcut"], "hello", "lower-cased");
    assert_eq!(hello["text"], "Hi! How can I help?");
    assert!(hello["id"].is_string() && hello["updated_at"].is_i64());
    let bye = json_of(
        app.post(
            "/api/canned",
            &admin,
            json!({"shortcut": "bye", "text": "Bye!"}),
        )
        .await,
    )
    .await;

    for (body, status, code) in [
        (
            json!({"shortcut": "HELLO", "text": "again"}),
            409,
            "conflict",
        ),
        (
            json!({"shortcut": "no way", "text": "x"}),
            400,
            "invalid_field",
        ),
        (
            json!({"shortcut": "a".repeat(33), "text": "x"}),
            400,
            "invalid_field",
        ),
        (
            json!({"shortcut": "blank", "text": "  "}),
            400,
            "invalid_field",
        ),
        (
            json!({"shortcut": "long", "text": "x".repeat(65)}),
            400,
            "text_too_long",
        ),
        (json!({"text": "x"}), 400, "missing_field"),
    ] {
        let response = app.post("/api/canned", &admin, body.clone()).await;
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(json_of(response).await["code"], code, "{body}");
    }

    let list = json_of(app.get("/api/canned", &alice).await).await;
    let shortcuts: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["shortcut"].clone())
        .collect();
    assert_eq!(shortcuts, vec![json!("bye"), json!("hello")], "by shortcut");
    assert_eq!(app.get("/api/canned", &Auth::None).await.status(), 401);

    let hello_path = format!("/api/canned/{}", hello["id"].as_str().unwrap());
    let bye_path = format!("/api/canned/{}", bye["id"].as_str().unwrap());
    let edit = json!({"shortcut": "hi", "text": "Hello there"});
    let forbidden = app.post("/api/canned", &alice, edit.clone()).await;
    assert_eq!(forbidden.status(), 403);
    assert_eq!(json_of(forbidden).await["code"], "forbidden");
    for method in [Method::PUT, Method::DELETE] {
        let response = app
            .send(method.clone(), &hello_path, &alice, edit.clone())
            .await;
        assert_eq!(response.status(), 403, "{method} by an attendant");
    }

    let updated = app.send(Method::PUT, &hello_path, &admin, edit).await;
    assert_eq!(updated.status(), 200);
    let updated = json_of(updated).await;
    assert_eq!(
        (&updated["id"], &updated["shortcut"], &updated["text"]),
        (&hello["id"], &json!("hi"), &json!("Hello there"))
    );
    let taken = app
        .send(
            Method::PUT,
            &hello_path,
            &admin,
            json!({"shortcut": "BYE", "text": "x"}),
        )
        .await;
    assert_eq!(taken.status(), 409);
    let unknown = format!("/api/canned/{}", uuid::Uuid::now_v7());
    let missing = app
        .send(
            Method::PUT,
            &unknown,
            &admin,
            json!({"shortcut": "new", "text": "x"}),
        )
        .await;
    assert_eq!(missing.status(), 404);

    let deleted = app
        .send(Method::DELETE, &bye_path, &admin, json!(null))
        .await;
    assert_eq!(deleted.status(), 204);
    let again = app
        .send(Method::DELETE, &bye_path, &admin, json!(null))
        .await;
    assert_eq!(again.status(), 404);
    let list = json_of(app.get("/api/canned", &admin).await).await;
    assert_eq!(list, json!([updated]));
}

#[tokio::test]
async fn notes_reach_the_attendants_and_never_the_customer() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice_id, alice_login) = app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = app.attendant(&alice_login).await;
    // Bob is in the conversation's queue but offline, so it goes to Alice.
    let (_, bob) = app.create_attendant(&admin, "Bob", 2).await;
    let carol = billing_attendant(&app, &admin, "Carol").await;

    let mut customer = app
        .customer(Some(json!({"id": "c-1", "name": "Ana"})))
        .await;
    let token = Auth::Bearer(customer.welcome["token"].as_str().unwrap().to_owned());
    let customer_id = customer.welcome["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let conversation = start_chat(&mut customer).await;
    alice.expect("assigned").await;
    customer.say(&conversation, "hello").await;
    let notes_path = format!("/api/conversations/{conversation}/notes");

    let by_admin = app
        .post(&notes_path, &admin, json!({"text": "secret: VIP customer"}))
        .await;
    assert_eq!(by_admin.status(), 201);
    let by_admin = json_of(by_admin).await;
    assert_eq!(by_admin["conversation"], conversation.as_str());
    assert_eq!(by_admin["author"]["name"], "Administrator");
    let frame = alice.expect("note").await;
    assert_eq!(frame["note"], by_admin, "the holder is told");

    let by_alice = json_of(
        app.post(
            &notes_path,
            &alice_login,
            json!({"text": "secret: asked for a refund"}),
        )
        .await,
    )
    .await;
    assert_eq!(by_alice["author"]["id"], alice_id.as_str());
    let frame = alice.expect("note").await;
    assert_eq!(frame["note"], by_alice, "the author is told once");

    let listed = json_of(app.get(&notes_path, &bob).await).await;
    assert_eq!(
        listed,
        json!([by_admin, by_alice]),
        "queue members read, oldest first"
    );

    for response in [
        app.get(&notes_path, &carol).await,
        app.post(&notes_path, &carol, json!({"text": "x"})).await,
    ] {
        assert_eq!(response.status(), 403, "not in the queue, never assigned");
        assert_eq!(json_of(response).await["code"], "forbidden");
    }
    assert_eq!(
        app.get(&notes_path, &token).await.status(),
        401,
        "customers"
    );
    let blank = app.post(&notes_path, &bob, json!({"text": " "})).await;
    assert_eq!(blank.status(), 400);
    let unknown = format!("/api/conversations/{}/notes", uuid::Uuid::now_v7());
    assert_eq!(app.get(&unknown, &admin).await.status(), 404);

    // The customer's socket gets the next message, and never a note before it.
    alice.say(&conversation, "after the notes").await;
    let next = customer
        .wait_for("the next message or a note", |f| {
            f.to_string().contains("secret:")
                || (f["type"] == "message" && f["message"]["text"] == "after the notes")
        })
        .await;
    assert_eq!(
        next["type"], "message",
        "a note reached the customer: {next}"
    );
    let echo = alice
        .wait_for("a repeated note or my own message", |f| {
            f["type"] == "note"
                || (f["type"] == "message" && f["message"]["text"] == "after the notes")
        })
        .await;
    assert_eq!(echo["type"], "message", "a note frame came twice: {echo}");
    for path in [
        format!("/session/{conversation}/messages"),
        format!("/customer/{customer_id}/messages"),
    ] {
        let page = app.get(&path, &token).await.text().await.unwrap();
        assert!(page.contains("after the notes"), "{path}: {page}");
        assert!(!page.contains("secret:"), "{path} shows a note: {page}");
    }
}

#[tokio::test]
async fn search_finds_names_and_texts_within_what_the_attendant_may_see() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice_id, alice_login) = app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = app.attendant(&alice_login).await;
    let carol = billing_attendant(&app, &admin, "Carol").await;

    let mut ana = app
        .customer(Some(json!({"id": "c-ana", "name": "Ana Souza"})))
        .await;
    let first = start_chat(&mut ana).await;
    alice.expect("assigned").await;
    ana.say(&first, "I want a refund of 100% please").await;
    ana.say(&first, "hello?").await;
    let mut ana2 = app
        .customer(Some(json!({"id": "c-ana2", "name": "Anabel"})))
        .await;
    let second = start_chat(&mut ana2).await;
    alice.expect("assigned").await;

    let search = |q: &str| format!("/api/search?q={}", urlencode(q));
    let hits = json_of(app.get(&search("SOUZA"), &alice_login).await).await;
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["conversation"]["id"], first.as_str());
    assert_eq!(hits[0]["conversation"]["customer"]["name"], "Ana Souza");
    assert_eq!(
        hits[0]["conversation"]["attendant"]["id"],
        alice_id.as_str()
    );
    assert_eq!(
        hits[0]["message"],
        Value::Null,
        "a name match has no message"
    );

    let hits = json_of(app.get(&search("Refund"), &alice_login).await).await;
    assert_eq!(hits[0]["conversation"]["id"], first.as_str());
    assert_eq!(hits[0]["message"]["text"], "I want a refund of 100% please");
    assert_eq!(hits[0]["message"]["seq"], 1);

    let hits = json_of(app.get(&search("0%"), &alice_login).await).await;
    assert_eq!(hits.as_array().unwrap().len(), 1, "% is literal: {hits}");
    let hits = json_of(app.get(&search("1_0"), &alice_login).await).await;
    assert_eq!(hits, json!([]), "_ is literal");

    let hits = json_of(app.get(&search("ana"), &alice_login).await).await;
    let ids: Vec<_> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["conversation"]["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(second), json!(first)], "newest first");
    let limited = json_of(
        app.get(&format!("{}&limit=1", search("ana")), &alice_login)
            .await,
    )
    .await;
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(limited[0]["conversation"]["id"], second.as_str());

    let hidden = json_of(app.get(&search("ana"), &carol).await).await;
    assert_eq!(hidden, json!([]), "not in the queue, never assigned");
    let everything = json_of(app.get(&search("ana"), &admin).await).await;
    assert_eq!(everything.as_array().unwrap().len(), 2, "admins see all");

    for bad in ["/api/search?q=x", "/api/search?q=%20%20a%20", "/api/search"] {
        let response = app.get(bad, &alice_login).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(json_of(response).await["code"], "invalid_field", "{bad}");
    }
    let too_long = search(&"x".repeat(101));
    assert_eq!(app.get(&too_long, &alice_login).await.status(), 400);
    assert_eq!(app.get(&search("ana"), &Auth::None).await.status(), 401);
}

/// Percent-encodes a query value.
fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_openapi_document_describes_the_workspace_routes() {
    let app = spawn_app().await;
    let doc = json_of(app.get("/api/openapi.json", &Auth::None).await).await;
    for (path, methods) in [
        ("/api/canned", &["get", "post"][..]),
        ("/api/canned/{id}", &["put", "delete"][..]),
        ("/api/conversations/{id}/notes", &["get", "post"][..]),
        ("/api/search", &["get"][..]),
    ] {
        for method in methods {
            assert!(
                doc["paths"][path][method].is_object(),
                "missing {method} {path}"
            );
        }
    }
    for schema in [
        "CannedResponse",
        "CannedRequest",
        "Note",
        "NoteRequest",
        "SearchHit",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "missing schema {schema}"
        );
    }
}
