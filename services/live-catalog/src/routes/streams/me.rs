//! `GET /api/v1/live/streams/me`: the caller's streams, drafts included,
//! each with the owner's `stream_key` and `rtmp_url`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use veza_live_domain::StreamStatus;
use veza_live_platform::{
    ApiError,
    auth::AuthUser,
    http::{self, ListMeta},
};

use super::list::page_params;
use crate::{
    db::listing::{self, ListFilter, Order},
    routes::responses::{ErrorResponse, StreamListResponse},
    rpc,
    state::AppState,
};

/// Pagination of the caller's streams.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MineQuery {
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u32>,
    /// `meta.next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's streams, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/live/streams/me",
    tag = "streams",
    params(MineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's streams with their key", body = StreamListResponse),
        (status = 400, description = "A bad or unknown query parameter", body = ErrorResponse),
        (status = 401, description = "No or bad token", body = ErrorResponse),
        (status = 503, description = "stream-key or the database is unavailable", body = ErrorResponse),
    )
)]
pub async fn mine(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<MineQuery>,
) -> Result<HttpResponse, ApiError> {
    let order = Order::NewestFirst;
    let (limit, after) = page_params(query.limit, query.cursor.as_deref(), order)?;
    let filter = ListFilter {
        statuses: StreamStatus::ALL.to_vec(),
        user_id: Some(user.user_id),
        category: None,
        order,
        after,
        limit: i64::from(limit),
    };
    let (rows, next) = {
        let mut conn = state.pool.get().await?;
        listing::page(&mut conn, &filter).await?
    };
    let key = rpc::clients::issue_key(&state, user.user_id).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| {
            let mut view = r.to_view(&state.urls);
            view.stream_key = Some(key.stream_key.clone());
            view.rtmp_url = Some(key.rtmp_url.clone());
            view
        })
        .collect();
    Ok(http::list(
        data,
        ListMeta {
            limit,
            has_more: next.is_some(),
            next_cursor: next.map(|c| c.encode()),
        },
    ))
}
