//! Messages: the sequenced, idempotent append and the three ways to read them back.

use chimpassist_protocol::{ConversationId, CustomerId, MessageText, Party, Seq};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{enum_col, int, parsed_opt, uuid_bytes, uuid_id};
use super::webhooks;
use crate::{
    Appended, MessageCursor, NewMessage, Recording, StoreError, StoreResult, StoredMessage, events,
};

macro_rules! message_cols {
    () => {
        "conversation_id, seq, client_id, sender_party, sender_id, sender_name, text, timestamp, call, \
         attachments"
    };
}

/// The newest messages of a conversation, a page at a time: a backwards range of the
/// primary key.
pub(crate) const BEFORE: &str = concat!(
    "SELECT ",
    message_cols!(),
    " FROM messages WHERE conversation_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
);

/// What a reconnecting client missed: a forward range of the primary key.
pub(crate) const AFTER: &str = concat!(
    "SELECT ",
    message_cols!(),
    " FROM messages WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
);

/// A customer's history across conversations: a backwards range of `messages_by_customer`.
pub(crate) const OF_CUSTOMER: &str = concat!(
    "SELECT ",
    message_cols!(),
    " FROM messages WHERE customer_id = ?1 AND (timestamp, conversation_id, seq) < (?2, ?3, ?4) ",
    "ORDER BY timestamp DESC, conversation_id DESC, seq DESC LIMIT ?5"
);

/// The idempotency check: one lookup in the unique index `messages_client_id`.
pub(crate) const BY_CLIENT_ID: &str = concat!(
    "SELECT ",
    message_cols!(),
    " FROM messages WHERE conversation_id = ?1 AND client_id = ?2"
);

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        conversation: uuid_id(row, 0)?,
        seq: row.get(1)?,
        client_id: uuid_id(row, 2)?,
        sender_party: enum_col(row, 3, Party::parse)?,
        sender_id: row.get(4)?,
        sender_name: row.get(5)?,
        // Stored text passed the limit when it was sent; a later, lower limit must not
        // make history unreadable.
        text: MessageText::stored(row.get::<_, String>(6)?),
        timestamp: row.get(7)?,
        call: parsed_opt(row, 8, |json| serde_json::from_str(&json))?,
        attachments: parsed_opt(row, 9, |json| serde_json::from_str(&json))?.unwrap_or_default(),
    })
}

fn list(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<StoredMessage>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, message_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Runs in the writer's transaction, so reading `last_seq` and writing `last_seq + 1` cannot
/// interleave with another append: seqs are dense by construction, and the unique index on
/// `(conversation_id, client_id)` backs the idempotency check.
pub(crate) fn append(
    conn: &Connection,
    m: NewMessage,
    recording: &Recording,
) -> StoreResult<Appended> {
    let conversation = uuid_bytes(m.conversation.as_uuid());
    let client_id = uuid_bytes(m.client_id.as_uuid());
    let original = conn
        .prepare_cached(BY_CLIENT_ID)?
        .query_row(params![conversation, client_id], message_from_row)
        .optional()?;
    if let Some(original) = original {
        if original.sender_party != m.sender_party || original.sender_id != m.sender_id {
            return Err(StoreError::DuplicateClientId);
        }
        return Ok(Appended {
            message: original,
            duplicate: true,
        });
    }
    let (last_seq, customer_id): (Seq, String) = conn
        .prepare_cached("SELECT last_seq, customer_id FROM conversations WHERE id = ?1")?
        .query_row([conversation], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let seq = last_seq + 1;
    let call = m
        .call
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(StoreError::internal)?;
    let attachments = (!m.attachments.is_empty())
        .then(|| serde_json::to_string(&m.attachments))
        .transpose()
        .map_err(StoreError::internal)?;
    conn.prepare_cached(concat!(
        "INSERT INTO messages (",
        message_cols!(),
        ", customer_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        conversation,
        int(seq),
        client_id,
        m.sender_party.as_str(),
        m.sender_id,
        m.sender_name,
        m.text.as_str(),
        m.timestamp,
        call,
        attachments,
        customer_id
    ])?;
    let tally = m.tally();
    conn.prepare_cached(
        "UPDATE conversations SET last_seq = ?2, \
         customer_messages = customer_messages + ?3, \
         attendant_messages = attendant_messages + ?4, \
         first_response_at = coalesce(min(first_response_at, ?5), first_response_at, ?5), \
         calls = calls + ?6, calls_answered = calls_answered + ?7, \
         calls_missed = calls_missed + ?8, talk_ms = talk_ms + ?9 WHERE id = ?1",
    )?
    .execute(params![
        conversation,
        int(seq),
        int(tally.customer_messages),
        int(tally.attendant_messages),
        tally.first_response_at,
        tally.calls,
        tally.calls_answered,
        tally.calls_missed,
        tally.talk_ms
    ])?;
    let message = StoredMessage {
        conversation: m.conversation,
        seq,
        client_id: m.client_id,
        sender_party: m.sender_party,
        sender_id: m.sender_id,
        sender_name: m.sender_name,
        text: m.text,
        timestamp: m.timestamp,
        call: m.call,
        attachments: m.attachments,
    };
    // Checked before the event is built: most messages go to no endpoint.
    if recording.wants(events::message_kind(&message)) {
        webhooks::record(conn, &events::message(&message))?;
    }
    Ok(Appended {
        message,
        duplicate: false,
    })
}

pub(crate) fn before(
    conn: &Connection,
    conversation: &ConversationId,
    before: Option<Seq>,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    let before = before.map_or(i64::MAX, int);
    list(
        conn,
        BEFORE,
        params![uuid_bytes(conversation.as_uuid()), before, int(limit)],
    )
}

pub(crate) fn after(
    conn: &Connection,
    conversation: &ConversationId,
    after: Seq,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    list(
        conn,
        AFTER,
        params![uuid_bytes(conversation.as_uuid()), int(after), int(limit)],
    )
}

pub(crate) fn of_customer(
    conn: &Connection,
    customer: &CustomerId,
    before: Option<MessageCursor>,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    // No cursor: start above every real key (no UUID blob exceeds sixteen 0xFF bytes).
    let (timestamp, conversation, seq) = match before {
        Some(c) => (
            c.timestamp,
            uuid_bytes(c.conversation.as_uuid()),
            int(c.seq),
        ),
        None => (i64::MAX, [0xFF; 16], i64::MAX),
    };
    list(
        conn,
        OF_CUSTOMER,
        params![customer.as_str(), timestamp, conversation, seq, int(limit)],
    )
}
