//! Consumers:
//! - `live.ingest.events` (JetStream `LIVE_INGEST`): an RTMP server that
//!   reports lifecycle events over NATS, and chat-gateway's web listeners;
//!   the same processing path as the hooks.
//! - `live.events.key.rotated`: kick the streamer's live publisher — drop
//!   it through the nginx-rtmp control API and end its session, so its next
//!   `on_update` is answered 403 and reconnecting with the old key fails.

use veza_live_domain::{
    events::{EndReason, Event, IngestEvent, IngestEventType, KeyRotated, StreamChanged},
    subjects::{STREAM_EVENTS, STREAM_INGEST},
};
use veza_live_platform::{
    consumer::{ConsumerSpec, HandleError},
    service::Startup,
};

use crate::{
    db::sessions::{self, Source},
    ingest::{self, IngestError, ListenerChange, Origin, SessionRef},
    rtmp_control,
    state::AppState,
};

/// The durable consumer of `live.ingest.events` (reports of other RTMP
/// servers); what it applies is recorded under [`crate::ingest::LEDGER`].
pub const INGEST_CONSUMER: &str = "ingest-events-ingest";
/// The durable consumer of `live.events.key.rotated`.
pub const KEY_ROTATED_CONSUMER: &str = "ingest-events-key-rotated";
/// The durable consumer of `live.events.stream.deleted`.
pub const DELETED_CONSUMER: &str = "ingest-events-deleted";

/// Starts the three consumers.
pub fn spawn(startup: &mut Startup, state: &AppState) {
    let s = &state.subjects;
    let ingest_spec = ConsumerSpec {
        stream: s.stream(STREAM_INGEST),
        durable: INGEST_CONSUMER,
        filter_subject: s.ingest_events(),
        // Batches at once.
        concurrency: 8,
    };
    let rotated_spec = ConsumerSpec {
        stream: s.stream(STREAM_EVENTS),
        durable: KEY_ROTATED_CONSUMER,
        filter_subject: s.key_rotated(),
        concurrency: 8,
    };
    let deleted_spec = ConsumerSpec {
        stream: s.stream(STREAM_EVENTS),
        durable: DELETED_CONSUMER,
        filter_subject: s.stream_deleted(),
        concurrency: 8,
    };
    startup.consume_batches(
        state,
        ingest_spec,
        INGEST_BATCH,
        |state, events| async move { on_ingest_batch(&state, events).await },
    );
    startup.consume(state, rotated_spec, |state, event| async move {
        on_key_rotated(&state, event).await
    });
    startup.consume(state, deleted_spec, |state, event| async move {
        on_stream_deleted(&state, event).await
    });
}

/// Applies `stream.deleted`: the stream's replay goes with it. Deleting is
/// idempotent, so a redelivery is harmless.
///
/// Fails with a retry when the database or the media store is unavailable.
pub async fn on_stream_deleted(
    state: &AppState,
    event: Event<StreamChanged>,
) -> Result<(), HandleError> {
    crate::replay::retention::delete(state, event.payload.stream.id, false)
        .await
        .map(drop)
        .map_err(|e| HandleError::Retry(format!("{e:#}")))
}

/// Whether an ingest error is worth a redelivery.
pub fn handle_error(err: IngestError) -> HandleError {
    match err {
        IngestError::Unavailable(cause) => HandleError::Retry(cause),
        other => HandleError::Rejected(other.to_string()),
    }
}

/// Most events of `live.ingest.events` applied together.
pub const INGEST_BATCH: usize = 256;

/// Applies events of `live.ingest.events` that arrived together, in order:
/// each run of listener events in one transaction
/// ([`ingest::apply_listener_batch`]), any other event by itself.
pub async fn on_ingest_batch(
    state: &AppState,
    events: Vec<Event<IngestEvent>>,
) -> Vec<Result<(), HandleError>> {
    let mut outcomes = Vec::with_capacity(events.len());
    let mut run = Vec::new();
    for event in events {
        if !matches!(
            event.payload.kind,
            IngestEventType::ListenerJoined | IngestEventType::ListenerLeft
        ) {
            apply_run(state, &mut run, &mut outcomes).await;
            outcomes.push(on_ingest(state, event).await);
            continue;
        }
        let origin = nats_origin(&event);
        match ListenerChange::check(event.payload) {
            Ok(change) => {
                run.push((outcomes.len(), change, origin));
                outcomes.push(Ok(()));
            }
            Err(invalid) => outcomes.push(Err(handle_error(invalid))),
        }
    }
    apply_run(state, &mut run, &mut outcomes).await;
    outcomes
}

/// Applies a run of listener events; their outcomes go to their slots.
async fn apply_run(
    state: &AppState,
    run: &mut Vec<(usize, ListenerChange, Origin)>,
    outcomes: &mut [Result<(), HandleError>],
) {
    if run.is_empty() {
        return;
    }
    let (slots, changes): (Vec<usize>, Vec<_>) = run
        .drain(..)
        .map(|(n, change, origin)| (n, (change, origin)))
        .unzip();
    let applied = ingest::apply_listener_batch(state, changes).await;
    for (n, outcome) in slots.into_iter().zip(applied) {
        outcomes[n] = outcome.map(drop).map_err(handle_error);
    }
}

fn nats_origin(event: &Event<IngestEvent>) -> Origin {
    Origin {
        event_id: event.event_id,
        occurred_at: event.occurred_at,
        source: Source::Nats,
        client_addr: event.payload.client_addr.clone(),
        fresh: false,
    }
}

/// Applies one event of `live.ingest.events`.
///
/// Fails with a retry when a dependency is unavailable, and rejects events
/// that can never apply (missing fields, unknown key).
pub async fn on_ingest(state: &AppState, event: Event<IngestEvent>) -> Result<(), HandleError> {
    let origin = nats_origin(&event);
    ingest::apply(state, event.payload, origin)
        .await
        .map(|_| ())
        .map_err(handle_error)
}

/// Kicks the streamer's live publishers after a key rotation.
///
/// Fails with a retry when the database is unavailable.
pub async fn on_key_rotated(state: &AppState, event: Event<KeyRotated>) -> Result<(), HandleError> {
    let user_id = event.payload.user_id;
    let active = {
        let mut conn = state.pool.get().await?;
        sessions::active_of_user(&mut conn, user_id).await?
    };
    for session in active {
        if let (Some(app), Some(client_id)) = (&session.rtmp_app, &session.rtmp_client_id) {
            rtmp_control::drop_client(state, app, client_id).await;
        }
        let origin = Origin::now(Source::Rtmp, None);
        ingest::end(
            state,
            SessionRef::Session(session.id),
            EndReason::KeyRotated,
            origin,
        )
        .await
        .map_err(handle_error)?;
    }
    Ok(())
}
