//! `GET /api/v1/live/streams/{id}`: one stream; a draft only to its owner.

use actix_web::{HttpResponse, web};
use uuid::Uuid;
use veza_live_domain::StreamStatus;
use veza_live_platform::{ApiError, auth::MaybeAuthUser, http};

use crate::{
    db::streams,
    routes::responses::{ErrorResponse, StreamResponse},
    state::AppState,
};

/// Get a stream by id; its owner's view adds `stream_key` and `rtmp_url`.
#[utoipa::path(
    get,
    path = "/api/v1/live/streams/{id}",
    tag = "streams",
    params(("id" = Uuid, Path, description = "Stream id")),
    responses(
        (status = 200, description = "The stream (the owner's view adds `stream_key` and `rtmp_url`)", body = StreamResponse),
        (status = 404, description = "No such stream, or a draft of someone else", body = ErrorResponse),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let row = streams::find(&mut conn, id.into_inner()).await?;
    drop(conn);
    let is_owner =
        |row: &streams::StreamRow| user.0.as_ref().is_some_and(|u| u.user_id == row.user_id);
    let row = row
        .filter(|row| row.status != StreamStatus::Draft || is_owner(row))
        .ok_or_else(|| ApiError::NotFound("stream not found".into()))?;
    if is_owner(&row) {
        return Ok(http::ok(super::owner_view(&state, &row).await));
    }
    Ok(http::ok(row.to_view(&state.urls)))
}
