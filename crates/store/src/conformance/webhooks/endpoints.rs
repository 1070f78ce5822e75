//! Endpoints: kept, listed, edited, health-changed and deleted with their deliveries.

use super::*;

/// Endpoints are kept whole, listed oldest first, edited, health-changed without touching
/// anything else, and deleted.
pub async fn webhook_endpoints_lifecycle(store: Arc<dyn Store>) {
    let mut first = endpoint("https://a.example.com/h", &[T::MessageCreated], T0);
    first.previous_secret = Some(PreviousSecret {
        secret: "whsec_b2xk".to_owned(),
        until: T0 + 5,
    });
    let second = endpoint("https://b.example.com/h", &T::ALL[..3], T0 + 1);
    store
        .create_webhook(second.clone())
        .await
        .expect("create second");
    store
        .create_webhook(first.clone())
        .await
        .expect("create first");
    assert_err(
        store.create_webhook(first.clone()).await,
        "Conflict",
        "a taken id",
    );
    assert_eq!(
        store.get_webhook(&first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.list_webhooks().await.unwrap(),
        vec![first.clone(), second.clone()]
    );

    let mut edited = first.clone();
    edited.url = "https://a.example.com/v2".to_owned();
    edited.events = vec![T::CsatSubmitted, T::CallEnded];
    edited.previous_secret = None;
    edited.description = None;
    store.update_webhook(edited.clone()).await.expect("update");
    assert_eq!(
        store.get_webhook(&first.id).await.unwrap(),
        Some(edited.clone())
    );

    let health = |change| store.webhook_health(&first.id, change);
    health(HealthChange::Failed { at: T0 + 10 }).await.unwrap();
    health(HealthChange::Failed { at: T0 + 20 }).await.unwrap();
    let now = store.get_webhook(&first.id).await.unwrap().unwrap();
    assert_eq!(now.failing_since, Some(T0 + 10), "a streak keeps its start");
    assert_eq!(now.url, edited.url, "health leaves the rest alone");
    health(HealthChange::Succeeded).await.unwrap();
    assert_eq!(
        store
            .get_webhook(&first.id)
            .await
            .unwrap()
            .unwrap()
            .failing_since,
        None
    );
    health(HealthChange::Disable {
        reason: "410 Gone".to_owned(),
    })
    .await
    .unwrap();
    let now = store.get_webhook(&first.id).await.unwrap().unwrap();
    assert!(!now.enabled);
    assert_eq!(now.disabled_reason.as_deref(), Some("410 Gone"));
    store
        .webhook_health(&WebhookId::new(), HealthChange::Succeeded)
        .await
        .expect("health of a deleted endpoint is no error");

    store.delete_webhook(&first.id).await.expect("delete");
    assert_eq!(store.get_webhook(&first.id).await.unwrap(), None);
    assert_eq!(store.list_webhooks().await.unwrap(), vec![second]);
    assert_err(
        store.delete_webhook(&first.id).await,
        "NotFound",
        "delete twice",
    );
    let mut ghost = first;
    ghost.id = WebhookId::new();
    assert_err(
        store.update_webhook(ghost).await,
        "NotFound",
        "update absent",
    );
}

/// Deleting an endpoint drops its deliveries and its log, and only its own.
pub async fn deleting_an_endpoint_drops_its_deliveries(store: Arc<dyn Store>) {
    let gone = add_endpoint(&*store, T::ALL).await;
    let kept = add_endpoint(&*store, T::ALL).await;
    two_events(&*store, T0).await;
    store
        .fan_out_events(&subscribed(&[&gone, &kept]), 100)
        .await
        .unwrap();
    let d = claim(&*store, "n", &[&gone], LATER).await;
    assert!(
        finish(
            &*store,
            "n",
            attempt(&d[0], LATER, Some(500), DeliveryNext::RetryAt(LATER))
        )
        .await
    );
    store.delete_webhook(&gone.id).await.unwrap();
    assert!(
        store
            .delivery_log(&gone.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(claim(&*store, "n", &[&gone], LATER + 1).await.is_empty());
    assert_eq!(claim(&*store, "n", &[&kept], LATER + 1).await.len(), 2);

    // A fan-out that read the endpoint before its deletion leaves deliveries nobody will
    // claim: pruning drops them, and their events with them.
    let late = add_endpoint(&*store, T::ALL).await;
    two_events(&*store, T0 + 10).await;
    let subs = subscribed(&[&late]);
    store.delete_webhook(&late.id).await.unwrap();
    store.fan_out_events(&subs, 100).await.unwrap();
    let pruned = store.prune_webhook_events(LATER).await.unwrap();
    assert_eq!(
        pruned, 2,
        "not kept for a ghost; the ones still owed to `kept` stay"
    );
}
