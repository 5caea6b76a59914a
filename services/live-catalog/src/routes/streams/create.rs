//! `POST /api/v1/live/streams`: create a stream (201), with the owner's key.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::{StreamStatus, input::CreateStreamRequest};
use veza_live_platform::{ApiError, auth::AuthUser, http};

use crate::{
    db::streams::{self, NewStreamRow},
    events::publish::{self, Change},
    openapi::{ErrorResponse, StreamResponse},
    state::AppState,
};

/// Create a stream; a future `scheduled_at` makes it `scheduled`, else it
/// is a `draft` until it goes live. The response carries the owner's
/// `stream_key` and `rtmp_url`.
#[utoipa::path(
    post,
    path = "/api/v1/live/streams",
    tag = "streams",
    request_body = CreateStreamRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = StreamResponse),
        (status = 400, description = "Invalid input", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 503, description = "stream-key or the database is unavailable", body = ErrorResponse),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateStreamRequest>,
) -> Result<HttpResponse, ApiError> {
    let fields = body
        .into_inner()
        .validate(Utc::now())
        .map_err(ApiError::Validation)?;
    // The key first: if stream-key is down nothing is created.
    let key = state.issue_key(user.user_id).await?;
    let status = match fields.scheduled_at {
        Some(_) => StreamStatus::Scheduled,
        None => StreamStatus::Draft,
    };
    let new = NewStreamRow {
        id: Uuid::new_v4(),
        user_id: user.user_id,
        streamer_name: user.display_name(),
        title: fields.title,
        description: fields.description,
        category: fields.category,
        tags: fields.tags,
        thumbnail_url: fields.thumbnail_url,
        status: status.as_str().to_owned(),
        scheduled_at: fields.scheduled_at,
    };
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    let row = conn
        .transaction(async |conn| {
            let row = streams::insert(conn, new).await?;
            publish::stream_changed(conn, subjects, Change::Created, &row).await?;
            Ok::<_, diesel::result::Error>(row)
        })
        .await?;
    state.outbox.wake();
    let mut view = row.to_view(&state.hls_public_url);
    view.stream_key = Some(key.stream_key);
    view.rtmp_url = Some(key.rtmp_url);
    Ok(http::created(view))
}
