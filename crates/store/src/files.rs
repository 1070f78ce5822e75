//! Records of uploaded files (attachments): what a backend keeps beside their bytes.

use chimpassist_protocol::{
    ClientMessageId, ConversationId, CustomerId, FileInfo, Party, TimestampMs,
};

/// A file to keep, with its bytes (already checked by the server: size, type, name).
#[derive(Clone, PartialEq, Eq)]
pub struct NewFile {
    pub record: FileRecord,
    pub bytes: Vec<u8>,
    /// A small image made from `bytes`, when it is one the server could read.
    pub thumbnail: Option<Vec<u8>>,
}

impl std::fmt::Debug for NewFile {
    /// The bytes are left out: a debug line of a 10 MiB upload would be 30 MB of text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewFile")
            .field("record", &self.record)
            .field("bytes", &self.bytes.len())
            .field("thumbnail", &self.thumbnail.as_ref().map(Vec::len))
            .finish()
    }
}

/// What is known of a stored file besides its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRecord {
    pub info: FileInfo,
    /// The conversation it was uploaded to: only its messages may carry it.
    pub conversation: ConversationId,
    /// The conversation's customer, whoever uploaded it: deleting a customer's data
    /// ([`crate::Store::delete_customer_files`]) finds their files by it.
    pub customer: CustomerId,
    pub uploader_party: Party,
    pub uploader_id: String,
    /// The uploader's idempotency key: one file per `(conversation, uploader_id, client_id)`.
    pub client_id: ClientMessageId,
    /// Content type of the thumbnail, when there is one.
    pub thumbnail_type: Option<String>,
    pub created_at: TimestampMs,
}

/// Result of [`crate::Store::put_file`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutFile {
    pub file: FileRecord,
    /// True when the key was already used: `file` is the original, nothing new was kept.
    pub duplicate: bool,
}

/// Which bytes of a file to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilePart {
    Original,
    Thumbnail,
}
