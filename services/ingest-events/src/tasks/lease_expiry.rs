//! Lease expiry: a session not renewed in time ends with reason
//! `lease_expired`, so an RTMP server that dies without `on_publish_done`
//! leaves no stream live. Listeners whose holder (a chat-gateway instance)
//! stopped renewing its lease are removed and their streams' counts
//! republished, so the web viewers of a crashed instance stop counting;
//! that only once this process has been connected to NATS for a whole
//! lease, so renewals it could not receive never look like lapsed leases.
//! Also refreshes the gauges of active sessions and
//! current listeners from the database, so they stay right across
//! restarts and replicas.

use std::time::Duration;

use async_nats::connection::State;
use chrono::Utc;
use diesel_async::AsyncConnection;
use tokio::{task::JoinHandle, time::Instant};
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
        let mut connected_since: Option<Instant> = None;
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => {
                    connected_since = match state.nats.connection_state() {
                        State::Connected => connected_since.or_else(|| Some(Instant::now())),
                        _ => None,
                    };
                    let renewals_heard = connected_since
                        .is_some_and(|since| since.elapsed() >= state.leases.listeners);
                    if renewals_heard && let Err(error) = expire_listeners(&state).await {
                        tracing::warn!(error = %error, "listener lease sweep failed, retrying");
                    }
                    if let Err(error) = sweep(&state).await {
                        tracing::warn!(error = %error, "lease sweep failed, retrying");
                    }
                }
            }
        }
    })
}

/// Removes the listeners of lapsed holders; marks their streams' counts.
async fn expire_listeners(state: &AppState) -> anyhow::Result<()> {
    let now = Utc::now();
    let lease = state.leases.listener_lease();
    let streams = {
        let mut conn = state.pool.get().await?;
        listeners::expire(&mut conn, now, now - lease).await?
    };
    for stream_id in streams {
        tracing::info!(stream.id = %stream_id, "listeners of a lapsed lease removed");
        state.viewers_changed(stream_id);
    }
    Ok(())
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
