//! Rate limits keyed by client network, and the login backoff keyed by account.
//!
//! Each limit is a token bucket (governor's GCRA): `per_minute` requests a minute on
//! average, the whole minute's worth at once at most. A refusal says how long until the next
//! request would pass, which becomes the `Retry-After` of the `429`. Limits are per node: in
//! a cluster behind a round-robin proxy a client gets up to one bucket per node.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chimpassist_protocol::ErrorCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use super::client::ClientIp;
use crate::error::AppError;
use crate::metrics::{KindCounters, KindLabel};
use prometheus_client::metrics::counter::Counter;

/// One limit per client network.
#[derive(Debug)]
pub struct KeyedLimit {
    /// What is limited, for the refusal's message and the log ("new customers").
    what: &'static str,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    log: LogGate,
    refused: Counter,
}

impl KeyedLimit {
    /// `per_minute` of 0 is read as 1: a limit cannot forbid everything. Refusals are
    /// counted in `counters` under `what`.
    pub fn per_minute(what: &'static str, per_minute: u32, counters: &KindCounters) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            what,
            limiter: RateLimiter::keyed(Quota::per_minute(rate)),
            clock: DefaultClock::default(),
            log: LogGate::default(),
            refused: counters.get_or_create(&KindLabel::new(what)).clone(),
        }
    }

    /// Takes one from `client`'s bucket, or says how long until one is back.
    pub fn check(&self, client: ClientIp) -> Result<(), AppError> {
        match self.limiter.check_key(&client.network()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                self.refused.inc();
                let wait = not_until.wait_time_from(self.clock.now());
                self.log.note(|suppressed| {
                    tracing::warn!(
                        %client,
                        limit = self.what,
                        retry_after_ms = wait.as_millis() as u64,
                        suppressed,
                        "rate limited"
                    );
                });
                Err(AppError::later(
                    ErrorCode::RateLimited,
                    format!("too many {} from your network; slow down", self.what),
                    wait,
                ))
            }
        }
    }

    /// Forgets clients whose bucket is full again (run now and then: memory stays bounded by
    /// the clients of the last minute).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Logs at most once per [`LogGate::EVERY`], counting what it kept quiet: a flood of refused
/// requests must not become a flood of log lines.
#[derive(Debug, Default)]
pub struct LogGate {
    /// Milliseconds since `start` of the last line, plus one (0: never).
    last: AtomicU64,
    suppressed: AtomicU64,
    start: std::sync::OnceLock<std::time::Instant>,
}

impl LogGate {
    pub const EVERY: Duration = Duration::from_secs(10);

    /// Runs `log` (with the number of events not logged since the last line) unless a line
    /// was written less than [`Self::EVERY`] ago.
    pub fn note(&self, log: impl FnOnce(u64)) {
        let start = self.start.get_or_init(std::time::Instant::now);
        let now = start.elapsed().as_millis() as u64 + 1;
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= Self::EVERY.as_millis() as u64;
        if due
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            log(self.suppressed.swap(0, Ordering::Relaxed));
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Failed logins per account, with exponential backoff: the first [`Self::FREE`] failures
/// cost nothing, then each one locks the account's logins for twice as long as the last (1 s,
/// 2 s, 4 s … up to [`Self::MAX_LOCK`]). A success forgets the account's failures; so does
/// an hour without any.
///
/// Keyed by the login as typed (lower-cased), existing or not, so the throttle itself tells
/// nothing about which accounts exist. An attacker can lock a known login for up to
/// `MAX_LOCK` at a time; that is the price of not letting anyone try millions of passwords.
#[derive(Debug, Default)]
pub struct LoginBackoff {
    accounts: Mutex<HashMap<String, Failures>>,
    log: LogGate,
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

impl LoginBackoff {
    pub const FREE: u32 = 5;
    pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
    /// Failures older than this are forgotten.
    pub const MEMORY: Duration = Duration::from_secs(3600);
    /// Accounts remembered at most; past it the oldest entries go first.
    const MAX_ACCOUNTS: usize = 100_000;

    /// `Err` with the time left while `login` is locked.
    pub fn check(&self, login: &str, now: Instant) -> Result<(), AppError> {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let Some(until) = accounts.get(login).and_then(|f| f.locked_until) else {
            return Ok(());
        };
        if until <= now {
            return Ok(());
        }
        let wait = until - now;
        self.log.note(|suppressed| {
            tracing::warn!(
                retry_after_ms = wait.as_millis() as u64,
                suppressed,
                "login throttled: too many failed attempts for one account"
            );
        });
        Err(AppError::later(
            ErrorCode::RateLimited,
            "too many failed sign-ins for this account; wait before trying again",
            wait,
        ))
    }

    /// A wrong password (or any refusal that looks like one).
    pub fn failed(&self, login: &str, now: Instant) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        if accounts.len() >= Self::MAX_ACCOUNTS && !accounts.contains_key(login) {
            accounts.retain(|_, f| now.duration_since(f.last) < Self::MEMORY);
            if accounts.len() >= Self::MAX_ACCOUNTS
                && let Some(oldest) = accounts
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
            {
                accounts.remove(&oldest);
            }
        }
        let entry = accounts.entry(login.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now.duration_since(entry.last) >= Self::MEMORY {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.locked_until = Self::lock_after(entry.count).map(|lock| now + lock);
    }

    /// A successful login: the account starts over.
    pub fn succeeded(&self, login: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(login);
    }

    /// How long the `count`-th consecutive failure locks the account.
    fn lock_after(count: u32) -> Option<Duration> {
        let over = count.checked_sub(Self::FREE)?;
        let secs = 1u64.checked_shl(over.min(20)).unwrap_or(u64::MAX);
        Some(Duration::from_secs(secs).min(Self::MAX_LOCK))
    }

    /// Drops accounts whose failures are forgotten anyway.
    pub fn forget_idle(&self, now: Instant) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, f| {
                now.duration_since(f.last) < Self::MEMORY || f.locked_until.is_some_and(|u| u > now)
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(s: &str) -> ClientIp {
        ClientIp(s.parse().expect("ip"))
    }

    #[test]
    fn a_bucket_refuses_past_its_minute_with_the_time_to_wait_and_other_clients_pass() {
        let limit = KeyedLimit::per_minute("callbacks", 3, &KindCounters::default());
        for _ in 0..3 {
            limit
                .check(client("198.51.100.7"))
                .expect("within the limit");
        }
        let refused = limit.check(client("198.51.100.7")).expect_err("over");
        let body = refused.body();
        assert_eq!(body.code, ErrorCode::RateLimited);
        let wait = body.retry_after_seconds.expect("retry after");
        assert!(
            (1..=20).contains(&wait),
            "one of 3/min is back within 20 s: {wait}"
        );
        limit.check(client("198.51.100.8")).expect("another client");
    }

    #[test]
    fn failed_logins_lock_an_account_ever_longer_and_a_success_clears_it() {
        let backoff = LoginBackoff::default();
        let t0 = Instant::now();
        for _ in 0..LoginBackoff::FREE - 1 {
            backoff.failed("ana", t0);
            backoff.check("ana", t0).expect("still free");
        }
        backoff.failed("ana", t0);
        let wait = backoff.check("ana", t0).expect_err("locked").body();
        assert_eq!(wait.retry_after_seconds, Some(1));
        backoff
            .check("bob", t0)
            .expect("other accounts are not affected");

        let t1 = t0 + Duration::from_secs(1);
        backoff.check("ana", t1).expect("the lock ran out");
        backoff.failed("ana", t1);
        assert_eq!(
            backoff
                .check("ana", t1)
                .expect_err("locked")
                .body()
                .retry_after_seconds,
            Some(2)
        );
        for _ in 0..30 {
            backoff.failed("ana", t1);
        }
        let longest = backoff.check("ana", t1).expect_err("locked").body();
        assert_eq!(
            longest.retry_after_seconds,
            Some(LoginBackoff::MAX_LOCK.as_secs())
        );
        backoff.succeeded("ana");
        backoff.check("ana", t1).expect("a success starts over");
    }

    #[test]
    fn failures_are_forgotten_after_an_hour() {
        let backoff = LoginBackoff::default();
        let t0 = Instant::now();
        for _ in 0..LoginBackoff::FREE {
            backoff.failed("ana", t0);
        }
        let later = t0 + LoginBackoff::MEMORY;
        backoff.failed("ana", later);
        backoff.check("ana", later).expect("counted from one again");
        backoff.forget_idle(later + LoginBackoff::MEMORY);
        assert!(backoff.accounts.lock().expect("lock").is_empty());
    }

    #[test]
    fn the_log_gate_lets_one_line_through_and_counts_the_rest() {
        let gate = LogGate::default();
        let mut lines = Vec::new();
        for _ in 0..5 {
            gate.note(|suppressed| lines.push(suppressed));
        }
        assert_eq!(lines, vec![0]);
        assert_eq!(gate.suppressed.load(Ordering::Relaxed), 4);
    }
}
