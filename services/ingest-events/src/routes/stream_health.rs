//! `GET /api/v1/live/streams/{id}/health`: the streamer's view of their
//! encoder's signal while live. Owner only: the session names the owner;
//! a stream that never went live is looked up in the catalog
//! (`live.rpc.catalog.stream_owner`), and someone else's draft is a 404.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use uuid::Uuid;
use veza_live_domain::StreamStatus;
use veza_live_platform::{ApiError, auth::AuthUser, http};

use crate::{
    db::sessions,
    health::{StreamHealth, Verdict},
    ingest::IngestError,
    routes::responses::{ErrorResponse, HealthResponse},
    rpc,
    state::AppState,
};

/// The health of a live stream's inbound signal.
///
/// Refreshed every few seconds from the RTMP server's statistics. A stream
/// that is not live answers `live: false` and `no_signal`.
#[utoipa::path(
    get,
    path = "/api/v1/live/streams/{id}/health",
    operation_id = "get_stream_health",
    tag = "health",
    params(("id" = Uuid, Path, description = "Stream id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The latest figures and a verdict", body = HealthResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 403, description = "Not the owner", body = ErrorResponse),
        (status = 404, description = "No such stream", body = ErrorResponse),
        (status = 503, description = "The database or the catalog is unavailable", body = ErrorResponse),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let stream_id = id.into_inner();
    let latest = {
        let mut conn = state.pool.get().await?;
        sessions::latest_of_stream(&mut conn, stream_id).await?
    };
    let Some(session) = latest else {
        // Never live: the catalog knows the owner.
        let owner = match rpc::clients::stream_owner(&state, stream_id).await {
            Ok(owner) => owner,
            Err(IngestError::UnknownStream) => {
                return Err(ApiError::NotFound("no such stream".into()));
            }
            Err(other) => return Err(ApiError::Unavailable(other.to_string())),
        };
        if owner.user_id != user.user_id {
            return Err(if owner.status == StreamStatus::Draft {
                ApiError::NotFound("no such stream".into())
            } else {
                ApiError::Forbidden("only the streamer sees a stream's health".into())
            });
        }
        return Ok(http::ok(StreamHealth::without_sample(stream_id, false)));
    };
    if session.user_id != user.user_id {
        return Err(ApiError::Forbidden(
            "only the streamer sees a stream's health".into(),
        ));
    }
    if !session.is_active() {
        return Ok(http::ok(StreamHealth::without_sample(stream_id, false)));
    }
    let Some(mut health) = state.health.get(stream_id) else {
        return Ok(http::ok(StreamHealth::without_sample(stream_id, true)));
    };
    // Another instance may be the one sampling; stale figures say so.
    let stale = health.sampled_at.is_some_and(|at| {
        (Utc::now() - at).to_std().unwrap_or_default() > state.health_stale_after
    });
    if stale {
        health.verdict = Verdict::Unknown;
        health.reasons = vec!["no fresh statistics from the ingest server".into()];
    }
    Ok(http::ok(health))
}
