//! Signed links: altered or expired ones are refused; good ones answer ranges and say how
//! the file may be shown.

use chimpassist_server::attachments::Links;
use chimpassist_store::FilePart;

use serde_json::json;

use super::*;

/// A chat where the customer sent a PDF; returns its file description and link.
async fn a_sent_pdf(chat: &mut Chat) -> (Value, String) {
    let file = uploaded(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "a.pdf",
        pdf(),
    )
    .await;
    send_files(&mut chat.customer, &chat.conversation, None, &[&file]).await;
    let shown = message_with_files(&mut chat.alice).await["attachments"][0].clone();
    (file, shown["url"].as_str().unwrap().to_owned())
}

async fn refused(app: &TestApp, link: &str) -> Value {
    let response = fetch(app, link).await;
    assert_eq!(response.status(), 403, "{link}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_altered_link_is_refused() {
    let mut chat = a_chat().await;
    let (file, link) = a_sent_pdf(&mut chat).await;
    let other = Uuid::now_v7().to_string();
    let id = file["id"].as_str().unwrap();
    let body = refused(&chat.app, &link.replace(id, &other)).await;
    assert_eq!(body["code"], "forbidden");
    refused(&chat.app, &format!("{link}&part=thumb")).await;
    let (head, sig) = link.split_once("&sig=").unwrap();
    // One character of the signature changed (to another one: a signature may start with
    // any of the 64).
    let first = if sig.starts_with('A') { 'B' } else { 'A' };
    refused(&chat.app, &format!("{head}&sig={first}{}", &sig[1..])).await;
    let later = head.replace("expires=", "expires=9");
    refused(&chat.app, &format!("{later}&sig={sig}")).await;
    // Without a signature at all.
    let response = fetch(&chat.app, &format!("/api/files/{id}")).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let mut chat = a_chat().await;
    let (file, _) = a_sent_pdf(&mut chat).await;
    // A link this server signed an hour and a half ago, under its own key.
    let db = rusqlite::Connection::open(chat.app.dir.path().join("chimpassist.sqlite3")).unwrap();
    let key: String = db
        .query_row(
            "SELECT value FROM settings WHERE key = 'file_link_key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let id = chimpassist_protocol::FileId::parse(file["id"].as_str().unwrap()).unwrap();
    let then = chimpassist_server::views::now_ms() - 90 * 60 * 1000;
    let old = Links::new(key.as_bytes()).mint(&id, FilePart::Original, then);
    let body = refused(&chat.app, &old).await;
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // The back-office stays open for hours: an attendant who may see the conversation now
    // still opens it on their session; one of another queue, or a customer, does not.
    let with = |auth: &Auth| {
        let request = reqwest::Client::new().get(chat.app.url(&old));
        match auth {
            Auth::Cookie(c) => request.header("cookie", c),
            Auth::Bearer(t) => request.bearer_auth(t),
            Auth::None => request,
        }
    };
    let alice = with(&chat.alice_auth).send().await.unwrap();
    assert_eq!(alice.status(), 200);
    assert_eq!(alice.bytes().await.unwrap().as_ref(), pdf().as_slice());
    chat.app.put_queue(&chat.admin, "sales", "auto").await;
    let (_, bob) = chat
        .app
        .create_attendant_with(
            &chat.admin,
            "Bob",
            json!({"queues": ["sales"], "capacity": 1}),
        )
        .await;
    assert_eq!(with(&bob).send().await.unwrap().status(), 403);
    assert_eq!(
        with(&chat.customer_auth).send().await.unwrap().status(),
        403
    );
    // The same key now mints a link that works: the key is the one in use.
    let fresh = Links::new(key.as_bytes()).mint(
        &id,
        FilePart::Original,
        chimpassist_server::views::now_ms(),
    );
    assert_eq!(fetch(&chat.app, &fresh).await.status(), 200);
}

#[tokio::test]
async fn a_link_answers_one_range_and_caches_until_it_ends() {
    let mut chat = a_chat().await;
    let (_, link) = a_sent_pdf(&mut chat).await;
    let whole = pdf();
    let response = reqwest::Client::new()
        .get(chat.app.url(&link))
        .header("range", "bytes=5-12")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-range"],
        format!("bytes 5-12/{}", whole.len()).as_str()
    );
    assert_eq!(headers["content-length"], "8");
    assert_eq!(headers["accept-ranges"], "bytes");
    let cache = headers["cache-control"].to_str().unwrap();
    assert!(
        cache.starts_with("private, max-age=") && cache.ends_with(", immutable"),
        "{cache}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), &whole[5..=12]);
    let response = reqwest::Client::new()
        .get(chat.app.url(&link))
        .header("range", "bytes=5000-6000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 416);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes */{}", whole.len()).as_str()
    );
}
