//! The dispatcher every way in shares: an ingest event, checked, to the
//! step it asks for.

use veza_live_domain::events::{EndReason, IngestEvent, IngestEventType, LEASE_HOLDER_MAX};

use super::{
    IngestError, Joined, LISTENER_ID_MAX, Origin, Publisher, SessionRef, end, join, leave, start,
};
use crate::state::AppState;

/// The shared path of NATS and HTTP ingest events; true when the event
/// changed something (false for duplicates and no-ops).
///
/// Fails as [`IngestError`] says.
pub async fn apply(
    state: &AppState,
    event: IngestEvent,
    origin: Origin,
) -> Result<bool, IngestError> {
    let missing = |what: &str| IngestError::Invalid(format!("{what} is required"));
    match event.kind {
        IngestEventType::StreamStarted => {
            let publisher = match (event.stream_id, event.stream_key) {
                (Some(id), _) => Publisher::Stream(id),
                (None, Some(key)) => Publisher::Key(key),
                (None, None) => return Err(IngestError::UnknownStream),
            };
            start(state, publisher, None, origin)
                .await
                .map(|started| started.is_some())
        }
        IngestEventType::StreamEnded => {
            let which = match (event.stream_id, event.stream_key) {
                (Some(id), _) => SessionRef::Stream(id),
                (None, Some(key)) => SessionRef::Key(key),
                (None, None) => return Err(IngestError::UnknownStream),
            };
            end(state, which, EndReason::PublisherDone, origin)
                .await
                .map(|ended| ended.is_some())
        }
        IngestEventType::ListenerJoined | IngestEventType::ListenerLeft => {
            let stream_id = event.stream_id.ok_or(IngestError::UnknownStream)?;
            let listener = event
                .listener_id
                .filter(|l| !l.is_empty())
                .ok_or_else(|| missing("listener_id"))?;
            if listener.chars().count() > LISTENER_ID_MAX {
                return Err(missing("listener_id of at most 200 characters"));
            }
            let lease = event.lease.as_deref();
            if lease.is_some_and(|l| l.is_empty() || l.chars().count() > LEASE_HOLDER_MAX) {
                return Err(IngestError::Invalid(format!(
                    "lease must be 1 to {LEASE_HOLDER_MAX} characters"
                )));
            }
            if event.kind == IngestEventType::ListenerJoined {
                join(state, stream_id, &listener, lease, origin)
                    .await
                    .map(|joined| joined == Joined::Counted)
            } else {
                leave(state, stream_id, &listener, origin).await
            }
        }
    }
}
