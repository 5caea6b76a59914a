//! chat-gateway: real-time live chat per stream over WebSocket, persisted
//! in PostgreSQL with a per-room sequence, moderated (bans, deletions,
//! rate limits, slow mode) and fanned out across instances over core NATS
//! (`chat.room.<stream_id>`). Rooms follow the catalog's and ingest's
//! events; web viewers are reported to ingest-events as listeners.
//!
//! The binary is a thin `main.rs`; tests start [`ChatGateway`] on port 0.

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

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veza_live_platform::service::{Application, Migrations, Service, Startup};

pub use crate::config::Config;
use crate::{
    hub::{Hub, listeners::ListenerReporter},
    state::AppState,
};

/// What the chat database is migrated with: the shared tables it uses,
/// then its own set (embedded in the binary), under its advisory lock key.
pub const MIGRATIONS: Migrations = veza_live_platform::migrations!(
    "../../migrations/chat",
    shared: [ProcessedEvents],
    lock: 0x7665_7a61_6c04,
);

/// The chat-gateway service.
pub struct ChatGateway;

impl Service for ChatGateway {
    type Config = Config;

    /// The shared start-up, then the hub, the room and viewer-count
    /// consumers, the listener reports (stopped last, so the final report
    /// follows the closing sockets) and the `/ws` and history routes.
    ///
    /// Fails when the listener cannot bind or `cancel` fires while waiting
    /// for the database.
    async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Application> {
        let common = &config.common;
        let (mut startup, ctx, http) =
            Startup::begin::<openapi::ApiDoc>(cancel.clone(), common, MIGRATIONS).await?;
        let http = http.many_sockets(config.max_connections);
        let (reporter, reporter_task) =
            ListenerReporter::spawn(ctx.js.clone(), ctx.subjects.clone(), startup.late_cancel());
        startup.late_task(reporter_task);
        let hub = Arc::new(Hub::new(
            ctx.nats.clone(),
            ctx.subjects.clone(),
            ctx.pool.clone(),
            reporter,
        ));
        startup.late_task(hub::listeners::spawn_heartbeat(
            hub.clone(),
            config.listener_heartbeat,
            startup.late_cancel(),
        ));
        let state = AppState {
            verifier: http.verifier().clone(),
            ctx,
            hub,
            chat: Arc::new(config.chat.clone()),
            allowed_origins: Arc::new(config.allowed_origins.clone()),
            shutdown: cancel,
        };
        startup.tasks(events::rooms::spawn(state.clone(), startup.cancel()));
        startup.task(events::viewers::spawn(state.clone(), startup.cancel()));
        // Sockets are long-lived and their work is in the hub: one state
        // for every worker.
        let state = actix_web::web::Data::new(state);
        startup.serve(http, move |cfg| {
            cfg.app_data(state.clone());
            routes::configure(cfg);
        })
    }
}
