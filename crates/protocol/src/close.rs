//! WebSocket close codes the server sends, besides the standard 1001 ("going away": the
//! server stops) and 1013 ("try again later": the connection was too slow). Clients switch
//! on them, so a code is never reused for another meaning.
//!
//! Codes 4000–4999 are the application's own (RFC 6455 §7.4.2).

/// The attendant's session is over: logged out, password changed (the account's other
/// sessions) or reset by an admin, account disabled, or the session expired or was deleted.
/// The back-office goes back to sign-in; reconnecting with the same cookie is refused.
pub const SESSION_ENDED: u16 = 4401;

/// The attendant's rights changed (role or queues): the session itself is still valid, so the
/// back-office reads `/api/me` again and reconnects, and the new socket acts on the new rights.
pub const RIGHTS_CHANGED: u16 = 4403;

/// The customer's data was erased (their right to erasure): their token names no one any
/// more, so a widget that reconnects starts afresh as a new visitor.
pub const ERASED: u16 = 4410;
