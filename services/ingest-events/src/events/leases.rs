//! Lease expiry: a session not renewed in time ends with reason
//! `lease_expired`, so an RTMP server that dies without `on_publish_done`
//! leaves no stream live. Also refreshes the gauges of active sessions and
//! current listeners from the database, so they stay right across
//! restarts and replicas.

use std::time::Duration;

use chrono::Utc;
use diesel_async::AsyncConnection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::events::EndReason;

use crate::{
    db::{
        listeners,
        sessions::{self, Source},
    },
    ingest::{self, Origin, SessionRef},
    state::AppState,
};

const SWEEP_EVERY: Duration = Duration::from_millis(500);

/// Sweeps expired leases until `cancel` fires.
pub fn spawn(state: AppState, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(SWEEP_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = ticker.tick() => {
                    if let Err(error) = sweep(&state).await {
                        tracing::warn!(error = %error, "lease sweep failed, retrying");
                    }
                }
            }
        }
    })
}

async fn sweep(state: &AppState) -> anyhow::Result<()> {
    let expired: Vec<Uuid> = {
        let mut conn = state.pool.get().await?;
        conn.transaction(async |conn| sessions::expired(conn, Utc::now(), 100).await)
            .await?
    };
    for id in expired {
        let origin = Origin::now(Source::Rtmp, None);
        if let Err(error) = ingest::end(
            state,
            SessionRef::Session(id),
            EndReason::LeaseExpired,
            origin,
        )
        .await
        {
            tracing::warn!(error = %error, session.id = %id, "could not expire session");
        }
    }
    let mut conn = state.pool.get().await?;
    metrics::gauge!("veza_live_streams_active")
        .set(sessions::count_active(&mut conn).await? as f64);
    metrics::gauge!("veza_live_stream_viewers").set(listeners::count_all(&mut conn).await? as f64);
    Ok(())
}
