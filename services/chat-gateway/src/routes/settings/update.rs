//! `PUT /api/v1/live/streams/{id}/chat/settings`: the stream's owner sets
//! the room's slow mode (seconds between two messages of one user,
//! 0..=120; 0 turns it off). Sends read it in their transaction, so it
//! applies at once on every instance.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use veza_live_domain::FieldError;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::super::owned_room;
use crate::{
    db::rooms,
    routes::responses::{ErrorResponse, Settings, SettingsResponse},
    state::AppState,
};

/// Largest slow mode, in seconds.
pub const MAX_SLOW_MODE_S: i32 = 120;

/// The room's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    /// Seconds between two messages of one user, 0..=120.
    #[schema(minimum = 0, maximum = 120)]
    pub slow_mode_s: i32,
}

/// Set a room's slow mode.
#[utoipa::path(
    put,
    operation_id = "update_chat_settings",
    path = "/api/v1/live/streams/{id}/chat/settings",
    tag = "chat",
    params(("id" = Uuid, Path, description = "Stream id")),
    request_body = SettingsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = SettingsResponse),
        (status = 400, description = "Invalid body", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No chat room for this stream", body = ErrorResponse),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<SettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    let stream_id = id.into_inner();
    let slow_mode_s = body.slow_mode_s;
    if !(0..=MAX_SLOW_MODE_S).contains(&slow_mode_s) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "slow_mode_s",
            format!("slow_mode_s must be 0 to {MAX_SLOW_MODE_S}"),
        )]));
    }
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        owned_room(conn, stream_id, &user).await?;
        rooms::set_slow_mode(conn, stream_id, slow_mode_s).await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(http::ok(Settings {
        stream_id,
        slow_mode_s,
    }))
}
