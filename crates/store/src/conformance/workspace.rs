//! Canned responses, private notes, who held a conversation, and search.

use std::sync::Arc;

use chimpassist_protocol::{
    AttendantId, AttributeChanges, Attributes, CannedId, ConversationId, ConversationStatus,
    CustomerId, NoteId, QueueId, SearchQuery, Shortcut, TimestampMs,
};

use super::support::*;
use crate::{
    AttendantChange, Conversation, SearchMatch, Store, StoredCanned, StoredNote, Visibility,
};

fn canned(shortcut: &str, body: &str, at: TimestampMs) -> StoredCanned {
    StoredCanned {
        id: CannedId::new(),
        shortcut: Shortcut::parse(shortcut).expect("valid shortcut"),
        text: text(body),
        updated_at: at,
    }
}

/// Listed by shortcut; a shortcut is unique on create and on update; update and delete of
/// an unknown id are `NotFound`; a deleted shortcut can be used again.
pub async fn canned_shortcuts_are_unique_and_listed_in_order(store: Arc<dyn Store>) {
    let hello = canned("hello", "Hello! How can I help?", T0);
    let bye = canned("bye", "Thanks, bye!", T0 + 1);
    let refund = canned("refund-policy", "Refunds take 5 days.", T0 + 2);
    for c in [&hello, &refund, &bye] {
        store.create_canned(c.clone()).await.expect("create_canned");
    }
    let list = store.list_canned().await.expect("list_canned");
    assert_eq!(
        list,
        vec![bye.clone(), hello.clone(), refund.clone()],
        "by shortcut"
    );

    assert_err(
        store
            .create_canned(canned("HELLO", "another", T0 + 3))
            .await,
        "Conflict",
        "a repeated shortcut (input is lower-cased)",
    );
    let mut renamed = bye.clone();
    renamed.shortcut = hello.shortcut.clone();
    assert_err(
        store.update_canned(renamed).await,
        "Conflict",
        "an update to a taken shortcut",
    );

    let mut edited = bye.clone();
    edited.text = text("Thank you, goodbye!");
    edited.updated_at = T0 + 10;
    store
        .update_canned(edited.clone())
        .await
        .expect("update keeping its own shortcut");
    let mut moved = refund.clone();
    moved.shortcut = Shortcut::parse("a-refund").expect("valid");
    moved.updated_at = T0 + 11;
    store.update_canned(moved.clone()).await.expect("rename");
    let list = store.list_canned().await.expect("list_canned");
    assert_eq!(list, vec![moved, edited, hello.clone()], "after updates");

    assert_err(
        store.update_canned(canned("ghost", "x", T0)).await,
        "NotFound",
        "update of an unknown id",
    );
    assert_err(
        store.delete_canned(&CannedId::new()).await,
        "NotFound",
        "delete of an unknown id",
    );
    store.delete_canned(&hello.id).await.expect("delete_canned");
    assert!(
        !store
            .list_canned()
            .await
            .expect("list_canned")
            .iter()
            .any(|c| c.id == hello.id),
        "a deleted response is gone"
    );
    store
        .create_canned(canned("hello", "Hi again", T0 + 20))
        .await
        .expect("a deleted shortcut is free again");
}

fn note(conversation: ConversationId, author: &AttendantId, body: &str, at: i64) -> StoredNote {
    StoredNote {
        id: NoteId::new(),
        conversation,
        author: author.clone(),
        text: text(body),
        created_at: at,
    }
}

/// Oldest first, per conversation; never messages; `NotFound` for an unknown conversation.
pub async fn notes_are_ordered_kept_apart_and_never_messages(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 3).await;
    let first = queued_conversation(&*store, T0).await;
    let second = queued_conversation(&*store, T0 + 1).await;
    store
        .append_message(customer_message(first.id, &first.customer_id, "hi", T0 + 1))
        .await
        .expect("append");
    let late = note(first.id, &a.id, "VIP customer", T0 + 30);
    let early = note(first.id, &a.id, "asked about refunds before", T0 + 10);
    let other = note(second.id, &a.id, "other conversation", T0 + 20);
    for n in [&late, &other, &early] {
        store.create_note(n.clone()).await.expect("create_note");
    }
    assert_eq!(
        store.notes(&first.id).await.expect("notes"),
        vec![early, late],
        "oldest first, only this conversation's"
    );
    assert_eq!(store.notes(&second.id).await.expect("notes"), vec![other]);
    assert!(
        store
            .notes(&ConversationId::new())
            .await
            .expect("notes of unknown")
            .is_empty()
    );

    let conv = store
        .get_conversation(&first.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(conv.last_seq, 1, "a note must not move last_seq");
    let before = store
        .messages_before(&first.id, None, 10)
        .await
        .expect("messages_before");
    let after = store
        .messages_after(&first.id, 0, 10)
        .await
        .expect("messages_after");
    let history = store
        .customer_messages(&first.customer_id, None, 10)
        .await
        .expect("customer_messages");
    for (what, messages) in [("before", before), ("after", after), ("customer", history)] {
        let texts: Vec<_> = messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, vec!["hi"], "{what}: notes are not messages");
    }
    let hits = store
        .search(&query("VIP"), &Visibility::All, 10)
        .await
        .expect("search");
    assert!(hits.is_empty(), "search must not find notes: {hits:?}");

    assert_err(
        store
            .create_note(note(ConversationId::new(), &a.id, "x", T0))
            .await,
        "NotFound",
        "note on an unknown conversation",
    );
}

/// Every attendant ever given the conversation, the current one included.
pub async fn conversation_attendants_lists_every_holder(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 3).await;
    let b = new_attendant(&*store, 3).await;
    let conv = queued_conversation(&*store, T0).await;
    assert!(
        store
            .conversation_attendants(&conv.id)
            .await
            .expect("conversation_attendants")
            .is_empty(),
        "never assigned"
    );
    assign(&*store, conv.id, &a.id, T0 + 1).await;
    use ConversationStatus::*;
    store
        .transition(transition(
            conv.id,
            &[Assigned],
            Assigned,
            AttendantChange::Set(b.id.clone()),
            T0 + 2,
        ))
        .await
        .expect("transfer");
    let mut held = store
        .conversation_attendants(&conv.id)
        .await
        .expect("conversation_attendants");
    held.sort();
    let mut want = vec![a.id, b.id];
    want.sort();
    assert_eq!(held, want);
    assert_err(
        store.conversation_attendants(&ConversationId::new()).await,
        "NotFound",
        "conversation_attendants of unknown",
    );
}

fn query(raw: &str) -> SearchQuery {
    SearchQuery::parse(raw).expect("valid query")
}

/// A conversation of a new customer called `name`, requested at `at`, in `queue`.
async fn conversation_of(store: &dyn Store, name: &str, at: i64, queue: &str) -> Conversation {
    let mut customer = customer_record();
    customer.name = name.to_owned();
    let customer = store.create_customer(customer).await.expect("customer");
    let mut new = new_conversation(&customer.id, at);
    new.queue_id = QueueId::parse(queue).expect("queue");
    store.create_conversation(new).await.expect("conversation")
}

async fn say(store: &dyn Store, conv: &Conversation, body: &str, at: i64) {
    store
        .append_message(customer_message(conv.id, &conv.customer_id, body, at))
        .await
        .expect("append");
}

/// (conversation, matched message text) of each hit, in order.
fn summary(hits: &[SearchMatch]) -> Vec<(ConversationId, Option<String>)> {
    hits.iter()
        .map(|h| {
            let text = h.message.as_ref().map(|m| m.text.as_str().to_owned());
            (h.conversation.id, text)
        })
        .collect()
}

async fn find(store: &dyn Store, raw: &str) -> Vec<(ConversationId, Option<String>)> {
    summary(
        &store
            .search(&query(raw), &Visibility::All, 50)
            .await
            .expect("search"),
    )
}

/// Names and texts match as substrings, ASCII case-insensitively; newest request first;
/// each hit carries its newest matching message; `limit` is kept.
pub async fn search_matches_names_and_newest_message_text(store: Arc<dyn Store>) {
    let ana = conversation_of(&*store, "Ana Souza", T0, "default").await;
    let bruno = conversation_of(&*store, "Bruno", T0 + 1, "default").await;
    let carla = conversation_of(&*store, "Carla", T0 + 2, "default").await;
    say(&*store, &ana, "my order is late", T0 + 10).await;
    say(&*store, &bruno, "I want a REFUND", T0 + 11).await;
    say(&*store, &bruno, "nothing here", T0 + 12).await;
    say(&*store, &bruno, "refund, please!", T0 + 13).await;
    say(&*store, &bruno, "thanks", T0 + 14).await;
    say(&*store, &carla, "Refund for souza's order", T0 + 15).await;

    assert_eq!(
        find(&*store, "SOUZA").await,
        vec![
            (carla.id, Some("Refund for souza's order".to_owned())),
            (ana.id, None),
        ],
        "by name (no message) and by text, newest request first"
    );
    assert_eq!(
        find(&*store, "refund").await,
        vec![
            (carla.id, Some("Refund for souza's order".to_owned())),
            (bruno.id, Some("refund, please!".to_owned())),
        ],
        "each conversation once, with its newest matching message"
    );
    assert!(find(&*store, "nobody says this").await.is_empty());
    let limited = store
        .search(&query("refund"), &Visibility::All, 1)
        .await
        .expect("search");
    assert_eq!(summary(&limited)[0].0, carla.id, "limit keeps the newest");
    assert_eq!(limited.len(), 1);
    assert_eq!(
        limited[0].message.as_ref().map(|m| m.seq),
        Some(1),
        "the message comes whole"
    );
}

fn changes(v: serde_json::Value) -> AttributeChanges {
    serde_json::from_value(v).expect("attribute changes")
}

pub async fn search_finds_customers_by_their_attribute_values(store: Arc<dyn Store>) {
    let ana = conversation_of(&*store, "Ana", T0, "default").await;
    let bruno = conversation_of(&*store, "Bruno", T0 + 1, "default").await;
    let set = changes(serde_json::json!({"plan": "Enterprise Gold", "orders": 1234}));
    let after = store
        .update_customer_attributes(&ana.customer_id, &set, T0 + 5)
        .await
        .expect("update_customer_attributes");
    let attributes = Attributes::default().merged(&set).unwrap();
    assert_eq!(after, Some(attributes.clone()));
    assert_eq!(
        store.customer_attributes(&ana.customer_id).await.unwrap(),
        attributes,
        "kept whole, numbers as numbers"
    );
    assert_eq!(
        store
            .update_customer_attributes(&ana.customer_id, &set, T0 + 6)
            .await
            .unwrap(),
        None,
        "nothing changed"
    );
    assert_eq!(
        store.customer_attributes(&bruno.customer_id).await.unwrap(),
        Attributes::default()
    );
    assert_eq!(find(&*store, "gold").await, vec![(ana.id, None)]);
    assert_eq!(find(&*store, "1234").await, vec![(ana.id, None)]);
    assert!(
        find(&*store, "plan").await.is_empty(),
        "names of attributes are not searched, only values"
    );
    // Removed: the old value no longer finds her.
    store
        .update_customer_attributes(
            &ana.customer_id,
            &changes(serde_json::json!({"plan": null})),
            T0 + 7,
        )
        .await
        .unwrap();
    assert!(find(&*store, "gold").await.is_empty());
    assert!(!find(&*store, "1234").await.is_empty());
    let unknown = CustomerId::parse("nobody").expect("an id");
    assert_err(
        store
            .update_customer_attributes(&unknown, &set, T0 + 8)
            .await,
        "NotFound",
        "update_customer_attributes of unknown",
    );
}

pub async fn concurrent_attribute_changes_all_land_within_the_limit(store: Arc<dyn Store>) {
    let ana = conversation_of(&*store, "Ana", T0, "default").await;
    // Ten tabs, each setting its own name at once: every one is kept.
    concurrently(10, |i| {
        let (store, id) = (store.clone(), ana.customer_id.clone());
        async move {
            store
                .update_customer_attributes(
                    &id,
                    &changes(serde_json::json!({format!("tab{i}"): i})),
                    T0 + 1,
                )
                .await
                .expect("update_customer_attributes")
        }
    })
    .await;
    let kept = store.customer_attributes(&ana.customer_id).await.unwrap();
    assert_eq!(kept.iter().count(), 10, "{kept:?}");
    // Past the limit: refused whole, nothing of it kept.
    let many: serde_json::Map<String, serde_json::Value> = (0..41)
        .map(|i| (format!("more{i}"), serde_json::json!(i)))
        .collect();
    assert_err(
        store
            .update_customer_attributes(
                &ana.customer_id,
                &changes(serde_json::Value::Object(many)),
                T0 + 2,
            )
            .await,
        "Conflict",
        "past the limit",
    );
    assert_eq!(
        store.customer_attributes(&ana.customer_id).await.unwrap(),
        kept
    );
}

/// `%`, `_`, `\` and regular-expression characters match only themselves.
pub async fn search_takes_wildcards_and_regex_characters_literally(store: Arc<dyn Store>) {
    let texts = [
        "100% sure",
        "1000 sure",
        "a_b here",
        "axb here",
        "a.b here",
        "(c) [d] {e} x+y ^z$ a|b q? C:\\temp",
    ];
    let mut convs = Vec::new();
    for (i, body) in texts.iter().enumerate() {
        let conv = conversation_of(&*store, "Visitor", T0 + i as i64, "default").await;
        say(&*store, &conv, body, T0 + 100).await;
        convs.push(conv.id);
    }
    let only = |i: usize| vec![(convs[i], Some(texts[i].to_owned()))];
    assert_eq!(find(&*store, "0%").await, only(0), "% is literal");
    assert_eq!(find(&*store, "a_b").await, only(2), "_ is literal");
    assert_eq!(find(&*store, "a.b").await, only(4), ". is literal");
    for special in [
        "(c)", "[d]", "{e}", "x+y", "^z$", "a|b", "q?", "C:\\temp", "\\t",
    ] {
        assert_eq!(
            find(&*store, special).await,
            only(5),
            "{special} is literal"
        );
    }
    assert!(find(&*store, ".*").await.is_empty(), ".* is literal");
    assert!(find(&*store, "%%").await.is_empty(), "%% is literal");
}

/// Attendants see their queues' conversations and those ever assigned to them; admins all.
pub async fn search_respects_visibility(store: Arc<dyn Store>) {
    let a = new_attendant(&*store, 3).await;
    let b = new_attendant(&*store, 3).await;
    let mine = conversation_of(&*store, "Dana", T0, "default").await;
    let billing = conversation_of(&*store, "Dana", T0 + 1, "billing").await;
    let held = conversation_of(&*store, "Dana", T0 + 2, "billing").await;
    assign(&*store, held.id, &a.id, T0 + 3).await;
    use ConversationStatus::*;
    store
        .transition(transition(
            held.id,
            &[Assigned],
            Assigned,
            AttendantChange::Set(b.id.clone()),
            T0 + 4,
        ))
        .await
        .expect("transfer away from a");

    let ids = |hits: Vec<SearchMatch>| -> Vec<ConversationId> {
        hits.into_iter().map(|h| h.conversation.id).collect()
    };
    let dana = query("dana");
    let all = store
        .search(&dana, &Visibility::All, 10)
        .await
        .expect("all");
    assert_eq!(ids(all), vec![held.id, billing.id, mine.id]);

    let of_a = Visibility::Attendant {
        id: a.id.clone(),
        queues: vec![QueueId::default_queue()],
    };
    let seen = store.search(&dana, &of_a, 10).await.expect("a");
    assert_eq!(
        ids(seen),
        vec![held.id, mine.id],
        "their queue and a conversation once theirs"
    );
    let of_b = Visibility::Attendant {
        id: b.id.clone(),
        queues: vec![],
    };
    let seen = store.search(&dana, &of_b, 10).await.expect("b");
    assert_eq!(ids(seen), vec![held.id], "only the one they hold");
    let billing_team = Visibility::Attendant {
        id: b.id.clone(),
        queues: vec![QueueId::parse("billing").expect("queue")],
    };
    let seen = store
        .search(&dana, &billing_team, 10)
        .await
        .expect("billing");
    assert_eq!(ids(seen), vec![held.id, billing.id]);
}
