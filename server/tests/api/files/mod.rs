//! Files in the chat through the real server: uploads checked from their bytes and kept once,
//! sent in messages only once stored, served through signed links that end, never inline
//! unless they are raster images.
//!
//! - `sending`: each side uploads, sends and the other downloads; messages of files only;
//!   what a `send` may not name;
//! - `checks`: size, type, programs, SVG, decompression bombs, strangers;
//! - `links`: tampered and expired links, ranges, headers;
//! - `durability`: retried and interrupted uploads;
//! - `export`: a customer's data export, their files included;
//! - `erasure`: a customer erased, nothing of them left reachable.
//!
//! This file: a chat ready for files, uploads, and test files made on the spot.

mod checks;
mod durability;
mod erasure;
mod export;
mod links;
mod sending;

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// A conversation between a customer (with its token) and Alice, who holds it.
struct Chat {
    app: TestApp,
    admin: Auth,
    alice: Ws,
    alice_auth: Auth,
    customer: Ws,
    customer_auth: Auth,
    conversation: String,
}

async fn a_chat() -> Chat {
    a_chat_with(|_| {}).await
}

async fn a_chat_with(tweak: impl FnOnce(&mut chimpassist_server::config::Config)) -> Chat {
    let app = spawn_app_with(tweak).await;
    let AnaAndAlice {
        admin,
        alice,
        alice_auth,
        customer,
        customer_auth,
        conversation,
        ..
    } = app.ana_with_alice().await;
    Chat {
        app,
        admin,
        alice,
        alice_auth,
        customer,
        customer_auth,
        conversation,
    }
}

/// `POST /api/attachments` with `bytes` named `name` (and a client id when given).
async fn upload(
    app: &TestApp,
    auth: &Auth,
    conversation: &str,
    name: &str,
    bytes: Vec<u8>,
    client_id: Option<&str>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("conversation", conversation.to_owned())
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    if let Some(id) = client_id {
        form = form.text("client_id", id.to_owned());
    }
    let request = reqwest::Client::new()
        .post(app.url("/api/attachments"))
        .multipart(form);
    let request = match auth {
        Auth::None => request,
        Auth::Cookie(c) => request.header("cookie", c),
        Auth::Bearer(t) => request.bearer_auth(t),
    };
    request.send().await.expect("upload request")
}

/// Uploads and expects `201`; returns the file's description.
async fn uploaded(
    app: &TestApp,
    auth: &Auth,
    conversation: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let response = upload(app, auth, conversation, name, bytes, None).await;
    assert_eq!(response.status(), 201, "upload of {name}");
    response.json().await.expect("a file description")
}

/// Sends a message carrying `files` (and `text`, if any) and waits for its ack.
async fn send_files(
    ws: &mut Ws,
    conversation: &str,
    text: Option<&str>,
    files: &[&Value],
) -> Value {
    let client_id = Uuid::now_v7().to_string();
    let ids: Vec<&Value> = files.iter().map(|f| &f["id"]).collect();
    let mut frame = json!({"type": "send", "conversation": conversation,
        "client_id": client_id, "attachments": ids});
    if let Some(text) = text {
        frame["text"] = json!(text);
    }
    ws.send(frame).await;
    ws.wait_for("ack or error", |f| {
        (f["type"] == "ack" || f["type"] == "error") && f["client_id"] == client_id.as_str()
    })
    .await
}

/// The next message frame on `ws` that carries files.
async fn message_with_files(ws: &mut Ws) -> Value {
    ws.wait_for("a message with files", |f| {
        f["type"] == "message" && f["message"]["attachments"].is_array()
    })
    .await["message"]
        .clone()
}

/// GETs a link the server minted (a path on the server).
async fn fetch(app: &TestApp, link: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(link))
        .send()
        .await
        .expect("download request")
}

/// A photo-like PNG of `width` × `height`.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::from(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}

/// A small but real PDF.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
      2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
      trailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

/// Files the embedded store keeps in the server's data directory (bytes and thumbnails,
/// whatever their state).
fn files_on_disk(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.dir.path().join("chimpassist-files"), &mut out);
    out
}
