//! `PUT /api/v1/live/streams/{id}`: the owner edits a stream before or
//! during the live; the schedule only before.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::input::UpdateStreamRequest;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::owned_for_update;
use crate::{
    db::streams,
    events::publish::{self, Change},
    routes::responses::{ErrorResponse, StreamResponse},
    state::AppState,
};

/// Update a stream. Absent fields stay; `null` clears an optional field;
/// setting or clearing `scheduled_at` moves a stream between `draft` and
/// `scheduled`.
#[utoipa::path(
    put,
    path = "/api/v1/live/streams/{id}",
    tag = "streams",
    params(("id" = Uuid, Path, description = "Stream id")),
    request_body = UpdateStreamRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated stream, in the owner's view (with `stream_key` and `rtmp_url`)", body = StreamResponse),
        (status = 400, description = "Invalid input, or an empty body `{}`: at least one field must be given (`validation_failed` on `body`)", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No such stream", body = ErrorResponse),
        (status = 409, description = "The schedule or `record_replay` of a stream that went live", body = ErrorResponse),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdateStreamRequest>,
) -> Result<HttpResponse, ApiError> {
    let changes = body
        .into_inner()
        .validate(Utc::now())
        .map_err(ApiError::Validation)?;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    let row = conn
        .transaction(async |conn| {
            let current = owned_for_update(conn, id, &user).await?;
            if changes.scheduled_at.is_some() && !current.status.is_before_live() {
                return Err(ApiError::Conflict {
                    code: "invalid_state",
                    message: "scheduled_at can only change before the stream goes live".into(),
                });
            }
            if changes
                .record_replay
                .is_some_and(|record| record != current.record_replay)
                && !current.status.is_before_live()
            {
                return Err(ApiError::Conflict {
                    code: "invalid_state",
                    message: "record_replay can only change before the stream goes live".into(),
                });
            }
            let row = streams::apply_changes(conn, &current, &changes).await?;
            publish::stream_changed(conn, subjects, Change::Updated, &row).await?;
            Ok(row)
        })
        .await?;
    state.outbox.wake();
    Ok(http::ok(super::owner_view(&state, &row).await))
}
