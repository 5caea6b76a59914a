//! Viewer counts: at most one `live.viewers.<stream_id>` per stream per
//! interval, with the current count and the session's peak, published to
//! the last-value stream `LIVE_VIEWERS`. A stream that ended reports 0.

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::events::{Event, ViewerCount};
use veza_live_platform::nats;

use crate::{
    db::{listeners, sessions},
    state::AppState,
};

/// Publishes dirty streams' counts every `interval` until `cancel` fires.
pub fn spawn(state: AppState, interval: Duration, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => publish_dirty(&state).await,
            }
        }
        publish_dirty(&state).await;
    })
}

/// Marks every live stream's count for publication at start-up and then
/// every `interval`, until `cancel` fires.
pub fn spawn_refresh(
    state: AppState,
    interval: Duration,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut retry = tokio::time::interval(Duration::from_secs(1));
        let mut pending = true;
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => pending = true,
                // Until the database answers (it may come up after us), try every second.
                _ = retry.tick(), if pending => {}
            }
            if pending {
                pending = !mark_live_streams(&state).await;
                if !pending {
                    // Out now, not at the next publication tick.
                    publish_dirty(&state).await;
                }
            }
        }
    })
}

/// Marks every stream with an active session; false when the database did not answer.
async fn mark_live_streams(state: &AppState) -> bool {
    let live = async {
        let mut conn = state.pool.get().await?;
        anyhow::Ok(sessions::live_stream_ids(&mut conn).await?)
    }
    .await;
    match live {
        Ok(ids) => {
            for stream_id in ids {
                state.viewers_changed(stream_id);
            }
            true
        }
        Err(error) => {
            tracing::debug!(error = %error, "live streams not read for the viewer refresh, retrying");
            false
        }
    }
}

async fn publish_dirty(state: &AppState) {
    let dirty: Vec<Uuid> = {
        let mut set = state
            .dirty_viewers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        set.drain().collect()
    };
    for stream_id in dirty {
        if let Err(error) = publish_one(state, stream_id).await {
            tracing::warn!(error = %error, stream.id = %stream_id, "viewer count not published, retrying");
            state.viewers_changed(stream_id);
        }
    }
}

async fn publish_one(state: &AppState, stream_id: Uuid) -> anyhow::Result<()> {
    let (count, peak) = {
        let mut conn = state.pool.get().await?;
        let count =
            i32::try_from(listeners::count(&mut conn, stream_id).await?).unwrap_or(i32::MAX);
        let peak = sessions::raise_peak(&mut conn, stream_id, count).await?;
        (count, peak)
    };
    let event = Event::new(
        ViewerCount {
            stream_id,
            count,
            peak,
        },
        Utc::now(),
    );
    let body = serde_json::to_vec(&event)?;
    nats::publish_event(
        &state.js,
        state.subjects.viewers(stream_id),
        event.event_id,
        body.into(),
        None,
    )
    .await?;
    Ok(())
}
