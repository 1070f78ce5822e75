//! Files in the chat: what an upload is and whether it is kept ([`check`]), its size and
//! thumbnail when it is an image ([`picture`]), and the signed links it is downloaded
//! through ([`links`]). [`Attachments::keep`] puts them together for the upload route;
//! storing is the store's (`Store::put_file`, on both backends).

pub mod check;
pub mod links;
pub mod picture;

use std::sync::Arc;

use chimpassist_protocol::{ClientMessageId, FileId, FileInfo, Party, TimestampMs};
use chimpassist_store::{Conversation, FileRecord, NewFile, PutFile, Store, StoreError};
use tokio::sync::Semaphore;

pub use check::{Checked, Checks, FileGroup, Refused};
pub use links::{LinkError, Links};
use picture::Unpictured;

/// Where files are uploaded (`api::files`): outside the small-body limit, with its own size
/// check and timeout (see `edge::guard`).
pub const UPLOAD_PATH: &str = "/api/attachments";

/// Why a file was not kept (mapped to HTTP once, in `crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("{}", .0.message())]
    Refused(Refused),
    /// A picture past the decode limits (a decompression bomb, or simply too large).
    #[error("the image has too many pixels (at most 12,000 a side and 64 megapixels)")]
    TooManyPixels,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The picture's task could not run (the runtime is shutting down).
    #[error("picturing the file failed: {0}")]
    Internal(String),
}

/// Who uploads.
#[derive(Clone, Debug)]
pub struct Uploader {
    pub party: Party,
    pub id: String,
}

/// An upload, read whole, to a conversation its uploader takes part in.
#[derive(Debug)]
pub struct Upload<'a> {
    pub conversation: &'a Conversation,
    pub uploader: Uploader,
    pub client_id: ClientMessageId,
    /// The name the browser sent (made safe before it is kept).
    pub claimed_name: String,
    pub bytes: Vec<u8>,
}

/// The deployment's file rules and keys.
#[derive(Debug)]
pub struct Attachments {
    pub checks: Checks,
    pub links: Links,
    /// Images decoded at once: decoding is CPU-heavy and takes up to 256 MiB each.
    pictures: Arc<Semaphore>,
}

impl Attachments {
    pub fn new(checks: Checks, links: Links) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            checks,
            links,
            pictures: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Checks the upload, pictures it if it is an image, and stores it (durably, before this
    /// returns). A retry with the same client id returns the first file.
    pub async fn keep(
        &self,
        store: &dyn Store,
        upload: Upload<'_>,
        now: TimestampMs,
    ) -> Result<PutFile, KeepError> {
        let checked = self
            .checks
            .check(&upload.claimed_name, &upload.bytes)
            .map_err(KeepError::Refused)?;
        let mut info = FileInfo {
            id: FileId::new(),
            name: checked.name,
            size: checked.size,
            content_type: checked.content_type.to_owned(),
            width: None,
            height: None,
        };
        let (bytes, thumbnail) = if checked.inline {
            self.picture(upload.bytes, &mut info).await?
        } else {
            (upload.bytes, None)
        };
        let record = FileRecord {
            info,
            conversation: upload.conversation.id,
            customer: upload.conversation.customer_id.clone(),
            uploader_party: upload.uploader.party,
            uploader_id: upload.uploader.id,
            client_id: upload.client_id,
            thumbnail_type: thumbnail.as_ref().map(|(_, t)| (*t).to_owned()),
            created_at: now,
        };
        let file = NewFile {
            record,
            bytes,
            thumbnail: thumbnail.map(|(bytes, _)| bytes),
        };
        Ok(store.put_file(file).await?)
    }

    /// Sizes `info` and makes the thumbnail, on the blocking pool. An image the decoder
    /// cannot read is kept as it is, without either; one past the decode limits is refused.
    async fn picture(
        &self,
        bytes: Vec<u8>,
        info: &mut FileInfo,
    ) -> Result<(Vec<u8>, Option<(Vec<u8>, &'static str)>), KeepError> {
        let _permit = Arc::clone(&self.pictures)
            .acquire_owned()
            .await
            .map_err(|e| KeepError::Internal(e.to_string()))?;
        let (bytes, pictured) = tokio::task::spawn_blocking(move || {
            let pictured = picture::picture(&bytes);
            (bytes, pictured)
        })
        .await
        .map_err(|e| KeepError::Internal(e.to_string()))?;
        match pictured {
            Ok(p) => {
                info.width = Some(p.width);
                info.height = Some(p.height);
                Ok((bytes, Some((p.thumbnail, p.thumbnail_type))))
            }
            Err(Unpictured::Unreadable) => Ok((bytes, None)),
            Err(Unpictured::TooLarge) => Err(KeepError::TooManyPixels),
        }
    }
}
