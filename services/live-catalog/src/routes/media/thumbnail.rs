//! `GET /media/thumbnails/{stream_id}/{file}`: a stored thumbnail, cached
//! forever (its name is its content's hash). Only canonical stream ids and
//! `<16 hex>.<jpg|png>` names are looked up, so no request reaches another
//! object.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use veza_live_platform::ApiError;

use crate::{
    media::{MediaStore, thumbnail::ThumbnailFile},
    routes::responses::ErrorResponse,
    state::AppState,
};

/// What browsers and CDNs may do with a content-addressed object.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

fn not_found() -> ApiError {
    ApiError::NotFound("no such thumbnail".into())
}

/// Whether an `If-None-Match` header names `etag` (or is `*`).
fn matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// A stream thumbnail.
///
/// Also answers `HEAD`. The name is the hash of the content, so the
/// answer may be cached forever.
#[utoipa::path(
    get,
    path = "/media/thumbnails/{stream_id}/{file}",
    operation_id = "get_stream_thumbnail",
    tag = "media",
    params(
        ("stream_id" = Uuid, Path, description = "Stream id"),
        ("file" = String, Path, description = "`<16 hex digits>.jpg` or `.png`, as in the stream's `thumbnail_url`"),
    ),
    responses(
        (status = 200, description = "The image; `Cache-Control: public, max-age=31536000, immutable` and a strong `ETag`",
            content(("image/jpeg"), ("image/png"))),
        (status = 304, description = "`If-None-Match` names this image"),
        (status = 404, description = "No such thumbnail, or a malformed name", body = ErrorResponse),
        (status = 503, description = "The media store is unavailable", body = ErrorResponse),
    )
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (stream, file) = path.into_inner();
    let stream_id = super::canonical_stream_id(&stream).ok_or_else(not_found)?;
    let file = ThumbnailFile::parse(&file).ok_or_else(not_found)?;
    let bytes = state
        .media
        .get(&MediaStore::thumbnail_path(stream_id, &file))
        .await?
        .ok_or_else(not_found)?;
    let etag = format!("\"{}\"", file.hash);
    let mut res = if matches(&req, &etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(file.format.content_type())
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(bytes)
    };
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(res)
}
