//! CORS for the browser origins of `ALLOWED_ORIGINS`.

use actix_cors::Cors;
use actix_web::http::header;
use veza_live_platform::config::AllowedOrigins;

/// CORS for the browser origins of `ALLOWED_ORIGINS` (none by default).
pub fn cors(origins: &AllowedOrigins) -> Cors {
    let cors = match origins {
        AllowedOrigins::Any => Cors::default().allow_any_origin(),
        AllowedOrigins::List(list) => list
            .iter()
            .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin)),
    };
    cors.allowed_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
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
