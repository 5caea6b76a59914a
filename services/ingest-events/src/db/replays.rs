//! The `replays` and `replay_segments` tables: what has been recorded of
//! each stream, segment by segment.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{replay_segments, replays};

veza_live_domain::text_enum! {
    /// Where a recording is.
    pub enum RecordingStatus {
        /// Live: new segments are copied as they appear.
        Recording = "recording",
        /// Ended: the last segments are copied, then the playlist is written.
        Processing = "processing",
        /// The VOD playlist is written.
        Ready = "ready",
        /// Nothing to play (too short, nothing recorded).
        None = "none",
        /// Removed by retention or with its stream.
        Deleted = "deleted",
    }
}

/// Key space of the replay locks (`pg_advisory_xact_lock(int, int)`; apart
/// from the one-key locks of sessions and migrations).
const LOCK_SPACE: i32 = 0x7265_706c; // "repl"

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = replays, check_for_backend(diesel::pg::Pg))]
pub struct ReplayRow {
    pub stream_id: Uuid,
    pub session_id: Uuid,
    pub status: RecordingStatus,
    pub media_sequence: Option<i64>,
    pub segments: i32,
    pub bytes: i64,
    pub duration_s: f64,
    pub truncated: bool,
    pub ended_at: Option<DateTime<Utc>>,
    pub ready_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = replay_segments, check_for_backend(diesel::pg::Pg))]
pub struct SegmentRow {
    pub stream_id: Uuid,
    pub idx: i32,
    pub media_sequence: i64,
    pub duration_s: f64,
    pub bytes: i64,
    pub discontinuity: bool,
}

/// Starts recording a stream's session; nothing if it already is.
pub async fn begin(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    session_id: Uuid,
) -> QueryResult<()> {
    diesel::insert_into(replays::table)
        .values((
            replays::stream_id.eq(stream_id),
            replays::session_id.eq(session_id),
            replays::status.eq(RecordingStatus::Recording),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// The session ended: the recording becomes `processing`. Returns whether
/// the stream was being recorded.
pub async fn session_ended(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        replays::table
            .find(stream_id)
            .filter(replays::status.eq(RecordingStatus::Recording)),
    )
    .set((
        replays::status.eq(RecordingStatus::Processing),
        replays::ended_at.eq(at),
        replays::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Takes the stream's replay lock for the transaction, without waiting.
/// Returns whether it was taken (another instance holds it otherwise).
pub async fn try_lock(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Taken {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        taken: bool,
    }
    let row: Taken =
        diesel::sql_query("SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS taken")
            .bind::<diesel::sql_types::Integer, _>(LOCK_SPACE)
            .bind::<diesel::sql_types::Text, _>(stream_id.to_string())
            .get_result(conn)
            .await?;
    Ok(row.taken)
}

/// Takes the stream's replay lock for the transaction, waiting for it.
pub async fn lock(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind::<diesel::sql_types::Integer, _>(LOCK_SPACE)
        .bind::<diesel::sql_types::Text, _>(stream_id.to_string())
        .execute(conn)
        .await
        .map(drop)
}

/// A stream's replay.
pub async fn find(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<Option<ReplayRow>> {
    replays::table
        .find(stream_id)
        .select(ReplayRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The streams being recorded or processed.
pub async fn in_progress(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Uuid>> {
    replays::table
        .filter(replays::status.eq_any([RecordingStatus::Recording, RecordingStatus::Processing]))
        .select(replays::stream_id)
        .load(conn)
        .await
}

/// Ready replays that became ready before `before`, at most `limit`.
pub async fn ready_before(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    replays::table
        .filter(replays::status.eq(RecordingStatus::Ready))
        .filter(replays::ready_at.lt(before))
        .order(replays::ready_at.asc())
        .limit(limit)
        .select(replays::stream_id)
        .load(conn)
        .await
}

/// Records a copied segment.
pub async fn add_segment(conn: &mut AsyncPgConnection, segment: &SegmentRow) -> QueryResult<()> {
    diesel::insert_into(replay_segments::table)
        .values(segment.clone())
        .on_conflict((replay_segments::stream_id, replay_segments::idx))
        .do_update()
        .set((
            replay_segments::media_sequence.eq(segment.media_sequence),
            replay_segments::duration_s.eq(segment.duration_s),
            replay_segments::bytes.eq(segment.bytes),
            replay_segments::discontinuity.eq(segment.discontinuity),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Saves how far the recording got.
pub async fn save_progress(conn: &mut AsyncPgConnection, row: &ReplayRow) -> QueryResult<()> {
    diesel::update(replays::table.find(row.stream_id))
        .set((
            replays::media_sequence.eq(row.media_sequence),
            replays::segments.eq(row.segments),
            replays::bytes.eq(row.bytes),
            replays::duration_s.eq(row.duration_s),
            replays::truncated.eq(row.truncated),
            replays::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The recorded segments, in broadcast order.
pub async fn segments(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
) -> QueryResult<Vec<SegmentRow>> {
    replay_segments::table
        .filter(replay_segments::stream_id.eq(stream_id))
        .order(replay_segments::idx.asc())
        .select(SegmentRow::as_select())
        .load(conn)
        .await
}

/// Sets the status; `ready` also stamps `ready_at`; `none` and `deleted`
/// forget the segments.
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    status: RecordingStatus,
) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(replays::table.find(stream_id))
        .set((
            replays::status.eq(status),
            replays::ready_at.eq((status == RecordingStatus::Ready).then_some(now)),
            replays::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    if status == RecordingStatus::None || status == RecordingStatus::Deleted {
        diesel::delete(replay_segments::table.filter(replay_segments::stream_id.eq(stream_id)))
            .execute(conn)
            .await?;
    }
    Ok(())
}
