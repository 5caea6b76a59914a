//! `ingest_sessions`: publisher sessions and their leases.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::ingest_sessions;

veza_live_domain::text_enum! {
    /// Whether a session is open.
    pub enum SessionStatus {
        /// Publishing, its lease running.
        Active = "active",
        /// Over (its `end_reason` says why).
        Ended = "ended",
    }
}

veza_live_domain::text_enum! {
    /// Where a session's events come from; it decides how its lease renews.
    pub enum Source {
        /// nginx-rtmp hooks; renewed by `on_update`.
        Rtmp = "rtmp",
        /// `live.ingest.events`; renewed by any event of the stream.
        Nats = "nats",
        /// `POST /internal/stream-events`; renewed by any event of the stream.
        Http = "http",
    }
}

/// One session as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ingest_sessions, check_for_backend(diesel::pg::Pg))]
pub struct SessionRow {
    pub id: Uuid,
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub source: Source,
    pub rtmp_app: Option<String>,
    pub rtmp_client_id: Option<String>,
    pub status: SessionStatus,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub peak_viewers: i32,
}

impl SessionRow {
    pub fn is_active(&self) -> bool {
        self.status == SessionStatus::Active
    }
}

/// A session to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = ingest_sessions)]
pub struct NewSession {
    pub id: Uuid,
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub source: Source,
    pub rtmp_app: Option<String>,
    pub rtmp_client_id: Option<String>,
    pub client_addr: Option<String>,
    pub status: SessionStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub lease_expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: NewSession) -> QueryResult<SessionRow> {
    diesel::insert_into(ingest_sessions::table)
        .values(row)
        .returning(SessionRow::as_returning())
        .get_result(conn)
        .await
}

/// The active session of a stream, locked.
pub async fn active_of_stream(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
) -> QueryResult<Option<SessionRow>> {
    ingest_sessions::table
        .filter(ingest_sessions::stream_id.eq(stream_id))
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .for_update()
        .select(SessionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The active session of a stream, share-locked: listener events of one
/// stream proceed side by side, and ending the session waits for them
/// (its listeners are cleared after the last one commits).
pub async fn active_of_stream_shared(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
) -> QueryResult<Option<SessionRow>> {
    ingest_sessions::table
        .filter(ingest_sessions::stream_id.eq(stream_id))
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .for_share()
        .select(SessionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The active sessions of a streamer, locked.
pub async fn active_of_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> QueryResult<Vec<SessionRow>> {
    ingest_sessions::table
        .filter(ingest_sessions::user_id.eq(user_id))
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .for_update()
        .select(SessionRow::as_select())
        .load(conn)
        .await
}

/// The latest session of an nginx-rtmp connection, locked.
pub async fn latest_of_rtmp_client(
    conn: &mut AsyncPgConnection,
    app: &str,
    client_id: &str,
) -> QueryResult<Option<SessionRow>> {
    ingest_sessions::table
        .filter(ingest_sessions::rtmp_app.eq(app))
        .filter(ingest_sessions::rtmp_client_id.eq(client_id))
        .order(ingest_sessions::created_at.desc())
        .for_update()
        .select(SessionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// A session by id, locked.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<SessionRow>> {
    ingest_sessions::table
        .find(id)
        .for_update()
        .select(SessionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Holds, until the transaction ends, the lock that orders every start and
/// every end of one stream: without it, a start and an end of a stream
/// with no session yet, applied at the same moment, each see no session of
/// the other, and the stream gets both an ended and an active session.
pub async fn lock_stream(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<()> {
    let mut key = [0u8; 8];
    key.copy_from_slice(&stream_id.as_bytes()[..8]);
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(i64::from_be_bytes(key))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether the stream has an ended session (it must not restart).
pub async fn stream_has_ended(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ingest_sessions::table
            .filter(ingest_sessions::stream_id.eq(stream_id))
            .filter(ingest_sessions::status.eq(SessionStatus::Ended)),
    ))
    .get_result(conn)
    .await
}

/// Extends a session's lease.
pub async fn renew(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    until: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(ingest_sessions::table.find(id))
        .set((
            ingest_sessions::last_seen_at.eq(Utc::now()),
            ingest_sessions::lease_expires_at.eq(until),
        ))
        .execute(conn)
        .await
}

/// Extends the lease of a stream's active session reported over NATS or
/// HTTP to `until`, unless a renewal less than `step` ago already did: a
/// popular stream's listener events would otherwise all update (and queue
/// on the lock of) its one session row. Run before [`active_of_stream_shared`]
/// in a transaction, so that the row's exclusive lock, when taken, comes
/// first and two listener events cannot deadlock.
pub async fn renew_events_session_if_due(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    until: DateTime<Utc>,
    step: chrono::Duration,
) -> QueryResult<usize> {
    diesel::update(
        ingest_sessions::table
            .filter(ingest_sessions::stream_id.eq(stream_id))
            .filter(ingest_sessions::status.eq(SessionStatus::Active))
            .filter(ingest_sessions::source.ne(Source::Rtmp))
            .filter(ingest_sessions::lease_expires_at.lt(until - step)),
    )
    .set((
        ingest_sessions::last_seen_at.eq(Utc::now()),
        ingest_sessions::lease_expires_at.eq(until),
    ))
    .execute(conn)
    .await
}

/// Ends a session.
pub async fn end(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    at: DateTime<Utc>,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        ingest_sessions::table
            .find(id)
            .filter(ingest_sessions::status.eq(SessionStatus::Active)),
    )
    .set((
        ingest_sessions::status.eq(SessionStatus::Ended),
        ingest_sessions::ended_at.eq(at),
        ingest_sessions::end_reason.eq(reason),
    ))
    .execute(conn)
    .await
}

/// Ids of active sessions whose lease ran out, locked, skipping rows
/// another instance is handling.
pub async fn expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    ingest_sessions::table
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .filter(ingest_sessions::lease_expires_at.lt(now))
        .order(ingest_sessions::lease_expires_at.asc())
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(ingest_sessions::id)
        .load(conn)
        .await
}

/// The streams that have an active session.
pub async fn live_stream_ids(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Uuid>> {
    ingest_sessions::table
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .select(ingest_sessions::stream_id)
        .distinct()
        .load(conn)
        .await
}

/// How many sessions are active.
pub async fn count_active(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    ingest_sessions::table
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .count()
        .get_result(conn)
        .await
}

diesel::define_sql_function! {
    /// PostgreSQL's `GREATEST` for two integers.
    fn greatest(a: diesel::sql_types::Int4, b: diesel::sql_types::Int4) -> diesel::sql_types::Int4;
}

/// Raises the peak of the stream's latest session to `count` and returns
/// the peak.
pub async fn raise_peak(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    count: i32,
) -> QueryResult<i32> {
    let latest: Option<Uuid> = ingest_sessions::table
        .filter(ingest_sessions::stream_id.eq(stream_id))
        .order(ingest_sessions::created_at.desc())
        .select(ingest_sessions::id)
        .first(conn)
        .await
        .optional()?;
    match latest {
        Some(id) => {
            diesel::update(ingest_sessions::table.find(id))
                .set(
                    ingest_sessions::peak_viewers
                        .eq(greatest(ingest_sessions::peak_viewers, count)),
                )
                .returning(ingest_sessions::peak_viewers)
                .get_result(conn)
                .await
        }
        None => Ok(count),
    }
}

/// An active session as the health sampler and the recorder see it.
#[derive(Debug, Clone, Queryable)]
pub struct LiveSession {
    pub id: Uuid,
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub rtmp_app: Option<String>,
    pub rtmp_client_id: Option<String>,
}

/// Every active session.
pub async fn live_sessions(conn: &mut AsyncPgConnection) -> QueryResult<Vec<LiveSession>> {
    ingest_sessions::table
        .filter(ingest_sessions::status.eq(SessionStatus::Active))
        .select((
            ingest_sessions::id,
            ingest_sessions::stream_id,
            ingest_sessions::user_id,
            ingest_sessions::rtmp_app,
            ingest_sessions::rtmp_client_id,
        ))
        .load(conn)
        .await
}

/// The latest session of a stream, any status.
pub async fn latest_of_stream(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
) -> QueryResult<Option<SessionRow>> {
    ingest_sessions::table
        .filter(ingest_sessions::stream_id.eq(stream_id))
        .order(ingest_sessions::created_at.desc())
        .select(SessionRow::as_select())
        .first(conn)
        .await
        .optional()
}
