//! `POST /api/v1/live/streams/me/key/regenerate`.

use actix_web::{HttpRequest, HttpResponse, web};
use veza_live_platform::{ApiError, auth::AuthUser, http};

use crate::{
    keys,
    routes::responses::{ErrorResponse, StreamKeyResponse, StreamKeyView},
    rpc,
    state::AppState,
};

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
    let stream_id = rpc::clients::ensure_draft(&state, user.user_id, user.username.clone()).await?;
    let stream_key = keys::regenerate(&state, user.user_id).await?;
    Ok(http::ok(StreamKeyView {
        stream_key,
        rtmp_url: state.rtmp_public_url.clone(),
        stream_id,
    }))
}
