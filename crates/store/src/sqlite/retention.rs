//! The retention sweep in one transaction (see [`crate::Store::purge_ended_before`]). The
//! files' bytes on disk go after the commit (`store_impl`), as for an erasure: a crash between
//! leaves orphan bytes no record names, never a record without its bytes.

use chimpassist_protocol::{FileId, TimestampMs};
use rusqlite::{Connection, params};

use super::codec::{uuid_bytes, uuid_id};
use crate::{Purged, StoreResult};

const DUE: &str = "SELECT id FROM conversations \
    WHERE purged_at IS NULL AND ended_at IS NOT NULL AND ended_at < ?1 \
    AND status IN ('resolved', 'expired', 'abandoned') ORDER BY ended_at LIMIT ?2";

pub(crate) fn purge(
    conn: &Connection,
    cutoff: TimestampMs,
    at: TimestampMs,
    limit: u32,
) -> StoreResult<(Purged, Vec<FileId>)> {
    let due: Vec<chimpassist_protocol::ConversationId> = conn
        .prepare_cached(DUE)?
        .query_map(params![cutoff, limit], |row| uuid_id(row, 0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut purged = Purged::default();
    let mut files = Vec::new();
    for id in due {
        let id = uuid_bytes(id.as_uuid());
        purged.messages += conn
            .prepare_cached("DELETE FROM messages WHERE conversation_id = ?1")?
            .execute([&id])? as u64;
        purged.notes += conn
            .prepare_cached("DELETE FROM notes WHERE conversation_id = ?1")?
            .execute([&id])? as u64;
        let mut stmt =
            conn.prepare_cached("DELETE FROM files WHERE conversation_id = ?1 RETURNING id")?;
        let gone = stmt
            .query_map([&id], |row| uuid_id(row, 0))?
            .collect::<rusqlite::Result<Vec<FileId>>>()?;
        purged.files += gone.len() as u64;
        files.extend(gone);
        conn.prepare_cached(
            "UPDATE conversations SET subject = NULL, rating_comment = NULL, purged_at = ?2 \
             WHERE id = ?1",
        )?
        .execute(params![id, at])?;
        purged.conversations += 1;
    }
    Ok((purged, files))
}
