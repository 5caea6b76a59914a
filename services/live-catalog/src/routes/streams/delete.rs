//! `DELETE /api/v1/live/streams/{id}`: the owner deletes a stream that is
//! not live, and with it its thumbnails.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::StreamStatus;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::owned_for_update;
use crate::{
    db::streams,
    events::publish::{self, Change},
    routes::responses::{DeletedResponse, ErrorResponse},
    state::AppState,
};

/// Delete a stream; its uploaded thumbnails are deleted too.
#[utoipa::path(
    delete,
    path = "/api/v1/live/streams/{id}",
    tag = "streams",
    params(("id" = Uuid, Path, description = "Stream id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = DeletedResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No such stream", body = ErrorResponse),
        (status = 409, description = "The stream is live", body = ErrorResponse),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    conn.transaction(async |conn| {
        let current = owned_for_update(conn, id, &user).await?;
        if current.status == StreamStatus::Live {
            return Err(ApiError::Conflict {
                code: "stream_live",
                message: "a live stream cannot be deleted; end it first".into(),
            });
        }
        streams::delete(conn, id).await?;
        publish::stream_changed(conn, subjects, Change::Deleted, &current).await?;
        Ok(())
    })
    .await?;
    state.outbox.wake();
    // Best effort, after the commit: a failure leaves files nothing links to.
    state.media.forget_stream(id);
    Ok(http::ok(http::Deleted { id, deleted: true }))
}
