//! Exponential backoff between attempts to reach something that is down (the MongoDB store
//! at start, the MQTT broker). Its own module, below everything that retries, so the bus
//! does not depend on the storage wiring (and through it on the configuration) for a timer.

use std::time::Duration;

/// First pause after a failed attempt; doubled after each failure up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(200);
/// Longest pause between attempts: a recovered peer is noticed within this.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Pauses of 200 ms, doubled after each failure, capped at 5 s. Start a fresh one after a
/// success.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: RETRY_FIRST }
    }
}

impl Backoff {
    /// The pause before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(RETRY_MAX);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut backoff = Backoff::default();
        let delays: Vec<_> = (0..8).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }
}
