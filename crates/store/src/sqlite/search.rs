//! Search by customer name, attribute values and message text.

use chimpassist_protocol::{QueueId, SearchQuery, Seq};
use rusqlite::{Connection, params};

use super::codec::int;
use super::conversations::{conversation_cols, conversation_from_row};
use super::messages;
use crate::{Conversation, SearchMatch, StoreError, StoreResult, Visibility};

/// `?1` the `LIKE` pattern, `?2` 1 to see everything, `?3` the attendant, `?4` their queues
/// (a JSON array), `?5` the limit.
///
/// `LIKE` compares ASCII letters case-insensitively (SQLite's default), and the pattern
/// escapes its own wildcards with `\` (see [`like_pattern`]). `matched` scans every message
/// once, keeping each conversation's newest matching seq; the visibility test is the rule
/// of [`Visibility::allows`].
const SEARCH: &str = concat!(
    "WITH matched AS (",
    "  SELECT conversation_id, max(seq) AS seq FROM messages",
    "  WHERE text LIKE ?1 ESCAPE '\\' GROUP BY conversation_id",
    ") SELECT ",
    conversation_cols!(),
    ", h.seq FROM conversations c ",
    "JOIN customers cu ON cu.id = c.customer_id ",
    "LEFT JOIN matched h ON h.conversation_id = c.id ",
    "WHERE (h.seq IS NOT NULL OR cu.name LIKE ?1 ESCAPE '\\' ",
    "  OR cu.attribute_values LIKE ?1 ESCAPE '\\') ",
    "AND (?2 OR c.queue_id IN (SELECT value FROM json_each(?4)) ",
    "  OR c.attendant_id = ?3 ",
    "  OR EXISTS (SELECT 1 FROM conversation_attendants a ",
    "             WHERE a.conversation_id = c.id AND a.attendant_id = ?3)) ",
    "ORDER BY c.requested_at DESC, c.id DESC LIMIT ?5"
);

/// `%text%`, with `\`, `%` and `_` in the text escaped so they match themselves.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One statement finds the conversations; each message hit is then one primary-key lookup.
pub(crate) fn search(
    conn: &Connection,
    query: &SearchQuery,
    visible: &Visibility,
    limit: u64,
) -> StoreResult<Vec<SearchMatch>> {
    let (everything, attendant, queues): (bool, &str, &[QueueId]) = match visible {
        Visibility::All => (true, "", &[]),
        Visibility::Attendant { id, queues } => (false, id.as_str(), queues),
    };
    let queues = serde_json::to_string(queues).map_err(StoreError::internal)?;
    let mut stmt = conn.prepare_cached(SEARCH)?;
    let rows = stmt.query_map(
        params![
            like_pattern(query.as_str()),
            everything,
            attendant,
            queues,
            int(limit)
        ],
        |row| Ok((conversation_from_row(row)?, row.get::<_, Option<Seq>>(12)?)),
    )?;
    let found: Vec<(Conversation, Option<Seq>)> = rows.collect::<rusqlite::Result<_>>()?;
    found
        .into_iter()
        .map(|(conversation, seq)| {
            let message = match seq {
                Some(seq) => messages::after(conn, &conversation.id, seq - 1, 1)?
                    .into_iter()
                    .next(),
                None => None,
            };
            Ok(SearchMatch {
                conversation,
                message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(like_pattern("ab"), "%ab%");
        assert_eq!(like_pattern("5%_off\\"), "%5\\%\\_off\\\\%");
        assert_eq!(like_pattern("a.b*"), "%a.b*%");
    }
}
