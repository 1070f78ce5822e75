//! Conversations: creation, the status compare-and-set, lists, ratings and receipts.

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, CustomerId, Party, QueueId, Rating,
    ReceiptKind, Receipts, Seq, TimestampMs,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::accounts::found;
use super::codec::{enum_col, int, parsed, parsed_opt, uuid_bytes, uuid_id};
use super::webhooks;
use crate::{
    AttendantChange, Conversation, ConversationWrite, NewConversation, Recording, StoreError,
    StoreResult, Transition, events,
};

/// Columns of [`conversation_from_row`], for a query naming the table `c`.
macro_rules! conversation_cols {
    () => {
        "c.id, c.customer_id, c.queue_id, c.status, c.attendant_id, c.requested_at, \
         c.assigned_at, c.ended_at, c.last_seq, c.rating_score, c.rating_comment, c.subject"
    };
}
pub(crate) use conversation_cols;

/// A customer's conversations, newest request first: one range of `conversations_by_customer`.
pub(crate) const OF_CUSTOMER: &str = concat!(
    "SELECT ",
    conversation_cols!(),
    " FROM conversations c WHERE c.customer_id = ?1 ",
    "ORDER BY c.requested_at DESC, c.id DESC LIMIT ?2 OFFSET ?3"
);

/// An attendant's history, newest request first: a range of the history table's key, then
/// one primary-key lookup per conversation.
pub(crate) const OF_ATTENDANT: &str = concat!(
    "SELECT ",
    conversation_cols!(),
    " FROM conversation_attendants h JOIN conversations c ON c.id = h.conversation_id ",
    "WHERE h.attendant_id = ?1 ",
    "ORDER BY h.requested_at DESC, h.conversation_id DESC LIMIT ?2 OFFSET ?3"
);

/// Every open conversation, oldest request first: the whole partial index `conversations_open`.
pub(crate) const OPEN: &str = concat!(
    "SELECT ",
    conversation_cols!(),
    " FROM conversations c WHERE c.status IN ('queued', 'assigned', 'active') ",
    "ORDER BY c.requested_at, c.id"
);

/// What the capacity check counts (the partial index `conversations_attendant_load`).
pub(crate) const ATTENDANT_LOAD: &str = "SELECT count(*) FROM conversations \
     WHERE attendant_id = ?1 AND status IN ('assigned', 'active') AND id <> ?2";

pub(crate) fn conversation_from_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    let score: Option<u8> = row.get(9)?;
    let comment: Option<String> = row.get(10)?;
    Ok(Conversation {
        id: uuid_id(row, 0)?,
        customer_id: parsed(row, 1, CustomerId::parse)?,
        queue_id: parsed(row, 2, QueueId::parse)?,
        status: enum_col(row, 3, ConversationStatus::parse)?,
        attendant_id: parsed_opt(row, 4, AttendantId::parse)?,
        requested_at: row.get(5)?,
        assigned_at: row.get(6)?,
        ended_at: row.get(7)?,
        last_seq: row.get(8)?,
        rating: score.map(|score| Rating { score, comment }),
        subject: row.get(11)?,
    })
}

fn list(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<Conversation>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, conversation_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The partial unique index `conversations_one_open` turns a second open conversation of
/// the same customer into a `Conflict`.
pub(crate) fn create(
    conn: &Connection,
    new: NewConversation,
    recording: &Recording,
) -> StoreResult<Conversation> {
    conn.prepare_cached(
        "INSERT INTO conversations \
         (id, customer_id, queue_id, status, requested_at, subject, created_at) \
         VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?4)",
    )?
    .execute(params![
        uuid_bytes(new.id.as_uuid()),
        new.customer_id.as_str(),
        new.queue_id.as_str(),
        new.requested_at,
        new.subject
    ])?;
    let conv = Conversation::from(new);
    if let Some(event) = recording.keep(events::created(&conv)) {
        webhooks::record(conn, &event)?;
    }
    Ok(conv)
}

/// Runs `writes` in order inside the writer's job, each in its own savepoint so a failing
/// one rolls back only itself. Should the database abandon the whole transaction (I/O
/// error), the rest are not attempted: the job then fails as a whole and every write with it.
pub(crate) fn write_all(
    conn: &Connection,
    writes: Vec<ConversationWrite>,
    recording: &Recording,
) -> StoreResult<Vec<StoreResult<Conversation>>> {
    let mut answers = Vec::with_capacity(writes.len());
    for write in writes {
        exec(conn, "SAVEPOINT item")?;
        let answer = match write {
            ConversationWrite::Create(new) => create(conn, new, recording),
            ConversationWrite::Transition(t) => transition(conn, t, recording),
        };
        if conn.is_autocommit() {
            return Err(StoreError::Unavailable(
                "the transaction was rolled back by the database".to_owned(),
            ));
        }
        if answer.is_ok() {
            exec(conn, "RELEASE item")?;
        } else {
            exec(conn, "ROLLBACK TO item")?;
            exec(conn, "RELEASE item")?;
        }
        answers.push(answer);
    }
    Ok(answers)
}

fn exec(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

pub(crate) fn get(conn: &Connection, id: &ConversationId) -> StoreResult<Option<Conversation>> {
    let sql = concat!(
        "SELECT ",
        conversation_cols!(),
        " FROM conversations c WHERE c.id = ?1"
    );
    Ok(conn
        .prepare_cached(sql)?
        .query_row([uuid_bytes(id.as_uuid())], conversation_from_row)
        .optional()?)
}

/// Check, count and change all happen in the writer's transaction, so nothing can slip in
/// between: that is what makes this a compare-and-set and the capacity limit exact.
pub(crate) fn transition(
    conn: &Connection,
    t: Transition,
    recording: &Recording,
) -> StoreResult<Conversation> {
    let mut conv = get(conn, &t.id)?.ok_or(StoreError::NotFound)?;
    if !t.from.contains(&conv.status) {
        return Err(StoreError::Conflict(format!(
            "conversation is {}, not {}",
            conv.status.as_str(),
            t.from
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    let id = uuid_bytes(t.id.as_uuid());
    if let (Some(capacity), AttendantChange::Set(attendant)) = (t.capacity, &t.attendant) {
        let held: u64 = conn
            .prepare_cached(ATTENDANT_LOAD)?
            .query_row(params![attendant.as_str(), id], |row| row.get(0))?;
        if held >= u64::from(capacity) {
            return Err(StoreError::AtCapacity);
        }
    }
    if let AttendantChange::Set(attendant) = &t.attendant {
        // Remember every holder, so a transfer keeps it in the first one's history.
        conn.prepare_cached(
            "INSERT OR IGNORE INTO conversation_attendants \
             (attendant_id, requested_at, conversation_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![attendant.as_str(), conv.requested_at, id])?;
    }
    if let Some(requested_at) = t.requested_at {
        // Keep the attendants' history ordered by the current request time.
        conn.prepare_cached(
            "UPDATE conversation_attendants SET requested_at = ?2 WHERE conversation_id = ?1",
        )?
        .execute(params![id, requested_at])?;
    }
    let marks = t.marks(&conv);
    let before = conv.clone();
    t.apply(&mut conv);
    conn.prepare_cached(
        "UPDATE conversations SET status = ?2, attendant_id = ?3, assigned_at = ?4, \
         ended_at = ?5, rating_score = ?6, rating_comment = ?7, queue_id = ?8, \
         requested_at = ?9, first_assigned_at = coalesce(min(first_assigned_at, ?10), first_assigned_at, ?10), \
         reopened = reopened + ?11, \
         purged_at = CASE WHEN ?2 IN ('queued', 'assigned', 'active') THEN NULL ELSE purged_at END \
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        conv.status.as_str(),
        conv.attendant_id.as_ref().map(AttendantId::as_str),
        conv.assigned_at,
        conv.ended_at,
        conv.rating.as_ref().map(|r| r.score),
        conv.rating.as_ref().and_then(|r| r.comment.as_deref()),
        conv.queue_id.as_str(),
        conv.requested_at,
        marks.assigned_at,
        i64::from(marks.reopened)
    ])?;
    if let Some(event) = events::transitioned(&before, &conv, t.at).and_then(|e| recording.keep(e))
    {
        webhooks::record(conn, &event)?;
    }
    Ok(conv)
}

pub(crate) fn list_open(conn: &Connection) -> StoreResult<Vec<Conversation>> {
    list(conn, OPEN, [])
}

pub(crate) fn of_customer(
    conn: &Connection,
    customer: &CustomerId,
    offset: u64,
    limit: u64,
) -> StoreResult<Vec<Conversation>> {
    list(
        conn,
        OF_CUSTOMER,
        params![customer.as_str(), int(limit), int(offset)],
    )
}

pub(crate) fn of_attendant(
    conn: &Connection,
    attendant: &AttendantId,
    offset: u64,
    limit: u64,
) -> StoreResult<Vec<Conversation>> {
    list(
        conn,
        OF_ATTENDANT,
        params![attendant.as_str(), int(limit), int(offset)],
    )
}

pub(crate) fn set_rating(
    conn: &Connection,
    id: &ConversationId,
    rating: Rating,
    at: TimestampMs,
    recording: &Recording,
) -> StoreResult<()> {
    let conv = get(conn, id)?.ok_or(StoreError::NotFound)?;
    let event = events::rated(&conv, &rating, at);
    let changed = conn
        .prepare_cached(
            "UPDATE conversations SET rating_score = ?2, rating_comment = ?3 WHERE id = ?1",
        )?
        .execute(params![
            uuid_bytes(id.as_uuid()),
            rating.score,
            rating.comment
        ])?;
    found(changed)?;
    match recording.keep(event) {
        Some(event) => webhooks::record(conn, &event),
        None => Ok(()),
    }
}

// --- receipts --------------------------------------------------------------------------------

macro_rules! raise_receipt {
    ($column:literal) => {
        concat!(
            "UPDATE conversations SET ",
            $column,
            " = max(",
            $column,
            ", ?2) WHERE id = ?1 RETURNING ",
            "customer_delivered, customer_read, attendant_delivered, attendant_read"
        )
    };
}

fn receipts_from_row(row: &Row<'_>) -> rusqlite::Result<Receipts> {
    Ok(Receipts {
        customer_delivered: row.get(0)?,
        customer_read: row.get(1)?,
        attendant_delivered: row.get(2)?,
        attendant_read: row.get(3)?,
    })
}

/// `max()` in SQL keeps receipts monotonic without a read-modify-write.
pub(crate) fn record_receipt(
    conn: &Connection,
    id: &ConversationId,
    party: Party,
    kind: ReceiptKind,
    up_to: Seq,
) -> StoreResult<Receipts> {
    let sql = match (party, kind) {
        (Party::Customer, ReceiptKind::Delivered) => raise_receipt!("customer_delivered"),
        (Party::Customer, ReceiptKind::Read) => raise_receipt!("customer_read"),
        // The team's side has one set of receipts (bots send none; see `Party`).
        (Party::Attendant | Party::Bot, ReceiptKind::Delivered) => {
            raise_receipt!("attendant_delivered")
        }
        (Party::Attendant | Party::Bot, ReceiptKind::Read) => raise_receipt!("attendant_read"),
    };
    conn.prepare_cached(sql)?
        .query_row(
            params![uuid_bytes(id.as_uuid()), int(up_to)],
            receipts_from_row,
        )
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub(crate) fn receipts(conn: &Connection, id: &ConversationId) -> StoreResult<Receipts> {
    conn.prepare_cached(
        "SELECT customer_delivered, customer_read, attendant_delivered, attendant_read \
         FROM conversations WHERE id = ?1",
    )?
    .query_row([uuid_bytes(id.as_uuid())], receipts_from_row)
    .optional()?
    .ok_or(StoreError::NotFound)
}
