//! Files: bytes in a directory beside the database, records in the `files` table.
//!
//! Why not in SQLite: every write goes through the one writer thread, and a 10 MiB blob
//! written there would hold every message commit queued behind it. Written here, the bytes
//! cost the writer nothing; only the small record goes through it.
//!
//! Why not content-addressed: two records sharing one blob need a reference count, and
//! deleting a customer's files would race with another upload of the same bytes (which found
//! the blob already there and skipped writing it). One blob per file id cannot race.
//!
//! No partial file is ever visible: bytes go to a hidden temporary file, are fsynced, renamed
//! into place and the directory fsynced; only then is the record committed (fsynced too). A
//! crash in between leaves bytes with no record, which no read can reach.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chimpassist_protocol::{CustomerId, FileId, FileInfo, FileName, Party};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{enum_col, int, parsed, uuid_bytes, uuid_id};
use crate::{FilePart, FileRecord, StoreError, StoreResult};

const COLS: &str = "id, conversation_id, customer_id, uploader_party, uploader_id, client_id, \
                    name, size, content_type, width, height, thumbnail_type, created_at";

/// Where the bytes of files live: `<dir>/<two hex digits>/<file id>[.thumb]`.
#[derive(Clone, Debug)]
pub(crate) struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// The directory beside `database` (`chimpassist.sqlite3` → `chimpassist-files`).
    pub(crate) fn beside(database: &Path) -> Self {
        let stem = database
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "store".to_owned());
        Self {
            dir: database.with_file_name(format!("{stem}-files")),
        }
    }

    fn path(&self, id: &FileId, part: FilePart) -> PathBuf {
        let id = id.as_uuid().simple().to_string();
        // The last digits: UUIDv7s share their first ones for a while (they are the time).
        let shard = &id[id.len() - 2..];
        let name = match part {
            FilePart::Original => id.clone(),
            FilePart::Thumbnail => format!("{id}.thumb"),
        };
        self.dir.join(shard).join(name)
    }

    /// Writes `bytes` durably under the file's name (see the module docs). Blocking.
    pub(crate) fn write(&self, id: &FileId, part: FilePart, bytes: &[u8]) -> StoreResult<()> {
        let path = self.path(id, part);
        let shard = path.parent().unwrap_or(&self.dir);
        let new_shard = !shard.exists();
        fs::create_dir_all(shard).map_err(io_error)?;
        let partial = shard.join(format!(
            ".{}.partial",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        let mut file = File::create(&partial).map_err(io_error)?;
        file.write_all(bytes).map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        fs::rename(&partial, &path).map_err(io_error)?;
        sync_dir(shard)?;
        if new_shard {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// `None` when the bytes are not there. Blocking.
    pub(crate) fn read(&self, id: &FileId, part: FilePart) -> StoreResult<Option<Vec<u8>>> {
        match fs::read(self.path(id, part)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    /// Removes both parts; absent ones are not an error. Blocking.
    pub(crate) fn remove(&self, id: &FileId) -> StoreResult<()> {
        for part in [FilePart::Original, FilePart::Thumbnail] {
            match fs::remove_file(self.path(id, part)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error)
}

/// A disk that is full or refuses access may recover: the upload can be retried.
fn io_error(e: io::Error) -> StoreError {
    StoreError::Unavailable(format!("file storage: {e}"))
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<FileRecord> {
    let size: i64 = row.get(7)?;
    Ok(FileRecord {
        info: FileInfo {
            id: uuid_id(row, 0)?,
            name: parsed(row, 6, FileName::parse)?,
            size: u64::try_from(size).unwrap_or_default(),
            content_type: row.get(8)?,
            width: row.get(9)?,
            height: row.get(10)?,
        },
        conversation: uuid_id(row, 1)?,
        customer: parsed(row, 2, CustomerId::parse)?,
        uploader_party: enum_col(row, 3, Party::parse)?,
        uploader_id: row.get(4)?,
        client_id: uuid_id(row, 5)?,
        thumbnail_type: row.get(11)?,
        created_at: row.get(12)?,
    })
}

pub(crate) fn get(conn: &Connection, id: &FileId) -> StoreResult<Option<FileRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM files WHERE id = ?1"))?
        .query_row([uuid_bytes(id.as_uuid())], record_from_row)
        .optional()?)
}

/// The record already kept under `file`'s key, if any.
pub(crate) fn by_key(conn: &Connection, file: &FileRecord) -> StoreResult<Option<FileRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM files \
             WHERE conversation_id = ?1 AND uploader_id = ?2 AND client_id = ?3"
        ))?
        .query_row(
            params![
                uuid_bytes(file.conversation.as_uuid()),
                file.uploader_id,
                uuid_bytes(file.client_id.as_uuid())
            ],
            record_from_row,
        )
        .optional()?)
}

/// Inserts the record (its bytes are already durable), or returns the original when the key
/// was taken meanwhile. `NotFound` when the conversation does not exist.
pub(crate) fn insert(conn: &Connection, file: &FileRecord) -> StoreResult<Option<FileRecord>> {
    if let Some(original) = by_key(conn, file)? {
        return Ok(Some(original));
    }
    let conversation = uuid_bytes(file.conversation.as_uuid());
    conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?
        .query_row([conversation], |_| Ok(()))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let info = &file.info;
    conn.prepare_cached(&format!(
        "INSERT INTO files ({COLS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?
    .execute(params![
        uuid_bytes(info.id.as_uuid()),
        conversation,
        file.customer.as_str(),
        file.uploader_party.as_str(),
        file.uploader_id,
        uuid_bytes(file.client_id.as_uuid()),
        info.name.as_str(),
        int(info.size),
        info.content_type,
        info.width,
        info.height,
        file.thumbnail_type,
        file.created_at
    ])?;
    Ok(None)
}

/// Deletes the customer's records and returns their ids (whose bytes go next).
pub(crate) fn delete_of(conn: &Connection, customer: &CustomerId) -> StoreResult<Vec<FileId>> {
    let mut stmt = conn.prepare_cached("DELETE FROM files WHERE customer_id = ?1 RETURNING id")?;
    let ids = stmt.query_map([customer.as_str()], |row| uuid_id(row, 0))?;
    Ok(ids.collect::<rusqlite::Result<_>>()?)
}
