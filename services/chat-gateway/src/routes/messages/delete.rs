//! `DELETE /api/v1/live/streams/{id}/chat/messages/{message_id}`: the
//! stream's owner or the message's author deletes it; every socket in the
//! room, on every instance, gets `message_deleted`.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::chat::ServerFrame;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::super::open_room;
use crate::{
    db::messages,
    hub::Kind,
    routes::responses::{Deleted, DeletedResponse, ErrorResponse},
    state::AppState,
};

/// Delete a chat message.
#[utoipa::path(
    delete,
    operation_id = "delete_chat_message",
    path = "/api/v1/live/streams/{id}/chat/messages/{message_id}",
    tag = "chat",
    params(
        ("id" = Uuid, Path, description = "Stream id"),
        ("message_id" = Uuid, Path, description = "Message id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted (or already deleted)", body = DeletedResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Neither the owner nor the author", body = ErrorResponse),
        (status = 404, description = "No such room or message", body = ErrorResponse),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (stream_id, message_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let newly_deleted = conn
        .transaction(async |conn| {
            let room = open_room(conn, stream_id).await?;
            let message = messages::find(conn, stream_id, message_id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no such message".into()))?;
            if user.user_id != room.owner_id && user.user_id != message.user_id {
                return Err(ApiError::Forbidden(
                    "only the stream's owner or the author may delete a message".into(),
                ));
            }
            Ok(messages::soft_delete(conn, stream_id, message_id, user.user_id).await?)
        })
        .await?;
    if newly_deleted {
        let frame = ServerFrame::MessageDeleted {
            stream_id,
            id: message_id,
        };
        state.hub.publish(stream_id, &frame, Kind::Other).await;
    }
    Ok(http::ok(Deleted {
        id: message_id,
        deleted: true,
    }))
}
