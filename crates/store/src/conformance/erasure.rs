//! Erasing a customer: nothing of them stays reachable (record, messages, notes, files,
//! callbacks, search), their conversations stay for the reports under the placeholder, and
//! nobody else's data is touched.

use std::sync::Arc;

use chimpassist_protocol::{ConversationStatus, NoteId, Rating, SearchQuery};

use super::files::{new_file, record};
use super::support::*;
use crate::erasure::ERASED_CUSTOMER;
use crate::{Erased, FilePart, Store, StoredNote, Visibility};

/// Everything of one customer goes; a second customer's stays; an open conversation blocks it.
pub async fn erasing_a_customer_leaves_nothing_of_them(store: Arc<dyn Store>) {
    let agent = new_attendant(&*store, 5).await;
    let mut ana = customer_record();
    ana.name = "Ana Zebulon".to_owned();
    ana.email = Some("ana@example.com".to_owned());
    let ana = store.create_customer(ana).await.expect("create");
    let other = new_customer(&*store).await;

    let first = store
        .create_conversation(new_conversation(&ana.id, T0))
        .await
        .unwrap();
    assign(&*store, first.id, &agent.id, T0 + 1).await;
    for (n, body) in ["zebulon here", "my card 4111"].iter().enumerate() {
        let m = customer_message(first.id, &ana.id, body, T0 + 2 + n as i64);
        store.append_message(m).await.expect("append");
    }
    let file = new_file(record(&first, "id-card.png"), vec![7; 64], Some(vec![1; 8]));
    store.put_file(file.clone()).await.expect("put_file");
    store
        .create_note(StoredNote {
            id: NoteId::new(),
            conversation: first.id,
            author: agent.id.clone(),
            text: text("angry customer"),
            created_at: T0 + 5,
        })
        .await
        .expect("note");
    resolve(&*store, first.id, T0 + 6).await;
    let rating = Rating {
        score: 2,
        comment: Some("slow".to_owned()),
    };
    store
        .set_rating(&first.id, rating, T0 + 7)
        .await
        .expect("rate");
    let mut callback = super::misc::callback(T0 + 8, "Ana Zebulon");
    callback.customer_id = Some(ana.id.clone());
    store.create_callback(callback).await.expect("callback");

    let theirs = store
        .create_conversation(new_conversation(&other.id, T0))
        .await
        .unwrap();
    let kept = customer_message(theirs.id, &other.id, "zebulon is my street", T0 + 3);
    store.append_message(kept).await.expect("append");

    // While a conversation of theirs is open, nothing is erased.
    let open = store
        .create_conversation(new_conversation(&ana.id, T0 + 10))
        .await
        .unwrap();
    assert_err(
        store.erase_customer(&ana.id, T0 + 11).await,
        "Conflict",
        "erasing with an open conversation",
    );
    assert!(store.get_customer(&ana.id).await.unwrap().is_some());
    resolve(&*store, open.id, T0 + 12).await;

    let erased = store.erase_customer(&ana.id, T0 + 20).await.expect("erase");
    assert_eq!(
        erased,
        Erased {
            conversations: 2,
            messages: 2,
            notes: 1,
            files: 1,
            callbacks: 1,
        }
    );
    assert_eq!(store.get_customer(&ana.id).await.unwrap(), None);
    assert!(
        store
            .messages_after(&first.id, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .customer_messages(&ana.id, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.notes(&first.id).await.unwrap().is_empty());
    assert!(store.customer_callbacks(&ana.id).await.unwrap().is_empty());
    assert!(
        store
            .customer_conversations(&ana.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let id = file.record.info.id;
    assert_eq!(store.get_file(&id).await.unwrap(), None);
    for part in [FilePart::Original, FilePart::Thumbnail] {
        assert_eq!(store.file_bytes(&id, part).await.unwrap(), None);
    }
    // The conversation stays for the reports, with nothing of them.
    let left = store
        .get_conversation(&first.id)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(left.customer_id.as_str(), ERASED_CUSTOMER);
    assert_eq!(left.subject, None);
    assert_eq!(left.status, ConversationStatus::Resolved);
    let left_rating = left.rating.expect("the score stays");
    assert_eq!((left_rating.score, left_rating.comment), (2, None));
    let placeholder = store
        .get_customer(&left.customer_id)
        .await
        .unwrap()
        .expect("the placeholder");
    assert_eq!(placeholder.email, None);
    // Search finds only the other customer's message.
    let hits = store
        .search(
            &SearchQuery::parse("zebulon").unwrap(),
            &Visibility::All,
            10,
        )
        .await
        .unwrap();
    let found: Vec<_> = hits.iter().map(|h| h.conversation.id).collect();
    assert_eq!(found, vec![theirs.id]);
    assert_eq!(
        store.messages_after(&theirs.id, 0, 10).await.unwrap().len(),
        1
    );

    assert_err(
        store.erase_customer(&ana.id, T0 + 30).await,
        "NotFound",
        "erasing twice",
    );
    assert_err(
        store.erase_customer(&left.customer_id, T0 + 30).await,
        "Conflict",
        "erasing the placeholder",
    );
}
