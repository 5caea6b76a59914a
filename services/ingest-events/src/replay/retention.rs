//! Deleting replays: those older than `REPLAY_RETENTION_DAYS`, every
//! `REPLAY_SWEEP_INTERVAL_S`, and a deleted stream's at once.

use chrono::Utc;
use diesel_async::AsyncConnection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::ReplayStatus;

use super::announce;
use crate::{
    db::replays::{self, RecordingStatus},
    state::AppState,
};

/// Replays deleted per round at most.
const BATCH: i64 = 100;

/// Sweeps until `cancel` fires; does nothing when replays are kept forever.
pub fn spawn(state: AppState, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let config = state.replays.config.clone();
        let Some(retention) = config.retention else {
            return;
        };
        let mut ticker = tokio::time::interval(config.sweep_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => match sweep(&state, retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(replays = n, "expired replays deleted"),
                    Err(error) => tracing::warn!(error = %format!("{error:#}"), "expired replays not deleted, retrying"),
                },
            }
        }
    })
}

/// Deletes the replays that became ready more than `retention` ago.
/// Returns how many.
///
/// Fails when the database or the store fails.
pub async fn sweep(state: &AppState, retention: std::time::Duration) -> anyhow::Result<usize> {
    let before = Utc::now() - chrono::Duration::from_std(retention)?;
    let expired = {
        let mut conn = state.pool.get().await?;
        replays::ready_before(&mut conn, before, BATCH).await?
    };
    let mut deleted = 0;
    for stream_id in expired {
        if delete(state, stream_id, true).await? {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Deletes a stream's replay, its objects first; `announce` tells
/// live-catalog (not needed when the stream itself is gone). Returns
/// whether there was one. Safe to repeat.
///
/// Fails when the database or the store fails; then nothing is marked
/// deleted and a retry starts again.
pub async fn delete(state: &AppState, stream_id: Uuid, notify: bool) -> anyhow::Result<bool> {
    let mut conn = state.pool.get().await?;
    let deleted = conn
        .transaction(async |conn| {
            // Waits for a recording round of this stream to finish.
            replays::lock(conn, stream_id).await?;
            let Some(row) = replays::find(conn, stream_id).await? else {
                return Ok::<_, anyhow::Error>(false);
            };
            if row.status == RecordingStatus::Deleted {
                return Ok(false);
            }
            state.replays.delete_objects(stream_id).await?;
            replays::set_status(conn, stream_id, RecordingStatus::Deleted).await?;
            if notify {
                announce(conn, &state.subjects, stream_id, ReplayStatus::None, None).await?;
            }
            Ok(true)
        })
        .await?;
    if deleted {
        if notify {
            state.outbox.wake();
        }
        metrics::counter!("replays_deleted_total").increment(1);
        tracing::info!(stream.id = %stream_id, "replay deleted");
    }
    Ok(deleted)
}
