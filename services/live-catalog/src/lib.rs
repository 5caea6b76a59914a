//! live-catalog: stream metadata, status and listings (live, scheduled,
//! replays), scheduling and ownership checks. It derives live state from
//! ingest events, answers `resolve_publish` and `ensure_draft` over NATS
//! and publishes stream snapshots through its outbox. It keeps stream
//! thumbnails in an object store ([`media`]) and serves them.
//!
//! The binary is a thin `main.rs`; tests build [`Application`] on port 0.

pub mod config;
pub mod db;
pub mod events;
pub mod media;
pub mod openapi;
pub mod routes;
pub mod schema;
pub mod state;

use std::net::TcpListener;

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
pub use config::Config;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_platform::{auth::JwtVerifier, db as platform_db, health, http, nats, outbox};

use crate::state::AppState;

/// The migrations of the live_catalog database, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/live-catalog");

/// Advisory lock key held while migrating.
const MIGRATION_LOCK: i64 = 0x7665_7a61_6c01;

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
    /// Migrates the database, connects to NATS, starts consumers,
    /// responders and the outbox relay, and binds the HTTP listener.
    ///
    /// Fails when the media folder cannot be created, the listener cannot
    /// bind or `cancel` fires while waiting for the database.
    pub async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Self> {
        let common = &config.common;
        let media = media::MediaStore::open(&config.media).await?;
        platform_db::migrate_with_retry(
            &common.database_url,
            || MIGRATIONS,
            MIGRATION_LOCK,
            &cancel,
        )
        .await?;
        let pool = platform_db::pool(&common.database_url, common.database_pool_size)?;
        let client = nats::connect(&common.nats_url, "live-catalog").await?;
        let js = async_nats::jetstream::new(client.clone());
        let state = AppState {
            pool: pool.clone(),
            nats: client.clone(),
            subjects: common.subjects.clone(),
            rpc_timeout: common.rpc_timeout,
            urls: db::streams::PublicUrls {
                hls: config.hls_public_url.clone(),
                media: config.media.public_url.trim_end_matches('/').to_owned(),
            },
            outbox: outbox::OutboxWaker::default(),
            media,
        };

        let mut tasks = Vec::new();
        tasks.push(tokio::spawn({
            let (js, subjects, cancel) = (js.clone(), common.subjects.clone(), cancel.clone());
            let replicas = common.stream_replicas;
            async move {
                nats::ensure_streams_with_retry(&js, &subjects, replicas, &cancel).await;
            }
        }));
        let drained = CancellationToken::new();
        tasks.push(outbox::spawn_relay(
            pool.clone(),
            js.clone(),
            state.outbox.clone(),
            drained.clone(),
        ));
        tasks.extend(events::consume::spawn(state.clone(), js, cancel.clone()));
        tasks.extend(events::rpc::spawn(state.clone(), cancel.clone()).await);

        let listener = TcpListener::bind(common.listen_addr)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let verifier = web::Data::new(JwtVerifier::new(&common.jwt));
        let readiness = web::Data::new(health::Readiness { pool, nats: client });
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
                .configure(health::configure)
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

    /// Serves until `cancel` fires, then drains requests, stops consumers
    /// and flushes the outbox.
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
