//! HTTP routes of live-catalog, under the public `/api/v1` paths, and the
//! stored media under `/media`.

use actix_web::web;

pub mod media;
pub mod responses;
pub mod streams;

/// Registers every catalog route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/live/streams")
            .route("", web::get().to(streams::list::list))
            .route("", web::post().to(streams::create::create))
            .route("/me", web::get().to(streams::me::mine))
            .route("/{id}", web::get().to(streams::get::get))
            .route("/{id}", web::put().to(streams::update::update))
            .route("/{id}", web::delete().to(streams::delete::delete))
            .route("/{id}/thumbnail", web::put().to(streams::thumbnail::upload)),
    )
    .service(
        web::resource("/media/thumbnails/{stream_id}/{file}")
            .route(web::get().to(media::thumbnail::get))
            .route(web::head().to(media::thumbnail::get)),
    )
    .service(
        web::resource("/media/replays/{stream_id}/{file}")
            .route(web::get().to(media::replay::get))
            .route(web::head().to(media::replay::get)),
    );
}
