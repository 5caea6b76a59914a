//! ingest-events: what RTMP servers report. nginx-rtmp hooks,
//! `POST /internal/stream-events` and the `live.ingest.events` subject feed
//! one processing path: publisher sessions with leases, listener presence
//! and viewer counts, publisher kicks on key rotation. It announces
//! `live.events.stream.started` / `.ended` through its outbox and
//! `live.viewers.<stream_id>` at most once a second per stream.
//!
//! The binary is a thin `main.rs`; tests build [`Application`] on port 0.

pub mod config;
pub mod db;
pub mod events;
pub mod health;
pub mod ingest;
pub mod openapi;
pub mod replay;
pub mod routes;
pub mod rtmp_control;
pub mod schema;
pub mod state;

use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
pub use config::Config;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_platform::{
    auth::JwtVerifier, db as platform_db, health as probes, http, nats, outbox,
};

use crate::state::{AppState, Leases, RtmpSettings};

/// The migrations of the ingest_events database, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/ingest-events");

/// Advisory lock key held while migrating.
const MIGRATION_LOCK: i64 = 0x7665_7a61_6901;

/// A built service: listening, with its background tasks running.
pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
    /// Fires once the HTTP drain is over: the outbox relay then flushes
    /// what the drained requests committed.
    drained: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Migrates the database, connects to NATS, starts the consumers, the
    /// viewer publisher, the lease sweeper and the outbox relay, and binds
    /// the HTTP listener.
    ///
    /// Fails when the listener cannot bind or `cancel` fires while waiting
    /// for the database.
    pub async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Self> {
        let common = &config.common;
        platform_db::migrate_with_retry(
            &common.database_url,
            || MIGRATIONS,
            MIGRATION_LOCK,
            &cancel,
        )
        .await?;
        let pool = platform_db::pool(&common.database_url, common.database_pool_size)?;
        let client = nats::connect(&common.nats_url, "ingest-events").await?;
        let control = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()?;
        let replays = replay::Replays::open(config.replay.clone()).await?;
        let mut state = AppState::new(
            pool.clone(),
            client.clone(),
            common.subjects.clone(),
            common.rpc_timeout,
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

        let mut tasks = Vec::new();
        tasks.push(tokio::spawn({
            let (js, subjects, cancel) =
                (state.js.clone(), common.subjects.clone(), cancel.clone());
            let replicas = common.stream_replicas;
            async move {
                nats::ensure_streams_with_retry(&js, &subjects, replicas, &cancel).await;
            }
        }));
        let drained = CancellationToken::new();
        tasks.push(outbox::spawn_relay(
            pool.clone(),
            state.js.clone(),
            state.outbox.clone(),
            drained.clone(),
        ));
        tasks.extend(events::consume::spawn(state.clone(), cancel.clone()));
        tasks.push(events::viewers::spawn(
            state.clone(),
            config.viewer_publish_interval,
            cancel.clone(),
        ));
        tasks.push(events::viewers::spawn_refresh(
            state.clone(),
            config.viewer_refresh,
            cancel.clone(),
        ));
        tasks.push(events::leases::spawn(state.clone(), cancel.clone()));
        tasks.push(events::listener_leases::spawn(
            state.clone(),
            cancel.clone(),
        ));
        tasks.push(replay::recorder::spawn(state.clone(), cancel.clone()));
        tasks.push(replay::retention::spawn(state.clone(), cancel.clone()));
        tasks.push(health::sampler::spawn(
            state.clone(),
            config.health_sample_interval,
            cancel.clone(),
        ));

        let listener = TcpListener::bind(common.listen_addr)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let verifier = web::Data::new(JwtVerifier::new(&common.jwt));
        let readiness = web::Data::new(probes::Readiness { pool, nats: client });
        let doc = <openapi::ApiDoc as utoipa::OpenApi>::openapi();
        // Served at `/openapi.json`, serialised once.
        let spec = veza_live_platform::openapi::document_json(&doc)?;
        // A known path with another method answers 405 with `Allow`.
        let known_routes =
            web::Data::new(veza_live_platform::routes::KnownRoutes::from_openapi(&doc));
        // Each worker's requests use a pool of their own, opened on that
        // worker's runtime; background work keeps the shared pool.
        let database_url = common.database_url.clone();
        let per_worker = platform_db::per_worker(common.database_pool_size, config.http_workers);
        let server = HttpServer::new(move || {
            let state =
                platform_db::with_worker_pool(&state, &database_url, per_worker, |s| &mut s.pool);
            App::new()
                .wrap(from_fn(http::observe))
                .app_data(state)
                .app_data(verifier.clone())
                .app_data(readiness.clone())
                .app_data(http::json_config())
                .app_data(http::query_config())
                .app_data(http::path_config())
                // Before the shared `/metrics`: adds the per-stream gauges.
                .route("/metrics", web::get().to(crate::health::metrics::serve))
                .configure(probes::configure)
                .configure(routes::configure)
                .configure(veza_live_platform::openapi::serve(spec.clone()))
                .app_data(known_routes.clone())
                .default_service(web::to(veza_live_platform::routes::fallback))
        })
        .workers(config.http_workers)
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            cancel,
            drained,
            tasks,
        })
    }

    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `cancel` fires, then drains requests, stops the
    /// consumers and background tasks and flushes the outbox.
    ///
    /// Fails when the HTTP server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        });
        let served = self.server.await;
        self.cancel.cancel();
        // Only now: requests that finished during the drain wrote outbox rows.
        self.drained.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        Ok(served?)
    }
}
