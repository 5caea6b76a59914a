//! chat-gateway: real-time live chat per stream over WebSocket, persisted
//! in PostgreSQL with a per-room sequence, moderated (bans, deletions,
//! rate limits, slow mode) and fanned out across instances over core NATS
//! (`chat.room.<stream_id>`). Rooms follow the catalog's and ingest's
//! events; web viewers are reported to ingest-events as listeners.
//!
//! The binary is a thin `main.rs`; tests build [`Application`] on port 0.

pub mod config;
pub mod db;
pub mod events;
pub mod hub;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod schema;
pub mod state;
pub mod ws;

use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
pub use config::Config;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_platform::{auth::JwtVerifier, db as platform_db, health, http, nats};

use crate::{
    hub::{Hub, listeners::ListenerReporter},
    state::AppState,
};

/// The migrations of the chat database, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/chat");

/// Advisory lock key held while migrating.
const MIGRATION_LOCK: i64 = 0x7665_7a61_6c04;

/// A built service: listening, with its background tasks running.
pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    /// Stops the listener reporter once sockets are closed.
    late_cancel: CancellationToken,
    late_tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Migrates the database, connects to NATS, starts the consumers and
    /// binds the HTTP listener.
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
        let client = nats::connect(&common.nats_url, "chat-gateway").await?;
        let js = async_nats::jetstream::new(client.clone());
        let late_cancel = CancellationToken::new();
        let (reporter, reporter_task) =
            ListenerReporter::spawn(js.clone(), common.subjects.clone(), late_cancel.clone());
        let hub = Arc::new(Hub::new(
            client.clone(),
            common.subjects.clone(),
            pool.clone(),
            reporter,
        ));
        let heartbeat_task = hub::listeners::spawn_heartbeat(
            hub.clone(),
            config.listener_heartbeat,
            late_cancel.clone(),
        );
        let verifier = JwtVerifier::new(&common.jwt);
        let state = AppState {
            pool: pool.clone(),
            subjects: common.subjects.clone(),
            hub,
            chat: Arc::new(config.chat.clone()),
            allowed_origins: Arc::new(config.allowed_origins.clone()),
            verifier: verifier.clone(),
            shutdown: cancel.clone(),
        };

        let mut tasks = Vec::new();
        tasks.push(tokio::spawn({
            let (js, subjects, cancel) = (js.clone(), common.subjects.clone(), cancel.clone());
            let replicas = common.stream_replicas;
            async move {
                nats::ensure_streams_with_retry(&js, &subjects, replicas, &cancel).await;
            }
        }));
        tasks.extend(events::rooms::spawn(
            state.clone(),
            js.clone(),
            cancel.clone(),
        ));
        tasks.push(events::viewers::spawn(
            state.clone(),
            client.clone(),
            js,
            cancel.clone(),
        ));

        let listener = TcpListener::bind(common.listen_addr)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let verifier = web::Data::new(verifier);
        let readiness = web::Data::new(health::Readiness { pool, nats: client });
        let doc = <openapi::ApiDoc as utoipa::OpenApi>::openapi();
        // Served at `/openapi.json`, serialised once.
        let spec = veza_live_platform::openapi::document_json(&doc)?;
        // A known path with another method answers 405 with `Allow`.
        let known_routes =
            web::Data::new(veza_live_platform::routes::KnownRoutes::from_openapi(&doc));
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(http::observe))
                .app_data(state.clone())
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
        .max_connections(config.max_connections)
        // Chat frames are small and latency-bound: never wait to coalesce.
        .tcp_nodelay(true)
        .backlog(4096)
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            cancel,
            tasks,
            late_cancel,
            late_tasks: vec![reporter_task, heartbeat_task],
        })
    }

    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `cancel` fires, then closes sockets with 1001, drains
    /// requests, stops consumers and flushes listener reports.
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
        for task in self.tasks {
            let _ = task.await;
        }
        self.late_cancel.cancel();
        for task in self.late_tasks {
            let _ = task.await;
        }
        Ok(served?)
    }
}
