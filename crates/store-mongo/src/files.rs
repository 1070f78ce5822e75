//! Files: bytes in the GridFS bucket `attachments` (so any node serves any file), records in
//! `files`.
//!
//! GridFS writes a file's chunks first and its `attachments.files` document last, when the
//! upload stream closes; the record in `files` is inserted after that. So a record is only
//! ever found with all of its bytes, and an upload cut short leaves at most chunks no
//! document points to. A file's GridFS ids are `<file id>` and `<file id>.thumb` (strings).

use chimpassist_protocol::{CustomerId, FileId};
use chimpassist_store::{FilePart, FileRecord, NewFile, PutFile, StoreError, StoreResult};
use futures_util::TryStreamExt;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use mongodb::Collection;
use mongodb::bson::{Bson, doc};
use mongodb::error::{ErrorKind, GridFsErrorKind};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::GridFsBucketOptions;
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::codec::{AttachmentDoc, from_uuid, uuid};
use crate::error::{OrStore, bad_document, is_duplicate_key};
use crate::schema::FILES;

/// The GridFS bucket's name (collections `attachments.files` and `attachments.chunks`).
pub(crate) const BUCKET: &str = "attachments";

#[derive(Debug, Serialize, Deserialize)]
struct FileDoc {
    /// The file id, as in `info.id`.
    #[serde(rename = "_id")]
    id: mongodb::bson::Uuid,
    conversation_id: mongodb::bson::Uuid,
    customer_id: String,
    uploader_party: String,
    uploader_id: String,
    client_id: mongodb::bson::Uuid,
    info: AttachmentDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thumbnail_type: Option<String>,
    created_at: i64,
}

impl FileDoc {
    fn new(f: &FileRecord) -> Self {
        Self {
            id: uuid(f.info.id.as_uuid()),
            conversation_id: uuid(f.conversation.as_uuid()),
            customer_id: f.customer.as_str().to_owned(),
            uploader_party: f.uploader_party.as_str().to_owned(),
            uploader_id: f.uploader_id.clone(),
            client_id: uuid(f.client_id.as_uuid()),
            info: AttachmentDoc::new(&f.info),
            thumbnail_type: f.thumbnail_type.clone(),
            created_at: f.created_at,
        }
    }

    fn into_model(self) -> StoreResult<FileRecord> {
        Ok(FileRecord {
            info: self.info.into_model()?,
            conversation: from_uuid(self.conversation_id),
            customer: CustomerId::parse(self.customer_id)
                .map_err(|e| bad_document(format!("file customer: {e}")))?,
            uploader_party: chimpassist_protocol::Party::parse(&self.uploader_party)
                .ok_or_else(|| bad_document("file uploader party"))?,
            uploader_id: self.uploader_id,
            client_id: from_uuid(self.client_id),
            thumbnail_type: self.thumbnail_type,
            created_at: self.created_at,
        })
    }
}

fn records(store: &MongoStore) -> Collection<FileDoc> {
    store.db.collection(FILES)
}

fn bucket(store: &MongoStore) -> GridFsBucket {
    store.db.gridfs_bucket(
        GridFsBucketOptions::builder()
            .bucket_name(BUCKET.to_owned())
            .build(),
    )
}

fn grid_id(id: &FileId, part: FilePart) -> Bson {
    let id = id.as_uuid().simple().to_string();
    Bson::String(match part {
        FilePart::Original => id,
        FilePart::Thumbnail => format!("{id}.thumb"),
    })
}

async fn by_key(store: &MongoStore, f: &FileRecord) -> StoreResult<Option<FileRecord>> {
    let key = doc! {
        "conversation_id": uuid(f.conversation.as_uuid()),
        "uploader_id": &f.uploader_id,
        "client_id": uuid(f.client_id.as_uuid()),
    };
    records(store)
        .find_one(key)
        .await
        .or_store()?
        .map(FileDoc::into_model)
        .transpose()
}

async fn upload(store: &MongoStore, id: &FileId, part: FilePart, bytes: &[u8]) -> StoreResult<()> {
    let name = grid_id(id, part);
    let mut stream = bucket(store)
        .open_upload_stream(name.as_str().unwrap_or_default())
        .id(name)
        .await
        .or_store()?;
    stream.write_all(bytes).await.map_err(io_error)?;
    // Closing writes the last chunk and then the file document.
    stream.close().await.map_err(io_error)?;
    Ok(())
}

/// The upload stream reports driver errors wrapped in `std::io::Error`.
fn io_error(e: std::io::Error) -> StoreError {
    match e
        .into_inner()
        .map(|inner| inner.downcast::<mongodb::error::Error>())
    {
        Some(Ok(driver)) => crate::error::store_error(*driver),
        Some(Err(other)) => StoreError::Unavailable(format!("file storage: {other}")),
        None => StoreError::Unavailable("file storage failed".to_owned()),
    }
}

/// Removes both parts of a file; absent ones are not an error.
async fn remove(store: &MongoStore, id: &FileId) -> StoreResult<()> {
    for part in [FilePart::Original, FilePart::Thumbnail] {
        match bucket(store).delete(grid_id(id, part)).await {
            Ok(()) => {}
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(crate::error::store_error(e)),
        }
    }
    Ok(())
}

fn is_missing(e: &mongodb::error::Error) -> bool {
    matches!(
        e.kind.as_ref(),
        ErrorKind::GridFs(GridFsErrorKind::FileNotFound { .. })
    )
}

pub(crate) async fn put(store: &MongoStore, file: NewFile) -> StoreResult<PutFile> {
    let record = file.record;
    if let Some(original) = by_key(store, &record).await? {
        return Ok(PutFile {
            file: original,
            duplicate: true,
        });
    }
    let conversation = doc! {"_id": uuid(record.conversation.as_uuid())};
    let found = store
        .db
        .collection::<mongodb::bson::Document>(crate::schema::CONVERSATIONS)
        .count_documents(conversation)
        .await
        .or_store()?;
    if found == 0 {
        return Err(StoreError::NotFound);
    }
    let id = record.info.id;
    upload(store, &id, FilePart::Original, &file.bytes).await?;
    if let Some(thumbnail) = &file.thumbnail {
        upload(store, &id, FilePart::Thumbnail, thumbnail).await?;
    }
    match records(store).insert_one(FileDoc::new(&record)).await {
        Ok(_) => Ok(PutFile {
            file: record,
            duplicate: false,
        }),
        // The same key won a race meanwhile: these bytes are no one's.
        Err(e) if is_duplicate_key(&e) => {
            remove(store, &id).await?;
            let original = by_key(store, &record)
                .await?
                .ok_or_else(|| StoreError::internal("a duplicate file key with no record"))?;
            Ok(PutFile {
                file: original,
                duplicate: true,
            })
        }
        Err(e) => Err(crate::error::store_error(e)),
    }
}

pub(crate) async fn get(store: &MongoStore, id: &FileId) -> StoreResult<Option<FileRecord>> {
    records(store)
        .find_one(doc! {"_id": uuid(id.as_uuid())})
        .await
        .or_store()?
        .map(FileDoc::into_model)
        .transpose()
}

pub(crate) async fn bytes(
    store: &MongoStore,
    id: &FileId,
    part: FilePart,
) -> StoreResult<Option<Vec<u8>>> {
    let Some(record) = get(store, id).await? else {
        return Ok(None);
    };
    if part == FilePart::Thumbnail && record.thumbnail_type.is_none() {
        return Ok(None);
    }
    let mut stream = bucket(store)
        .open_download_stream(grid_id(id, part))
        .await
        .or_store()?;
    let mut bytes = Vec::with_capacity(usize::try_from(record.info.size).unwrap_or_default());
    stream.read_to_end(&mut bytes).await.map_err(io_error)?;
    Ok(Some(bytes))
}

pub(crate) async fn delete_of(store: &MongoStore, customer: &CustomerId) -> StoreResult<u64> {
    delete_matching(store, doc! {"customer_id": customer.as_str()}).await
}

/// Deletes the files of these conversations (records and bytes); returns how many.
pub(crate) async fn delete_in(
    store: &MongoStore,
    conversations: &[mongodb::bson::Bson],
) -> StoreResult<u64> {
    delete_matching(store, doc! {"conversation_id": {"$in": conversations}}).await
}

async fn delete_matching(store: &MongoStore, filter: mongodb::bson::Document) -> StoreResult<u64> {
    let docs: Vec<FileDoc> = records(store)
        .find(filter.clone())
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    // Bytes before the record: if this stops half way, a second call finds the record again
    // and finishes (removing absent bytes is not an error), so nothing is left unreachable.
    let mut count = 0;
    for doc in docs {
        let id: FileId = from_uuid(doc.id);
        remove(store, &id).await?;
        records(store)
            .delete_one(doc! {"_id": doc.id})
            .await
            .or_store()?;
        count += 1;
    }
    Ok(count)
}
