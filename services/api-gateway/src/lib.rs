//! api-gateway: the one public entry. It forwards the public routes to
//! their services with paths unchanged, proxies the chat WebSocket, and
//! adds CORS, request ids, trace context, per-IP rate limits, a body
//! limit, the merged OpenAPI document with an offline docs page, and dev
//! logins when enabled, and the web client when built (see `web_client`).
//! It never routes `/internal/*` or `/hooks/*`.
//!
//! The binary is a thin `main.rs`; tests start [`ApiGateway`] on port 0.

pub mod config;
pub mod cors;
pub mod openapi;
pub mod proxy;
pub mod rate_limit;
pub mod routes;
pub mod state;
pub mod web_client;
pub mod ws;

use std::{sync::Arc, time::Duration};

use actix_web::web;
use tokio_util::sync::CancellationToken;
use veza_live_platform::service::{Application, Http, Service, Startup};

pub use crate::config::Config;
use crate::state::{AppState, Upstream};

/// The api-gateway service.
pub struct ApiGateway;

impl Service for ApiGateway {
    type Config = Config;

    /// Merges the services' OpenAPI documents, starts the rate limiter's
    /// sweeper and serves the public routes (no database, no NATS).
    ///
    /// Fails when the listener cannot bind or the merged document does not
    /// build.
    async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Application> {
        let openapi_json = openapi::merged()?.to_json()?;
        let state = AppState {
            catalog: Upstream {
                name: "live-catalog",
                base_url: config.catalog_url.clone(),
            },
            stream_key: Upstream {
                name: "stream-key",
                base_url: config.stream_key_url.clone(),
            },
            chat: Upstream {
                name: "chat-gateway",
                base_url: config.chat_url.clone(),
            },
            ingest: Upstream {
                name: "ingest-events",
                base_url: config.ingest_url.clone(),
            },
            timeout: config.upstream_timeout,
            limiter: Arc::new(state::limiter(config.rate_per_second, config.rate_burst)),
            trust_forwarded_for: config.trust_forwarded_for,
            dev_auth: config.dev_auth,
            openapi_json: Arc::new(openapi_json),
        };
        let mut startup = Startup::new(cancel.clone());
        startup.task(veza_live_platform::tasks::every(
            Duration::from_secs(60),
            startup.cancel(),
            "rate limits not swept",
            {
                let limiter = state.limiter.clone();
                move || {
                    limiter.retain_recent();
                    std::future::ready(Ok(()))
                }
            },
        ));
        let http = Http::bind(&config.base)?
            .known_routes(&<openapi::ApiDoc as utoipa::OpenApi>::openapi());
        let state = web::Data::new(state);
        let origins = config.allowed_origins.clone();
        let web_client = config.web_client.clone();
        let connect_timeout = config.upstream_timeout.min(Duration::from_secs(2));
        let shutdown = web::Data::new(ws::Shutdown(cancel));
        startup.serve(http, move |cfg| {
            let client = awc::Client::builder()
                .connector(awc::Connector::new().timeout(connect_timeout).limit(512))
                .disable_redirects()
                .finish();
            cfg.app_data(state.clone())
                .app_data(web::Data::new(client))
                .app_data(shutdown.clone());
            routes::configure(cfg, &origins, web_client.as_ref());
        })
    }
}
