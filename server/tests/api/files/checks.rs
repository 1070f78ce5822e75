//! What the server refuses to keep, and who may upload at all.

use super::*;

/// The start of an ELF program: what a renamed executable from Linux looks like.
fn program() -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(4096, 0);
    elf
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_before_and_while_it_is_read() {
    let chat = a_chat_with(|c| c.max_attachment_bytes = 64 * 1024).await;
    let response = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "big.png",
        png(400, 400),
        None,
    )
    .await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "file_too_large", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("64 KiB"),
        "{body}"
    );

    // A body without a length is cut off as soon as it passes the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![b'a'; 4096])).collect();
    let stream = futures_util::stream::iter(chunks);
    let form = Form::new()
        .text("conversation", chat.conversation.clone())
        .part(
            "file",
            Part::stream(reqwest::Body::wrap_stream(stream)).file_name("big.txt"),
        );
    let Auth::Bearer(token) = &chat.customer_auth else {
        unreachable!()
    };
    let response = reqwest::Client::new()
        .post(chat.app.url("/api/attachments"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(files_on_disk(&chat.app).is_empty(), "nothing was kept");
}

#[tokio::test]
async fn a_renamed_program_is_refused_and_types_come_from_the_bytes() {
    let chat = a_chat_with(|c| {
        c.attachment_types = chimpassist_server::config::Groups(vec![
            chimpassist_server::attachments::FileGroup::Image,
        ])
    })
    .await;
    let response = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "invoice.pdf",
        program(),
        None,
    )
    .await;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "file_refused");
    assert_eq!(body["message"], "programs cannot be sent");
    // A PDF where only images are allowed.
    let response = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "a.pdf",
        pdf(),
        None,
    )
    .await;
    assert_eq!(response.status(), 415);
    // A PNG named .exe is a PNG, and its name says so.
    let file = uploaded(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "photo.exe",
        png(8, 8),
    )
    .await;
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["name"], "photo.exe.png");
}

#[tokio::test]
async fn an_svg_with_a_script_is_never_served_inline() {
    let mut chat = a_chat().await;
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>"#;
    let file = uploaded(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "logo.svg",
        svg.to_vec(),
    )
    .await;
    assert_eq!(file["content_type"], "image/svg+xml");
    send_files(&mut chat.customer, &chat.conversation, None, &[&file]).await;
    let shown = message_with_files(&mut chat.alice).await["attachments"][0].clone();
    assert!(shown.get("thumbnail_url").is_none(), "no picture of an SVG");
    let response = fetch(&chat.app, shown["url"].as_str().unwrap()).await;
    let headers = response.headers();
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "sandbox; default-src 'none'"
    );
}

#[tokio::test]
async fn a_decompression_bomb_is_refused() {
    let chat = a_chat().await;
    // A real PNG whose header claims 60,000 × 60,000 pixels (14 GB once decoded), its
    // checksum fixed so only the size gives it away.
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let response = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "bomb.png",
        bomb,
        None,
    )
    .await;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("too many pixels"),
        "{body}"
    );
}

#[tokio::test]
async fn only_the_conversations_two_sides_may_upload_to_it() {
    let chat = a_chat().await;
    let app = &chat.app;
    // Another customer.
    let other = app.customer(None).await;
    let other_auth = Auth::Bearer(other.welcome["token"].as_str().unwrap().to_owned());
    let response = upload(app, &other_auth, &chat.conversation, "a.pdf", pdf(), None).await;
    assert_eq!(response.status(), 404);
    // Another attendant (even an admin) who does not hold it.
    let (_, bob) = app.create_attendant(&chat.admin, "Bob", 3).await;
    for auth in [&bob, &chat.admin] {
        let response = upload(app, auth, &chat.conversation, "a.pdf", pdf(), None).await;
        assert_eq!(response.status(), 404);
    }
    // Nobody.
    let response = upload(app, &Auth::None, &chat.conversation, "a.pdf", pdf(), None).await;
    assert_eq!(response.status(), 401);
    // A form without a file.
    let form = Form::new().text("conversation", chat.conversation.clone());
    let Auth::Bearer(token) = &chat.customer_auth else {
        unreachable!()
    };
    let response = reqwest::Client::new()
        .post(app.url("/api/attachments"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "missing_field");
    other.close().await;
}

/// CRC-32 as PNG chunks use it (ISO 3309).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
