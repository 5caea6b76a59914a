//! `GET /api/v1/live/streams/{id}/chat/messages`: a room's history, newest
//! first, paged with `before_seq`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use veza_live_domain::FieldError;
use veza_live_platform::{
    ApiError,
    http::{self, ListMeta},
};

use super::super::open_room;
use crate::{
    db::messages,
    routes::responses::{ErrorResponse, MessageListResponse},
    state::AppState,
};

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

/// Paging of the history.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only messages with a smaller `seq` (the previous page's `next_cursor`).
    #[param(minimum = 1)]
    pub before_seq: Option<i64>,
    /// Page size, 1..=100 (default 50).
    #[param(minimum = 1, maximum = 100, default = 50)]
    pub limit: Option<u32>,
}

/// A room's messages.
#[utoipa::path(
    get,
    operation_id = "list_chat_messages",
    path = "/api/v1/live/streams/{id}/chat/messages",
    tag = "chat",
    params(("id" = Uuid, Path, description = "Stream id"), ListQuery),
    responses(
        (status = 200, description = "A page of messages, newest first", body = MessageListResponse),
        (status = 400, description = "Invalid limit or before_seq", body = ErrorResponse),
        (status = 404, description = "No chat room for this stream", body = ErrorResponse),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let stream_id = id.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let mut errors = Vec::new();
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    if query.before_seq.is_some_and(|s| s < 1) {
        errors.push(FieldError::new(
            "before_seq",
            "before_seq must be at least 1",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut conn = state.pool.get().await?;
    open_room(&mut conn, stream_id).await?;
    let mut rows =
        messages::page(&mut conn, stream_id, query.before_seq, i64::from(limit) + 1).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| rows.last().map(|r| r.seq.to_string()))
        .flatten();
    let data: Vec<_> = rows
        .iter()
        .map(crate::db::messages::MessageRow::to_message)
        .collect();
    Ok(http::list(
        data,
        ListMeta {
            limit,
            next_cursor,
            has_more,
        },
    ))
}
