//! Each side uploads and sends; the other sees the files and downloads them.

use serde_json::json;

use super::*;

#[tokio::test]
async fn a_customers_picture_reaches_the_attendant_with_a_thumbnail() {
    let mut chat = a_chat().await;
    let bytes = png(1200, 800);
    let file = uploaded(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "screen.png",
        bytes.clone(),
    )
    .await;
    assert_eq!(file["name"], "screen.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], bytes.len());
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(1200), Some(800))
    );

    let ack = send_files(
        &mut chat.customer,
        &chat.conversation,
        Some("this error"),
        &[&file],
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let message = message_with_files(&mut chat.alice).await;
    assert_eq!(message["text"], "this error");
    let shown = &message["attachments"][0];
    assert_eq!(shown["id"], file["id"]);
    assert_eq!(shown["name"], "screen.png");

    let full = fetch(&chat.app, shown["url"].as_str().expect("a link")).await;
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["content-type"], "image/png");
    assert!(
        full.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(
        full.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(full.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let thumb = fetch(
        &chat.app,
        shown["thumbnail_url"].as_str().expect("a thumbnail"),
    )
    .await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).expect("an image");
    assert_eq!((small.width(), small.height()), (480, 320));
}

#[tokio::test]
async fn an_attendants_pdf_reaches_the_customer_as_a_download() {
    let mut chat = a_chat().await;
    let file = uploaded(
        &chat.app,
        &chat.alice_auth,
        &chat.conversation,
        "invoice.pdf",
        pdf(),
    )
    .await;
    assert_eq!(file["content_type"], "application/pdf");
    assert!(file.get("width").is_none());
    // Text is optional when files come along.
    let ack = send_files(&mut chat.alice, &chat.conversation, None, &[&file]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let message = message_with_files(&mut chat.customer).await;
    assert!(
        message.get("text").is_none(),
        "a message of files only has no text: {message}"
    );
    let shown = &message["attachments"][0];
    assert!(shown.get("thumbnail_url").is_none());
    let download = fetch(&chat.app, shown["url"].as_str().unwrap()).await;
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"invoice.pdf\""),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), pdf().as_slice());
}

#[tokio::test]
async fn history_mints_fresh_links_for_files_already_sent() {
    let mut chat = a_chat().await;
    let a = uploaded(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "a.png",
        png(40, 30),
    )
    .await;
    let b = uploaded(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "b.pdf",
        pdf(),
    )
    .await;
    send_files(&mut chat.customer, &chat.conversation, None, &[&a, &b]).await;
    chat.customer
        .send(json!({"type": "history", "conversation": chat.conversation}))
        .await;
    let page = chat.customer.expect("history").await;
    let files = &page["messages"][0]["attachments"];
    assert_eq!(files.as_array().map(Vec::len), Some(2), "{page}");
    assert_eq!(files[0]["name"], "a.png");
    assert_eq!(files[1]["name"], "b.pdf");
    for file in files.as_array().unwrap() {
        let response = fetch(&chat.app, file["url"].as_str().unwrap()).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn a_send_names_only_its_own_stored_files_and_at_most_ten() {
    let mut chat = a_chat().await;
    // A file id no one uploaded.
    let unknown = json!({"id": Uuid::now_v7().to_string()});
    let refused = send_files(
        &mut chat.customer,
        &chat.conversation,
        Some("hi"),
        &[&unknown],
    )
    .await;
    assert_eq!(refused["code"], "not_found", "{refused}");
    // Alice's file is hers to send, not the customer's.
    let hers = uploaded(
        &chat.app,
        &chat.alice_auth,
        &chat.conversation,
        "x.pdf",
        pdf(),
    )
    .await;
    let refused = send_files(&mut chat.customer, &chat.conversation, None, &[&hers]).await;
    assert_eq!(refused["code"], "not_found", "{refused}");
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({"id": Uuid::now_v7().to_string()}))
        .collect();
    let refused = send_files(
        &mut chat.customer,
        &chat.conversation,
        None,
        &eleven.iter().collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(refused["code"], "invalid_field", "{refused}");
    // Neither text nor files.
    let refused = send_files(&mut chat.customer, &chat.conversation, None, &[]).await;
    assert_eq!(refused["code"], "empty_text", "{refused}");
    // Nothing of this reached Alice; the connection goes on.
    let ack = chat.customer.say(&chat.conversation, "still here").await;
    assert_eq!(ack["seq"], 1);
}
