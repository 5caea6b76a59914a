//! Listing streams with keyset pagination. Each order has a partial index
//! (see the migration) so a page is an index range scan plus `limit + 1`
//! heap fetches, whatever the table size.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods, QueryDsl, QueryResult, SelectableHelper,
    sql_types::{Bool, Int4, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use veza_live_domain::StreamStatus;

use super::streams::StreamRow;
use crate::schema::live_streams;

/// The order of a listing, chosen by its filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Live streams, most viewers first.
    LiveByViewers,
    /// Scheduled streams, soonest first.
    ScheduledBySoonest,
    /// Replays, most recently ended first.
    VodByEnded,
    /// Anything else, newest first.
    NewestFirst,
}

impl Order {
    fn code(self) -> char {
        match self {
            Self::LiveByViewers => 'l',
            Self::ScheduledBySoonest => 's',
            Self::VodByEnded => 'v',
            Self::NewestFirst => 'n',
        }
    }

    /// The natural order for a set of statuses.
    pub fn for_statuses(statuses: &[StreamStatus]) -> Self {
        match statuses {
            [StreamStatus::Live] => Self::LiveByViewers,
            [StreamStatus::Scheduled] => Self::ScheduledBySoonest,
            [StreamStatus::Ended] => Self::VodByEnded,
            _ => Self::NewestFirst,
        }
    }

    /// The sort key of a row in this order.
    fn key_of(self, row: &StreamRow) -> i64 {
        let micros = |t: Option<DateTime<Utc>>| t.map_or(0, |t| t.timestamp_micros());
        match self {
            Self::LiveByViewers => i64::from(row.viewer_count),
            Self::ScheduledBySoonest => micros(row.scheduled_at),
            Self::VodByEnded => micros(row.ended_at),
            Self::NewestFirst => row.created_at.timestamp_micros(),
        }
    }
}

/// Where the previous page stopped: the sort key and id of its last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub order: Order,
    pub key: i64,
    pub id: Uuid,
}

impl Cursor {
    /// The opaque string given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}.{}.{}",
            self.order.code(),
            self.key,
            self.id.simple()
        ))
    }

    /// Reads a cursor made for `order`.
    ///
    /// Fails (`None`) when the cursor is not one of ours or was made for
    /// another listing.
    pub fn decode(raw: &str, order: Order) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, '.');
        let code = parts.next()?;
        let key = parts.next()?.parse().ok()?;
        let id = Uuid::parse_str(parts.next()?).ok()?;
        (code.len() == 1 && code.starts_with(order.code())).then_some(Self { order, key, id })
    }
}

/// What to list.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub statuses: Vec<StreamStatus>,
    pub user_id: Option<Uuid>,
    pub category: Option<String>,
    pub order: Order,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// One page of streams and the cursor of the next, if any.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &ListFilter,
) -> QueryResult<(Vec<StreamRow>, Option<Cursor>)> {
    if filter.statuses.is_empty() {
        return Ok((Vec::new(), None));
    }
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
    let mut query = live_streams::table
        .select(StreamRow::as_select())
        .filter(live_streams::status.eq_any(statuses))
        .into_boxed();
    if let Some(user_id) = filter.user_id {
        query = query.filter(live_streams::user_id.eq(user_id));
    }
    if let Some(category) = &filter.category {
        query = query.filter(live_streams::category.eq(category.clone()));
    }
    let micros = |key: i64| DateTime::<Utc>::from_timestamp_micros(key).unwrap_or_default();
    // Keyset conditions are row comparisons, so PostgreSQL uses them as
    // index conditions on the partial indexes (an `a < k OR (a = k AND
    // id < i)` filter would be applied after the scan, growing with depth).
    let after = |columns: &'static str, op: &'static str| {
        diesel::dsl::sql::<Bool>(&format!("({columns}) {op} ("))
    };
    query = match filter.order {
        Order::LiveByViewers => {
            if let Some(c) = filter.after {
                let key = i32::try_from(c.key).unwrap_or(i32::MAX);
                query = query.filter(
                    after("viewer_count, id", "<")
                        .bind::<Int4, _>(key)
                        .sql(", ")
                        .bind::<SqlUuid, _>(c.id)
                        .sql(")"),
                );
            }
            query.order((live_streams::viewer_count.desc(), live_streams::id.desc()))
        }
        Order::ScheduledBySoonest => {
            if let Some(c) = filter.after {
                query = query.filter(
                    after("scheduled_at, id", ">")
                        .bind::<Timestamptz, _>(micros(c.key))
                        .sql(", ")
                        .bind::<SqlUuid, _>(c.id)
                        .sql(")"),
                );
            }
            query.order((live_streams::scheduled_at.asc(), live_streams::id.asc()))
        }
        Order::VodByEnded => {
            if let Some(c) = filter.after {
                query = query.filter(
                    after("ended_at, id", "<")
                        .bind::<Timestamptz, _>(micros(c.key))
                        .sql(", ")
                        .bind::<SqlUuid, _>(c.id)
                        .sql(")"),
                );
            }
            query.order((live_streams::ended_at.desc(), live_streams::id.desc()))
        }
        Order::NewestFirst => {
            if let Some(c) = filter.after {
                query = query.filter(
                    after("created_at, id", "<")
                        .bind::<Timestamptz, _>(micros(c.key))
                        .sql(", ")
                        .bind::<SqlUuid, _>(c.id)
                        .sql(")"),
                );
            }
            query.order((live_streams::created_at.desc(), live_streams::id.desc()))
        }
    };
    let mut rows: Vec<StreamRow> = query.limit(filter.limit + 1).load(conn).await?;
    let has_more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next = match (has_more, rows.last()) {
        (true, Some(last)) => Some(Cursor {
            order: filter.order,
            key: filter.order.key_of(last),
            id: last.id,
        }),
        _ => None,
    };
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_order() {
        let c = Cursor {
            order: Order::VodByEnded,
            key: 1_767_225_600_000_000,
            id: Uuid::new_v4(),
        };
        let raw = c.encode();
        assert_eq!(Cursor::decode(&raw, Order::VodByEnded), Some(c));
        assert_eq!(Cursor::decode(&raw, Order::LiveByViewers), None);
        assert_eq!(Cursor::decode("garbage!", Order::VodByEnded), None);
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode("v.x.y"), Order::VodByEnded),
            None
        );
    }

    #[test]
    fn order_follows_the_status_filter() {
        assert_eq!(
            Order::for_statuses(&[StreamStatus::Live]),
            Order::LiveByViewers
        );
        assert_eq!(
            Order::for_statuses(&[StreamStatus::Scheduled]),
            Order::ScheduledBySoonest
        );
        assert_eq!(
            Order::for_statuses(&[StreamStatus::Ended]),
            Order::VodByEnded
        );
        assert_eq!(
            Order::for_statuses(&[StreamStatus::Scheduled, StreamStatus::Live]),
            Order::NewestFirst
        );
    }
}
