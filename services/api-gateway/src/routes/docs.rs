//! `GET /api/v1/openapi.json` (one document merged from every public
//! service) and `GET /api/docs`, a documentation page that works offline:
//! it renders the document in the browser with no external assets.

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// The merged OpenAPI document.
pub async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.as_str().to_owned())
}

/// The documentation page.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        ))
        .body(include_str!("docs.html"))
}
