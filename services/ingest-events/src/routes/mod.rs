//! HTTP routes of ingest-events. The gateway routes the public ones
//! (`/api/v1/live/streams/{id}/health`), never
//! `/hooks/*` or `/internal/*`.

use actix_web::web;

pub mod form;
pub mod hooks;
pub mod internal;
pub mod responses;
pub mod stream_health;

/// Registers the nginx-rtmp hooks and the internal endpoint.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/hooks/rtmp")
            .route("/on_publish", web::post().to(hooks::on_publish))
            .route("/on_publish_done", web::post().to(hooks::on_publish_done))
            .route("/on_play", web::post().to(hooks::on_play))
            .route("/on_play_done", web::post().to(hooks::on_play_done))
            .route("/on_update", web::post().to(hooks::on_update)),
    )
    .route(
        "/api/v1/live/streams/{id}/health",
        web::get().to(stream_health::get),
    )
    .route(
        "/internal/stream-events",
        web::post().to(internal::stream_event),
    );
}
