//! Retrying with exponential backoff until success or shutdown: the one
//! loop behind migrations, stream set-up, consumers and responders waiting
//! for PostgreSQL or NATS.

use std::{fmt::Display, future::Future, time::Duration};

use tokio_util::sync::CancellationToken;

/// Delays that double from `first` up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `first`, doubling up to `max`.
    pub const fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            next: first,
        }
    }

    /// The usual one: 200 ms doubling up to 5 s.
    pub const fn standard() -> Self {
        Self::new(Duration::from_millis(200), Duration::from_secs(5))
    }

    /// The delay the next [`Backoff::wait`] sleeps.
    pub fn delay(&self) -> Duration {
        self.next
    }

    /// After a success: the next failure waits `first` again.
    pub fn reset(&mut self) {
        self.next = self.first;
    }

    /// Sleeps the current delay, then doubles it; false when `cancel`
    /// fired first.
    pub async fn wait(&mut self, cancel: &CancellationToken) -> bool {
        let delay = self.next;
        self.next = (self.next * 2).clamp(self.first, self.max);
        tokio::select! {
            () = cancel.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

/// Runs `attempt` until it succeeds (`Some`) or `cancel` fires (`None`),
/// handing each failure and the delay before the next try to `failed`
/// (which logs it).
pub async fn until_ok<T, E, F, Fut>(
    cancel: &CancellationToken,
    mut backoff: Backoff,
    mut attempt: F,
    failed: impl Fn(&E, Duration),
) -> Option<T>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    loop {
        match attempt().await {
            Ok(value) => return Some(value),
            Err(error) => failed(&error, backoff.delay()),
        }
        if !backoff.wait(cancel).await {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn delays_double_up_to_the_cap_and_reset_after_a_success() {
        let cancel = CancellationToken::new();
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(backoff.delay());
            assert!(backoff.wait(&cancel).await);
        }
        assert_eq!(
            seen,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
        backoff.reset();
        assert_eq!(backoff.delay(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn until_ok_retries_failures_and_stops_when_cancelled() {
        let cancel = CancellationToken::new();
        let mut tries = 0;
        let value = until_ok(
            &cancel,
            Backoff::standard(),
            || {
                tries += 1;
                let outcome = if tries < 3 { Err("not yet") } else { Ok(tries) };
                std::future::ready(outcome)
            },
            |_, _| {},
        )
        .await;
        assert_eq!(value, Some(3));

        cancel.cancel();
        let never: Option<()> = until_ok(
            &cancel,
            Backoff::standard(),
            || std::future::ready(Err::<(), _>("down")),
            |_, _| {},
        )
        .await;
        assert_eq!(never, None);
    }
}
