//! Files (issue 16), numbers only: how long an upload takes, end to end over loopback
//! (`POST /api/attachments`: reading the form, the checks, the picture for images, the
//! durable write, the answer), and how much of it the thumbnail is (decoding and scaling,
//! timed alone in-process), for
//! - a 10 MiB-class PNG (1,800 × 1,800 pixels of noise: ~9.7 MiB, incompressible),
//! - a 12-megapixel JPEG photo (4,000 × 3,000),
//! - a 1 MiB PDF.
//!
//! `cargo run --release -p chimpassist-server --example upload_bench -- [--runs N]`
//!
//! The embedded store (bytes fsynced to the data directory, the record committed after).

use std::io::Cursor;
use std::time::{Duration, Instant};

use chimpassist_server::attachments::picture::picture;
use chimpassist_server::startup::Application;
use futures_util::{SinkExt, StreamExt};
use image::{DynamicImage, ImageFormat, RgbImage};
use rand::RngCore;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::{local_config, ms, setting};

fn noise(width: u32, height: u32) -> RgbImage {
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    rand::thread_rng().fill_bytes(&mut pixels);
    RgbImage::from_raw(width, height, pixels).expect("a buffer of the right size")
}

fn encoded(image: RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::from(image)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

/// A photo-like picture: smooth gradients with a little noise (noise alone makes a JPEG far
/// larger than any camera's).
fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut rng = rand::thread_rng();
    let image = RgbImage::from_fn(width, height, |x, y| {
        let n = (rng.next_u32() % 24) as u8;
        image::Rgb([
            ((x * 255 / width) as u8).saturating_add(n),
            ((y * 255 / height) as u8).saturating_add(n),
            (((x + y) * 127 / (width + height)) as u8).saturating_add(n),
        ])
    });
    encoded(image, ImageFormat::Jpeg)
}

fn pdf(size: usize) -> Vec<u8> {
    let mut body = vec![0u8; size];
    rand::thread_rng().fill_bytes(&mut body);
    let mut out = b"%PDF-1.4\n1 0 obj << /Length 0 >> stream\n".to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\nendstream endobj\ntrailer << >>\n%%EOF\n");
    out
}

/// A customer's token and a conversation of theirs, through the customer socket.
async fn a_chat(port: u16) -> anyhow::Result<(String, String)> {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/customer")).await?;
    ws.send(Message::text(
        json!({"type": "hello", "protocol": 1, "resume": []}).to_string(),
    ))
    .await?;
    let mut token = None;
    loop {
        let Some(Ok(Message::Text(text))) = ws.next().await else {
            anyhow::bail!("the socket closed");
        };
        let frame: Value = serde_json::from_str(&text)?;
        if frame["type"] == "welcome" {
            token = frame["token"].as_str().map(str::to_owned);
            ws.send(Message::text(json!({"type": "start_chat"}).to_string()))
                .await?;
        } else if frame["type"] == "conversation" {
            let id = frame["conversation"]["id"].as_str().unwrap_or_default();
            return Ok((token.unwrap_or_default(), id.to_owned()));
        }
    }
}

async fn upload(
    http: &reqwest::Client,
    port: u16,
    token: &str,
    conversation: &str,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<Duration> {
    let form = reqwest::multipart::Form::new()
        .text("conversation", conversation.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
    let started = Instant::now();
    let response = http
        .post(format!("http://127.0.0.1:{port}/api/attachments"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(status == 201, "upload answered {status}: {body}");
    Ok(started.elapsed())
}

fn summary(label: &str, bytes: usize, mut times: Vec<Duration>) {
    times.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    println!(
        "{label:<28} {:>6.2} MiB  median {:>8.1} ms  worst {:>8.1} ms",
        bytes as f64 / 1_048_576.0,
        ms(median),
        ms(worst)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs = setting("runs", 5).max(1);
    let dir = tempfile::tempdir()?;
    let mut config = local_config(dir.path())?;
    config.lift_network_limits();
    let app = Application::build(config).await?;
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let (token, conversation) = a_chat(port).await?;
    let http = reqwest::Client::new();

    let files = [
        (
            "noise.png (1,800 × 1,800)",
            "noise.png",
            encoded(noise(1800, 1800), ImageFormat::Png),
        ),
        ("photo.jpg (4,000 × 3,000)", "photo.jpg", photo(4000, 3000)),
        ("document.pdf", "document.pdf", pdf(1024 * 1024)),
    ];
    println!("uploads over loopback, {runs} runs each (embedded store)");
    for (label, name, bytes) in &files {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            times.push(upload(&http, port, &token, &conversation, name, bytes).await?);
        }
        summary(label, bytes.len(), times);
    }
    println!("of which the picture (decode, orient, scale, encode the thumbnail), in-process");
    for (label, _, bytes) in files.iter().filter(|f| !f.1.ends_with(".pdf")) {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            picture(bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            times.push(started.elapsed());
        }
        summary(label, bytes.len(), times);
    }
    let _ = stop.send(());
    server.await??;
    Ok(())
}
