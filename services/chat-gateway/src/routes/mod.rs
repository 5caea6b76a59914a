//! HTTP routes of chat-gateway, under the public `/api/v1` paths, and the
//! `/ws` upgrade.

use actix_web::web;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;
use veza_live_platform::{ApiError, auth::AuthUser};

use crate::db::rooms::{self, RoomRow};

pub mod bans;
pub mod messages;
pub mod responses;
pub mod settings;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(crate::ws::upgrade::upgrade))
        .service(
            web::scope("/api/v1/live/streams/{id}/chat")
                .route("/messages", web::get().to(messages::list::list))
                .route(
                    "/messages/{message_id}",
                    web::delete().to(messages::delete::delete),
                )
                .route("/bans", web::post().to(bans::create::create))
                .route("/bans/{user_id}", web::delete().to(bans::delete::delete))
                .route("/settings", web::put().to(settings::update::update)),
        );
}

/// The open room of a stream.
///
/// Fails with 404 when there is none (unknown, draft or deleted stream).
pub(crate) async fn open_room(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
) -> Result<RoomRow, ApiError> {
    rooms::find(conn, stream_id)
        .await?
        .filter(RoomRow::is_open)
        .ok_or_else(|| ApiError::NotFound("no chat room for this stream".into()))
}

/// The open room of a stream, for its owner.
///
/// Fails with 404 when there is none and 403 when the caller is not the
/// stream's owner.
pub(crate) async fn owned_room(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    user: &AuthUser,
) -> Result<RoomRow, ApiError> {
    let room = open_room(conn, stream_id).await?;
    if room.owner_id != user.user_id {
        return Err(ApiError::Forbidden(
            "only the stream's owner may do this".into(),
        ));
    }
    Ok(room)
}
