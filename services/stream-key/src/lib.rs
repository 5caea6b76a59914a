//! stream-key: one channel key per streamer, encrypted at rest; shown to
//! its owner, regenerated on demand (the old key dies at once and
//! `live.events.key.rotated` is published through the outbox), validated
//! over NATS for the RTMP ingest with a guess throttle.
//!
//! The binary is a thin `main.rs`; tests start [`StreamKey`] on port 0.

pub mod config;
pub mod crypto;
pub mod db;
pub mod keys;
pub mod openapi;
pub mod routes;
pub mod rpc;
pub mod schema;
pub mod state;
pub mod throttle;

use std::sync::Arc;

use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use veza_live_platform::service::{self, Application, Migrations, Service, Startup};

pub use crate::config::Config;
use crate::{crypto::KeyCipher, state::AppState, throttle::GuessThrottle};

/// What the stream_key database is migrated with: the shared tables it uses,
/// then its own set (embedded in the binary), under its advisory lock key.
pub const MIGRATIONS: Migrations = veza_live_platform::migrations!(
    "../../migrations/stream-key",
    shared: [Outbox],
    lock: 0x7665_7a61_6b01,
);

/// The stream-key service.
pub struct StreamKey;

impl Service for StreamKey {
    type Config = Config;

    /// The shared start-up, then the `keys.issue`/`keys.validate`
    /// responders, the outbox relay and the HTTP routes of keys.
    ///
    /// Fails when the listener cannot bind or `cancel` fires while waiting
    /// for the database.
    async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Application> {
        let common = &config.common;
        let (mut startup, ctx, http) =
            Startup::begin::<openapi::ApiDoc>(cancel, common, MIGRATIONS).await?;
        let state = AppState {
            ctx,
            cipher: KeyCipher::new(
                config.enc_key.expose_secret(),
                config.hmac_key.expose_secret(),
            ),
            throttle: Arc::new(GuessThrottle::new(
                config.guess_limit,
                config.guess_window,
                config.guess_cooldown,
            )),
            rtmp_public_url: config.rtmp_public_url.clone(),
        };
        rpc::responders::spawn(&mut startup, &state).await;
        let state = service::worker_state(state, common);
        startup.serve(http, move |cfg| {
            cfg.app_data(state());
            routes::configure(cfg);
        })
    }
}
