//! Copies the segments of recorded streams every `REPLAY_POLL_INTERVAL_MS`
//! and, once a stream has ended and settled, writes its VOD playlist.
//!
//! Each stream is handled in one transaction under its replay lock (taken
//! without waiting: an instance that finds it held leaves the stream to
//! the holder this round). Objects are written before the rows that name
//! them and under names fixed by their position, so a copy interrupted by
//! a crash is simply done again.

use std::time::Duration;

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use reqwest::StatusCode;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::ReplayStatus;
use veza_live_platform::tasks;

use super::{
    Replays, announce,
    playlist::{self, LiveSegment},
};
use crate::{
    db::replays::{self, RecordingStatus, ReplayRow, SegmentRow},
    state::AppState,
};

/// Longest wait for the live playlist.
const PLAYLIST_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for one segment.
const SEGMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// After the end, how long nginx-rtmp may stay unreachable before the
/// replay is finished with what was copied (its live window is 30 s: what
/// was not copied by then is gone anyway).
const GIVE_UP_AFTER_END: Duration = Duration::from_secs(30);

/// Records until `cancel` fires.
pub fn spawn(state: AppState, cancel: CancellationToken) -> JoinHandle<()> {
    let every = state.replays.config.poll_interval;
    tasks::every(every, cancel, "replay recording stalled", move || {
        let state = state.clone();
        async move { tick(&state).await }
    })
}

/// One round over every stream being recorded or processed.
///
/// Fails with the first stream's failure (the others are still tried).
pub async fn tick(state: &AppState) -> anyhow::Result<()> {
    let streams = {
        let mut conn = state.pool.get().await?;
        replays::in_progress(&mut conn).await?
    };
    let mut first_error = None;
    for stream_id in streams {
        if let Err(error) = record(state, stream_id).await {
            first_error.get_or_insert(error.context(format!("stream {stream_id}")));
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// What one round did to a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Another instance holds the stream, or it is no longer in progress.
    Skipped,
    /// Segments copied (maybe none).
    Copied(usize),
    /// The replay is finished with this status.
    Finished(ReplayStatus),
}

/// Copies a stream's new segments and finishes its replay once due.
///
/// Fails when the database, nginx-rtmp or the store fails; nothing is
/// lost, the next round starts again from the last segment saved.
pub async fn record(state: &AppState, stream_id: Uuid) -> anyhow::Result<Outcome> {
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| {
            if !replays::try_lock(conn, stream_id).await? {
                return Ok::<_, anyhow::Error>(Outcome::Skipped);
            }
            let Some(mut row) = replays::find(conn, stream_id).await? else {
                return Ok(Outcome::Skipped);
            };
            if row.status != RecordingStatus::Recording && row.status != RecordingStatus::Processing {
                return Ok(Outcome::Skipped);
            }
            let since_end = row
                .ended_at
                .filter(|_| row.status == RecordingStatus::Processing)
                .and_then(|end| (Utc::now() - end).to_std().ok());
            let copied = match copy_new_segments(state, conn, &mut row).await {
                Ok(copied) => copied,
                Err(error) if since_end.is_some_and(|d| d >= GIVE_UP_AFTER_END) => {
                    tracing::warn!(stream.id = %stream_id, error = %format!("{error:#}"), "nginx-rtmp unreachable since the end, finishing the replay with what was recorded");
                    0
                }
                Err(error) => return Err(error),
            };
            let due = since_end.is_some_and(|d| d >= state.replays.settle());
            if !due {
                return Ok(Outcome::Copied(copied));
            }
            finish(state, conn, &row).await.map(Outcome::Finished)
        })
        .await?;
    match outcome {
        Outcome::Copied(n) if n > 0 => {
            metrics::counter!("replay_segments_recorded_total").increment(n as u64);
        }
        Outcome::Finished(status) => {
            state.outbox.wake();
            metrics::counter!("replays_finished_total", "status" => status.as_str()).increment(1);
            tracing::info!(stream.id = %stream_id, replay.status = status.as_str(), "replay finished");
        }
        _ => {}
    }
    Ok(outcome)
}

/// Reads the live window and copies what is new; saves the progress.
async fn copy_new_segments(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    row: &mut ReplayRow,
) -> anyhow::Result<usize> {
    if row.truncated {
        return Ok(0);
    }
    let replays = &state.replays;
    let base = &replays.config.hls_url;
    let res = state
        .control
        .get(format!("{base}/{}.m3u8", row.stream_id))
        .timeout(PLAYLIST_TIMEOUT)
        .send()
        .await?;
    if res.status() == StatusCode::NOT_FOUND {
        // Not written yet, or cleaned up after the end.
        return Ok(0);
    }
    let body = res.error_for_status()?.bytes().await?;
    let window = playlist::parse_live(&body)?;
    let mut copied = 0;
    let mut lost = false;
    for segment in playlist::unseen(row.media_sequence, &window) {
        let LiveSegment {
            sequence,
            duration_s,
            uri,
            discontinuity,
        } = segment;
        let res = state
            .control
            .get(format!("{base}/{uri}"))
            .timeout(SEGMENT_TIMEOUT)
            .send()
            .await?;
        if res.status() == StatusCode::NOT_FOUND {
            // Cleaned up before it could be copied: the next one starts
            // with a discontinuity.
            lost = true;
            row.media_sequence = Some(sequence);
            continue;
        }
        let bytes = res.error_for_status()?.bytes().await?;
        let size = bytes.len() as u64;
        if (row.bytes as u64).saturating_add(size) > replays.config.max_bytes {
            row.truncated = true;
            tracing::warn!(stream.id = %row.stream_id, replay.bytes = row.bytes, "replay reached REPLAY_MAX_MB, no longer recorded");
            break;
        }
        let idx = row.segments;
        replays
            .put(
                &Replays::object(row.stream_id, &playlist::segment_name(idx)),
                bytes,
            )
            .await?;
        replays::add_segment(
            conn,
            &SegmentRow {
                stream_id: row.stream_id,
                idx,
                media_sequence: sequence,
                duration_s,
                bytes: size as i64,
                discontinuity: (discontinuity || lost) && idx > 0,
            },
        )
        .await?;
        lost = false;
        row.segments += 1;
        row.bytes += size as i64;
        row.duration_s += duration_s;
        row.media_sequence = Some(sequence);
        copied += 1;
    }
    replays::save_progress(conn, row).await?;
    Ok(copied)
}

/// Writes the VOD playlist (or gives up on a too short broadcast) and
/// announces the outcome.
async fn finish(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    row: &ReplayRow,
) -> anyhow::Result<ReplayStatus> {
    let replays = &state.replays;
    replays::save_progress(conn, row).await?;
    let long_enough =
        row.segments > 0 && row.duration_s >= replays.config.min_duration.as_secs_f64();
    if !long_enough {
        replays.delete_objects(row.stream_id).await?;
        replays::set_status(conn, row.stream_id, RecordingStatus::None).await?;
        announce(
            conn,
            &state.subjects,
            row.stream_id,
            ReplayStatus::None,
            None,
        )
        .await?;
        return Ok(ReplayStatus::None);
    }
    let segments = replays::segments(conn, row.stream_id).await?;
    let body = playlist::vod(&segments);
    replays
        .put(&Replays::object(row.stream_id, "index.m3u8"), body.into())
        .await?;
    replays::set_status(conn, row.stream_id, RecordingStatus::Ready).await?;
    let duration: f64 = segments.iter().map(|s| s.duration_s).sum();
    announce(
        conn,
        &state.subjects,
        row.stream_id,
        ReplayStatus::Ready,
        Some((duration * 1000.0).round() / 1000.0),
    )
    .await?;
    Ok(ReplayStatus::Ready)
}
