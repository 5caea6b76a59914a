//! The one processing path behind the nginx-rtmp hooks, the internal HTTP
//! endpoint and the `live.ingest.events` subject: publisher sessions
//! start and end, listeners join and leave. Each effect commits with its
//! event id in `processed_events` and its outgoing events in the outbox,
//! so duplicates apply once and nothing is lost.

mod apply;
mod end;
mod listeners;
mod renew;
mod start;

pub use apply::apply;
use chrono::{DateTime, Utc};
pub use end::{SessionRef, end};
pub use listeners::{Joined, LISTENER_ID_MAX, ListenerChange, apply_listener_batch, join, leave};
pub use renew::renew_rtmp;
pub use start::{Publisher, RtmpConnection, StartOutcome, start};
use uuid::Uuid;

use crate::db::sessions::Source;

/// The key under which every applied ingest event is recorded, whatever
/// way it came (hook, `POST /internal/stream-events`, NATS): one event id
/// is applied once.
pub const LEDGER: &str = "ingest-events";

/// Who reported an event and when.
#[derive(Debug, Clone)]
pub struct Origin {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub source: Source,
    pub client_addr: Option<String>,
    /// The event id was made here, now (a hook call): it cannot have been
    /// applied before, so no duplicate check is needed.
    pub fresh: bool,
}

impl Origin {
    /// A fresh origin for an event observed now.
    pub fn now(source: Source, client_addr: Option<String>) -> Self {
        Self {
            event_id: Uuid::new_v4(),
            occurred_at: Utc::now(),
            source,
            client_addr,
            fresh: true,
        }
    }
}

/// Why an ingest event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("unknown stream key")]
    InvalidKey,
    #[error("too many failed attempts from this address")]
    Throttled,
    #[error("the streamer is already live")]
    AlreadyLive,
    #[error("no such stream")]
    UnknownStream,
    #[error("the stream has ended")]
    StreamEnded,
    #[error("invalid event: {0}")]
    Invalid(String),
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
}

impl From<diesel::result::Error> for IngestError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            // The one-active-session-per-stream index lost a race.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::AlreadyLive,
            other => Self::Unavailable(format!("database: {other}")),
        }
    }
}

impl From<veza_live_platform::db::PoolError> for IngestError {
    fn from(e: veza_live_platform::db::PoolError) -> Self {
        Self::Unavailable(format!("database pool: {e}"))
    }
}

/// Records the metric of one processed event.
fn count(kind: &'static str, outcome: &'static str) {
    metrics::counter!("veza_live_ingest_events_total", "type" => kind, "outcome" => outcome)
        .increment(1);
}
