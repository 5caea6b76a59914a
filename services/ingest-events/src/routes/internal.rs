//! `POST /internal/stream-events`: the seed's contract for RTMP servers
//! that report over HTTP, authenticated by the `X-Internal-Token` header.
//! The same processing path as the hooks and `live.ingest.events`.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use veza_live_domain::{
    FieldError,
    events::{IngestEvent, IngestEventType},
};
use veza_live_platform::{ApiError, http};

use crate::{
    db::sessions::Source,
    ingest::{self, IngestError, LISTENER_ID_MAX, Origin},
    state::AppState,
};

/// The header carrying the shared secret.
pub const TOKEN_HEADER: &str = "x-internal-token";

/// A caller that presented the internal token; checked before the body is
/// read, so an unauthenticated caller learns nothing about validation.
pub struct InternalCaller;

impl FromRequest for InternalCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = req
            .headers()
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let ok = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.internal_token_matches(presented));
        ready(if ok {
            Ok(Self)
        } else {
            Err(ApiError::Unauthorized(
                "missing or wrong internal token".into(),
            ))
        })
    }
}

/// One lifecycle event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamEventRequest {
    /// `stream_started`, `stream_ended`, `listener_joined` or `listener_left`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: IngestEventType,
    pub stream_id: Option<Uuid>,
    /// Instead of `stream_id` for `stream_started` / `stream_ended`.
    pub stream_key: Option<String>,
    /// Required for listener events.
    pub listener_id: Option<String>,
    pub client_addr: Option<String>,
    /// Makes a retry idempotent; generated when absent.
    pub event_id: Option<Uuid>,
    pub occurred_at: Option<DateTime<Utc>>,
}

fn check(req: &StreamEventRequest) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let lifecycle = matches!(
        req.kind,
        IngestEventType::StreamStarted | IngestEventType::StreamEnded
    );
    if lifecycle && req.stream_id.is_none() && req.stream_key.as_deref().is_none_or(str::is_empty) {
        errors.push(FieldError::new(
            "stream_id",
            "stream_id or stream_key is required",
        ));
    }
    if !lifecycle {
        if req.stream_id.is_none() {
            errors.push(FieldError::new(
                "stream_id",
                "stream_id is required for listener events",
            ));
        }
        let len = req.listener_id.as_deref().map_or(0, |l| l.chars().count());
        if !(1..=LISTENER_ID_MAX).contains(&len) {
            errors.push(FieldError::new(
                "listener_id",
                format!("listener_id must be 1 to {LISTENER_ID_MAX} characters"),
            ));
        }
    }
    errors
}

fn to_api(err: IngestError) -> ApiError {
    match err {
        IngestError::InvalidKey => ApiError::Forbidden("unknown stream key".into()),
        IngestError::Throttled => ApiError::RateLimited { retry_after_s: 60 },
        IngestError::AlreadyLive => ApiError::Conflict {
            code: "already_live",
            message: "the streamer already has a live stream".into(),
        },
        IngestError::StreamEnded => ApiError::Conflict {
            code: "stream_ended",
            message: "the stream has ended".into(),
        },
        IngestError::UnknownStream => ApiError::NotFound("stream not found".into()),
        IngestError::Invalid(message) => ApiError::BadRequest(message),
        IngestError::Unavailable(cause) => ApiError::Unavailable(cause),
    }
}

/// Apply one lifecycle event.
#[utoipa::path(
    post,
    path = "/internal/stream-events",
    tag = "internal",
    request_body = StreamEventRequest,
    params(("X-Internal-Token" = String, Header, description = "The shared INTERNAL_TOKEN")),
    responses(
        (status = 200, description = "Accepted; `applied` is false for a duplicate or an event that changed nothing"),
        (status = 400, description = "Invalid event", body = veza_live_platform::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = veza_live_platform::openapi::ErrorResponse),
        (status = 503, description = "A dependency is unavailable", body = veza_live_platform::openapi::ErrorResponse),
    )
)]
pub async fn stream_event(
    state: web::Data<AppState>,
    _caller: InternalCaller,
    body: web::Json<StreamEventRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let errors = check(&body);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let origin = Origin {
        event_id: body.event_id.unwrap_or_else(Uuid::new_v4),
        occurred_at: body.occurred_at.unwrap_or_else(Utc::now),
        source: Source::Http,
        client_addr: body.client_addr.clone(),
        fresh: false,
    };
    let event_id = origin.event_id;
    let event = IngestEvent {
        kind: body.kind,
        stream_key: body.stream_key,
        stream_id: body.stream_id,
        listener_id: body.listener_id,
        client_addr: body.client_addr,
        lease: None,
    };
    let applied = ingest::apply(&state, event, origin).await.map_err(to_api)?;
    Ok(http::ok(json!({"event_id": event_id, "applied": applied})))
}
