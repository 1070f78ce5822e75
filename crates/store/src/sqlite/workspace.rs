//! Canned responses, private notes, and who a conversation was ever given to.

use chimpassist_protocol::greeting::GreetingRule;
use chimpassist_protocol::{
    AttendantId, CannedId, ConversationId, GreetingId, MessageText, Shortcut,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::accounts::found;
use super::codec::{parsed, uuid_bytes, uuid_id};
use crate::{StoreError, StoreResult, StoredCanned, StoredNote};

// --- canned responses ------------------------------------------------------------------------

fn canned_from_row(row: &Row<'_>) -> rusqlite::Result<StoredCanned> {
    Ok(StoredCanned {
        id: uuid_id(row, 0)?,
        shortcut: parsed(row, 1, Shortcut::parse)?,
        // Like message text: a later, lower limit must not make stored ones unreadable.
        text: parsed(row, 2, |raw| MessageText::parse(raw, usize::MAX))?,
        updated_at: row.get(3)?,
    })
}

/// In shortcut order: the unique index `canned_responses_shortcut`.
pub(crate) fn list_canned(conn: &Connection) -> StoreResult<Vec<StoredCanned>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, shortcut, text, updated_at FROM canned_responses ORDER BY shortcut",
    )?;
    let rows = stmt.query_map([], canned_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The unique index turns a repeated shortcut into a `Conflict`.
pub(crate) fn create_canned(conn: &Connection, c: &StoredCanned) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO canned_responses (id, shortcut, text, updated_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        uuid_bytes(c.id.as_uuid()),
        c.shortcut.as_str(),
        c.text.as_str(),
        c.updated_at
    ])?;
    Ok(())
}

pub(crate) fn update_canned(conn: &Connection, c: &StoredCanned) -> StoreResult<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE canned_responses SET shortcut = ?2, text = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            uuid_bytes(c.id.as_uuid()),
            c.shortcut.as_str(),
            c.text.as_str(),
            c.updated_at
        ])?;
    found(changed)
}

pub(crate) fn delete_canned(conn: &Connection, id: &CannedId) -> StoreResult<()> {
    let changed = conn
        .prepare_cached("DELETE FROM canned_responses WHERE id = ?1")?
        .execute([uuid_bytes(id.as_uuid())])?;
    found(changed)
}

// --- notes -----------------------------------------------------------------------------------

fn note_from_row(row: &Row<'_>) -> rusqlite::Result<StoredNote> {
    Ok(StoredNote {
        id: uuid_id(row, 0)?,
        conversation: uuid_id(row, 1)?,
        author: parsed(row, 2, AttendantId::parse)?,
        text: parsed(row, 3, |raw| MessageText::parse(raw, usize::MAX))?,
        created_at: row.get(4)?,
    })
}

fn conversation_exists(conn: &Connection, id: &ConversationId) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?
        .query_row([uuid_bytes(id.as_uuid())], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Checked first, in the writer's transaction, so an unknown conversation is `NotFound`
/// rather than the foreign key's `Conflict`.
pub(crate) fn create_note(conn: &Connection, n: &StoredNote) -> StoreResult<()> {
    if !conversation_exists(conn, &n.conversation)? {
        return Err(StoreError::NotFound);
    }
    conn.prepare_cached(
        "INSERT INTO notes (id, conversation_id, author_id, text, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        uuid_bytes(n.id.as_uuid()),
        uuid_bytes(n.conversation.as_uuid()),
        n.author.as_str(),
        n.text.as_str(),
        n.created_at
    ])?;
    Ok(())
}

/// Oldest first: one range of `notes_by_conversation`.
pub(crate) fn notes(
    conn: &Connection,
    conversation: &ConversationId,
) -> StoreResult<Vec<StoredNote>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, conversation_id, author_id, text, created_at FROM notes \
         WHERE conversation_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([uuid_bytes(conversation.as_uuid())], note_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// --- holders ---------------------------------------------------------------------------------

/// The history table `conversation_attendants` keeps every attendant ever given the
/// conversation, the current one included (each assignment writes it).
pub(crate) fn conversation_attendants(
    conn: &Connection,
    id: &ConversationId,
) -> StoreResult<Vec<AttendantId>> {
    if !conversation_exists(conn, id)? {
        return Err(StoreError::NotFound);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT attendant_id FROM conversation_attendants WHERE conversation_id = ?1",
    )?;
    let rows = stmt.query_map([uuid_bytes(id.as_uuid())], |row| {
        parsed(row, 0, AttendantId::parse)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// --- greetings -------------------------------------------------------------------------------

fn greeting_body(rule: &GreetingRule) -> StoreResult<String> {
    serde_json::to_string(rule)
        .map_err(|e| StoreError::internal(format!("a greeting does not write: {e}")))
}

pub(crate) fn list_greetings(conn: &Connection) -> StoreResult<Vec<GreetingRule>> {
    let mut stmt = conn.prepare_cached("SELECT body FROM greetings ORDER BY position")?;
    let rows = stmt.query_map([], |row| {
        parsed(row, 0, |raw: String| {
            serde_json::from_str::<GreetingRule>(&raw)
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Last in the order: one past the highest position (the writer is alone, so no race).
pub(crate) fn create_greeting(conn: &Connection, rule: &GreetingRule) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO greetings (id, position, body) \
         VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM greetings), ?2)",
    )?
    .execute(params![uuid_bytes(rule.id.as_uuid()), greeting_body(rule)?])?;
    Ok(())
}

pub(crate) fn update_greeting(conn: &Connection, rule: &GreetingRule) -> StoreResult<()> {
    let changed = conn
        .prepare_cached("UPDATE greetings SET body = ?2 WHERE id = ?1")?
        .execute(params![uuid_bytes(rule.id.as_uuid()), greeting_body(rule)?])?;
    found(changed)
}

pub(crate) fn delete_greeting(conn: &Connection, id: &GreetingId) -> StoreResult<()> {
    let changed = conn
        .prepare_cached("DELETE FROM greetings WHERE id = ?1")?
        .execute([uuid_bytes(id.as_uuid())])?;
    found(changed)
}
