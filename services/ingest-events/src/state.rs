//! The state every handler, consumer and background task shares.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use veza_live_platform::service::Context;

use crate::{db::sessions::Source, health::HealthBook, replay::Replays};

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Pool, NATS, subjects, RPC timeout, outbox (`state.pool`, ...).
    pub ctx: Context,
    pub rtmp: RtmpSettings,
    pub leases: Leases,
    pub control: reqwest::Client,
    /// Streams whose viewer count changed since the last publication.
    pub dirty_viewers: Arc<Mutex<HashSet<Uuid>>>,
    /// The latest health of each live stream.
    pub health: HealthBook,
    /// Figures older than this are not trusted as current.
    pub health_stale_after: Duration,
    /// Replay recording: its settings and the media store.
    pub replays: Replays,
    internal_token_digest: [u8; 32],
}

veza_live_platform::context_state!(AppState);

/// How this service talks to nginx-rtmp.
#[derive(Clone, Debug)]
pub struct RtmpSettings {
    pub relay_url: String,
    pub control_url: String,
    pub live_app: String,
    pub hls_app: String,
    /// nginx-rtmp's statistics (`rtmp_stat all`).
    pub stat_url: String,
}

/// Lease lengths per source.
#[derive(Clone, Copy, Debug)]
pub struct Leases {
    pub rtmp: Duration,
    pub events: Duration,
    /// How long a renewal of a listener holder's lease lasts.
    pub listeners: Duration,
}

impl Leases {
    /// How long one renewal of a listener holder's lease lasts.
    pub fn listener_lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.listeners).unwrap_or(chrono::Duration::seconds(15))
    }

    fn of(&self, source: Source) -> chrono::Duration {
        let lease = match source {
            Source::Rtmp => self.rtmp,
            Source::Nats | Source::Http => self.events,
        };
        chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(15))
    }

    /// When a session of `source` renewed now expires.
    pub fn until(&self, source: Source) -> DateTime<Utc> {
        Utc::now() + self.of(source)
    }

    /// How far a listener event may leave a session's lease short of a
    /// full renewal: a quarter of the lease, at most a second.
    pub fn renewal_step(&self, source: Source) -> chrono::Duration {
        (self.of(source) / 4).min(chrono::Duration::seconds(1))
    }
}

impl AppState {
    pub fn new(
        ctx: Context,
        rtmp: RtmpSettings,
        leases: Leases,
        control: reqwest::Client,
        internal_token: &str,
        replays: Replays,
    ) -> Self {
        Self {
            ctx,
            rtmp,
            leases,
            control,
            dirty_viewers: Arc::new(Mutex::new(HashSet::new())),
            health: HealthBook::default(),
            health_stale_after: Duration::from_secs(10),
            replays,
            internal_token_digest: Sha256::digest(internal_token.as_bytes()).into(),
        }
    }

    /// Whether `presented` is the internal token. Digests are compared so
    /// the comparison time says nothing about the token.
    pub fn internal_token_matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest == self.internal_token_digest
    }

    /// Marks a stream's viewer count for publication.
    pub fn viewers_changed(&self, stream_id: Uuid) {
        self.dirty_viewers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(stream_id);
    }
}
