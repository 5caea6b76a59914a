//! `PUT /api/v1/live/streams/{id}/thumbnail`: the owner uploads an image
//! (PNG, JPEG or WebP, at most 2 MiB) that becomes the stream's
//! `thumbnail_url` once decoded, scaled down and re-encoded.

use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::input::StreamChanges;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use super::{owned, owned_for_update};
use crate::{
    db::streams,
    events::publish::{self, Change},
    media::{MAX_UPLOAD_BYTES, MediaStore},
    routes::responses::{ErrorResponse, StreamResponse},
    state::AppState,
};

/// Upload a stream's thumbnail.
///
/// The format is read from the bytes, not from `Content-Type`. The image is re-encoded without its metadata,
/// scaled down to fit 1280×720 (never up), as JPEG, or PNG when it has
/// transparent pixels, and served from a content-addressed URL under the
/// gateway's `/media/thumbnails/`. The previous thumbnail is deleted.
#[utoipa::path(
    put,
    path = "/api/v1/live/streams/{id}/thumbnail",
    operation_id = "upload_stream_thumbnail",
    tag = "streams",
    params(("id" = Uuid, Path, description = "Stream id")),
    request_body(
        description = "The image file itself, at most 2 MiB: PNG, JPEG or WebP, at most 8192 pixels a side",
        content(
            // No schema: raw bytes (`[u8]` would read as a JSON array of integers).
            ("image/png"),
            ("image/jpeg"),
            ("image/webp"),
            ("application/octet-stream"),
        )
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The stream with its new `thumbnail_url`, in the owner's view", body = StreamResponse),
        (status = 400, description = "`invalid_image`: a PNG, JPEG or WebP that does not decode", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No such stream", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`: a body over 2 MiB; `image_too_large`: more than 8192 pixels a side or 64 MiB decoded", body = ErrorResponse),
        (status = 415, description = "`unsupported_image`: not a PNG, JPEG or WebP image", body = ErrorResponse),
        (status = 503, description = "The media store or the database is unavailable", body = ErrorResponse),
    )
)]
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // Strangers are refused before their bytes are read or decoded; no
    // connection is held while the image is processed and stored.
    let before = {
        let mut conn = state.pool.get().await?;
        owned(&mut conn, id, &user).await?
    };
    let upload = http::read_body_limited(&req, payload, MAX_UPLOAD_BYTES).await?;
    let thumbnail = state.media.render(upload.freeze()).await?;
    let path = MediaStore::thumbnail_path(id, &thumbnail.file_name());
    state.media.put(&path, thumbnail.bytes).await?;
    let url = state.media.public_url(&path);
    let changes = StreamChanges {
        thumbnail_url: Some(Some(url.clone())),
        ..StreamChanges::default()
    };
    let subjects = &state.subjects;
    let updated = async {
        let mut conn = state.pool.get().await?;
        conn.transaction(async |conn| {
            let current = owned_for_update(conn, id, &user).await?;
            let row = streams::apply_changes(conn, &current, &changes).await?;
            publish::stream_changed(conn, subjects, Change::Updated, &row).await?;
            Ok::<_, ApiError>((current, row))
        })
        .await
    }
    .await;
    let (previous, row) = match updated {
        Ok(done) => done,
        Err(e) => {
            // Nothing refers to the new object (unless it is the same
            // image as before).
            if before.thumbnail_url.as_deref() != Some(url.as_str()) {
                state.media.forget(path);
            }
            return Err(e);
        }
    };
    state.outbox.wake();
    if let Some(old) = previous
        .thumbnail_url
        .as_deref()
        .filter(|old| *old != url)
        .and_then(|old| state.media.thumbnail_of_url(id, old))
    {
        state.media.forget(old);
    }
    tracing::info!(
        stream.id = %id,
        thumbnail.width = thumbnail.width,
        thumbnail.height = thumbnail.height,
        thumbnail.format = thumbnail.format.extension(),
        "thumbnail stored"
    );
    Ok(http::ok(super::owner_view(&state, &row).await))
}
