//! live-catalog: stream metadata, status and listings (live, scheduled,
//! replays), scheduling and ownership checks. It derives live state from
//! ingest events, answers `resolve_publish` and `ensure_draft` over NATS
//! and publishes stream snapshots through its outbox. It keeps stream
//! thumbnails in an object store ([`media`]) and serves them.
//!
//! The binary is a thin `main.rs`; tests start [`LiveCatalog`] on port 0.

pub mod config;
pub mod db;
pub mod events;
pub mod media;
pub mod openapi;
pub mod publishing;
pub mod routes;
pub mod rpc;
pub mod schema;
pub mod state;

use tokio_util::sync::CancellationToken;
use veza_live_platform::service::{self, Application, Migrations, Service, Startup};

pub use crate::config::Config;
use crate::state::AppState;

/// What the live_catalog database is migrated with: the shared tables it uses,
/// then its own set (embedded in the binary), under its advisory lock key.
pub const MIGRATIONS: Migrations = veza_live_platform::migrations!(
    "../../migrations/live-catalog",
    shared: [Outbox, ProcessedEvents],
    lock: 0x7665_7a61_6c01,
);

/// The live-catalog service.
pub struct LiveCatalog;

impl Service for LiveCatalog {
    type Config = Config;

    /// Opens the media store, then: the shared start-up, the `stream.*`
    /// consumers, the `resolve_publish`/`ensure_draft` responders, the
    /// outbox relay, and the HTTP routes of streams and media.
    ///
    /// Fails when the media store cannot be opened, the listener cannot
    /// bind or `cancel` fires while waiting for the database.
    async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Application> {
        let common = &config.common;
        let media = media::MediaStore::open(&config.media).await?;
        let (mut startup, ctx, http) =
            Startup::begin::<openapi::ApiDoc>(cancel, common, MIGRATIONS).await?;
        let state = AppState {
            ctx,
            urls: db::streams::PublicUrls {
                hls: config.hls_public_url.clone(),
                media: config.media.public_url.trim_end_matches('/').to_owned(),
            },
            media,
        };
        events::consume::spawn(&mut startup, &state);
        rpc::responders::spawn(&mut startup, &state).await;
        let state = service::worker_state(state, common);
        startup.serve(http, move |cfg| {
            cfg.app_data(state());
            routes::configure(cfg);
        })
    }
}
