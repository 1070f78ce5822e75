//! What the back-office does when its live connection closes, by the close code the server
//! gave (`chimpassist_protocol::close`), and how long it waits before connecting again.

use chimpassist_protocol::close;

/// What to do after the attendant socket closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterClose {
    /// The session is over (logged out, password changed or reset, account disabled,
    /// expired): back to sign-in, saying so. Reconnecting with it would only be refused.
    SignIn,
    /// The role or queues changed and the session is still valid: read `/api/me` again and
    /// reconnect at once, keeping the conversations shown and the messages not yet sent.
    Rejoin,
    /// Anything else (the server stopped, the network, a refused upgrade): ask the server
    /// whether we are still signed in, then reconnect with backoff.
    Retry,
}

impl AfterClose {
    /// `welcomed`: a `welcome` arrived since the previous close. A rights change right after
    /// another, with no welcome in between, backs off like any other close, so that a server
    /// that keeps cutting the connection is never hammered.
    pub fn of(code: u16, welcomed: bool) -> Self {
        match code {
            close::SESSION_ENDED => AfterClose::SignIn,
            close::RIGHTS_CHANGED if welcomed => AfterClose::Rejoin,
            _ => AfterClose::Retry,
        }
    }
}

/// Milliseconds to wait before reconnect attempt `attempt` (1, 2, …): 1 s, 2 s, 4 s, 8 s,
/// then 10 s, plus up to 30 % (`random` in `[0, 1)`) so that a server restart is not
/// stampeded.
pub fn backoff_ms(attempt: u32, random: f64) -> u64 {
    let base = 500u64.saturating_mul(1 << attempt.min(5)).min(10_000);
    let jitter = (random.clamp(0.0, 1.0) * 0.3 * base as f64) as u64;
    base + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_session_signs_in_again_whatever_happened_before() {
        assert_eq!(AfterClose::of(4401, true), AfterClose::SignIn);
        assert_eq!(AfterClose::of(4401, false), AfterClose::SignIn);
    }

    #[test]
    fn a_rights_change_rejoins_at_once_unless_it_repeats_without_a_welcome() {
        assert_eq!(AfterClose::of(4403, true), AfterClose::Rejoin);
        assert_eq!(AfterClose::of(4403, false), AfterClose::Retry);
    }

    #[test]
    fn other_closes_retry() {
        for code in [1000, 1001, 1006, 1011, 1013, 4000, 4400, 4404] {
            assert_eq!(AfterClose::of(code, true), AfterClose::Retry, "{code}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_ten_seconds_with_bounded_jitter() {
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(2, 0.0), 2_000);
        assert_eq!(backoff_ms(4, 0.0), 8_000);
        assert_eq!(backoff_ms(5, 0.0), 10_000);
        assert_eq!(backoff_ms(u32::MAX, 0.0), 10_000);
        assert_eq!(backoff_ms(1, 0.999_999), 1_299);
        assert_eq!(backoff_ms(9, 5.0), 13_000);
    }
}
