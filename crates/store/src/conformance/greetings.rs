//! Proactive greeting rules: kept in the order they were created, replaced whole.

use std::sync::Arc;

use chimpassist_protocol::GreetingId;
use chimpassist_protocol::greeting::{
    GreetingFrequency, GreetingRequest, GreetingRule, PathPattern,
};

use super::support::*;
use crate::Store;

fn rule(name: &str, path: &str, at: i64) -> GreetingRule {
    GreetingRule {
        id: GreetingId::new(),
        rule: GreetingRequest {
            name: name.to_owned(),
            enabled: true,
            path: PathPattern::parse(path).expect("valid pattern"),
            delay_seconds: 30,
            frequency: GreetingFrequency::OncePerDay,
            only_when_online: true,
            text: text(&format!("Hello from {name}")),
            from: "Ana".to_owned(),
        },
        updated_at: at,
    }
}

/// Listed in creation order, every field read back as written; an update replaces the rule
/// in its place; update and delete of an unknown id are `NotFound`; a repeated id is
/// `Conflict`; a deleted rule is gone and a new one goes last.
pub async fn greetings_keep_their_order_and_are_replaced_whole(store: Arc<dyn Store>) {
    let list = || async { store.list_greetings().await.expect("list_greetings") };
    assert!(list().await.is_empty(), "none at first");
    let (a, b, c) = (
        rule("pricing", "/pricing*", T0),
        rule("about", "/about", T0 + 1),
        rule("all", "*", T0 + 2),
    );
    for r in [&a, &b, &c] {
        store.create_greeting(r.clone()).await.expect("create");
    }
    assert_eq!(list().await, vec![a.clone(), b.clone(), c.clone()]);
    assert_err(
        store.create_greeting(a.clone()).await,
        "Conflict",
        "a repeated id",
    );

    let mut edited = a.clone();
    edited.rule.enabled = false;
    edited.rule.from = "Sales".to_owned();
    edited.rule.frequency = GreetingFrequency::EveryPage;
    edited.rule.text = text("Questions about plans?");
    edited.updated_at = T0 + 10;
    store.update_greeting(edited.clone()).await.expect("update");
    assert_eq!(
        list().await,
        vec![edited.clone(), b.clone(), c.clone()],
        "updated in its place"
    );
    assert_err(
        store.update_greeting(rule("ghost", "/", T0)).await,
        "NotFound",
        "update of an unknown id",
    );
    assert_err(
        store.delete_greeting(&GreetingId::new()).await,
        "NotFound",
        "delete of an unknown id",
    );

    store.delete_greeting(&b.id).await.expect("delete");
    let d = rule("later", "/later", T0 + 20);
    store
        .create_greeting(d.clone())
        .await
        .expect("create after delete");
    assert_eq!(list().await, vec![edited, c, d], "deleted gone, new last");
}
