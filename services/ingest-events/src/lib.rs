//! ingest-events: what RTMP servers report. nginx-rtmp hooks,
//! `POST /internal/stream-events` and the `live.ingest.events` subject feed
//! one processing path: publisher sessions with leases, listener presence
//! and viewer counts, publisher kicks on key rotation. It announces
//! `live.events.stream.started` / `.ended` through its outbox and
//! `live.viewers.<stream_id>` at most once a second per stream.
//!
//! The binary is a thin `main.rs`; tests start [`IngestEvents`] on port 0.

pub mod config;
pub mod db;
pub mod events;
pub mod health;
pub mod ingest;
pub mod openapi;
pub mod replay;
pub mod routes;
pub mod rpc;
pub mod rtmp_control;
pub mod schema;
pub mod state;
pub mod tasks;

use std::time::Duration;

use actix_web::web;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use veza_live_platform::service::{self, Application, Migrations, Service, Startup};

pub use crate::config::Config;
use crate::state::{AppState, Leases, RtmpSettings};

/// What the ingest_events database is migrated with: the shared tables it uses,
/// then its own set (embedded in the binary), under its advisory lock key.
pub const MIGRATIONS: Migrations = veza_live_platform::migrations!(
    "../../migrations/ingest-events",
    shared: [Outbox, ProcessedEvents],
    lock: 0x7665_7a61_6901,
);

/// The ingest-events service.
pub struct IngestEvents;

impl Service for IngestEvents {
    type Config = Config;

    /// Opens the replay store, then: the shared start-up, the ingest and
    /// `stream.deleted` consumers, the outbox relay, the timers (viewer
    /// counts, leases, replay recording and retention, stream health) and
    /// the HTTP routes of hooks, internal events, health and metrics.
    ///
    /// Fails when the replay store cannot be opened, the listener cannot
    /// bind or `cancel` fires while waiting for the database.
    async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Application> {
        let common = &config.common;
        let control = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()?;
        let replays = replay::Replays::open(config.replay.clone()).await?;
        let (mut startup, ctx, http) =
            Startup::begin::<openapi::ApiDoc>(cancel, common, MIGRATIONS).await?;
        let mut state = AppState::new(
            ctx,
            RtmpSettings {
                relay_url: config.rtmp_relay_url.clone(),
                control_url: config.rtmp_control_url.clone(),
                live_app: config.rtmp_live_app.clone(),
                hls_app: config.rtmp_hls_app.clone(),
                stat_url: config.rtmp_stat_url.clone(),
            },
            Leases {
                rtmp: config.session_lease,
                events: config.event_session_lease,
                listeners: config.listener_lease,
            },
            control,
            config.internal_token.expose_secret(),
            replays,
        );
        // Three missed samples: the figures are not current.
        state.health_stale_after = config.health_sample_interval * 3 + Duration::from_secs(2);

        let cancel = startup.cancel();
        events::consume::spawn(&mut startup, &state);
        startup.task(events::viewers::spawn(
            state.clone(),
            config.viewer_publish_interval,
            cancel.clone(),
        ));
        startup.task(events::viewers::spawn_refresh(
            state.clone(),
            config.viewer_refresh,
            cancel.clone(),
        ));
        startup.task(tasks::lease_expiry::spawn(state.clone(), cancel.clone()));
        startup.task(events::listener_leases::spawn(
            state.clone(),
            cancel.clone(),
        ));
        startup.task(replay::recorder::spawn(state.clone(), cancel.clone()));
        startup.task(replay::retention::spawn(state.clone(), cancel.clone()));
        startup.task(health::sampler::spawn(
            state.clone(),
            config.health_sample_interval,
            cancel,
        ));

        let state = service::worker_state(state, common);
        startup.serve(http, move |cfg| {
            cfg.app_data(state())
                // Before the shared `/metrics`: the same registry plus
                // the stream health gauges.
                .route("/metrics", web::get().to(health::metrics::serve));
            routes::configure(cfg);
        })
    }
}
