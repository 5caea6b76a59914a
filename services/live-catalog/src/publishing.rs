//! Which stream is the streamer's current one — the stream that goes live
//! when they publish, and the one a key or the Go Live page shows.
//!
//! In order: the live stream, the nearest scheduled, the latest draft,
//! else a new draft copying the last stream's title, category and tags.
//! One decision at a time per streamer (an advisory lock), so two publishes
//! racing across replicas cannot each pick or create a different stream.

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use veza_live_domain::{
    StreamStatus, Subjects,
    rpc::{StreamForUser, StreamForUserRequest, codes},
};
use veza_live_platform::{auth, nats::Refusal};

use crate::{
    db::streams::{self, NewStreamRow},
    events::publish::{self, Change},
    state::AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The streamer started publishing: refused when a stream is live.
    Publish,
    /// A key or a Go Live page needs the current stream: the live one is fine.
    EnsureDraft,
}

/// The streamer's current stream for `purpose`, created as a draft when
/// there is none; wakes the outbox when one was created.
///
/// Refused with `already_live` when publishing while a stream is live;
/// unavailable when the database is.
pub async fn stream_for_user(
    state: &AppState,
    req: &StreamForUserRequest,
    purpose: Purpose,
) -> Result<StreamForUser, Refusal> {
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    let (chosen, created) = conn
        .transaction(async |conn| pick_or_create(conn, subjects, req, purpose).await)
        .await?;
    if created {
        state.outbox.wake();
    }
    Ok(chosen)
}

async fn pick_or_create(
    conn: &mut AsyncPgConnection,
    subjects: &Subjects,
    req: &StreamForUserRequest,
    purpose: Purpose,
) -> Result<(StreamForUser, bool), Refusal> {
    let chosen = |row: &streams::StreamRow| StreamForUser {
        stream_id: row.id,
        record_replay: row.record_replay,
    };
    // One decision at a time per streamer, across replicas.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(req.user_id.to_string())
        .execute(conn)
        .await?;
    if let Some(live) = streams::of_user_with_status(conn, req.user_id, StreamStatus::Live)
        .await?
        .into_iter()
        .next()
    {
        return match purpose {
            Purpose::Publish => Err(Refusal::new(
                codes::ALREADY_LIVE,
                "the streamer already has a live stream",
            )),
            Purpose::EnsureDraft => Ok((chosen(&live), false)),
        };
    }
    for status in [StreamStatus::Scheduled, StreamStatus::Draft] {
        if let Some(row) = streams::of_user_with_status(conn, req.user_id, status)
            .await?
            .into_iter()
            .next()
        {
            return Ok((chosen(&row), false));
        }
    }
    let last = streams::latest_of_user(conn, req.user_id).await?;
    let streamer_name = req
        .username
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| auth::display_name(req.user_id, None));
    let new = NewStreamRow {
        id: Uuid::new_v4(),
        user_id: req.user_id,
        title: last
            .as_ref()
            .map_or_else(|| format!("{streamer_name} is live"), |l| l.title.clone()),
        streamer_name: last
            .as_ref()
            .map(|l| l.streamer_name.clone())
            .unwrap_or(streamer_name),
        description: None,
        category: last.as_ref().and_then(|l| l.category.clone()),
        tags: last.as_ref().map(|l| l.tags.clone()).unwrap_or_default(),
        thumbnail_url: None,
        status: StreamStatus::Draft,
        scheduled_at: None,
        record_replay: last.as_ref().is_none_or(|l| l.record_replay),
    };
    let row = streams::insert(conn, new).await?;
    publish::stream_changed(conn, subjects, Change::Created, &row).await?;
    Ok((chosen(&row), true))
}
