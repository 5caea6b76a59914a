//! `stream_started`: validate the publisher, choose the stream, open a
//! session and announce `live.events.stream.started`.

use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::{
    StreamStatus,
    events::{Event, StreamStarted},
};
use veza_live_platform::{
    consumer::{already_delivered, first_delivery},
    outbox,
};

use super::{IngestError, LEDGER, Origin, count};
use crate::{
    db::{
        replays,
        sessions::{self, NewSession, SessionStatus, Source},
    },
    rpc::clients,
    state::AppState,
};

/// How the publisher identifies itself.
#[derive(Debug, Clone)]
pub enum Publisher {
    /// With the streamer's key (RTMP publish, or an ingest event with `stream_key`).
    Key(String),
    /// With a stream id (an RTMP server that resolved it itself).
    Stream(Uuid),
}

/// An nginx-rtmp connection, for sessions opened by `on_publish`.
#[derive(Debug, Clone)]
pub struct RtmpConnection {
    pub app: String,
    pub client_id: String,
}

/// The session that is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartOutcome {
    pub stream_id: Uuid,
    pub session_id: Uuid,
}

/// Starts a publisher session; `None` for an event already applied.
///
/// Fails when the key is unknown or throttled, the streamer is already
/// live, the stream has ended, or a dependency is unavailable (fail closed).
pub async fn start(
    state: &AppState,
    publisher: Publisher,
    rtmp: Option<RtmpConnection>,
    origin: Origin,
) -> Result<Option<StartOutcome>, IngestError> {
    // A redelivered event must not pick (or create) a stream again; a
    // hook's own fresh id needs no look (the refusal path of `on_publish`
    // then costs the key validation alone).
    if !origin.fresh {
        let mut conn = state.pool.get().await?;
        if already_delivered(&mut conn, LEDGER, origin.event_id).await? {
            count("stream_started", "duplicate");
            return Ok(None);
        }
    }
    let result = start_inner(state, publisher, rtmp, &origin).await;
    count(
        "stream_started",
        if result.is_ok() { "applied" } else { "refused" },
    );
    result
}

async fn start_inner(
    state: &AppState,
    publisher: Publisher,
    rtmp: Option<RtmpConnection>,
    origin: &Origin,
) -> Result<Option<StartOutcome>, IngestError> {
    let (user_id, stream_id, record) = match publisher {
        Publisher::Key(key) => {
            let user_id = clients::key_owner(state, &key, origin).await?;
            match clients::resolve_publish(state, user_id).await {
                Ok(chosen) => (user_id, chosen.stream_id, chosen.record_replay),
                // The streamer is live: a repeated report from the same
                // NATS or HTTP source is a heartbeat of that session.
                Err(IngestError::AlreadyLive) if origin.source != Source::Rtmp => {
                    return heartbeat(state, user_id, origin).await.map(Some);
                }
                Err(e) => return Err(e),
            }
        }
        Publisher::Stream(stream_id) => {
            let owner = clients::stream_owner(state, stream_id).await?;
            if owner.status == StreamStatus::Ended {
                return Err(IngestError::StreamEnded);
            }
            (owner.user_id, stream_id, owner.record_replay)
        }
    };
    // Only nginx-rtmp's publishers have an HLS output to record.
    let record = rtmp.is_some() && state.replays.records(record);
    let subject = state.subjects.stream_started();
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| {
            sessions::lock_stream(conn, stream_id).await?;
            if !first_delivery(conn, LEDGER, origin.event_id).await? {
                return Ok(None);
            }
            if let Some(active) = sessions::active_of_stream(conn, stream_id).await? {
                // A repeated report of the same publisher is a heartbeat; a
                // second RTMP publisher is refused.
                if origin.source != Source::Rtmp && active.source == origin.source {
                    sessions::renew(conn, active.id, state.leases.until(origin.source)).await?;
                    return Ok(Some(StartOutcome {
                        stream_id,
                        session_id: active.id,
                    }));
                }
                return Err(IngestError::AlreadyLive);
            }
            if sessions::stream_has_ended(conn, stream_id).await? {
                return Err(IngestError::StreamEnded);
            }
            let session = sessions::insert(
                conn,
                NewSession {
                    id: Uuid::new_v4(),
                    stream_id,
                    user_id,
                    source: origin.source,
                    rtmp_app: rtmp.as_ref().map(|r| r.app.clone()),
                    rtmp_client_id: rtmp.as_ref().map(|r| r.client_id.clone()),
                    client_addr: origin.client_addr.clone(),
                    status: SessionStatus::Active,
                    started_at: Some(origin.occurred_at),
                    lease_expires_at: state.leases.until(origin.source),
                    ended_at: None,
                    end_reason: None,
                },
            )
            .await?;
            if record {
                replays::begin(conn, stream_id, session.id).await?;
            }
            let event = Event::with_id(
                Uuid::new_v4(),
                StreamStarted {
                    stream_id,
                    user_id,
                    session_id: session.id,
                },
                origin.occurred_at,
            );
            outbox::enqueue(conn, subject, &event).await?;
            Ok(Some(StartOutcome {
                stream_id,
                session_id: session.id,
            }))
        })
        .await?;
    if let Some(outcome) = outcome {
        state.outbox.wake();
        tracing::info!(stream.id = %outcome.stream_id, session.id = %outcome.session_id, "publisher session started");
    }
    Ok(outcome)
}

/// Renews the streamer's live session reported by the same source.
async fn heartbeat(
    state: &AppState,
    user_id: Uuid,
    origin: &Origin,
) -> Result<StartOutcome, IngestError> {
    let mut conn = state.pool.get().await?;
    let until = state.leases.until(origin.source);
    conn.transaction(async |conn| {
        let active = sessions::active_of_user(conn, user_id).await?;
        match active.into_iter().find(|s| s.source == origin.source) {
            Some(session) => {
                sessions::renew(conn, session.id, until).await?;
                Ok(StartOutcome {
                    stream_id: session.stream_id,
                    session_id: session.id,
                })
            }
            None => Err(IngestError::AlreadyLive),
        }
    })
    .await
}
