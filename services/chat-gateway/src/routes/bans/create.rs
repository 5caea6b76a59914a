//! `POST /api/v1/live/streams/{id}/chat/bans`: the stream's owner bans a
//! user from the room, for `duration_s` seconds or until lifted. Every send
//! checks bans in its transaction, so the user's open sockets, on every
//! instance, stop sending at once.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use veza_live_domain::FieldError;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::super::owned_room;
use crate::{
    db::bans,
    routes::responses::{Ban, BanResponse, ErrorResponse},
    state::AppState,
};

/// Longest timed ban: 30 days.
pub const MAX_DURATION_S: u32 = 30 * 24 * 3600;

/// Who to ban, and for how long.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    pub user_id: Uuid,
    /// Seconds, 1..=2592000; absent means until lifted.
    #[schema(minimum = 1, maximum = 2592000)]
    pub duration_s: Option<u32>,
}

/// Ban a user from a stream's chat.
#[utoipa::path(
    post,
    operation_id = "ban_chat_user",
    path = "/api/v1/live/streams/{id}/chat/bans",
    tag = "chat",
    params(("id" = Uuid, Path, description = "Stream id")),
    request_body = BanRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Banned", body = BanResponse),
        (status = 400, description = "Invalid body", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No chat room for this stream", body = ErrorResponse),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<BanRequest>,
) -> Result<HttpResponse, ApiError> {
    let stream_id = id.into_inner();
    let body = body.into_inner();
    let mut errors = Vec::new();
    if body
        .duration_s
        .is_some_and(|d| !(1..=MAX_DURATION_S).contains(&d))
    {
        errors.push(FieldError::new(
            "duration_s",
            format!("duration_s must be 1 to {MAX_DURATION_S}"),
        ));
    }
    if body.user_id == user.user_id {
        errors.push(FieldError::new(
            "user_id",
            "the owner cannot ban themselves",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let expires_at = body
        .duration_s
        .map(|d| Utc::now() + chrono::Duration::seconds(i64::from(d)));
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        owned_room(conn, stream_id, &user).await?;
        bans::upsert(conn, stream_id, body.user_id, user.user_id, expires_at).await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    tracing::info!(stream.id = %stream_id, banned.user_id = %body.user_id, "user banned from chat");
    Ok(http::created(Ban {
        stream_id,
        user_id: body.user_id,
        banned: true,
        expires_at,
    }))
}
