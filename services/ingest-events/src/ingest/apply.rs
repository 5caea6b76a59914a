//! The dispatcher every way in shares: an ingest event, checked, to the
//! step it asks for.

use veza_live_domain::events::{EndReason, IngestEvent, IngestEventType};

use super::{IngestError, ListenerChange, Origin, Publisher, SessionRef, end, start};
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
            ListenerChange::check(event)?.apply(state, origin).await
        }
    }
}
