//! Replays: while an RTMP stream is live, every segment nginx-rtmp writes
//! to its live HLS window is copied to the media store
//! (`replays/<stream_id>/<n>.ts`, see [`recorder`]); once the stream has
//! ended, a VOD playlist of them all (`replays/<stream_id>/index.m3u8`) is
//! written and `live.events.replay.updated` tells live-catalog, which
//! serves it. Replays older than the retention are deleted, and so is a
//! deleted stream's ([`retention`]).
//!
//! The copying is driven by the database (`replays`, `replay_segments`),
//! never by memory: a restarted instance, or another one, carries on where
//! the last copy stopped, under a per-stream lock.

pub mod playlist;
pub mod recorder;
pub mod retention;

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use object_store::{ObjectStore, ObjectStoreExt, path::Path};
use uuid::Uuid;
use veza_live_domain::{
    ReplayStatus, Subjects,
    events::{Event, ReplayUpdated},
};
use veza_live_platform::{media_store, outbox};

use crate::config::ReplayConfig;

/// The recording settings and the media store. Cheap to clone.
#[derive(Clone)]
pub struct Replays {
    pub config: Arc<ReplayConfig>,
    pub store: Arc<dyn ObjectStore>,
}

impl Replays {
    /// Opens the media store of `config`.
    ///
    /// Fails when the folder cannot be created or the S3 client not built.
    pub async fn open(config: ReplayConfig) -> anyhow::Result<Self> {
        let store = config.store.open().await?;
        Ok(Self::new(config, store))
    }

    /// Over any object store (tests use an in-memory one).
    pub fn new(config: ReplayConfig, store: Arc<dyn ObjectStore>) -> Self {
        Self {
            config: Arc::new(config),
            store,
        }
    }

    /// The folder of a stream's replay in the store.
    pub fn folder(stream_id: Uuid) -> Path {
        Path::from(format!("replays/{}", stream_id.hyphenated()))
    }

    /// An object of a stream's replay.
    pub fn object(stream_id: Uuid, name: &str) -> Path {
        Path::from(format!("replays/{}/{name}", stream_id.hyphenated()))
    }

    /// The playlist's name in the store, as announced.
    pub fn playlist(stream_id: Uuid) -> String {
        format!("replays/{}/index.m3u8", stream_id.hyphenated())
    }

    /// Deletes every object of a stream's replay.
    ///
    /// Fails when the store does not answer.
    pub async fn delete_objects(&self, stream_id: Uuid) -> object_store::Result<usize> {
        media_store::delete_prefix(self.store.as_ref(), &Self::folder(stream_id)).await
    }

    /// Puts one object.
    ///
    /// Fails when the store does not take it.
    pub async fn put(&self, path: &Path, bytes: bytes::Bytes) -> object_store::Result<()> {
        self.store.put(path, bytes.into()).await.map(drop)
    }

    /// Whether recording is on for a stream whose owner chose `record`.
    pub fn records(&self, record: bool) -> bool {
        self.config.enabled && record
    }

    /// Wait after the end before the playlist is written, so the segment
    /// nginx-rtmp closes at the end has been copied.
    pub fn settle(&self) -> Duration {
        self.config.poll_interval.max(Duration::from_secs(2))
    }
}

/// Queues a `live.events.replay.updated`; call inside its transaction.
///
/// Fails when the outbox insert fails.
pub async fn announce(
    conn: &mut AsyncPgConnection,
    subjects: &Subjects,
    stream_id: Uuid,
    status: ReplayStatus,
    duration_seconds: Option<f64>,
) -> diesel::QueryResult<()> {
    let event = Event::new(
        ReplayUpdated {
            stream_id,
            status,
            duration_seconds,
            playlist: (status == ReplayStatus::Ready).then(|| Replays::playlist(stream_id)),
        },
        Utc::now(),
    );
    outbox::enqueue(conn, subjects.replay_updated(), &event).await
}
