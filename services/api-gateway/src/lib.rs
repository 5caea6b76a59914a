//! api-gateway: the one public entry. It forwards the public routes to
//! their services with paths unchanged, proxies the chat WebSocket, and
//! adds CORS, request ids, trace context, per-IP rate limits, a body
//! limit, the merged OpenAPI document with an offline docs page, and dev
//! logins when enabled, and the web client when built (see `web_client`).
//! It never routes `/internal/*` or `/hooks/*`.
//!
//! The binary is a thin `main.rs`; tests build [`Application`] on port 0.

pub mod config;
pub mod openapi;
pub mod proxy;
pub mod rate_limit;
pub mod routes;
pub mod state;
pub mod web_client;
pub mod ws;

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{App, HttpServer, dev::Server, http::header, middleware::from_fn, web};
pub use config::Config;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_platform::{auth::JwtVerifier, http};

use crate::state::{AppState, Upstream};

/// A built gateway, listening.
pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotency-replayed"),
            header::RETRY_AFTER,
        ])
        .max_age(600)
}

impl Application {
    /// Builds the merged API document and binds the listener.
    ///
    /// Fails when the listener cannot bind or an embedded document does
    /// not parse.
    pub async fn build(config: Config, cancel: CancellationToken) -> anyhow::Result<Self> {
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
        // Forget idle clients so the limiter's memory stays bounded.
        let sweeper = {
            let (limiter, cancel) = (state.limiter.clone(), cancel.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tick.tick() => limiter.retain_recent(),
                    }
                }
            })
        };
        let listener = TcpListener::bind(config.base.listen_addr)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let verifier = web::Data::new(JwtVerifier::new(&config.base.jwt));
        let origins = config.allowed_origins.clone();
        let web_client = config.web_client.clone();
        let connect_timeout = config.upstream_timeout.min(Duration::from_secs(2));
        let shutdown = web::Data::new(ws::Shutdown(cancel.clone()));
        // A known path with another method answers 405 with `Allow`.
        let known_routes = web::Data::new(veza_live_platform::routes::KnownRoutes::from_openapi(
            &<openapi::ApiDoc as utoipa::OpenApi>::openapi(),
        ));
        let server = HttpServer::new(move || {
            // One pooled client per worker (awc clients are not Send).
            let client = awc::Client::builder()
                .connector(awc::Connector::new().timeout(connect_timeout).limit(512))
                .disable_redirects()
                .finish();
            App::new()
                .wrap(from_fn(rate_limit::limit))
                .wrap(cors(&origins))
                .wrap(from_fn(http::observe))
                .app_data(state.clone())
                .app_data(verifier.clone())
                .app_data(web::Data::new(client))
                .app_data(shutdown.clone())
                .app_data(http::json_config())
                .configure(routes::health::configure)
                .route(
                    "/api/v1/auth/dev-token",
                    web::post().to(routes::dev_token::mint),
                )
                .route("/api/v1/openapi.json", web::get().to(routes::docs::openapi))
                .route("/api/docs", web::get().to(routes::docs::page))
                .route("/ws", web::get().to(ws::proxy))
                .route("/api/v1/live/streams", web::to(proxy::handle))
                .route("/api/v1/live/streams/{tail:.*}", web::to(proxy::handle))
                .route("/media/thumbnails/{tail:.*}", web::get().to(proxy::handle))
                .route("/media/thumbnails/{tail:.*}", web::head().to(proxy::handle))
                .route("/media/replays/{tail:.*}", web::get().to(proxy::handle))
                .route("/media/replays/{tail:.*}", web::head().to(proxy::handle))
                .configure(|cfg| {
                    if let Some(client) = &web_client {
                        web_client::configure(cfg, client);
                    }
                })
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
            tasks: vec![sweeper],
        })
    }

    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `cancel` fires, then drains in-flight requests.
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
        Ok(served?)
    }
}
