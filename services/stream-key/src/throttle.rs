//! Throttles key guessing: after `limit` failed validations from one
//! address within `window`, that address is refused for `cooldown`.
//! In memory per instance; a guesser spread across instances is still
//! slowed by each.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// Failed-guess counters per client address.
pub struct GuessThrottle {
    entries: Mutex<HashMap<String, Entry>>,
    limit: u32,
    window: Duration,
    cooldown: Duration,
}

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 50_000;

impl GuessThrottle {
    pub fn new(limit: u32, window: Duration, cooldown: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            limit,
            window,
            cooldown,
        }
    }

    /// How long `addr` must still wait, if it is refused at `now`.
    pub fn blocked_for(&self, addr: &str, now: Instant) -> Option<Duration> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(addr)
            .and_then(|e| e.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Counts a failed validation from `addr` at `now`.
    pub fn record_failure(&self, addr: &str, now: Instant) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= SWEEP_AT {
            let horizon = self.window.max(self.cooldown);
            entries.retain(|_, e| {
                now.duration_since(e.window_start) < horizon
                    || e.blocked_until.is_some_and(|u| u > now)
            });
        }
        let entry = entries.entry(addr.to_owned()).or_insert(Entry {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        if now.duration_since(entry.window_start) >= self.window {
            entry.window_start = now;
            entry.failures = 0;
        }
        entry.failures += 1;
        if entry.failures >= self.limit {
            entry.blocked_until = Some(now + self.cooldown);
            entry.failures = 0;
            entry.window_start = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_failures_within_the_window_then_releases() {
        let t = GuessThrottle::new(3, Duration::from_secs(60), Duration::from_secs(300));
        let start = Instant::now();
        for i in 0..2 {
            t.record_failure("1.2.3.4", start + Duration::from_secs(i));
            assert_eq!(
                t.blocked_for("1.2.3.4", start + Duration::from_secs(i)),
                None
            );
        }
        t.record_failure("1.2.3.4", start + Duration::from_secs(2));
        assert!(
            t.blocked_for("1.2.3.4", start + Duration::from_secs(3))
                .is_some()
        );
        assert_eq!(
            t.blocked_for("5.6.7.8", start),
            None,
            "other addresses are not affected"
        );
        assert_eq!(
            t.blocked_for("1.2.3.4", start + Duration::from_secs(303)),
            None
        );
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_block() {
        let t = GuessThrottle::new(3, Duration::from_secs(60), Duration::from_secs(300));
        let start = Instant::now();
        for i in 0..10 {
            let at = start + Duration::from_secs(i * 31);
            t.record_failure("a", at);
            assert_eq!(t.blocked_for("a", at), None, "failure {i}");
        }
    }
}
