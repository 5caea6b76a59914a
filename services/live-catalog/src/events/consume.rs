//! Live state from ingest events: `live.events.stream.started` / `.ended`,
//! `live.events.replay.updated` and `live.viewers.*`, applied idempotently
//! and in any order. An `ended`
//! before its `started` leaves the stream ended; a `started` after `ended`
//! does not revive it; a viewer count older than the last applied is
//! ignored.

use diesel_async::AsyncConnection;
use veza_live_domain::{
    ReplayStatus, StreamStatus,
    events::{Event, ReplayUpdated, StreamEnded, StreamStarted, ViewerCount},
    subjects::{STREAM_EVENTS, STREAM_VIEWERS},
};
use veza_live_platform::{
    consumer::{ConsumerSpec, HandleError, first_delivery},
    service::Startup,
};

use crate::{
    db::streams,
    events::publish::{self, Change},
    state::AppState,
};

/// The durable consumer of `live.events.stream.started` (and the key of
/// its delivery records).
pub const STARTED_CONSUMER: &str = "live-catalog-started";
/// The durable consumer of `live.events.stream.ended`.
pub const ENDED_CONSUMER: &str = "live-catalog-ended";
/// The durable consumer of `live.viewers.*`.
pub const VIEWERS_CONSUMER: &str = "live-catalog-viewers";
/// The durable consumer of `live.events.replay.updated`.
pub const REPLAY_CONSUMER: &str = "live-catalog-replay";

/// Starts the four consumers.
pub fn spawn(startup: &mut Startup, state: &AppState) {
    let s = &state.subjects;
    let spec = |stream: &str, durable: &'static str, filter: String| ConsumerSpec {
        stream: s.stream(stream),
        durable,
        filter_subject: filter,
        concurrency: 32,
    };
    let started = spec(STREAM_EVENTS, STARTED_CONSUMER, s.stream_started());
    let ended = spec(STREAM_EVENTS, ENDED_CONSUMER, s.stream_ended());
    let viewers = spec(STREAM_VIEWERS, VIEWERS_CONSUMER, s.viewers_all());
    let replay = spec(STREAM_EVENTS, REPLAY_CONSUMER, s.replay_updated());
    startup.consume(state, started, |state, event| async move {
        on_started(&state, event).await
    });
    startup.consume(state, ended, |state, event| async move {
        on_ended(&state, event).await
    });
    startup.consume(state, viewers, |state, event| async move {
        on_viewers(&state, event).await
    });
    startup.consume(state, replay, |state, event| async move {
        on_replay(&state, event).await
    });
}

/// Applies `stream.started`.
///
/// Fails with a retry when the database is unavailable.
pub async fn on_started(state: &AppState, event: Event<StreamStarted>) -> Result<(), HandleError> {
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        if !first_delivery(conn, STARTED_CONSUMER, event.event_id).await? {
            return Ok(());
        }
        let p = &event.payload;
        let Some(row) = streams::find_for_update(conn, p.stream_id).await? else {
            tracing::warn!(stream.id = %p.stream_id, "started event for an unknown stream");
            return Ok(());
        };
        if row.status.can_become(StreamStatus::Live) {
            // A newer session of the same streamer means an older one is
            // over, even if its `ended` has not arrived yet.
            streams::end_other_live(conn, row.user_id, row.id, event.occurred_at).await?;
            streams::mark_live(conn, row.id, p.session_id, event.occurred_at).await?;
        }
        Ok(())
    })
    .await
}

/// Applies `stream.ended`.
///
/// Fails with a retry when the database is unavailable.
pub async fn on_ended(state: &AppState, event: Event<StreamEnded>) -> Result<(), HandleError> {
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        if !first_delivery(conn, ENDED_CONSUMER, event.event_id).await? {
            return Ok(());
        }
        let p = &event.payload;
        let Some(row) = streams::find_for_update(conn, p.stream_id).await? else {
            tracing::warn!(stream.id = %p.stream_id, "ended event for an unknown stream");
            return Ok(());
        };
        let same_session = row.session_id.is_none_or(|s| s == p.session_id);
        if row.status.can_become(StreamStatus::Ended)
            && (row.status != StreamStatus::Live || same_session)
        {
            streams::mark_ended(conn, row.id, p.session_id, event.occurred_at).await?;
        }
        if p.recorded {
            // Unless the replay got further already (its `ready` overtook this).
            let processing = ReplayUpdated {
                stream_id: p.stream_id,
                status: ReplayStatus::Processing,
                duration_seconds: None,
                playlist: None,
            };
            streams::apply_replay(conn, &processing).await?;
        }
        Ok(())
    })
    .await
}

/// Where the replay of `stream_id` is played from, in the media store.
pub fn replay_playlist(stream_id: uuid::Uuid) -> String {
    format!("replays/{stream_id}/index.m3u8")
}

/// Applies `replay.updated` when it goes further than what the stream
/// holds, and announces the change as `stream.updated` (which open pages
/// hear through chat-gateway).
///
/// Fails with a retry when the database is unavailable.
pub async fn on_replay(state: &AppState, event: Event<ReplayUpdated>) -> Result<(), HandleError> {
    let mut update = event.payload;
    // The path is the catalog's to say: only `replays/<id>/...` is served.
    update.playlist =
        (update.status == ReplayStatus::Ready).then(|| replay_playlist(update.stream_id));
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    let changed = conn
        .transaction(async |conn| {
            if !first_delivery(conn, REPLAY_CONSUMER, event.event_id).await? {
                return Ok::<_, HandleError>(false);
            }
            let Some(row) = streams::apply_replay(conn, &update).await? else {
                return Ok(false);
            };
            publish::stream_changed(conn, subjects, Change::Updated, &row).await?;
            Ok(true)
        })
        .await?;
    if changed {
        state.outbox.wake();
        tracing::info!(stream.id = %update.stream_id, replay.status = update.status.as_str(), "replay updated");
    }
    Ok(())
}

/// Applies a viewer count (last value wins, by `occurred_at`).
///
/// Fails with a retry when the database is unavailable.
pub async fn on_viewers(state: &AppState, event: Event<ViewerCount>) -> Result<(), HandleError> {
    let mut conn = state.pool.get().await?;
    let p = &event.payload;
    streams::apply_viewers(&mut conn, p.stream_id, p.count, p.peak, event.occurred_at).await?;
    Ok(())
}
