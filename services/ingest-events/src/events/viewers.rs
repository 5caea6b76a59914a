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
                _ = cancel.cancelled() => break,
                _ = ticker.tick() => publish_dirty(&state).await,
            }
        }
        publish_dirty(&state).await;
    })
}

async fn publish_dirty(state: &AppState) {
    let dirty: Vec<Uuid> = {
        let mut set = state
            .dirty_viewers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
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
