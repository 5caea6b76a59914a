//! `GET /api/v1/live/streams`: public listing with filters and cursor
//! pagination. Drafts are never listed.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use veza_live_domain::{FieldError, StreamStatus};
use veza_live_platform::{
    ApiError,
    http::{self, ListMeta},
};

use crate::{
    db::listing::{self, Cursor, ListFilter, Order},
    routes::responses::{ErrorResponse, StreamListResponse},
    state::AppState,
};

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Filters of the listing; they combine with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `true`: live streams only, most viewers first; `false`: exclude them.
    pub is_live: Option<bool>,
    /// `true`: replays (ended) only, most recent first; `false`: exclude them.
    pub is_vod: Option<bool>,
    /// `true`: scheduled streams only, soonest first; `false`: exclude them.
    pub scheduled: Option<bool>,
    /// Only this streamer's streams.
    pub user_id: Option<Uuid>,
    /// Only this category (exact match).
    pub category: Option<String>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// `meta.next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Checks `limit` and `cursor` for a listing in `order`.
///
/// Fails with a field error for each.
pub(crate) fn page_params(
    limit: Option<u32>,
    cursor: Option<&str>,
    order: Order,
) -> Result<(u32, Option<Cursor>), ApiError> {
    let mut errors = Vec::new();
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let after = match cursor {
        None => None,
        Some(raw) => {
            let decoded = Cursor::decode(raw, order);
            if decoded.is_none() {
                errors.push(FieldError::new(
                    "cursor",
                    "cursor is not valid for this listing",
                ));
            }
            decoded
        }
    };
    if errors.is_empty() {
        Ok((limit, after))
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn statuses(query: &ListQuery) -> Vec<StreamStatus> {
    let filters = [
        (query.is_live, StreamStatus::Live),
        (query.is_vod, StreamStatus::Ended),
        (query.scheduled, StreamStatus::Scheduled),
    ];
    let mut set = vec![
        StreamStatus::Scheduled,
        StreamStatus::Live,
        StreamStatus::Ended,
    ];
    for (wanted, status) in filters {
        match wanted {
            Some(true) => set.retain(|s| *s == status),
            Some(false) => set.retain(|s| *s != status),
            None => {}
        }
    }
    set
}

/// List public streams.
#[utoipa::path(
    get,
    path = "/api/v1/live/streams",
    tag = "streams",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of streams", body = StreamListResponse),
        (status = 400, description = "Invalid filter, limit or cursor", body = ErrorResponse),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let statuses = statuses(&query);
    let order = Order::for_statuses(&statuses);
    let (limit, after) = page_params(query.limit, query.cursor.as_deref(), order)?;
    let filter = ListFilter {
        statuses,
        user_id: query.user_id,
        category: query
            .category
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
        order,
        after,
        limit: i64::from(limit),
    };
    let mut conn = state.pool.get().await?;
    let (rows, next) = listing::page(&mut conn, &filter).await?;
    let data: Vec<_> = rows.iter().map(|r| r.to_view(&state.urls)).collect();
    Ok(http::list(
        data,
        ListMeta {
            limit,
            has_more: next.is_some(),
            next_cursor: next.map(|c| c.encode()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_narrow_the_public_statuses() {
        use StreamStatus::*;
        let q = |is_live, is_vod, scheduled| ListQuery {
            is_live,
            is_vod,
            scheduled,
            ..Default::default()
        };
        assert_eq!(statuses(&q(None, None, None)), [Scheduled, Live, Ended]);
        assert_eq!(statuses(&q(Some(true), None, None)), [Live]);
        assert_eq!(statuses(&q(None, Some(true), None)), [Ended]);
        assert_eq!(statuses(&q(None, None, Some(true))), [Scheduled]);
        assert_eq!(statuses(&q(Some(false), Some(false), None)), [Scheduled]);
        assert!(statuses(&q(Some(true), Some(true), None)).is_empty());
    }
}
