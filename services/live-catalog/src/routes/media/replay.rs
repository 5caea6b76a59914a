//! `GET /media/replays/{stream_id}/{file}`: the VOD playlist
//! (`index.m3u8`) and segments (`<n>.ts`) of an ended stream's replay,
//! written to the media store by ingest-events. Served only while the
//! stream exists and its replay is `ready`, with single byte ranges
//! (`Range: bytes=...`, answered 206) and long cache headers: a replay
//! never changes once ready.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use veza_live_domain::{ReplayStatus, StreamStatus};
use veza_live_platform::ApiError;

use super::thumbnail::CACHE_CONTROL;
use crate::{db::streams, media::MediaStore, routes::responses::ErrorResponse, state::AppState};

fn not_found() -> ApiError {
    ApiError::NotFound("no such replay file".into())
}

/// A replay file name: `index.m3u8` or 1 to 9 digits then `.ts`.
fn content_type(file: &str) -> Option<&'static str> {
    if file == "index.m3u8" {
        return Some("application/vnd.apple.mpegurl");
    }
    let digits = file.strip_suffix(".ts")?;
    ((1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some("video/mp2t")
}

/// What a `Range` header asks of an object of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    /// No (usable) range: the whole object. Multiple ranges are answered
    /// whole too, as RFC 9110 allows.
    Whole,
    /// Bytes `start..end` (end exclusive).
    Part(u64, u64),
    /// A range outside the object: 416.
    Unsatisfiable,
}

fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let part = match (first.parse::<u64>(), last.parse::<u64>()) {
        // `bytes=a-b` and `bytes=a-`
        (Ok(start), Ok(end)) if start <= end => (start, end.saturating_add(1).min(size)),
        (Ok(_), Ok(_)) => return Wanted::Whole,
        (Ok(start), Err(_)) if last.is_empty() => (start, size),
        // `bytes=-n`: the last n bytes
        (Err(_), Ok(n)) if first.is_empty() => {
            if n == 0 {
                return Wanted::Unsatisfiable;
            }
            (size.saturating_sub(n), size)
        }
        _ => return Wanted::Whole,
    };
    if part.0 >= size {
        Wanted::Unsatisfiable
    } else {
        Wanted::Part(part.0, part.1)
    }
}

/// A file of a stream's replay.
///
/// Also answers `HEAD`. Byte ranges are served (one range per request).
#[utoipa::path(
    get,
    path = "/media/replays/{stream_id}/{file}",
    operation_id = "get_replay_file",
    tag = "media",
    params(
        ("stream_id" = Uuid, Path, description = "Stream id"),
        ("file" = String, Path, description = "`index.m3u8` (the VOD playlist, as in an ended stream's `stream_url`) or one of its segments, `<n>.ts`"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=start-end`, `bytes=start-` or `bytes=-length`"),
    ),
    responses(
        (status = 200, description = "The whole file; `Cache-Control: public, max-age=31536000, immutable`, `Accept-Ranges: bytes`",
            content(("application/vnd.apple.mpegurl"), ("video/mp2t"))),
        (status = 206, description = "The requested range, with `Content-Range`", content(("video/mp2t"), ("application/vnd.apple.mpegurl"))),
        (status = 404, description = "No such stream, no ready replay, or no such file", body = ErrorResponse),
        (status = 416, description = "The range starts past the end of the file", body = ErrorResponse),
        (status = 503, description = "The database or the media store is unavailable", body = ErrorResponse),
    )
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (stream, file) = path.into_inner();
    let stream_id = super::canonical_stream_id(&stream).ok_or_else(not_found)?;
    let content_type = content_type(&file).ok_or_else(not_found)?;
    let row = {
        let mut conn = state.pool.get().await?;
        streams::find(&mut conn, stream_id).await?
    };
    let ready = row
        .is_some_and(|r| r.status == StreamStatus::Ended && r.replay_status == ReplayStatus::Ready);
    if !ready {
        return Err(not_found());
    }
    let object = MediaStore::replay_path(stream_id, &file);
    let size = state.media.size(&object).await?.ok_or_else(not_found)?;
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let head = req.method() == actix_web::http::Method::HEAD;
    let mut res = match wanted(range, size) {
        Wanted::Unsatisfiable => {
            let mut res = actix_web::ResponseError::error_response(&ApiError::Rejected {
                status: actix_web::http::StatusCode::RANGE_NOT_SATISFIABLE,
                code: "range_not_satisfiable",
                message: "the range starts past the end of the file".into(),
            });
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(res);
        }
        Wanted::Whole => {
            let mut res = HttpResponse::Ok();
            res.content_type(content_type);
            if head {
                res.no_chunking(size).finish()
            } else {
                let bytes = state
                    .media
                    .get_range(&object, 0..size)
                    .await?
                    .ok_or_else(not_found)?;
                res.body(bytes)
            }
        }
        Wanted::Part(start, end) => {
            let mut res = HttpResponse::PartialContent();
            res.content_type(content_type).insert_header((
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{size}", end - 1),
            ));
            if head {
                res.no_chunking(end - start).finish()
            } else {
                let bytes = state
                    .media
                    .get_range(&object, start..end)
                    .await?
                    .ok_or_else(not_found)?;
                res.body(bytes)
            }
        }
    };
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::{Wanted, content_type, wanted};

    #[test]
    fn only_the_playlist_and_numbered_segments_are_replay_files() {
        assert!(content_type("index.m3u8").is_some());
        assert_eq!(content_type("0.ts"), Some("video/mp2t"));
        assert_eq!(content_type("123456789.ts"), Some("video/mp2t"));
        for bad in [
            "1234567890.ts",
            ".ts",
            "a.ts",
            "../0.ts",
            "index.m3u",
            "0.ts.bak",
            "thumb.jpg",
        ] {
            assert_eq!(content_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-9"), 100), Wanted::Part(0, 10));
        assert_eq!(wanted(Some("bytes=90-"), 100), Wanted::Part(90, 100));
        assert_eq!(wanted(Some("bytes=90-500"), 100), Wanted::Part(90, 100));
        assert_eq!(wanted(Some("bytes=-10"), 100), Wanted::Part(90, 100));
        assert_eq!(wanted(Some("bytes=-500"), 100), Wanted::Part(0, 100));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=5-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=x-y"), 100), Wanted::Whole);
    }
}
