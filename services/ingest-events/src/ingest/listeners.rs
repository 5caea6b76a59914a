//! `listener_joined` / `listener_left`: presence sets per live stream.
//! Any event of a stream renews the lease of a session reported over NATS
//! or HTTP (at most once per renewal step, so that a popular stream's
//! events do not all queue on its session row).

use std::collections::{HashMap, HashSet};

use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::events::{IngestEvent, IngestEventType, LEASE_HOLDER_MAX};
use veza_live_platform::consumer::{first_deliveries, first_delivery};

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

/// A checked `listener_joined` (or `listener_left`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerChange {
    pub stream_id: Uuid,
    pub listener: String,
    /// On a join: who holds the listener's lease.
    pub lease: Option<String>,
    /// A join; false for a leave.
    pub joined: bool,
}

impl ListenerChange {
    /// Checks a listener event's fields.
    ///
    /// Fails with [`IngestError::UnknownStream`] without a stream id, and
    /// [`IngestError::Invalid`] for another kind of event, a missing or too
    /// long listener id or a lease holder name out of bounds.
    pub fn check(event: IngestEvent) -> Result<Self, IngestError> {
        let joined = match event.kind {
            IngestEventType::ListenerJoined => true,
            IngestEventType::ListenerLeft => false,
            other => {
                return Err(IngestError::Invalid(format!(
                    "{other:?} is not a listener event"
                )));
            }
        };
        let stream_id = event.stream_id.ok_or(IngestError::UnknownStream)?;
        let listener = event
            .listener_id
            .filter(|l| !l.is_empty())
            .ok_or_else(|| IngestError::Invalid("listener_id is required".into()))?;
        if listener.chars().count() > LISTENER_ID_MAX {
            return Err(IngestError::Invalid(
                "listener_id of at most 200 characters is required".into(),
            ));
        }
        let lease = event.lease;
        if lease
            .as_deref()
            .is_some_and(|l| l.is_empty() || l.chars().count() > LEASE_HOLDER_MAX)
        {
            return Err(IngestError::Invalid(format!(
                "lease must be 1 to {LEASE_HOLDER_MAX} characters"
            )));
        }
        Ok(Self {
            stream_id,
            listener,
            lease,
            joined,
        })
    }

    /// Applies the change by itself ([`join`] or [`leave`]); true when it
    /// changed the presence set.
    ///
    /// Fails when the database is unavailable.
    pub async fn apply(&self, state: &AppState, origin: Origin) -> Result<bool, IngestError> {
        if self.joined {
            join(
                state,
                self.stream_id,
                &self.listener,
                self.lease.as_deref(),
                origin,
            )
            .await
            .map(|joined| joined == Joined::Counted)
        } else {
            leave(state, self.stream_id, &self.listener, origin).await
        }
    }
}

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
    settled(state, stream_id, true, joined == Joined::Counted);
    Ok(joined)
}

/// Records what a listener event did: its metric, and a changed presence
/// set marks the stream for the next viewer count.
fn settled(state: &AppState, stream_id: Uuid, joined: bool, changed: bool) {
    if changed {
        if joined {
            metrics::counter!("veza_live_stream_viewers_total").increment(1);
        }
        state.viewers_changed(stream_id);
    }
    count(
        if joined {
            "listener_joined"
        } else {
            "listener_left"
        },
        if changed { "applied" } else { "ignored" },
    );
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
    settled(state, stream_id, false, removed);
    Ok(removed)
}

/// Applies listener events reported together (one pull of the NATS
/// consumer) in one transaction: the session lookups and lease renewals
/// once per stream, the ledger, the joins and the leaves in one statement
/// each, in event order (a listener that appears twice starts a new round
/// of statements). The outcome of each, as [`join`] / [`leave`] would
/// answer it (true when it changed the presence set). When the
/// transaction fails, each event is applied by itself, so that one at
/// fault is told apart from the rest.
pub async fn apply_listener_batch(
    state: &AppState,
    changes: Vec<(ListenerChange, Origin)>,
) -> Vec<Result<bool, IngestError>> {
    match apply_together(state, &changes).await {
        Ok(applied) => {
            for ((change, _), &changed) in changes.iter().zip(&applied) {
                settled(state, change.stream_id, change.joined, changed);
            }
            applied.into_iter().map(Ok).collect()
        }
        Err(error) => {
            tracing::debug!(error = %error, events = changes.len(), "batch failed, applying one by one");
            let mut outcomes = Vec::with_capacity(changes.len());
            for (change, origin) in changes {
                outcomes.push(change.apply(state, origin).await);
            }
            outcomes
        }
    }
}

async fn apply_together(
    state: &AppState,
    changes: &[(ListenerChange, Origin)],
) -> Result<Vec<bool>, IngestError> {
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        // Sessions first, each stream once (its lease, then a shared lock).
        let mut live = HashSet::new();
        let mut seen = HashSet::new();
        for (change, _) in changes {
            if seen.insert(change.stream_id)
                && renew_and_find(state, conn, change.stream_id)
                    .await?
                    .is_some()
            {
                live.insert(change.stream_id);
            }
        }
        // A join of a stream that is not live is ignored and not recorded,
        // as one by one.
        let wanted: Vec<usize> = (0..changes.len())
            .filter(|&n| !changes[n].0.joined || live.contains(&changes[n].0.stream_id))
            .collect();
        let ids: Vec<Uuid> = wanted.iter().map(|&n| changes[n].1.event_id).collect();
        let mut fresh = first_deliveries(conn, LEDGER, &ids).await?;
        let mut applied = vec![false; changes.len()];
        let mut round: Vec<usize> = Vec::new();
        let mut keys = HashSet::new();
        for n in wanted {
            // One event id applies once, even twice in one batch.
            if !fresh.remove(&changes[n].1.event_id) {
                continue;
            }
            let change = &changes[n].0;
            if !keys.insert((change.stream_id, change.listener.as_str())) {
                apply_round(conn, changes, &round, &mut applied).await?;
                round.clear();
                keys.clear();
                keys.insert((change.stream_id, change.listener.as_str()));
            }
            round.push(n);
        }
        apply_round(conn, changes, &round, &mut applied).await?;
        Ok::<_, IngestError>(applied)
    })
    .await
}

/// The joins of `round` in one statement, then its leaves in one per
/// stream; `round` holds each listener at most once, so their order
/// within it does not matter.
async fn apply_round(
    conn: &mut diesel_async::AsyncPgConnection,
    changes: &[(ListenerChange, Origin)],
    round: &[usize],
    applied: &mut [bool],
) -> diesel::QueryResult<()> {
    let joins: Vec<_> = round
        .iter()
        .map(|&n| &changes[n].0)
        .filter(|c| c.joined)
        .map(|c| (c.stream_id, c.listener.as_str(), c.lease.as_deref()))
        .collect();
    let mut done: HashSet<(Uuid, String)> = HashSet::new();
    if !joins.is_empty() {
        done.extend(listeners::join_many(conn, &joins).await?);
    }
    let mut leaves: HashMap<Uuid, Vec<&str>> = HashMap::new();
    for &n in round {
        let change = &changes[n].0;
        if !change.joined {
            leaves
                .entry(change.stream_id)
                .or_default()
                .push(change.listener.as_str());
        }
    }
    for (stream_id, ids) in leaves {
        let gone = listeners::leave_many(conn, stream_id, &ids).await?;
        done.extend(gone.into_iter().map(|l| (stream_id, l)));
    }
    for &n in round {
        let change = &changes[n].0;
        applied[n] = done.contains(&(change.stream_id, change.listener.clone()));
    }
    Ok(())
}
