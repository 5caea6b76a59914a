//! `listener_joined` / `listener_left`: presence sets per live stream.
//! Any event of a stream renews the lease of a session reported over NATS
//! or HTTP (at most once per renewal step, so that a popular stream's
//! events do not all queue on its session row).

use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_platform::consumer::first_delivery;

use super::{IngestError, LEDGER, Origin, count};
use crate::{
    db::{
        listeners,
        sessions::{self, Source},
    },
    state::AppState,
};

/// Longest accepted listener id.
pub const LISTENER_ID_MAX: usize = 200;

/// What a join did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// A new listener of a live stream.
    Counted,
    /// Already counted (or a duplicate event).
    AlreadyThere,
    /// The stream is not live.
    NotLive,
}

/// Adds a listener to a live stream, held by `lease` when given (it then
/// stays while its holder renews that lease).
///
/// Fails when the database is unavailable.
pub async fn join(
    state: &AppState,
    stream_id: Uuid,
    listener_id: &str,
    lease: Option<&str>,
    origin: Origin,
) -> Result<Joined, IngestError> {
    let mut conn = state.pool.get().await?;
    let joined = conn
        .transaction(async |conn| {
            if renew_and_find(state, conn, stream_id).await?.is_none() {
                return Ok::<_, IngestError>(Joined::NotLive);
            }
            if !first_delivery(conn, LEDGER, origin.event_id).await? {
                return Ok(Joined::AlreadyThere);
            }
            Ok(
                if listeners::join(conn, stream_id, listener_id, lease).await? {
                    Joined::Counted
                } else {
                    Joined::AlreadyThere
                },
            )
        })
        .await?;
    let counted = joined == Joined::Counted;
    if counted {
        metrics::counter!("veza_live_stream_viewers_total").increment(1);
        state.viewers_changed(stream_id);
    }
    count(
        "listener_joined",
        if counted { "applied" } else { "ignored" },
    );
    Ok(joined)
}

/// Renews the lease of the stream's session reported over NATS or HTTP
/// (at most once per [`crate::state::Leases::renewal_step`]), then finds
/// that session, share-locked.
async fn renew_and_find(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    stream_id: Uuid,
) -> diesel::QueryResult<Option<sessions::SessionRow>> {
    let leases = &state.leases;
    sessions::renew_events_session_if_due(
        conn,
        stream_id,
        leases.until(Source::Nats),
        leases.renewal_step(Source::Nats),
    )
    .await?;
    sessions::active_of_stream_shared(conn, stream_id).await
}

/// Removes a listener; true when it was there.
///
/// Fails when the database is unavailable.
pub async fn leave(
    state: &AppState,
    stream_id: Uuid,
    listener_id: &str,
    origin: Origin,
) -> Result<bool, IngestError> {
    let mut conn = state.pool.get().await?;
    let removed = conn
        .transaction(async |conn| {
            if !first_delivery(conn, LEDGER, origin.event_id).await? {
                return Ok::<_, IngestError>(false);
            }
            renew_and_find(state, conn, stream_id).await?;
            Ok(listeners::leave(conn, stream_id, listener_id).await?)
        })
        .await?;
    if removed {
        state.viewers_changed(stream_id);
    }
    count("listener_left", if removed { "applied" } else { "ignored" });
    Ok(removed)
}
