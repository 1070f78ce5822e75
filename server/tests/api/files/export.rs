//! A customer's data export (`GET /api/contacts/{id}/export`, admins): a zip whose
//! `data.json` holds their profile, conversations with every message, rating and callback,
//! the pages the widget saw them on, the site's attributes,
//! whose `attachments/` hold their files byte for byte, and whose cover page says what, why,
//! how long and what was left out (attendants' notes, counted, never their text).

use std::io::{Cursor, Read};

use serde_json::{Value, json};

use super::*;

fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("its bytes");
            (file.name().to_owned(), bytes)
        })
        .collect()
}

#[tokio::test]
async fn an_admin_exports_everything_about_a_customer_but_the_notes() {
    let Chat {
        app,
        admin,
        mut alice,
        alice_auth,
        mut customer,
        customer_auth,
        conversation,
    } = a_chat().await;
    let ana = customer.welcome["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    customer.say(&conversation, "my order 123 is late").await;
    customer
        .send(json!({"type": "page", "url": "https://shop.example/orders/123", "title": "Order 123", "language": "pt-BR"}))
        .await;
    alice.wait_for("visit", |f| f["type"] == "visit").await;
    customer
        .send(json!({"type": "set_attributes", "attributes": {"plan": "pro", "orders": 3}}))
        .await;
    alice
        .wait_for("attributes", |f| f["type"] == "attributes")
        .await;
    let invoice = pdf();
    let file = uploaded(
        &app,
        &customer_auth,
        &conversation,
        "invoice.pdf",
        invoice.clone(),
    )
    .await;
    let sent = send_files(&mut customer, &conversation, Some("the invoice"), &[&file]).await;
    assert_eq!(sent["type"], "ack");
    alice.say(&conversation, "It ships tomorrow").await;
    let note = app
        .post(
            &format!("/api/conversations/{conversation}/notes"),
            &alice_auth,
            json!({"text": "VIP — her brother also complained"}),
        )
        .await;
    assert_eq!(note.status(), 201);
    alice
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
    customer
        .send(json!({"type": "rate", "conversation": conversation, "rating": {"score": 4, "comment": "quick"}}))
        .await;
    alice
        .wait_for("rated", |f| f["conversation"]["rating"]["score"] == 4)
        .await;
    let callback = app
        .post(
            "/api/callback",
            &customer_auth,
            json!({"name": "Ana", "phone": "+55 61 5555 0101"}),
        )
        .await;
    assert_eq!(callback.status(), 201);

    let export = app
        .get(&format!("/api/contacts/{ana}/export"), &admin)
        .await;
    assert_eq!(export.status(), 200);
    assert_eq!(export.headers()["content-type"], "application/zip");
    assert_eq!(export.headers()["cache-control"], "no-store");
    let disposition = export.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let zip = export.bytes().await.unwrap();
    let files = entries(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let attached = format!("attachments/{}-invoice.pdf", file["id"].as_str().unwrap());
    assert_eq!(names, ["README.txt", "data.json", attached.as_str()]);
    assert_eq!(files[2].1, invoice, "the file, byte for byte");

    let data: Value = serde_json::from_slice(&files[1].1).unwrap();
    assert_eq!(data["format"], "chimpassist.contact-export/1");
    assert_eq!(data["customer"]["id"], ana.as_str());
    assert_eq!(data["customer"]["name"], "Ana");
    assert_eq!(data["customer"]["site_id"], "ana-1");
    let talk = &data["conversations"][0];
    assert_eq!(talk["id"], conversation.as_str());
    assert_eq!(talk["status"], "resolved");
    assert_eq!(talk["rating"], json!({"score": 4, "comment": "quick"}));
    assert!(talk["answered_at"]["utc"].as_str().unwrap().ends_with('Z'));
    let said: Vec<(&str, &str)> = talk["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("customer", "my order 123 is late"),
            ("customer", "the invoice"),
            ("attendant", "It ships tomorrow"),
        ]
    );
    assert_eq!(
        talk["messages"][1]["attachments"][0]["file"],
        attached.as_str()
    );
    assert_eq!(data["callbacks"][0]["phone"], "+55 61 5555 0101");
    let page = &data["visit"]["pages"][0];
    assert_eq!(
        (&page["url"], &page["title"], &data["visit"]["language"]),
        (
            &json!("https://shop.example/orders/123"),
            &json!("Order 123"),
            &json!("pt-BR")
        )
    );
    assert!(page["at"]["utc"].as_str().unwrap().ends_with('Z'));
    assert_eq!(data["attributes"], json!({"orders": 3, "plan": "pro"}));
    assert_eq!(data["excluded"][0]["count"], 1);

    let cover = String::from_utf8(files[0].1.clone()).unwrap();
    for needle in [
        "WHY IT IS KEPT",
        "HOW LONG IT IS KEPT",
        "1 note(s)",
        "3 message(s)",
    ] {
        assert!(cover.contains(needle), "{needle} in {cover}");
    }
    let everything = String::from_utf8_lossy(&zip);
    assert!(
        !everything.contains("brother"),
        "a note's text is never exported"
    );

    // The log says it happened, how much, and nothing of what.
    let log = json_of(app.get("/api/audit", &admin).await).await;
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "contact.exported");
    assert_eq!(entry["target"], ana.as_str());
    assert_eq!(entry["summary"], "1 conversations, 3 messages, 1 files");
}

#[tokio::test]
async fn only_admins_export_and_an_unknown_customer_is_not_found() {
    let Chat {
        app,
        admin,
        alice_auth,
        customer,
        customer_auth,
        ..
    } = a_chat().await;
    let ana = customer.welcome["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/contacts/{ana}/export");
    assert_eq!(app.get(&path, &alice_auth).await.status(), 403);
    assert_eq!(app.get(&path, &customer_auth).await.status(), 401);
    assert_eq!(app.get(&path, &Auth::None).await.status(), 401);
    let missing = app.get("/api/contacts/nobody/export", &admin).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(json_of(missing).await["code"], "not_found");
}
