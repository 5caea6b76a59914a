//! `listeners`: presence sets per stream.

use diesel::{ExpressionMethods, QueryDsl, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::listeners;

/// Adds a listener; true when it was not there yet.
pub async fn join(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    listener_id: &str,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(listeners::table)
        .values((
            listeners::stream_id.eq(stream_id),
            listeners::listener_id.eq(listener_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Removes a listener; true when it was there.
pub async fn leave(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    listener_id: &str,
) -> QueryResult<bool> {
    let deleted = diesel::delete(
        listeners::table
            .filter(listeners::stream_id.eq(stream_id))
            .filter(listeners::listener_id.eq(listener_id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted == 1)
}

/// Removes every listener of a stream (it ended).
pub async fn clear(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<usize> {
    diesel::delete(listeners::table.filter(listeners::stream_id.eq(stream_id)))
        .execute(conn)
        .await
}

/// How many listeners a stream has.
pub async fn count(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<i64> {
    listeners::table
        .filter(listeners::stream_id.eq(stream_id))
        .count()
        .get_result(conn)
        .await
}

/// How many listeners all streams have.
pub async fn count_all(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    listeners::table.count().get_result(conn).await
}
