//! Files' bytes on disk, kept in step with their rows: the bytes (and thumbnail) are durable
//! before the record is visible, and bytes no record owns any more are removed. The
//! [`crate::Store`] file methods and the erasures call these.

use chimpassist_protocol::FileId;

use super::{SqliteStore, files};
use crate::{FilePart, NewFile, PutFile, StoreError, StoreResult};

impl SqliteStore {
    /// Bytes first, then the row; a retried upload (same key) returns the original and
    /// keeps nothing new.
    pub(super) async fn put_file_and_bytes(&self, file: NewFile) -> StoreResult<PutFile> {
        let record = file.record;
        let key = record.clone();
        if let Some(original) = self.read(move |c| files::by_key(c, &key)).await? {
            return Ok(PutFile {
                file: original,
                duplicate: true,
            });
        }
        let id = record.info.id;
        let (bytes, thumbnail) = (file.bytes, file.thumbnail);
        self.on_disk(move |blobs| {
            blobs.write(&id, FilePart::Original, &bytes)?;
            match thumbnail {
                Some(thumbnail) => blobs.write(&id, FilePart::Thumbnail, &thumbnail),
                None => Ok(()),
            }
        })
        .await?;
        let row = record.clone();
        let inserted = self.write(move |c| files::insert(c, &row)).await;
        match inserted {
            Ok(None) => Ok(PutFile {
                file: record,
                duplicate: false,
            }),
            // The same key won a race meanwhile, or nothing was kept: these bytes are no one's.
            Ok(Some(_)) | Err(_) => {
                if let Err(e) = self.remove_bytes(vec![id]).await {
                    tracing::warn!(error = %e, file = %id, "could not remove an unused file");
                }
                inserted.map(|original| PutFile {
                    file: original.unwrap_or(record),
                    duplicate: true,
                })
            }
        }
    }

    /// A part's bytes, when the file (and, for the thumbnail, one) exists.
    pub(super) async fn bytes_of(
        &self,
        id: FileId,
        part: FilePart,
    ) -> StoreResult<Option<Vec<u8>>> {
        let Some(record) = self.read(move |c| files::get(c, &id)).await? else {
            return Ok(None);
        };
        if part == FilePart::Thumbnail && record.thumbnail_type.is_none() {
            return Ok(None);
        }
        match self.on_disk(move |blobs| blobs.read(&id, part)).await? {
            Some(bytes) => Ok(Some(bytes)),
            // A record is committed only after its bytes: they cannot be missing.
            None => Err(StoreError::internal(format!(
                "the bytes of file {id} are missing"
            ))),
        }
    }

    /// Removes the bytes of files whose rows are gone (deleted, erased, purged).
    pub(super) async fn remove_bytes(&self, ids: Vec<FileId>) -> StoreResult<()> {
        self.on_disk(move |blobs| ids.iter().try_for_each(|id| blobs.remove(id)))
            .await
    }
}
