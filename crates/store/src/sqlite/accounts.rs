//! Settings, customers, attendants and their sessions, queues.
//!
//! Each function runs on whatever connection it is given: the writer's transaction for
//! writes, a read connection for reads.

use chimpassist_protocol::rest::QueueBot;
use chimpassist_protocol::{AssignmentMode, AttendantId, CallPolicy, CustomerId, QueueId, Role};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{enum_col, parsed};
use crate::{Attendant, AttendantUpdate, AuthSession, Customer, Queue, StoreError, StoreResult};

// --- settings --------------------------------------------------------------------------------

pub(crate) fn setting(conn: &Connection, key: &str) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

pub(crate) fn put_setting(conn: &Connection, key: &str, value: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// Keeps the first value ever stored: the writer runs this alone, so whoever comes first
/// stores theirs and everyone else reads it.
pub(crate) fn setting_or_init(conn: &Connection, key: &str, init: &str) -> StoreResult<String> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
    )?
    .execute([key, init])?;
    setting(conn, key)?.ok_or(StoreError::NotFound)
}

// --- customers -------------------------------------------------------------------------------

macro_rules! customer_cols {
    () => {
        "id, external_id, verified, profile_verified, name, avatar_url, email, created_at"
    };
}

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: parsed(row, 0, CustomerId::parse)?,
        external_id: row.get(1)?,
        verified: row.get(2)?,
        profile_verified: row.get(3)?,
        name: row.get(4)?,
        avatar_url: row.get(5)?,
        email: row.get(6)?,
        created_at: row.get(7)?,
    })
}

/// Always stored unverified, profile included: only [`upsert_verified_customer`] makes
/// verified records.
pub(crate) fn create_customer(conn: &Connection, c: &Customer) -> StoreResult<Customer> {
    let sql = concat!(
        "INSERT INTO customers (",
        customer_cols!(),
        ") VALUES (?1, ?2, 0, 0, ?3, ?4, ?5, ?6) RETURNING ",
        customer_cols!()
    );
    Ok(conn.prepare_cached(sql)?.query_row(
        params![
            c.id.as_str(),
            c.external_id,
            c.name,
            c.avatar_url,
            c.email,
            c.created_at
        ],
        customer_from_row,
    )?)
}

/// One statement, so the unique index on verified external ids decides between insert and
/// update; the existing record keeps its id and `created_at`. `profile_verified` follows the
/// latest proof: a later token without profile claims leaves the profile unproven again.
pub(crate) fn upsert_verified_customer(conn: &Connection, c: &Customer) -> StoreResult<Customer> {
    let Some(external_id) = c.external_id.as_deref() else {
        return Err(StoreError::internal(
            "upsert_verified_customer needs an external_id".to_owned(),
        ));
    };
    let sql = concat!(
        "INSERT INTO customers (",
        customer_cols!(),
        ") VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7) ",
        "ON CONFLICT (external_id) WHERE verified = 1 DO UPDATE SET ",
        "profile_verified = excluded.profile_verified, name = excluded.name, ",
        "avatar_url = excluded.avatar_url, email = excluded.email ",
        "RETURNING ",
        customer_cols!()
    );
    Ok(conn.prepare_cached(sql)?.query_row(
        params![
            c.id.as_str(),
            external_id,
            c.profile_verified,
            c.name,
            c.avatar_url,
            c.email,
            c.created_at
        ],
        customer_from_row,
    )?)
}

pub(crate) fn get_customer(conn: &Connection, id: &CustomerId) -> StoreResult<Option<Customer>> {
    let sql = concat!("SELECT ", customer_cols!(), " FROM customers WHERE id = ?1");
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id.as_str()], customer_from_row)
        .optional()?)
}

pub(crate) fn update_customer_profile(
    conn: &Connection,
    id: &CustomerId,
    name: &str,
    avatar_url: Option<&str>,
    email: Option<&str>,
) -> StoreResult<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE customers SET name = ?2, avatar_url = ?3, email = ?4 WHERE id = ?1",
        )?
        .execute(params![id.as_str(), name, avatar_url, email])?;
    found(changed)
}

// --- attendants ------------------------------------------------------------------------------

macro_rules! attendant_cols {
    () => {
        "id, email, name, avatar_url, role, skill, queues, capacity, disabled, password_hash, \
         must_change_password, created_at"
    };
}

fn attendant_from_row(row: &Row<'_>) -> rusqlite::Result<Attendant> {
    Ok(Attendant {
        id: parsed(row, 0, AttendantId::parse)?,
        email: row.get(1)?,
        name: row.get(2)?,
        avatar_url: row.get(3)?,
        role: enum_col(row, 4, Role::parse)?,
        skill: row.get(5)?,
        queues: parsed(row, 6, |raw| serde_json::from_str(&raw))?,
        capacity: row.get(7)?,
        disabled: row.get(8)?,
        password_hash: row.get(9)?,
        must_change_password: row.get(10)?,
        created_at: row.get(11)?,
    })
}

fn queues_json(queues: &[QueueId]) -> StoreResult<String> {
    serde_json::to_string(queues).map_err(StoreError::internal)
}

/// Stores the e-mail lower-cased (the model's promise); the unique index then makes a
/// second account with the same address in another case a `Conflict`.
pub(crate) fn create_attendant(conn: &Connection, a: &Attendant) -> StoreResult<Attendant> {
    let sql = concat!(
        "INSERT INTO attendants (",
        attendant_cols!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING ",
        attendant_cols!()
    );
    Ok(conn.prepare_cached(sql)?.query_row(
        params![
            a.id.as_str(),
            a.email.to_lowercase(),
            a.name,
            a.avatar_url,
            a.role.as_str(),
            a.skill,
            queues_json(&a.queues)?,
            a.capacity,
            a.disabled,
            a.password_hash,
            a.must_change_password,
            a.created_at
        ],
        attendant_from_row,
    )?)
}

pub(crate) fn get_attendant(conn: &Connection, id: &AttendantId) -> StoreResult<Option<Attendant>> {
    let sql = concat!(
        "SELECT ",
        attendant_cols!(),
        " FROM attendants WHERE id = ?1"
    );
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id.as_str()], attendant_from_row)
        .optional()?)
}

pub(crate) fn get_attendant_by_email(
    conn: &Connection,
    email: &str,
) -> StoreResult<Option<Attendant>> {
    let sql = concat!(
        "SELECT ",
        attendant_cols!(),
        " FROM attendants WHERE email = ?1"
    );
    Ok(conn
        .prepare_cached(sql)?
        .query_row([email.to_lowercase()], attendant_from_row)
        .optional()?)
}

pub(crate) fn list_attendants(conn: &Connection) -> StoreResult<Vec<Attendant>> {
    let sql = concat!(
        "SELECT ",
        attendant_cols!(),
        " FROM attendants ORDER BY email"
    );
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], attendant_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn count_attendants(conn: &Connection) -> StoreResult<u64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM attendants")?
        .query_row([], |row| row.get(0))?)
}

/// Read, change, write back: atomic because the writer runs one job at a time.
pub(crate) fn update_attendant(
    conn: &Connection,
    id: &AttendantId,
    update: AttendantUpdate,
) -> StoreResult<Attendant> {
    let mut a = get_attendant(conn, id)?.ok_or(StoreError::NotFound)?;
    let AttendantUpdate {
        name,
        avatar_url,
        role,
        skill,
        queues,
        capacity,
        disabled,
        password_hash,
        must_change_password,
    } = update;
    a.name = name.unwrap_or(a.name);
    a.avatar_url = avatar_url.unwrap_or(a.avatar_url);
    a.role = role.unwrap_or(a.role);
    a.skill = skill.unwrap_or(a.skill);
    a.queues = queues.unwrap_or(a.queues);
    a.capacity = capacity.unwrap_or(a.capacity);
    a.disabled = disabled.unwrap_or(a.disabled);
    a.password_hash = password_hash.unwrap_or(a.password_hash);
    a.must_change_password = must_change_password.unwrap_or(a.must_change_password);
    conn.prepare_cached(
        "UPDATE attendants SET name = ?2, avatar_url = ?3, role = ?4, skill = ?5, queues = ?6, \
         capacity = ?7, disabled = ?8, password_hash = ?9, must_change_password = ?10 \
         WHERE id = ?1",
    )?
    .execute(params![
        a.id.as_str(),
        a.name,
        a.avatar_url,
        a.role.as_str(),
        a.skill,
        queues_json(&a.queues)?,
        a.capacity,
        a.disabled,
        a.password_hash,
        a.must_change_password
    ])?;
    Ok(a)
}

// --- auth sessions ---------------------------------------------------------------------------

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<AuthSession> {
    Ok(AuthSession {
        token_hash: row.get(0)?,
        attendant_id: parsed(row, 1, AttendantId::parse)?,
        created_at: row.get(2)?,
        expires_at: row.get(3)?,
    })
}

pub(crate) fn create_auth_session(conn: &Connection, s: &AuthSession) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO auth_sessions (token_hash, attendant_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        s.token_hash,
        s.attendant_id.as_str(),
        s.created_at,
        s.expires_at
    ])?;
    Ok(())
}

pub(crate) fn get_auth_session(
    conn: &Connection,
    token_hash: &str,
) -> StoreResult<Option<AuthSession>> {
    Ok(conn
        .prepare_cached(
            "SELECT token_hash, attendant_id, created_at, expires_at FROM auth_sessions \
             WHERE token_hash = ?1",
        )?
        .query_row([token_hash], session_from_row)
        .optional()?)
}

pub(crate) fn delete_auth_session(conn: &Connection, token_hash: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM auth_sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

/// `IS NOT` rather than `<>`: without a `keep` (NULL) it holds for every session, where
/// `<> NULL` would hold for none and revoke nothing.
pub(crate) fn delete_auth_sessions_of(
    conn: &Connection,
    id: &AttendantId,
    keep: Option<&str>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "DELETE FROM auth_sessions WHERE attendant_id = ?1 AND token_hash IS NOT ?2",
    )?
    .execute(params![id.as_str(), keep])?;
    Ok(())
}

// --- queues ----------------------------------------------------------------------------------

macro_rules! queue_cols {
    () => {
        "id, name, mode, skill, greeting, away_message, calls, bot_name, bot_timeout_secs, hours"
    };
}

fn queue_from_row(row: &Row<'_>) -> rusqlite::Result<Queue> {
    Ok(Queue {
        id: parsed(row, 0, QueueId::parse)?,
        name: row.get(1)?,
        mode: enum_col(row, 2, AssignmentMode::parse)?,
        skill: row.get(3)?,
        greeting: row.get(4)?,
        away_message: row.get(5)?,
        calls: enum_col(row, 6, CallPolicy::parse)?,
        bot: match (
            row.get::<_, Option<String>>(7)?,
            row.get::<_, Option<u32>>(8)?,
        ) {
            (Some(name), Some(timeout_secs)) => Some(QueueBot { name, timeout_secs }),
            _ => None,
        },
        hours: match row.get::<_, Option<String>>(9)? {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    9,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?),
        },
    })
}

pub(crate) fn upsert_queue(conn: &Connection, q: &Queue) -> StoreResult<()> {
    conn.prepare_cached(concat!(
        "INSERT INTO queues (",
        queue_cols!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET ",
        "name = excluded.name, mode = excluded.mode, skill = excluded.skill, ",
        "greeting = excluded.greeting, away_message = excluded.away_message, ",
        "calls = excluded.calls, bot_name = excluded.bot_name, ",
        "bot_timeout_secs = excluded.bot_timeout_secs, hours = excluded.hours"
    ))?
    .execute(params![
        q.id.as_str(),
        q.name,
        q.mode.as_str(),
        q.skill,
        q.greeting,
        q.away_message,
        q.calls.as_str(),
        q.bot.as_ref().map(|b| &b.name),
        q.bot.as_ref().map(|b| b.timeout_secs),
        q.hours
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(crate::StoreError::internal)?
    ])?;
    Ok(())
}

pub(crate) fn get_queue(conn: &Connection, id: &QueueId) -> StoreResult<Option<Queue>> {
    let sql = concat!("SELECT ", queue_cols!(), " FROM queues WHERE id = ?1");
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id.as_str()], queue_from_row)
        .optional()?)
}

pub(crate) fn list_queues(conn: &Connection) -> StoreResult<Vec<Queue>> {
    let sql = concat!("SELECT ", queue_cols!(), " FROM queues ORDER BY id");
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], queue_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `NotFound` when an update matched no row.
pub(crate) fn found(changed: usize) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
