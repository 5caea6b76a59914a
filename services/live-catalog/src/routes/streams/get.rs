//! `GET /api/v1/live/streams/{id}`: one stream; a draft only to its owner.

use actix_web::{HttpResponse, web};
use uuid::Uuid;
use veza_live_domain::StreamStatus;
use veza_live_platform::{ApiError, auth::MaybeAuthUser, http};

use crate::{
    db::streams,
    openapi::{ErrorResponse, StreamResponse},
    state::AppState,
};

/// Get a stream by id.
#[utoipa::path(
    get,
    path = "/api/v1/live/streams/{id}",
    tag = "streams",
    params(("id" = Uuid, Path, description = "Stream id")),
    responses(
        (status = 200, description = "The stream", body = StreamResponse),
        (status = 404, description = "No such stream, or a draft of someone else", body = ErrorResponse),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let row = streams::find(&mut conn, id.into_inner())
        .await?
        .filter(|row| {
            row.status() != StreamStatus::Draft
                || user.0.as_ref().is_some_and(|u| u.user_id == row.user_id)
        })
        .ok_or_else(|| ApiError::NotFound("stream not found".into()))?;
    Ok(http::ok(row.to_view(&state.hls_public_url)))
}
