//! The gateway's routes: its own (health, dev tokens, docs) and the
//! forwarded ones (see `proxy` and `ws`), inside CORS and the per-IP limit.

pub mod dev_token;
pub mod docs;
pub mod health;

use actix_web::{middleware::from_fn, web};
use veza_live_platform::{config::AllowedOrigins, routes::fallback};

use crate::{cors::cors, proxy, rate_limit, web_client, ws};

/// Registers every route; the web client's files when one is built.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    origins: &AllowedOrigins,
    web_client: Option<&web_client::WebClient>,
) {
    // Inside the shared access log: CORS, then the per-IP limit.
    cfg.service(
        web::scope("")
            .wrap(from_fn(rate_limit::limit))
            .wrap(cors(origins))
            .configure(health::configure)
            .route("/api/v1/auth/dev-token", web::post().to(dev_token::mint))
            .route("/api/v1/openapi.json", web::get().to(docs::openapi))
            .route("/api/docs", web::get().to(docs::page))
            .route("/ws", web::get().to(ws::proxy))
            .route("/api/v1/live/streams", web::to(proxy::handle))
            .route("/api/v1/live/streams/{tail:.*}", web::to(proxy::handle))
            .route("/media/thumbnails/{tail:.*}", web::get().to(proxy::handle))
            .route("/media/thumbnails/{tail:.*}", web::head().to(proxy::handle))
            .route("/media/replays/{tail:.*}", web::get().to(proxy::handle))
            .route("/media/replays/{tail:.*}", web::head().to(proxy::handle))
            .configure(|cfg| {
                if let Some(client) = web_client {
                    web_client::configure(cfg, client);
                }
            })
            .default_service(web::to(fallback)),
    );
}
