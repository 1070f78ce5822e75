//! What cuts an attendant's open sockets when their rights change: which sockets, and the close
//! code they get. Carried to every node on the bus ([`crate::bus::BusEvent::Revoke`]) and
//! applied there by the hub; each socket also re-reads its session every heartbeat, so a cut
//! the bus lost still happens (see `ws/attendant.rs`).

use chimpassist_protocol::close;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A back-office session as sockets and nodes name it: derived from the stored hash of its
/// token, so it can travel and be logged without being usable for anything — neither the
/// cookie nor the stored hash can be recovered from it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionRef(String);

impl SessionRef {
    /// The reference of the session stored under `token_hash`.
    pub fn of_hash(token_hash: &str) -> Self {
        let digest = Sha256::digest(format!("session-ref:{token_hash}").as_bytes());
        Self(hex::encode(&digest[..12]))
    }
}

/// Which of an attendant's sessions a cut closes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sessions", content = "session", rename_all = "snake_case")]
pub enum Sessions {
    /// Every one (disabled, password reset by an admin, role or queues changed).
    All,
    /// One (it logged out).
    Only(SessionRef),
    /// All but one (the one that changed its own password stays signed in).
    AllBut(SessionRef),
}

impl Sessions {
    pub fn includes(&self, session: &SessionRef) -> bool {
        match self {
            Self::All => true,
            Self::Only(only) => only == session,
            Self::AllBut(kept) => kept != session,
        }
    }
}

/// Why a connection was cut: its close frame's code and reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Its queue filled up (a slow reader): reconnect and resume.
    TooSlow,
    /// The bus had a gap, so it may have missed events: reconnect and resume.
    Stale,
    /// The attendant's session is over ([`close::SESSION_ENDED`]).
    SessionEnded,
    /// The attendant's role or queues changed ([`close::RIGHTS_CHANGED`]).
    RightsChanged,
    /// The customer's data was erased ([`close::ERASED`]).
    Erased,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            // 1013 "try again later".
            Self::TooSlow | Self::Stale => 1013,
            Self::SessionEnded => close::SESSION_ENDED,
            Self::RightsChanged => close::RIGHTS_CHANGED,
            Self::Erased => close::ERASED,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Self::TooSlow => "too slow; reconnect and resume",
            Self::Stale => "events may have been missed; reconnect and resume",
            Self::SessionEnded => "your session ended; sign in again",
            Self::RightsChanged => "your role or queues changed; reconnect",
            Self::Erased => "your data was erased; start afresh",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_reference_does_not_reveal_the_stored_hash() {
        let hash = "a".repeat(64);
        let reference = SessionRef::of_hash(&hash);
        assert_eq!(reference, SessionRef::of_hash(&hash));
        assert_ne!(reference, SessionRef::of_hash(&"b".repeat(64)));
        assert!(!hash.contains(&reference.0));
        assert_eq!(reference.0.len(), 24);
    }

    #[test]
    fn cuts_select_sessions() {
        let (a, b) = (SessionRef::of_hash("a"), SessionRef::of_hash("b"));
        assert!(Sessions::All.includes(&a));
        assert!(Sessions::Only(a.clone()).includes(&a));
        assert!(!Sessions::Only(a.clone()).includes(&b));
        assert!(!Sessions::AllBut(a.clone()).includes(&a));
        assert!(Sessions::AllBut(a).includes(&b));
    }
}
