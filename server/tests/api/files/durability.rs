//! Uploads kept exactly once: a retry stores nothing new, an upload cut off leaves nothing.

use tokio::io::AsyncWriteExt;

use super::*;

#[tokio::test]
async fn a_retried_upload_keeps_one_file() {
    let chat = a_chat().await;
    let key = Uuid::now_v7().to_string();
    let bytes = png(64, 64);
    let first = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "a.png",
        bytes.clone(),
        Some(&key),
    )
    .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "a.png",
        bytes,
        Some(&key),
    )
    .await;
    assert_eq!(again.status(), 200, "a retry is answered, not stored again");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    // The picture and its thumbnail.
    assert_eq!(
        files_on_disk(&chat.app).len(),
        2,
        "{:?}",
        files_on_disk(&chat.app)
    );
}

#[tokio::test]
async fn an_upload_cut_off_mid_body_leaves_nothing() {
    let chat = a_chat().await;
    let Auth::Bearer(token) = &chat.customer_auth else {
        unreachable!()
    };
    let boundary = "XyZ";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"conversation\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n",
        chat.conversation
    );
    let announced = head.len() + 200_000;
    let request = format!(
        "POST /api/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {announced}\r\n\r\n{head}"
    );
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", chat.app.port))
        .await
        .unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&vec![b'a'; 100_000]).await.unwrap();
    socket.flush().await.unwrap();
    drop(socket);
    // Whether or not the server has noticed the cut yet, nothing of that upload may be
    // visible: bytes are written only once the whole body is in. A later upload is kept.
    let later = upload(
        &chat.app,
        &chat.customer_auth,
        &chat.conversation,
        "b.pdf",
        pdf(),
        None,
    )
    .await;
    assert_eq!(later.status(), 201);
    let on_disk = files_on_disk(&chat.app);
    assert_eq!(on_disk.len(), 1, "only the later file: {on_disk:?}");
}
