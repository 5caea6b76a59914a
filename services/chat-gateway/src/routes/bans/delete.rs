//! `DELETE /api/v1/live/streams/{id}/chat/bans/{user_id}`: the stream's
//! owner lifts a ban (lifting an absent ban succeeds too).

use actix_web::{HttpResponse, web};
use uuid::Uuid;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::super::owned_room;
use crate::{
    db::bans,
    routes::responses::{Ban, BanResponse, ErrorResponse},
    state::AppState,
};

/// Lift a ban.
#[utoipa::path(
    delete,
    operation_id = "unban_chat_user",
    path = "/api/v1/live/streams/{id}/chat/bans/{user_id}",
    tag = "chat",
    params(
        ("id" = Uuid, Path, description = "Stream id"),
        ("user_id" = Uuid, Path, description = "The banned user"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Not banned any more", body = BanResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No chat room for this stream", body = ErrorResponse),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (stream_id, banned_user) = path.into_inner();
    let mut conn = state.pool.get().await?;
    owned_room(&mut conn, stream_id, &user).await?;
    bans::delete(&mut conn, stream_id, banned_user).await?;
    Ok(http::ok(Ban {
        stream_id,
        user_id: banned_user,
        banned: false,
        expires_at: None,
    }))
}
