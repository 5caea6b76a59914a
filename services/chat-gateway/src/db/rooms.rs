//! The `chat_rooms` table: one room per stream, its owner and status as
//! the catalog's events describe them, its message sequence and slow mode.

use chrono::Utc;
use diesel::{
    ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use veza_live_domain::StreamStatus;

use crate::schema::chat_rooms;

/// One room as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_rooms, check_for_backend(diesel::pg::Pg))]
pub struct RoomRow {
    pub stream_id: Uuid,
    pub owner_id: Uuid,
    pub status: String,
    pub deleted: bool,
    pub last_seq: i64,
    pub slow_mode_s: i32,
}

impl RoomRow {
    /// The status; an unknown spelling (impossible under the CHECK
    /// constraint) reads as draft, where the room does not exist.
    pub fn status(&self) -> StreamStatus {
        StreamStatus::parse(&self.status).unwrap_or(StreamStatus::Draft)
    }

    /// Rooms exist for streams that are not drafts and not deleted.
    pub fn is_open(&self) -> bool {
        !self.deleted && self.status() != StreamStatus::Draft
    }

    /// Messages may be sent in scheduled and live rooms.
    pub fn accepts_messages(&self) -> bool {
        !self.deleted && matches!(self.status(), StreamStatus::Scheduled | StreamStatus::Live)
    }
}

/// The status after an event reports `incoming`: the stream's status
/// machine decides, so reordered events never revive an ended stream.
pub fn next_status(current: StreamStatus, incoming: StreamStatus) -> StreamStatus {
    if current.can_become(incoming) {
        incoming
    } else {
        current
    }
}

/// A room by stream id.
pub async fn find(conn: &mut AsyncPgConnection, stream_id: Uuid) -> QueryResult<Option<RoomRow>> {
    chat_rooms::table
        .find(stream_id)
        .select(RoomRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// A room, locked for the rest of the transaction.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
) -> QueryResult<Option<RoomRow>> {
    chat_rooms::table
        .find(stream_id)
        .for_update()
        .select(RoomRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Creates a room.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    owner_id: Uuid,
    status: StreamStatus,
    deleted: bool,
) -> QueryResult<RoomRow> {
    diesel::insert_into(chat_rooms::table)
        .values((
            chat_rooms::stream_id.eq(stream_id),
            chat_rooms::owner_id.eq(owner_id),
            chat_rooms::status.eq(status.as_str()),
            chat_rooms::deleted.eq(deleted),
        ))
        .returning(RoomRow::as_returning())
        .get_result(conn)
        .await
}

/// Sets the owner, status and deleted flag.
pub async fn update_state(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    owner_id: Uuid,
    status: StreamStatus,
    deleted: bool,
) -> QueryResult<usize> {
    diesel::update(chat_rooms::table.find(stream_id))
        .set((
            chat_rooms::owner_id.eq(owner_id),
            chat_rooms::status.eq(status.as_str()),
            chat_rooms::deleted.eq(deleted),
            chat_rooms::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Sets the slow mode.
pub async fn set_slow_mode(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    slow_mode_s: i32,
) -> QueryResult<usize> {
    diesel::update(chat_rooms::table.find(stream_id))
        .set((
            chat_rooms::slow_mode_s.eq(slow_mode_s),
            chat_rooms::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Allocates the room's next `count` seqs and returns the last one; call
/// inside the inserting transaction, whose row lock makes sequences
/// gapless and commit in order.
pub async fn advance_seq(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    count: i64,
) -> QueryResult<i64> {
    diesel::update(chat_rooms::table.find(stream_id))
        .set(chat_rooms::last_seq.eq(chat_rooms::last_seq + count))
        .returning(chat_rooms::last_seq)
        .get_result(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_events_never_revive_an_ended_room() {
        use StreamStatus::*;
        assert_eq!(next_status(Scheduled, Live), Live);
        assert_eq!(next_status(Live, Ended), Ended);
        assert_eq!(next_status(Ended, Live), Ended);
        assert_eq!(next_status(Live, Scheduled), Live);
        assert_eq!(next_status(Draft, Ended), Ended);
        assert_eq!(next_status(Scheduled, Draft), Draft);
    }
}
