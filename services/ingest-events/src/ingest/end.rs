//! `stream_ended`: close the session, clear its listeners and announce
//! `live.events.stream.ended`. An `ended` for a stream with no session
//! still ends the stream (it arrived before its `started`), and leaves a
//! record so that the late `started` does not revive it.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;
use veza_live_domain::{
    Subjects,
    events::{EndReason, Event, StreamEnded},
};
use veza_live_platform::{consumer::first_delivery, outbox};

use super::{IngestError, LEDGER, Origin, count};
use crate::{
    db::{
        listeners, replays,
        sessions::{self, NewSession, SessionRow, SessionStatus},
    },
    rpc::clients,
    state::AppState,
};

/// Which session an end refers to.
#[derive(Debug, Clone)]
pub enum SessionRef {
    /// An nginx-rtmp connection (`on_publish_done`).
    Rtmp { app: String, client_id: String },
    /// The active session of a stream.
    Stream(Uuid),
    /// The active session of the key's owner.
    Key(String),
    /// A session by id (lease expiry, key rotation).
    Session(Uuid),
}

fn reason_str(reason: EndReason) -> &'static str {
    match reason {
        EndReason::PublisherDone => "publisher_done",
        EndReason::LeaseExpired => "lease_expired",
        EndReason::KeyRotated => "key_rotated",
    }
}

/// Ends a session. Returns the ended session's stream, or `None` when
/// there was nothing to end.
///
/// Fails when a dependency is unavailable.
pub async fn end(
    state: &AppState,
    which: SessionRef,
    reason: EndReason,
    origin: Origin,
) -> Result<Option<Uuid>, IngestError> {
    let result = end_inner(state, which, reason, &origin).await;
    count(
        "stream_ended",
        if matches!(result, Ok(Some(_))) {
            "applied"
        } else {
            "ignored"
        },
    );
    result
}

async fn end_inner(
    state: &AppState,
    which: SessionRef,
    reason: EndReason,
    origin: &Origin,
) -> Result<Option<Uuid>, IngestError> {
    // Remote lookups happen before the transaction.
    let owner_of_key = match &which {
        SessionRef::Key(key) => Some(clients::key_owner(state, key, origin).await?),
        _ => None,
    };
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    let found = conn
        .transaction(async |conn| {
            let session = match &which {
                SessionRef::Rtmp { app, client_id } => {
                    sessions::latest_of_rtmp_client(conn, app, client_id).await?
                }
                SessionRef::Stream(id) => sessions::active_of_stream(conn, *id).await?,
                SessionRef::Key(_) => match owner_of_key {
                    Some(user) => sessions::active_of_user(conn, user)
                        .await?
                        .into_iter()
                        .next(),
                    None => None,
                },
                SessionRef::Session(id) => sessions::find_for_update(conn, *id).await?,
            };
            let session = match session {
                Some(s) if s.is_active() => s,
                // Recorded as processed only by the tombstone's own
                // transaction, so a failed lookup is retried.
                _ => {
                    return Ok::<_, IngestError>(match &which {
                        SessionRef::Stream(id) => Lookup::NeedsTombstone(*id),
                        _ => Lookup::Done(None),
                    });
                }
            };
            if !first_delivery(conn, LEDGER, origin.event_id).await? {
                return Ok(Lookup::Done(None));
            }
            close(conn, subjects, &session, reason, origin.occurred_at).await?;
            Ok(Lookup::Done(Some(session.stream_id)))
        })
        .await?;
    let ended = match found {
        Lookup::Done(ended) => ended,
        Lookup::NeedsTombstone(stream_id) => tombstone(state, stream_id, reason, origin).await?,
    };
    if let Some(stream_id) = ended {
        state.outbox.wake();
        state.viewers_changed(stream_id);
        tracing::info!(stream.id = %stream_id, reason = reason_str(reason), "publisher session ended");
    }
    Ok(ended)
}

enum Lookup {
    Done(Option<Uuid>),
    NeedsTombstone(Uuid),
}

async fn close(
    conn: &mut AsyncPgConnection,
    subjects: &Subjects,
    session: &SessionRow,
    reason: EndReason,
    at: DateTime<Utc>,
) -> Result<(), IngestError> {
    sessions::end(conn, session.id, at, reason_str(reason)).await?;
    listeners::clear(conn, session.stream_id).await?;
    // A recorded session's replay is `processing` from the same event.
    let recorded = replays::session_ended(conn, session.stream_id, at).await?;
    let event = Event::new(
        StreamEnded {
            stream_id: session.stream_id,
            user_id: session.user_id,
            session_id: session.id,
            reason,
            recorded,
        },
        at,
    );
    outbox::enqueue(conn, subjects.stream_ended(), &event).await?;
    Ok(())
}

/// Records an ended session for a stream that had none, and ends it.
async fn tombstone(
    state: &AppState,
    stream_id: Uuid,
    reason: EndReason,
    origin: &Origin,
) -> Result<Option<Uuid>, IngestError> {
    let owner = match clients::stream_owner(state, stream_id).await {
        Ok(owner) => owner,
        Err(IngestError::UnknownStream) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    conn.transaction(async |conn| {
        // A start of this stream being applied now commits first.
        sessions::lock_stream(conn, stream_id).await?;
        if !first_delivery(conn, LEDGER, origin.event_id).await? {
            return Ok::<_, IngestError>(None);
        }
        // The session may have started while the owner was looked up.
        if let Some(active) = sessions::active_of_stream(conn, stream_id).await? {
            close(conn, subjects, &active, reason, origin.occurred_at).await?;
            return Ok(Some(stream_id));
        }
        if sessions::stream_has_ended(conn, stream_id).await? {
            return Ok(None);
        }
        let session = sessions::insert(
            conn,
            NewSession {
                id: Uuid::new_v4(),
                stream_id,
                user_id: owner.user_id,
                source: origin.source,
                rtmp_app: None,
                rtmp_client_id: None,
                client_addr: origin.client_addr.clone(),
                status: SessionStatus::Ended,
                started_at: None,
                lease_expires_at: origin.occurred_at,
                ended_at: Some(origin.occurred_at),
                end_reason: Some(reason_str(reason).to_owned()),
            },
        )
        .await?;
        let event = Event::new(
            StreamEnded {
                stream_id,
                user_id: owner.user_id,
                session_id: session.id,
                reason,
                // A stream that never had a session was not recorded.
                recorded: false,
            },
            origin.occurred_at,
        );
        outbox::enqueue(conn, subjects.stream_ended(), &event).await?;
        Ok(Some(stream_id))
    })
    .await
}
