//! The retention sweep: conversations ended before the cutoff are emptied (messages, notes,
//! files, free texts), oldest end first and in batches; open ones, recent ones and other data
//! are untouched; a reopened conversation is swept again after it ends again.

use std::sync::Arc;

use chimpassist_protocol::{ConversationStatus, NoteId, Rating, SearchQuery};

use super::files::{new_file, record};
use super::support::*;
use crate::{AttendantChange, FilePart, Purged, Store, StoredNote, Visibility};

/// A conversation of a new customer with two messages, a note and a rating comment, ended at
/// `ended_at` (`None`: left open).
async fn lived(
    store: &dyn Store,
    agent: &crate::Attendant,
    at: i64,
    ended_at: Option<i64>,
    words: &str,
) -> crate::Conversation {
    let customer = new_customer(store).await;
    let c = store
        .create_conversation(new_conversation(&customer.id, at))
        .await
        .unwrap();
    assign(store, c.id, &agent.id, at + 1).await;
    for (n, body) in [words, "thanks"].iter().enumerate() {
        let m = customer_message(c.id, &customer.id, body, at + 2 + n as i64);
        store.append_message(m).await.expect("append");
    }
    store
        .create_note(StoredNote {
            id: NoteId::new(),
            conversation: c.id,
            author: agent.id.clone(),
            text: text("regular"),
            created_at: at + 4,
        })
        .await
        .expect("note");
    if let Some(ended_at) = ended_at {
        resolve(store, c.id, ended_at).await;
        let rating = Rating {
            score: 5,
            comment: Some("quick".to_owned()),
        };
        store.set_rating(&c.id, rating, ended_at + 1).await.unwrap();
    }
    c
}

pub async fn the_retention_sweep_empties_only_what_ended_before_the_cutoff(store: Arc<dyn Store>) {
    let agent = new_attendant(&*store, 10).await;
    let old = lived(&*store, &agent, T0, Some(T0 + 10), "quasar one").await;
    let older = lived(&*store, &agent, T0, Some(T0 + 5), "quasar two").await;
    let file = new_file(record(&old, "receipt.png"), vec![7; 64], Some(vec![1; 8]));
    store.put_file(file.clone()).await.expect("put_file");
    let recent = lived(&*store, &agent, T0, Some(T0 + 1_000), "quasar three").await;
    let open = lived(&*store, &agent, T0, None, "quasar four").await;

    // Batches of one, oldest end first.
    let first = store
        .purge_ended_before(T0 + 500, T0 + 2_000, 1)
        .await
        .unwrap();
    assert_eq!(
        first,
        Purged {
            conversations: 1,
            messages: 2,
            notes: 1,
            files: 0,
        },
        "the older one first"
    );
    assert!(
        store
            .messages_after(&older.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.messages_after(&old.id, 0, 10).await.unwrap().len(), 2);
    let second = store
        .purge_ended_before(T0 + 500, T0 + 2_000, 10)
        .await
        .unwrap();
    assert_eq!(
        second,
        Purged {
            conversations: 1,
            messages: 2,
            notes: 1,
            files: 1,
        }
    );
    let none = store
        .purge_ended_before(T0 + 500, T0 + 2_000, 10)
        .await
        .unwrap();
    assert_eq!(
        none,
        Purged::default(),
        "an emptied conversation is not swept again"
    );

    // Emptied: no messages, notes, files or free texts; the record stays for the reports.
    for c in [&old, &older] {
        assert!(store.messages_after(&c.id, 0, 10).await.unwrap().is_empty());
        assert!(store.notes(&c.id).await.unwrap().is_empty());
        let left = store.get_conversation(&c.id).await.unwrap().expect("kept");
        assert_eq!(left.status, ConversationStatus::Resolved);
        assert_eq!(left.subject, None);
        let rating = left.rating.expect("the score stays");
        assert_eq!((rating.score, rating.comment), (5, None));
    }
    let id = file.record.info.id;
    assert_eq!(store.get_file(&id).await.unwrap(), None);
    for part in [FilePart::Original, FilePart::Thumbnail] {
        assert_eq!(store.file_bytes(&id, part).await.unwrap(), None);
    }
    // Untouched: the recent and the open conversation.
    for c in [&recent, &open] {
        assert_eq!(store.messages_after(&c.id, 0, 10).await.unwrap().len(), 2);
        assert_eq!(store.notes(&c.id).await.unwrap().len(), 1);
    }
    let hits = store
        .search(&SearchQuery::parse("quasar").unwrap(), &Visibility::All, 10)
        .await
        .unwrap();
    let mut found: Vec<_> = hits.iter().map(|h| h.conversation.id).collect();
    found.sort();
    let mut expected = vec![recent.id, open.id];
    expected.sort();
    assert_eq!(found, expected, "search finds nothing emptied");

    // Reopened and ended again: what was written after goes in its time.
    use ConversationStatus::*;
    store
        .transition(transition(
            old.id,
            &[Resolved],
            Assigned,
            AttendantChange::Set(agent.id.clone()),
            T0 + 3_000,
        ))
        .await
        .expect("reopen");
    let again = customer_message(old.id, &old.customer_id, "back again", T0 + 3_001);
    store.append_message(again).await.expect("append");
    resolve(&*store, old.id, T0 + 3_002).await;
    let later = store
        .purge_ended_before(T0 + 4_000, T0 + 5_000, 10)
        .await
        .unwrap();
    assert_eq!(
        later.conversations, 2,
        "the reopened one and the recent one"
    );
    assert!(
        store
            .messages_after(&old.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.messages_after(&open.id, 0, 10).await.unwrap().len(),
        2
    );
}
