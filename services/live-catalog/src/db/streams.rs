//! The `live_streams` table: rows, inserts, updates and lookups.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use veza_live_domain::{
    ReplayStatus, Stream, StreamStatus, events::StreamSnapshot, input::StreamChanges,
};

use crate::schema::live_streams;

diesel::define_sql_function! {
    /// PostgreSQL's `GREATEST` for two integers.
    fn greatest(a: diesel::sql_types::Int4, b: diesel::sql_types::Int4) -> diesel::sql_types::Int4;
}

/// One stream as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = live_streams, check_for_backend(diesel::pg::Pg))]
pub struct StreamRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub streamer_name: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub thumbnail_url: Option<String>,
    pub status: StreamStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub viewer_count: i32,
    pub peak_viewers: i32,
    pub session_id: Option<Uuid>,
    pub viewers_reported_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub record_replay: bool,
    pub replay_status: ReplayStatus,
    pub replay_rank: i16,
    pub replay_playlist: Option<String>,
    pub replay_duration_s: Option<f64>,
}

/// The public bases of the URLs a stream's view points at.
#[derive(Debug, Clone, Default)]
pub struct PublicUrls {
    /// `HLS_PUBLIC_URL`: live playlists are `<hls>/<stream_id>.m3u8`.
    pub hls: String,
    /// `MEDIA_PUBLIC_URL`: replays are `<media>/replays/<stream_id>/index.m3u8`.
    pub media: String,
}

impl StreamRow {
    /// The public JSON view; `stream_url` points at the live HLS playlist
    /// while live and at the replay once it is ready.
    pub fn to_view(&self, urls: &PublicUrls) -> Stream {
        let status = self.status;
        let live = status == StreamStatus::Live;
        let replay_status = self.replay_status;
        let replay_url = match (replay_status, &self.replay_playlist) {
            (ReplayStatus::Ready, Some(playlist)) if status == StreamStatus::Ended => {
                Some(format!("{}/{playlist}", urls.media))
            }
            _ => None,
        };
        let duration_seconds = match (replay_status, self.replay_duration_s) {
            (ReplayStatus::Ready, Some(seconds)) => Some(seconds),
            _ => self
                .started_at
                .zip(self.ended_at)
                .filter(|_| status == StreamStatus::Ended)
                .map(|(start, end)| (end - start).num_milliseconds().max(0) as f64 / 1000.0),
        };
        Stream {
            id: self.id,
            user_id: self.user_id,
            streamer_name: self.streamer_name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            tags: self.tags.clone(),
            thumbnail_url: self.thumbnail_url.clone(),
            status,
            is_live: live,
            is_vod: status == StreamStatus::Ended,
            scheduled_at: self.scheduled_at,
            started_at: self.started_at,
            ended_at: self.ended_at,
            viewer_count: if live { self.viewer_count } else { 0 },
            peak_viewers: self.peak_viewers,
            stream_url: if live {
                Some(format!("{}/{}.m3u8", urls.hls, self.id))
            } else {
                replay_url
            },
            record_replay: self.record_replay,
            replay_status,
            duration_seconds,
            created_at: self.created_at,
            updated_at: self.updated_at,
            stream_key: None,
            rtmp_url: None,
        }
    }

    /// The snapshot carried by created/updated/deleted events.
    pub fn snapshot(&self) -> StreamSnapshot {
        StreamSnapshot::from(&self.to_view(&PublicUrls::default()))
    }
}

/// A stream to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = live_streams)]
pub struct NewStreamRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub streamer_name: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub thumbnail_url: Option<String>,
    pub status: StreamStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub record_replay: bool,
}

/// Inserts a stream and returns it.
pub async fn insert(conn: &mut AsyncPgConnection, row: NewStreamRow) -> QueryResult<StreamRow> {
    diesel::insert_into(live_streams::table)
        .values(row)
        .returning(StreamRow::as_returning())
        .get_result(conn)
        .await
}

/// A stream by id.
pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<StreamRow>> {
    live_streams::table
        .find(id)
        .select(StreamRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// A stream by id, locked for the rest of the transaction.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<StreamRow>> {
    live_streams::table
        .find(id)
        .for_update()
        .select(StreamRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Applies validated changes; the status follows the schedule while the
/// stream has not gone live.
pub async fn apply_changes(
    conn: &mut AsyncPgConnection,
    current: &StreamRow,
    changes: &StreamChanges,
) -> QueryResult<StreamRow> {
    let scheduled_at = changes.scheduled_at.unwrap_or(current.scheduled_at);
    let status = match current.status {
        s if s.is_before_live() => match scheduled_at {
            Some(_) => StreamStatus::Scheduled,
            None => StreamStatus::Draft,
        },
        s => s,
    };
    diesel::update(live_streams::table.find(current.id))
        .set((
            live_streams::title.eq(changes
                .title
                .clone()
                .unwrap_or_else(|| current.title.clone())),
            live_streams::description.eq(changes
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone())),
            live_streams::category.eq(changes
                .category
                .clone()
                .unwrap_or_else(|| current.category.clone())),
            live_streams::tags.eq(changes.tags.clone().unwrap_or_else(|| current.tags.clone())),
            live_streams::thumbnail_url.eq(changes
                .thumbnail_url
                .clone()
                .unwrap_or_else(|| current.thumbnail_url.clone())),
            live_streams::scheduled_at.eq(scheduled_at),
            live_streams::status.eq(status),
            live_streams::record_replay.eq(changes.record_replay.unwrap_or(current.record_replay)),
            live_streams::updated_at.eq(Utc::now()),
        ))
        .returning(StreamRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a stream.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(live_streams::table.find(id))
        .execute(conn)
        .await
}

/// A streamer's streams in one status, locked, in the given order.
pub async fn of_user_with_status(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    status: StreamStatus,
) -> QueryResult<Vec<StreamRow>> {
    let query = live_streams::table
        .filter(live_streams::user_id.eq(user_id))
        .filter(live_streams::status.eq(status))
        .select(StreamRow::as_select())
        .for_update();
    match status {
        StreamStatus::Scheduled => {
            query
                .order((live_streams::scheduled_at.asc(), live_streams::id.asc()))
                .load(conn)
                .await
        }
        _ => {
            query
                .order((live_streams::created_at.desc(), live_streams::id.desc()))
                .load(conn)
                .await
        }
    }
}

/// The streamer's most recent stream of any status.
pub async fn latest_of_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> QueryResult<Option<StreamRow>> {
    live_streams::table
        .filter(live_streams::user_id.eq(user_id))
        .order((live_streams::created_at.desc(), live_streams::id.desc()))
        .select(StreamRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Marks a stream live for an ingest session.
pub async fn mark_live(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    session_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(live_streams::table.find(id))
        .set((
            live_streams::status.eq(StreamStatus::Live),
            live_streams::session_id.eq(session_id),
            live_streams::started_at.eq(at),
            live_streams::ended_at.eq(None::<DateTime<Utc>>),
            live_streams::viewer_count.eq(0),
            live_streams::viewers_reported_at.eq(None::<DateTime<Utc>>),
            live_streams::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Marks a stream ended (a replay from now on).
pub async fn mark_ended(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    session_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(live_streams::table.find(id))
        .set((
            live_streams::status.eq(StreamStatus::Ended),
            live_streams::session_id.eq(session_id),
            live_streams::ended_at.eq(at),
            live_streams::viewer_count.eq(0),
            live_streams::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Applies a viewer count if the stream is live and the report is not
/// older than the last one applied.
pub async fn apply_viewers(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    count: i32,
    peak: i32,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::BoolExpressionMethods;
    diesel::update(
        live_streams::table
            .find(id)
            .filter(live_streams::status.eq(StreamStatus::Live))
            .filter(
                live_streams::viewers_reported_at
                    .is_null()
                    .or(live_streams::viewers_reported_at.le(at)),
            ),
    )
    .set((
        live_streams::viewer_count.eq(count.max(0)),
        live_streams::peak_viewers.eq(greatest(live_streams::peak_viewers, peak.max(count).max(0))),
        live_streams::viewers_reported_at.eq(at),
    ))
    .execute(conn)
    .await
}

/// Ends the streamer's other live stream, if any (its `ended` is late).
pub async fn end_other_live(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    except: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        live_streams::table
            .filter(live_streams::user_id.eq(user_id))
            .filter(live_streams::status.eq(StreamStatus::Live))
            .filter(live_streams::id.ne(except)),
    )
    .set((
        live_streams::status.eq(StreamStatus::Ended),
        live_streams::ended_at.eq(at),
        live_streams::viewer_count.eq(0),
        live_streams::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await
}

/// Applies a `live.events.replay.updated`: only when it goes further than
/// what the stream holds (see [`ReplayUpdated::rank`]). Returns the stream
/// when it changed.
///
/// [`ReplayUpdated::rank`]: veza_live_domain::events::ReplayUpdated::rank
pub async fn apply_replay(
    conn: &mut AsyncPgConnection,
    update: &veza_live_domain::events::ReplayUpdated,
) -> QueryResult<Option<StreamRow>> {
    let rank = veza_live_domain::events::ReplayUpdated::rank(update.status);
    let (playlist, duration) = match update.status {
        ReplayStatus::Ready => (update.playlist.clone(), update.duration_seconds),
        _ => (None, None),
    };
    diesel::update(
        live_streams::table
            .find(update.stream_id)
            .filter(live_streams::replay_rank.lt(rank)),
    )
    .set((
        live_streams::replay_status.eq(update.status),
        live_streams::replay_rank.eq(rank),
        live_streams::replay_playlist.eq(playlist),
        live_streams::replay_duration_s.eq(duration),
        live_streams::updated_at.eq(Utc::now()),
    ))
    .returning(StreamRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}
