//! Mail in a cluster where only one node has `SMTP_URL`: the other learns it from the
//! mailing node's beacon, records and hands on mail's events, and a reply stored there still
//! reaches the visitor who left (sent by the mailing node).

use chimpassist_server::services::smtp::Smtp;
use serde_json::json;

use crate::{Cluster, frame_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_stored_on_a_node_without_smtp_is_mailed_by_the_one_with_it() {
    let smtp = Smtp::start().await.expect("aiosmtpd");
    let cluster = Cluster::start().await;
    let url = smtp.url();
    let mailing = [
        ("SMTP_URL", url.as_str()),
        ("PUBLIC_URL", "https://chat.acme.test"),
        ("EMAIL_AWAY_SECONDS", "1"),
        ("WEBHOOK_POLL_MS", "50"),
    ];
    let one = cluster.node_with(&mailing).await;
    let leader = one.leading().await;
    let two = cluster.node_with(&[("WEBHOOK_POLL_MS", "50")]).await;
    two.follows(&leader).await;
    // Node two records mail's events once it has read node one's beacon.
    two.log
        .wait(0, "node two recording mail's events", |f| {
            f["message"] == "webhook event types recorded"
                && f["types"]
                    .as_str()
                    .is_some_and(|t| t.contains("message.created"))
        })
        .await;

    let admin = one.app.admin().await;
    let (_, login) = two.app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = two.app.attendant(&login).await;
    let mut zoe = two.app.customer(None).await;
    zoe.send(json!({"type": "start_chat",
        "prechat": {"name": "Zoë", "email": "zoe@example.com"}}))
        .await;
    let assigned = alice.expect("assigned").await;
    let conversation = assigned["conversation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    zoe.wait_for("assigned", frame_for(&conversation, "assigned"))
        .await;
    zoe.say(&conversation, "Is the blue one back in stock?")
        .await;
    zoe.close().await;
    // Stored by node two, which has no SMTP_URL.
    alice.say(&conversation, "Yes, since this morning.").await;

    let mail = smtp.wait_for(1).await.remove(0);
    assert!(mail.header("To").unwrap().contains("zoe@example.com"));
    assert!(mail.text().contains("Yes, since this morning."));
    // Sent by node one: the only node that mails.
    one.log
        .wait(0, "node one's mail attempt", |f| {
            f["message"] == "mail attempt" && f["sent"] == true
        })
        .await;
}
