//! One visibility rule for every read of a conversation (security review, finding 10): admins
//! see everything; an attendant the conversations of their queues and those they hold or
//! ever held — in transcripts (REST and socket), conversation state, a customer's list, the
//! live lists, resume points, and `reopen`.

use serde_json::{Value, json};

use crate::helpers::*;

/// A queue `billing`, and Cleo, an attendant of that queue only.
async fn cleo(app: &TestApp, admin: &Auth) -> Auth {
    app.put_queue(admin, "billing", "manual").await;
    let (_, cleo) = app
        .create_attendant_with(admin, "Cleo", json!({"queues": ["billing"]}))
        .await;
    cleo
}

#[tokio::test]
async fn an_attendant_of_another_queue_reads_nothing_of_a_conversation_and_cannot_take_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let cleo = cleo(&app, &admin).await;
    let mut bob_desk = app.attendant(&bob).await;
    let mut customer = app.customer(None).await;
    let customer_id = customer.welcome["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let open = start_chat(&mut customer).await;
    bob_desk.expect("assigned").await;
    customer.say(&open, "my card is 4111 1111 1111 1111").await;

    // REST: transcript, state, the customer's list and messages.
    for path in [
        format!("/session/{open}/messages"),
        format!("/api/conversations/{open}"),
    ] {
        let response = app.get(&path, &cleo).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(response.json::<Value>().await.unwrap()["code"], "forbidden");
        assert_eq!(app.get(&path, &bob).await.status(), 200, "{path}");
        assert_eq!(app.get(&path, &admin).await.status(), 200, "{path}");
    }
    let listed: Value = app
        .get(
            &format!("/api/customers/{customer_id}/conversations"),
            &cleo,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    let last: Value = app
        .get(&format!("/customer/{customer_id}/sessions/last"), &cleo)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last, json!([]));
    let messages: Value = app
        .get(&format!("/customer/{customer_id}/messages"), &cleo)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(messages["messages"], json!([]));
    let as_bob: Value = app
        .get(&format!("/customer/{customer_id}/messages"), &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(as_bob["messages"].as_array().unwrap().len(), 1);

    // The socket: not in her welcome, no history, no replay on resume.
    let mut cleo_desk = app
        .attendant_with(&cleo, json!([{"conversation": open, "last_seq": 0}]))
        .await;
    assert_eq!(cleo_desk.welcome["conversations"], json!([]));
    cleo_desk
        .send(json!({"type": "history", "conversation": open}))
        .await;
    let refused = cleo_desk.expect("error").await;
    assert_eq!(refused["code"], "forbidden");
    assert!(
        cleo_desk.answers().await,
        "and nothing was replayed before the pong"
    );
    assert!(
        !cleo_desk
            .pending_frames()
            .iter()
            .any(|f| f["type"] == "message"),
        "no message of the conversation reached her: {:?}",
        cleo_desk.pending_frames()
    );
    let bob_welcome = app.attendant(&bob).await.welcome;
    assert_eq!(bob_welcome["conversations"][0]["id"], open.as_str());

    // Closed, it cannot be taken back by her; by Bob (who held it) it can.
    bob_desk
        .send(json!({"type": "resolve", "conversation": open}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
    cleo_desk
        .send(json!({"type": "reopen", "conversation": open}))
        .await;
    assert_eq!(cleo_desk.expect("error").await["code"], "forbidden");
    bob_desk
        .send(json!({"type": "reopen", "conversation": open}))
        .await;
    let back = bob_desk
        .wait_for("assigned again", |f| {
            f["type"] == "assigned" && f["conversation"]["id"] == open.as_str()
        })
        .await;
    assert_eq!(back["conversation"]["status"], "assigned");
}

#[tokio::test]
async fn a_conversation_moved_out_of_an_attendants_queues_leaves_their_list_and_stays_readable_to_its_holder()
 {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let cleo = cleo(&app, &admin).await;
    let (_, dan) = app.create_attendant(&admin, "Dan", 3).await;
    let mut bob_desk = app.attendant(&bob).await;
    let mut cleo_desk = app.attendant(&cleo).await;
    let mut dan_desk = app.attendant(&dan).await;
    // Dan goes away so that Bob gets the chat.
    dan_desk
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    dan_desk.expect("presence").await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    bob_desk.expect("assigned").await;
    // Dan, of the same queue, is shown it.
    dan_desk
        .wait_for("shown", |f| {
            f["type"] == "conversation" && f["conversation"]["id"] == conversation.as_str()
        })
        .await;

    bob_desk
        .send(json!({"type": "transfer", "conversation": conversation, "to": {"queue": "billing"}}))
        .await;
    // Cleo, of billing, is shown it now; Dan is told it left his sight.
    cleo_desk
        .wait_for("shown", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == conversation.as_str()
                && f["conversation"]["queue"] == "billing"
        })
        .await;
    dan_desk
        .wait_for("withdrawn", |f| {
            f["type"] == "withdrawn" && f["conversation"] == conversation.as_str()
        })
        .await;
    // Bob held it: he may still read it.
    assert_eq!(
        app.get(&format!("/session/{conversation}/messages"), &bob)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&format!("/session/{conversation}/messages"), &dan)
            .await
            .status(),
        403
    );
}
