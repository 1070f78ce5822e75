//! A file uploaded through one node is sent and downloaded through the other: its bytes are
//! in the shared store (GridFS), its links signed under the key every node shares.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::Cluster;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_uploaded_through_one_node_is_downloaded_through_the_other() {
    let cluster = Cluster::start().await;
    let (one, two) = cluster.pair().await;
    let admin = one.app.admin().await;
    let (_, login) = two.app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = two.app.attendant(&login).await;
    let mut customer = one.app.customer(None).await;
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let conversation = start_chat(&mut customer).await;
    alice.expect("assigned").await;

    let mut png = Cursor::new(Vec::new());
    image::DynamicImage::from(image::RgbImage::from_pixel(
        640,
        480,
        image::Rgb([9, 99, 199]),
    ))
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();
    let png = png.into_inner();
    let form = Form::new()
        .text("conversation", conversation.clone())
        .part("file", Part::bytes(png.clone()).file_name("shot.png"));
    let response = reqwest::Client::new()
        .post(one.app.url("/api/attachments"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let file: Value = response.json().await.unwrap();

    let client_id = uuid::Uuid::now_v7().to_string();
    customer
        .send(
            json!({"type": "send", "conversation": conversation, "client_id": client_id,
            "attachments": [file["id"]]}),
        )
        .await;
    customer.expect("ack").await;
    let message = alice
        .wait_for("the message with the file", |f| {
            f["type"] == "message" && f["message"]["attachments"].is_array()
        })
        .await;
    let shown = &message["message"]["attachments"][0];
    for (link, expected) in [("url", Some(&png)), ("thumbnail_url", None)] {
        let response = reqwest::get(two.app.url(shown[link].as_str().unwrap()))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{link} through node two");
        let bytes = response.bytes().await.unwrap();
        match expected {
            Some(png) => assert_eq!(bytes.as_ref(), png.as_slice()),
            None => assert!(image::load_from_memory(&bytes).is_ok(), "a thumbnail"),
        }
    }
}
