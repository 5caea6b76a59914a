//! `POST /api/v1/live/streams`: create a stream (201), with the owner's key.
//!
//! With an `Idempotency-Key` header a retry of the same request (same user,
//! key and fields, within 24 hours) answers the stream the first one made
//! instead of creating another, even when the first answer was lost; the
//! same key with other fields is 422.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use veza_live_domain::{StreamStatus, input::CreateStreamRequest};
use veza_live_platform::{ApiError, auth::AuthUser, http};

use crate::{
    db::{
        idempotency::{self, Claim},
        streams::{self, NewStreamRow},
    },
    events::publish::{self, Change},
    routes::responses::{ErrorResponse, StreamResponse},
    rpc,
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
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters; a retry with the same key and fields within 24 hours answers the first result"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or, for a retried Idempotency-Key, the stream it created; then `Idempotency-Replayed: true`)", body = StreamResponse),
        (status = 400, description = "Invalid input or Idempotency-Key", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 409, description = "The stream this Idempotency-Key created was deleted since", body = ErrorResponse),
        (status = 422, description = "The Idempotency-Key was used with other fields", body = ErrorResponse),
        (status = 503, description = "stream-key or the database is unavailable", body = ErrorResponse),
    )
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateStreamRequest>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = idempotency_key(&req)?;
    let fields = body
        .into_inner()
        .validate(Utc::now())
        .map_err(ApiError::Validation)?;
    // The normalised fields, so a retry that differs only in spacing matches.
    let request_hash = Sha256::digest(format!("{fields:?}").as_bytes()).to_vec();
    // The key first: if stream-key is down nothing is created.
    let key = rpc::clients::issue_key(&state, user.user_id).await?;
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
        status,
        scheduled_at: fields.scheduled_at,
        record_replay: fields.record_replay,
    };
    let mut conn = state.pool.get().await?;
    let subjects = &state.subjects;
    let (user_id, stream_id) = (new.user_id, new.id);
    let outcome = conn
        .transaction(async |conn| {
            if let Some(key) = &idempotency_key {
                match idempotency::claim(conn, user_id, key, &request_hash, stream_id).await? {
                    Claim::New => {}
                    Claim::Replay(id) => {
                        return Ok(Outcome::Replay(streams::find(conn, id).await?));
                    }
                    Claim::Mismatch => return Ok(Outcome::Mismatch),
                }
            }
            let row = streams::insert(conn, new).await?;
            publish::stream_changed(conn, subjects, Change::Created, &row).await?;
            Ok::<_, diesel::result::Error>(Outcome::Created(row))
        })
        .await?;
    let (row, replayed) = match outcome {
        Outcome::Created(row) => {
            state.outbox.wake();
            (row, false)
        }
        Outcome::Replay(Some(row)) => (row, true),
        Outcome::Replay(None) => {
            return Err(ApiError::Rejected {
                status: StatusCode::CONFLICT,
                code: "idempotency_key_reused",
                message: "the stream created with this Idempotency-Key was deleted since".into(),
            });
        }
        Outcome::Mismatch => {
            return Err(ApiError::Rejected {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with other fields".into(),
            });
        }
    };
    let mut view = row.to_view(&state.urls);
    view.stream_key = Some(key.stream_key);
    view.rtmp_url = Some(key.rtmp_url);
    let mut response = http::created(view);
    if replayed {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("idempotency-replayed"),
            actix_web::http::header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

enum Outcome {
    Created(streams::StreamRow),
    Replay(Option<streams::StreamRow>),
    Mismatch,
}

/// The `Idempotency-Key` header, if sent: 1..=255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let mut values = req.headers().get_all("idempotency-key");
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let valid = values.next().is_none()
        && (1..=255).contains(&value.len())
        && value.as_bytes().iter().all(|b| (0x21..=0x7e).contains(b));
    match value.to_str() {
        Ok(key) if valid => Ok(Some(key.to_owned())),
        _ => Err(ApiError::Validation(vec![
            veza_live_domain::FieldError::new(
                "Idempotency-Key",
                "one header of 1 to 255 visible ASCII characters",
            ),
        ])),
    }
}
