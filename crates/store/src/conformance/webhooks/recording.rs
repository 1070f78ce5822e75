//! Which writes record which events in the outbox, once each, and only the types asked for.

use super::*;

/// Each write records the event the table in `events` names, exactly once: a resend and a
/// refused transition record nothing, accepting an assignment records nothing.
pub async fn every_change_records_its_event_once(store: Arc<dyn Store>) {
    use ConversationStatus::*;
    let hook = add_endpoint(&*store, T::ALL).await;
    let (ann, bob) = (
        new_attendant(&*store, 5).await,
        new_attendant(&*store, 5).await,
    );
    let conv = queued_conversation(&*store, T0).await;
    assign(&*store, conv.id, &ann.id, T0 + 1).await;
    let accept = transition(conv.id, &[Assigned], Active, AttendantChange::Keep, T0 + 2);
    store.transition(accept).await.expect("accept");
    let refused = transition(
        conv.id,
        &[Queued],
        Assigned,
        AttendantChange::Set(bob.id.clone()),
        T0 + 3,
    );
    assert!(store.transition(refused).await.is_err(), "refused");
    let hand_over = transition(
        conv.id,
        &[Active],
        Assigned,
        AttendantChange::Set(bob.id.clone()),
        T0 + 4,
    );
    store.transition(hand_over).await.expect("transfer");
    let message = customer_message(conv.id, &conv.customer_id, "where is my order?", T0 + 5);
    store.append_message(message.clone()).await.expect("append");
    assert!(
        store
            .append_message(message)
            .await
            .expect("resend")
            .duplicate
    );
    let mut call = customer_message(conv.id, &conv.customer_id, "Voice call", T0 + 6);
    call.call = Some(CallRecord {
        call_id: CallId::new(),
        media: CallMedia::Voice,
        started_by: Party::Customer,
        invited_at: T0 + 6,
        answered_at: None,
        ended_at: T0 + 6,
        reason: CallEndReason::Missed,
    });
    store.append_message(call).await.expect("call record");
    resolve(&*store, conv.id, T0 + 7).await;
    let rating = Rating {
        score: 5,
        comment: Some("quick".to_owned()),
    };
    store
        .set_rating(&conv.id, rating, T0 + 8)
        .await
        .expect("rate");
    let reopen = transition(conv.id, &[Resolved], Queued, AttendantChange::Clear, T0 + 9);
    store.transition(reopen).await.expect("reopen");
    let expire = transition(conv.id, &[Queued], Expired, AttendantChange::Keep, T0 + 10);
    store.transition(expire).await.expect("expire");
    store
        .create_callback(callback(T0 + 11))
        .await
        .expect("callback");
    let attributes: chimpassist_protocol::AttributeChanges =
        serde_json::from_value(serde_json::json!({"plan": "pro"})).expect("attributes");
    store
        .update_customer_attributes(&conv.customer_id, &attributes, T0 + 12)
        .await
        .expect("attributes");

    let fanned = store
        .fan_out_events(&subscribed(&[&hook]), 1_000)
        .await
        .unwrap();
    assert_eq!(fanned, 11, "events recorded");
    let claimed = claim(&*store, "node-a", &[&hook], LATER).await;
    let kinds: Vec<T> = claimed.iter().map(|d| d.event.kind).collect();
    assert_eq!(
        kinds,
        vec![
            T::ConversationCreated,
            T::ConversationAssigned,
            T::ConversationTransferred,
            T::MessageCreated,
            T::CallEnded,
            T::ConversationResolved,
            T::CsatSubmitted,
            T::ConversationReopened,
            T::ConversationEnded,
            T::CallbackRequested,
            T::ContactUpdated,
        ],
        "in the order they happened, each once"
    );
    let updated: serde_json::Value = serde_json::from_str(&claimed[10].event.data).unwrap();
    assert_eq!(updated["attributes"], serde_json::json!({"plan": "pro"}));
    assert_eq!(updated["customer_id"], conv.customer_id.as_str());

    let message = &claimed[3].event;
    let data: MessageEventData = serde_json::from_str(&message.data).expect("message data");
    assert_eq!(
        (data.text.as_str(), data.seq, message.at),
        ("where is my order?", 1, T0 + 5)
    );
    assert!(claimed.iter().all(|d| d.attempt == 1), "first attempts");
    let ids: BTreeSet<WebhookEventId> = claimed.iter().map(|d| d.event.id).collect();
    assert_eq!(ids.len(), claimed.len(), "distinct event ids");
}

/// `contact.updated` names the site's id only when the site proved it.
pub async fn contact_updated_names_only_a_proven_site_id(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, &[T::ContactUpdated]).await;
    let claimed = store
        .create_customer(Customer {
            external_id: Some("claimed-1".to_owned()),
            ..customer_record()
        })
        .await
        .expect("create_customer");
    let proven = store
        .upsert_verified_customer(Customer {
            external_id: Some("proven-2".to_owned()),
            verified: true,
            ..customer_record()
        })
        .await
        .expect("upsert_verified_customer");
    let attributes: chimpassist_protocol::AttributeChanges =
        serde_json::from_value(serde_json::json!({"plan": "pro"})).expect("attributes");
    for (c, at) in [(&claimed, T0 + 1), (&proven, T0 + 2)] {
        store
            .update_customer_attributes(&c.id, &attributes, at)
            .await
            .expect("update_customer_attributes");
    }
    store
        .fan_out_events(&subscribed(&[&hook]), 1_000)
        .await
        .unwrap();
    let claimed_events = claim(&*store, "node-a", &[&hook], LATER).await;
    let site_ids: Vec<serde_json::Value> = claimed_events
        .iter()
        .map(|d| {
            let data: serde_json::Value = serde_json::from_str(&d.event.data).unwrap();
            data.get("site_id").cloned().unwrap_or_default()
        })
        .collect();
    assert_eq!(
        site_ids,
        [serde_json::Value::Null, serde_json::json!("proven-2")],
        "an unproven id is not named: anyone can claim one"
    );
}

fn callback(created_at: i64) -> Callback {
    Callback {
        id: CallbackId::new(),
        queue_id: QueueId::default_queue(),
        customer_id: None,
        name: "Ana".to_owned(),
        phone: Some("+55 11 99999-0000".to_owned()),
        email: None,
        preferred_time: None,
        note: None,
        created_at,
        done_at: None,
        done_by: None,
    }
}

/// A store records the event types it was last told to (all, until told), and no others.
pub async fn only_the_event_types_asked_for_are_recorded(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, T::ALL).await;
    store.record_events(&[T::MessageCreated]);
    two_events(&*store, T0).await; // the conversation's creation is not recorded
    store.record_events(&[]);
    two_events(&*store, T0 + 10).await; // nothing is
    store.record_events(T::ALL);
    store
        .create_callback(callback(T0 + 20))
        .await
        .expect("callback");
    assert_eq!(
        store
            .fan_out_events(&subscribed(&[&hook]), 100)
            .await
            .unwrap(),
        2
    );
    let kinds: Vec<T> = claim(&*store, "n", &[&hook], LATER)
        .await
        .iter()
        .map(|d| d.event.kind)
        .collect();
    assert_eq!(kinds, [T::MessageCreated, T::CallbackRequested]);
}
