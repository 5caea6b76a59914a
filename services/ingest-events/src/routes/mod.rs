//! HTTP routes of ingest-events. None of them is public: the gateway never
//! routes `/hooks/*` or `/internal/*`.

use actix_web::web;

pub mod form;
pub mod hooks;
pub mod internal;

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
        "/internal/stream-events",
        web::post().to(internal::stream_event),
    );
}
