//! Files: kept whole and durably, idempotent by key, deleted with their customer's data.

use std::sync::Arc;

use chimpassist_protocol::{ClientMessageId, FileId, FileInfo, FileName, Party};

use super::support::*;
use crate::{Conversation, FilePart, FileRecord, NewFile, Store, StoredMessage};

pub(super) fn record(conv: &Conversation, name: &str) -> FileRecord {
    FileRecord {
        info: FileInfo {
            id: FileId::new(),
            name: FileName::parse(name).expect("a safe name"),
            size: 0,
            content_type: "image/png".to_owned(),
            width: Some(640),
            height: Some(480),
        },
        conversation: conv.id,
        customer: conv.customer_id.clone(),
        uploader_party: Party::Customer,
        uploader_id: conv.customer_id.as_str().to_owned(),
        client_id: ClientMessageId::new(),
        thumbnail_type: Some("image/jpeg".to_owned()),
        created_at: T0,
    }
}

/// A file of `bytes` (its size set to match), with a thumbnail when `thumbnail` is given.
pub(super) fn new_file(
    mut record: FileRecord,
    bytes: Vec<u8>,
    thumbnail: Option<Vec<u8>>,
) -> NewFile {
    record.info.size = bytes.len() as u64;
    if thumbnail.is_none() {
        record.thumbnail_type = None;
    }
    NewFile {
        record,
        bytes,
        thumbnail,
    }
}

/// Bytes no other test repeats by accident, large enough to span GridFS chunks.
fn bytes_of(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

pub async fn a_file_reads_back_whole_with_its_thumbnail(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let bytes = bytes_of(1, 600_000);
    let file = new_file(
        record(&conv, "screen.png"),
        bytes.clone(),
        Some(vec![9; 2048]),
    );
    let put = store.put_file(file.clone()).await.expect("put_file");
    assert!(!put.duplicate);
    assert_eq!(put.file, file.record);
    let id = file.record.info.id;
    assert_eq!(
        store.get_file(&id).await.expect("get_file"),
        Some(file.record)
    );
    let original = store
        .file_bytes(&id, FilePart::Original)
        .await
        .expect("read");
    assert!(
        original == Some(bytes),
        "the bytes read back are the bytes kept"
    );
    let thumbnail = store
        .file_bytes(&id, FilePart::Thumbnail)
        .await
        .expect("read");
    assert_eq!(thumbnail, Some(vec![9; 2048]));

    let plain = new_file(record(&conv, "notes.txt"), b"hello".to_vec(), None);
    store.put_file(plain.clone()).await.expect("put_file");
    let id = plain.record.info.id;
    assert_eq!(
        store
            .file_bytes(&id, FilePart::Thumbnail)
            .await
            .expect("read"),
        None,
        "no thumbnail was kept"
    );
    assert_eq!(
        store.get_file(&FileId::new()).await.expect("get_file"),
        None
    );
    assert_eq!(
        store
            .file_bytes(&FileId::new(), FilePart::Original)
            .await
            .expect("read"),
        None
    );
}

pub async fn a_file_needs_its_conversation(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let mut orphan = record(&conv, "x.png");
    orphan.conversation = crate::ConversationId::new();
    let id = orphan.info.id;
    let put = store.put_file(new_file(orphan, vec![1, 2, 3], None)).await;
    assert_err(put, "NotFound", "a file for an unknown conversation");
    assert_eq!(store.get_file(&id).await.expect("get_file"), None);
}

pub async fn a_retried_upload_keeps_one_file(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let first = new_file(record(&conv, "a.png"), bytes_of(2, 1000), None);
    store.put_file(first.clone()).await.expect("put_file");
    // The retry gets a new id from the server, but the same key.
    let mut again = record(&conv, "a.png");
    again.client_id = first.record.client_id;
    let again = new_file(again, bytes_of(3, 1000), None);
    let put = store.put_file(again.clone()).await.expect("put again");
    assert!(put.duplicate);
    assert_eq!(put.file, first.record, "the original is returned");
    assert_eq!(
        store.get_file(&again.record.info.id).await.expect("get"),
        None
    );
    let kept = store
        .file_bytes(&first.record.info.id, FilePart::Original)
        .await
        .expect("read");
    assert!(kept == Some(first.bytes), "the original bytes are kept");

    // The same key from another uploader is another file.
    let mut other = record(&conv, "a.png");
    other.client_id = first.record.client_id;
    other.uploader_party = Party::Attendant;
    other.uploader_id = "att-1".to_owned();
    let put = store
        .put_file(new_file(other, bytes_of(4, 10), None))
        .await
        .expect("put");
    assert!(!put.duplicate);
}

pub async fn concurrent_retries_keep_one_file(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let key = ClientMessageId::new();
    let puts = concurrently(6, |i| {
        let store = store.clone();
        let mut r = record(&conv, "race.png");
        r.client_id = key;
        let file = new_file(r, bytes_of(i as u8, 70_000), None);
        async move { store.put_file(file).await.expect("put_file") }
    })
    .await;
    let fresh: Vec<_> = puts.iter().filter(|p| !p.duplicate).collect();
    assert_eq!(fresh.len(), 1, "exactly one put keeps the file");
    let kept = &fresh[0].file;
    assert!(
        puts.iter().all(|p| &p.file == kept),
        "every put answers with it"
    );
    for put in &puts {
        let found = store.get_file(&put.file.info.id).await.expect("get");
        assert_eq!(found.as_ref(), Some(kept));
    }
}

pub async fn deleting_a_customers_files_leaves_the_others(store: Arc<dyn Store>) {
    let mine = queued_conversation(&*store, T0).await;
    let theirs = queued_conversation(&*store, T0).await;
    let a = new_file(record(&mine, "a.png"), bytes_of(5, 100), Some(vec![1]));
    let b = new_file(record(&mine, "b.pdf"), bytes_of(6, 100), None);
    let c = new_file(record(&theirs, "c.png"), bytes_of(7, 100), None);
    for file in [&a, &b, &c] {
        store.put_file(file.clone()).await.expect("put_file");
    }
    let deleted = store
        .delete_customer_files(&mine.customer_id)
        .await
        .expect("delete");
    assert_eq!(deleted, 2);
    for gone in [&a, &b] {
        let id = gone.record.info.id;
        assert_eq!(store.get_file(&id).await.expect("get"), None);
        for part in [FilePart::Original, FilePart::Thumbnail] {
            assert_eq!(store.file_bytes(&id, part).await.expect("read"), None);
        }
    }
    let kept = c.record.info.id;
    assert_eq!(
        store
            .file_bytes(&kept, FilePart::Original)
            .await
            .expect("read"),
        Some(c.bytes)
    );
    let again = store
        .delete_customer_files(&mine.customer_id)
        .await
        .expect("delete again");
    assert_eq!(again, 0);
}

pub async fn a_message_keeps_what_its_files_were(store: Arc<dyn Store>) {
    let conv = queued_conversation(&*store, T0).await;
    let file = new_file(record(&conv, "shot.png"), bytes_of(8, 100), None);
    store.put_file(file.clone()).await.expect("put_file");
    let message = crate::NewMessage {
        text: chimpassist_protocol::MessageText::none(),
        attachments: vec![file.record.info.clone()],
        ..customer_message(conv.id, &conv.customer_id, "-", T0 + 1)
    };
    let written = store.append_message(message).await.expect("append");
    assert!(written.message.text.is_empty(), "a message of files only");
    let read: Vec<StoredMessage> = store
        .messages_before(&conv.id, None, 10)
        .await
        .expect("messages_before");
    assert_eq!(read, vec![written.message.clone()]);
    assert_eq!(read[0].attachments, vec![file.record.info]);
    let after = store.messages_after(&conv.id, 0, 10).await.expect("after");
    assert_eq!(after, read, "resume reads them too");
}
