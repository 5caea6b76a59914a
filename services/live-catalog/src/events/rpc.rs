//! Request/reply subjects the catalog answers:
//! - `live.rpc.catalog.resolve_publish`: which stream goes live when the
//!   streamer publishes (refused when one is already live);
//! - `live.rpc.catalog.ensure_draft`: the streamer's current stream,
//!   creating a draft when there is none.
//!
//! - `live.rpc.catalog.stream_owner`: the owner and status of a stream, for
//!   RTMP servers that report streams by id.
//!
//! The first two pick, in order: the live stream, the nearest scheduled, the latest
//! draft, else a new draft copying the last stream's title, category and
//! tags.

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::{
    StreamStatus,
    rpc::{
        EnsureDraft, LookUpStreamOwner, ResolvePublish, StreamForUser, StreamForUserRequest,
        StreamOwner, codes,
    },
};
use veza_live_platform::{
    auth::AuthUser,
    nats::{self, Refusal},
};

use crate::{
    db::streams::{self, NewStreamRow},
    events::publish::{self, Change},
    state::AppState,
};

/// The queue group all catalog replicas share.
const QUEUE: &str = "live-catalog";

/// Starts the responders.
pub async fn spawn(state: AppState, cancel: CancellationToken) -> Vec<JoinHandle<()>> {
    let (owner_state, resolve_state, ensure_state) = (state.clone(), state.clone(), state.clone());
    vec![
        nats::respond::<LookUpStreamOwner, _, _>(
            state.nats.clone(),
            &state.subjects,
            QUEUE,
            cancel.clone(),
            move |req| {
                let state = owner_state.clone();
                async move { stream_owner(&state, req.stream_id).await }
            },
        )
        .await,
        nats::respond::<ResolvePublish, _, _>(
            state.nats.clone(),
            &state.subjects,
            QUEUE,
            cancel.clone(),
            move |req| {
                let state = resolve_state.clone();
                async move { stream_for_user(&state, &req, Purpose::Publish).await }
            },
        )
        .await,
        nats::respond::<EnsureDraft, _, _>(
            state.nats.clone(),
            &state.subjects,
            QUEUE,
            cancel,
            move |req| {
                let state = ensure_state.clone();
                async move { stream_for_user(&state, &req, Purpose::EnsureDraft).await }
            },
        )
        .await,
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Publish,
    EnsureDraft,
}

async fn stream_for_user(
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
    subjects: &veza_live_domain::Subjects,
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
        .unwrap_or_else(|| {
            AuthUser {
                user_id: req.user_id,
                username: None,
                expires_at: chrono::Utc::now(),
            }
            .display_name()
        });
    let new = NewStreamRow {
        id: Uuid::new_v4(),
        user_id: req.user_id,
        title: last
            .as_ref()
            .map(|l| l.title.clone())
            .unwrap_or_else(|| format!("{streamer_name} is live")),
        streamer_name: last
            .as_ref()
            .map(|l| l.streamer_name.clone())
            .unwrap_or(streamer_name),
        description: None,
        category: last.as_ref().and_then(|l| l.category.clone()),
        tags: last.as_ref().map(|l| l.tags.clone()).unwrap_or_default(),
        thumbnail_url: None,
        status: StreamStatus::Draft.as_str().to_owned(),
        scheduled_at: None,
        record_replay: last.as_ref().is_none_or(|l| l.record_replay),
    };
    let row = streams::insert(conn, new).await?;
    publish::stream_changed(conn, subjects, Change::Created, &row).await?;
    Ok((chosen(&row), true))
}

async fn stream_owner(state: &AppState, stream_id: Uuid) -> Result<StreamOwner, Refusal> {
    let mut conn = state.pool.get().await?;
    let row = streams::find(&mut conn, stream_id)
        .await?
        .ok_or_else(|| Refusal::new(codes::NOT_FOUND, "no such stream"))?;
    Ok(StreamOwner {
        stream_id,
        user_id: row.user_id,
        status: row.status(),
        record_replay: row.record_replay,
    })
}
