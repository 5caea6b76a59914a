//! HTTP routes of stream-key, under the public `/api/v1` paths; one
//! operation per file.

pub mod regenerate;
pub mod responses;
pub mod show;

use actix_web::web;

/// Registers every stream-key route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/live/streams/me/key", web::get().to(show::show))
        .route(
            "/api/v1/live/streams/me/key/regenerate",
            web::post().to(regenerate::regenerate),
        );
}
