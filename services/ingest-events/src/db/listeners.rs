//! `listeners`: presence sets per stream.

use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{listener_leases, listeners};

/// Adds a listener, held by `lease` when given; true when it was not there
/// yet.
pub async fn join(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    listener_id: &str,
    lease: Option<&str>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(listeners::table)
        .values((
            listeners::stream_id.eq(stream_id),
            listeners::listener_id.eq(listener_id),
            listeners::lease.eq(lease),
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

/// Adds listeners (stream, listener, lease holder) in one statement; the
/// ones that were not there yet.
pub async fn join_many(
    conn: &mut AsyncPgConnection,
    rows: &[(Uuid, &str, Option<&str>)],
) -> QueryResult<Vec<(Uuid, String)>> {
    let values: Vec<_> = rows
        .iter()
        .map(|&(stream_id, listener_id, lease)| {
            (
                listeners::stream_id.eq(stream_id),
                listeners::listener_id.eq(listener_id),
                listeners::lease.eq(lease),
            )
        })
        .collect();
    diesel::insert_into(listeners::table)
        .values(values)
        .on_conflict_do_nothing()
        .returning((listeners::stream_id, listeners::listener_id))
        .get_results(conn)
        .await
}

/// Removes listeners of one stream in one statement; the ones that were
/// there.
pub async fn leave_many(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    listener_ids: &[&str],
) -> QueryResult<Vec<String>> {
    diesel::delete(
        listeners::table
            .filter(listeners::stream_id.eq(stream_id))
            .filter(listeners::listener_id.eq_any(listener_ids)),
    )
    .returning(listeners::listener_id)
    .get_results(conn)
    .await
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

/// Extends the lease of `holder` to `until` (never shortens it).
pub async fn renew_lease(
    conn: &mut AsyncPgConnection,
    holder: &str,
    until: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO listener_leases (holder, expires_at) VALUES ($1, $2) \
         ON CONFLICT (holder) DO UPDATE \
         SET expires_at = GREATEST(listener_leases.expires_at, excluded.expires_at)",
    )
    .bind::<diesel::sql_types::Text, _>(holder)
    .bind::<diesel::sql_types::Timestamptz, _>(until)
    .execute(conn)
    .await
    .map(drop)
}

/// Removes the listeners whose holder has no lease running at `now`,
/// sparing those that joined after `joined_before` (their holder's first
/// renewal may not have arrived yet); the streams they were listening to.
pub async fn expire(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    joined_before: DateTime<Utc>,
) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        stream_id: Uuid,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "DELETE FROM listeners l \
         WHERE l.lease IS NOT NULL AND l.joined_at < $2 \
           AND NOT EXISTS (SELECT 1 FROM listener_leases k \
                           WHERE k.holder = l.lease AND k.expires_at > $1) \
         RETURNING l.stream_id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Timestamptz, _>(joined_before)
    .load(conn)
    .await?;
    let mut streams: Vec<Uuid> = rows.into_iter().map(|r| r.stream_id).collect();
    streams.sort_unstable();
    streams.dedup();
    // Holders gone for a day hold nothing any more.
    diesel::delete(
        listener_leases::table
            .filter(listener_leases::expires_at.lt(now - chrono::Duration::days(1))),
    )
    .execute(conn)
    .await?;
    Ok(streams)
}
