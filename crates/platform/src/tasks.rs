//! Periodic background work.

use std::{future::Future, time::Duration};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Runs `round` every `period` until `cancel` fires. A round that fails is
/// logged once per outage (`what` says what did not happen, e.g. "stream
/// health not sampled"), not every period; the next round is the retry.
/// A round that overruns delays the next one rather than piling up.
pub fn every<F, Fut>(
    period: Duration,
    cancel: CancellationToken,
    what: &'static str,
    mut round: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => match round().await {
                    Ok(()) => failing = false,
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(error = %format!("{error:#}"), "{what}, retrying");
                    }
                    Err(_) => {}
                },
            }
        }
    })
}
