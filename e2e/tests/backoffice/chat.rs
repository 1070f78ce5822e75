//! Chatting at the desk.

use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Attendant, Browser, ChimpServer, HostPage, create_attendant, login_cookie,
    snippet,
};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_chat_from_login_to_rating() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"title": "Help"}))).await;
    let office = Browser::new().await;

    first_admin_sign_in(&office, &server).await;
    let admin_cookie = login_cookie(&server, "admin", NEW_ADMIN_PASSWORD).await;
    let bob_id = create_attendant(&server, &admin_cookie, "bob@example.com", "Bob").await;
    let me: Value = reqwest::Client::new()
        .get(server.url("/api/me"))
        .header("cookie", &admin_cookie)
        .send()
        .await
        .expect("GET /api/me")
        .json()
        .await
        .expect("me as JSON");
    let admin_id = me["id"].as_str().expect("admin id").to_owned();
    let canned = reqwest::Client::new()
        .post(server.url("/api/canned"))
        .header("cookie", &admin_cookie)
        .json(&json!({"shortcut": "thanks", "text": "Thank you for waiting!"}))
        .send()
        .await
        .expect("creating a canned response");
    assert_eq!(canned.status(), 201);
    // Reload so the composer knows the canned response created behind its back.
    office.goto(&server.url("/")).await;
    go_online(&office).await;

    // The customer writes; the conversation is assigned and opens by itself.
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Maria", "My order is late").await;
    office
        .wait_text(
            "[data-testid=online] [data-testid=conversation] [data-testid=customer-name]",
            "Maria",
        )
        .await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Maria")
        .await;
    office
        .wait_text("[data-testid=subject]", "My order is late")
        .await;

    // Typing shows on the attendant's side.
    customer
        .shadow_send_keys(W, ".ca-composer textarea", "Are you th")
        .await;
    office.wait_for("[data-testid=typing-line]").await;
    customer
        .shadow_send_keys(W, ".ca-composer textarea", &format!("ere?{}", enter()))
        .await;
    office
        .wait_text(
            "[data-testid=message-theirs] [data-testid=message-text]",
            "Are you there?",
        )
        .await;

    // A reply, by a canned response: `/thanks` + Enter fills it in, Enter sends it.
    office.type_into("[data-testid=composer]", "/than").await;
    office.wait_text("[data-testid=canned]", "/thanks").await;
    office.type_into("[data-testid=composer]", &enter()).await;
    office
        .wait_until(
            "document.querySelector('[data-testid=composer]').value === 'Thank you for waiting!'",
        )
        .await;
    office.type_into("[data-testid=composer]", &enter()).await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", "Thank you for waiting!")
        .await;
    // The widget is open and visible, so it reads at once: the reply gets the read tick.
    office
        .wait_for("[data-testid=message-ours] [data-testid=tick].read")
        .await;

    // Markup typed by the attendant is shown as text on both sides.
    let markup = "<img src=x onerror=\"window.pwned=1\"><b>bold</b>";
    office
        .type_into("[data-testid=composer]", &format!("{markup}{}", enter()))
        .await;
    office
        .wait_text(
            "[data-testid=message-ours] [data-testid=message-text]",
            markup,
        )
        .await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", markup)
        .await;
    assert_eq!(
        office
            .count("[data-testid=message-text] img, [data-testid=message-text] b")
            .await,
        0
    );
    assert_eq!(
        office.eval("window.pwned === undefined").await,
        Value::Bool(true)
    );
    assert_eq!(
        customer.eval("window.pwned === undefined").await,
        Value::Bool(true)
    );

    // A private note: shown to attendants, never to the customer.
    office.click("[data-testid=note-toggle]").await;
    office
        .type_into(
            "[data-testid=composer]",
            &format!("VIP customer, be quick{}", enter()),
        )
        .await;
    office
        .wait_text(
            "[data-testid=note] [data-testid=message-text]",
            "VIP customer",
        )
        .await;
    office.screenshot("backoffice-chat").await;
    let customer_texts = customer.shadow_texts(W, ".ca-msg .ca-text").await;
    assert!(
        customer_texts.iter().all(|t| !t.contains("VIP")),
        "the customer saw a private note: {customer_texts:?}"
    );
    office.click(".ba-mode button:first-child").await;

    // Transfer to Bob: it leaves my lists and reaches him.
    let mut bob = Attendant::login(&server, "bob@example.com", ATTENDANT_PASSWORD).await;
    bob.online().await;
    office
        .select_option("[data-testid=transfer]", &format!("a:{bob_id}"))
        .await;
    let conversation = bob.wait_assigned().await;
    office
        .wait_gone("[data-testid=online] [data-testid=conversation]")
        .await;
    office
        .wait_text("[data-testid=not-yours]", "not assigned to you")
        .await;

    // Bob hands it back; I resolve it; the customer rates it and I see the rating.
    bob.send_frame(json!({"type": "transfer", "conversation": conversation,
        "to": {"attendant": admin_id}}))
        .await;
    office
        .wait_for("[data-testid=online] [data-testid=conversation]")
        .await;
    office.wait_for("[data-testid=composer]").await;
    office.click("[data-testid=resolve]").await;
    office.wait_for("[data-testid=ended]").await;
    customer.wait_shadow(W, ".ca-rating").await;
    customer
        .shadow_click(W, ".ca-stars button[data-score='4']")
        .await;
    customer
        .shadow_send_keys(W, ".ca-rating textarea", "Quick and kind")
        .await;
    customer.shadow_click(W, "button.ca-rate").await;
    office.wait_text(".ba-csat", "★★★★").await;
    office.wait_text(".ba-csat", "Quick and kind").await;
    // An admin may export the customer's data from the panel (a download of the zip).
    let export = office
        .eval("[document.querySelector('.panel-export').getAttribute('href'), document.querySelector('.panel-export').hasAttribute('download')]")
        .await;
    let href = export[0].as_str().expect("the export link");
    assert!(
        href.starts_with("/api/contacts/") && href.ends_with("/export") && export[1] == true,
        "{export}"
    );

    // Resolved conversations stay findable: by message text, and in my recent ones.
    office.type_into("[data-testid=search]", "you there").await;
    office.wait_text("[data-testid=result-name]", "Maria").await;
    office.click(".ba-recent-toggle").await;
    office.wait_text(".ba-recent .ba-stars", "★★★★").await;

    // The admin pages: a new attendant created from the form appears in the table.
    office.click("[data-testid=nav-admin]").await;
    office.wait_for(".ba-admin-attendants").await;
    office
        .type_into(
            "form.ba-new-attendant input[name=email]",
            "carla@example.com",
        )
        .await;
    office
        .type_into("form.ba-new-attendant input[name=name]", "Carla")
        .await;
    office
        .type_into(
            "form.ba-new-attendant input[name=password]",
            "carla-secret-1",
        )
        .await;
    office
        .click("form.ba-new-attendant button[type=submit]")
        .await;
    office
        .wait_text(".ba-admin-attendants tr", "carla@example.com")
        .await;
    office.screenshot("backoffice-admin").await;

    let errors: Vec<Value> = office
        .console_logs()
        .await
        .into_iter()
        // 401s from signing in with a wrong password, and from asking whether we are
        // signed in before we are, are expected; script errors are not.
        .filter(|e| e["level"] == "SEVERE" && e["source"] != "network")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    bob.close().await;
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_queue_next_customer() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;
    let queue = reqwest::Client::new()
        .put(server.url("/api/queues/default"))
        .header("cookie", &admin_cookie)
        .json(&json!({"id": "default", "name": "Support", "mode": "manual"}))
        .send()
        .await
        .expect("switching the queue to manual");
    assert!(queue.status().is_success(), "{}", queue.status());

    let office = Browser::new().await;
    sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    go_online(&office).await;
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Rui", "Where is my refund?").await;

    // Waiting, with its wait time, until I take it.
    office
        .wait_text(
            "[data-testid=waiting] [data-testid=conversation] [data-testid=customer-name]",
            "Rui",
        )
        .await;
    office
        .wait_text(
            "[data-testid=waiting] [data-testid=conversation] [data-testid=time]",
            "waiting",
        )
        .await;
    office.screenshot("backoffice-queue").await;
    office.click("[data-testid=next-customer]").await;
    office
        .wait_text(
            "[data-testid=online] [data-testid=conversation] [data-testid=customer-name]",
            "Rui",
        )
        .await;
    assert_eq!(
        office
            .count("[data-testid=waiting] [data-testid=conversation]")
            .await,
        0
    );
    customer.wait_shadow_text(W, ".ca-subtitle", "Ana").await;
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_stay_in_step_and_survive_a_server_restart() {
    let mut server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;
    let (tab_a, tab_b) = (Browser::new().await, Browser::new().await);
    for tab in [&tab_a, &tab_b] {
        sign_in(tab, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
        tab.wait_for("[data-testid=lists]").await;
    }
    go_online(&tab_a).await;
    // Presence is the attendant's, not the tab's.
    tab_b
        .wait_for("[data-testid=presence-online][aria-pressed=true]")
        .await;

    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Lia", "Broken zipper").await;
    for tab in [&tab_a, &tab_b] {
        tab.wait_text(
            "[data-testid=online] [data-testid=conversation] [data-testid=customer-name]",
            "Lia",
        )
        .await;
        tab.wait_text("[data-testid=chat-customer-name]", "Lia")
            .await;
    }
    tab_a
        .type_into(
            "[data-testid=composer]",
            &format!("Sorry to hear that{}", enter()),
        )
        .await;
    tab_b
        .wait_text(
            "[data-testid=message-ours] [data-testid=message-text]",
            "Sorry to hear that",
        )
        .await;

    // The server goes away: both tabs say so; what is typed meanwhile waits, then goes once.
    server.pause().await;
    tab_a.wait_for("[data-testid=reconnecting]").await;
    tab_a
        .type_into(
            "[data-testid=composer]",
            &format!("Sending a new one today{}", enter()),
        )
        .await;
    tab_a
        .wait_for("[data-testid=message-ours] [data-testid=tick][aria-label=sending]")
        .await;
    server.resume().await;
    tab_a.wait_gone("[data-testid=reconnecting]").await;
    tab_a
        .wait_gone("[data-testid=message-ours] [data-testid=tick][aria-label=sending]")
        .await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", "Sending a new one today")
        .await;
    tab_b
        .wait_text(
            "[data-testid=message-ours] [data-testid=message-text]",
            "Sending a new one today",
        )
        .await;
    // Stored exactly once, as the server's history says.
    let conversation = tab_a
        .eval("document.querySelector('[data-testid=online] [data-testid=conversation]').dataset.conversation")
        .await;
    let history: Value = reqwest::Client::new()
        .get(server.url(&format!(
            "/session/{}/messages",
            conversation.as_str().expect("conversation id")
        )))
        .header("cookie", &admin_cookie)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("history as JSON");
    let copies = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["text"] == "Sending a new one today")
        .count();
    assert_eq!(copies, 1, "{history}");
    assert_eq!(
        tab_a
            .texts("[data-testid=message-ours] [data-testid=message-text]")
            .await,
        ["Sorry to hear that", "Sending a new one today"],
        "each message once, in order"
    );
    // The customer leaves: the conversation moves to the offline list, with when last seen.
    customer.close().await;
    tab_a
        .wait_text(
            "[data-testid=offline] [data-testid=conversation] [data-testid=customer-name]",
            "Lia",
        )
        .await;
    tab_a
        .wait_text(".ba-chat-meta .ba-last-seen", "last seen")
        .await;
    tab_a.close().await;
    tab_b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_moved_out_of_my_queues_leaves_the_chat_pane() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    let (_, office) = ana_beside_a_sales_queue(&server, &admin_cookie).await;
    go_online(&office).await;
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Lia", "Which size?").await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Lia")
        .await;

    // Handed to a queue Ana is not in: the server withdraws it from her sight.
    office
        .select_option("[data-testid=transfer]", "q:sales")
        .await;
    office.wait_gone("[data-testid=chat-header]").await;
    office.wait_for("[data-testid=chat-placeholder]").await;
    office
        .wait_text("[data-testid=notice]", "moved out of your queues")
        .await;
    assert_eq!(office.count("[data-testid=conversation]").await, 0);
    customer.close().await;
    office.close().await;
}
