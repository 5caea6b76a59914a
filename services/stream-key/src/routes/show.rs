//! `GET /api/v1/live/streams/me/key`.

use actix_web::{HttpResponse, web};
use veza_live_platform::{ApiError, auth::AuthUser, http};

use crate::{
    keys,
    routes::responses::{ErrorResponse, StreamKeyResponse, StreamKeyView},
    rpc,
    state::AppState,
};

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
    let stream_id = rpc::clients::ensure_draft(&state, user.user_id, user.username.clone()).await?;
    Ok(http::ok(StreamKeyView {
        stream_key,
        rtmp_url: state.rtmp_public_url.clone(),
        stream_id,
    }))
}
