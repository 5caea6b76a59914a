//! HTTP routes of stream-key, under the public `/api/v1` paths.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use crate::{events, keys, state::AppState};
pub use veza_live_platform::openapi::ErrorResponse;

/// Registers every stream-key route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/live/streams/me/key", web::get().to(show))
        .route(
            "/api/v1/live/streams/me/key/regenerate",
            web::post().to(regenerate),
        );
}

/// The owner's key, where to publish with it, and the stream it makes live.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamKeyView {
    pub stream_key: String,
    pub rtmp_url: String,
    pub stream_id: Uuid,
}

/// `{"success": true, "data": StreamKeyView}`.
#[derive(ToSchema)]
pub struct StreamKeyResponse {
    pub success: bool,
    pub data: StreamKeyView,
}

/// Show the caller's stream key, creating it (and a draft stream) on
/// first use.
#[utoipa::path(
    get,
    path = "/api/v1/live/streams/me/key",
    tag = "stream keys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's key", body = StreamKeyResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 503, description = "The catalog or the database is unavailable", body = ErrorResponse),
    )
)]
pub async fn show(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let stream_key = keys::get_or_create(&state, user.user_id).await?;
    let stream_id = events::ensure_draft(&state, user.user_id, user.username.clone()).await?;
    Ok(http::ok(StreamKeyView {
        stream_key,
        rtmp_url: state.rtmp_public_url.clone(),
        stream_id,
    }))
}

/// Largest body a bodiless POST reads before refusing it.
const EMPTY_BODY_LIMIT: usize = 64;

/// Accepts no body or an empty JSON object, so a malformed call changes nothing.
async fn require_empty_body(req: &HttpRequest, payload: web::Payload) -> Result<(), ApiError> {
    let body = http::read_body_limited(req, payload, EMPTY_BODY_LIMIT).await?;
    let text = std::str::from_utf8(&body).unwrap_or("?");
    let empty = text.trim().is_empty()
        || serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
            .is_ok_and(|m| m.is_empty());
    if empty {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "this call takes no body (or an empty JSON object)".into(),
        ))
    }
}

/// Regenerate the caller's key: the old key stops working at once and a
/// publisher connected with it is kicked.
#[utoipa::path(
    post,
    path = "/api/v1/live/streams/me/key/regenerate",
    tag = "stream keys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new key", body = StreamKeyResponse),
        (status = 400, description = "A body other than none or `{}`; the key is unchanged", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 413, description = "A body over 64 bytes; the key is unchanged", body = ErrorResponse),
        (status = 503, description = "The catalog or the database is unavailable; the key is unchanged", body = ErrorResponse),
    )
)]
pub async fn regenerate(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    require_empty_body(&req, payload).await?;
    // The catalog first: if it is down the key stays as it was.
    let stream_id = events::ensure_draft(&state, user.user_id, user.username.clone()).await?;
    let stream_key = keys::regenerate(&state, user.user_id).await?;
    Ok(http::ok(StreamKeyView {
        stream_key,
        rtmp_url: state.rtmp_public_url.clone(),
        stream_id,
    }))
}
