//! The `chat_messages` table: persisted messages with their room `seq`.
//! Deleted messages stay as rows (for sequence continuity) but are never
//! returned.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use veza_live_domain::chat::ChatMessage;

use crate::schema::chat_messages;

/// One message as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_messages, check_for_backend(diesel::pg::Pg))]
pub struct MessageRow {
    pub id: Uuid,
    pub stream_id: Uuid,
    pub seq: i64,
    pub user_id: Uuid,
    pub username: String,
    pub content: String,
    pub client_msg_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl MessageRow {
    /// The message as clients see it.
    pub fn to_message(&self) -> ChatMessage {
        ChatMessage {
            stream_id: self.stream_id,
            seq: self.seq,
            id: self.id,
            user_id: self.user_id,
            username: self.username.clone(),
            content: self.content.clone(),
            created_at: self.created_at,
            client_msg_id: self.client_msg_id.clone(),
        }
    }
}

/// Inserts messages in one statement.
pub async fn insert_many(conn: &mut AsyncPgConnection, rows: &[MessageRow]) -> QueryResult<usize> {
    diesel::insert_into(chat_messages::table)
        .values(rows.to_vec())
        .execute(conn)
        .await
}

/// The messages some of `users` already sent with one of `client_msg_ids`
/// (the caller matches the pairs).
pub async fn by_client_ids(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    users: &[Uuid],
    client_msg_ids: &[&str],
) -> QueryResult<Vec<MessageRow>> {
    chat_messages::table
        .filter(chat_messages::stream_id.eq(stream_id))
        .filter(chat_messages::user_id.eq_any(users))
        .filter(chat_messages::client_msg_id.eq_any(client_msg_ids))
        .select(MessageRow::as_select())
        .load(conn)
        .await
}

/// When each of `users` sent their messages in the room after `since`,
/// newest first.
pub async fn recent_times(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    users: &[Uuid],
    since: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, DateTime<Utc>)>> {
    chat_messages::table
        .filter(chat_messages::stream_id.eq(stream_id))
        .filter(chat_messages::user_id.eq_any(users))
        .filter(chat_messages::created_at.gt(since))
        .order(chat_messages::created_at.desc())
        .select((chat_messages::user_id, chat_messages::created_at))
        .load(conn)
        .await
}

/// A message of a room by id, deleted or not.
pub async fn find(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<MessageRow>> {
    chat_messages::table
        .find(id)
        .filter(chat_messages::stream_id.eq(stream_id))
        .select(MessageRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Visible messages with `seq` below `before` (any when `None`), newest
/// first.
pub async fn page(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    let mut query = chat_messages::table
        .filter(chat_messages::stream_id.eq(stream_id))
        .filter(chat_messages::deleted_at.is_null())
        .order(chat_messages::seq.desc())
        .limit(limit)
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(chat_messages::seq.lt(before));
    }
    query.load(conn).await
}

/// Visible messages with `after < seq < until`, oldest first, at most
/// `limit`.
pub async fn between(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    after: i64,
    until: i64,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    chat_messages::table
        .filter(chat_messages::stream_id.eq(stream_id))
        .filter(chat_messages::seq.gt(after))
        .filter(chat_messages::seq.lt(until))
        .filter(chat_messages::deleted_at.is_null())
        .order(chat_messages::seq.asc())
        .limit(limit)
        .select(MessageRow::as_select())
        .load(conn)
        .await
}

/// Marks a message deleted; false when it already was.
pub async fn soft_delete(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    id: Uuid,
    deleted_by: Uuid,
) -> QueryResult<bool> {
    let updated = diesel::update(
        chat_messages::table
            .find(id)
            .filter(chat_messages::stream_id.eq(stream_id))
            .filter(chat_messages::deleted_at.is_null()),
    )
    .set((
        chat_messages::deleted_at.eq(Utc::now()),
        chat_messages::deleted_by.eq(deleted_by),
    ))
    .execute(conn)
    .await?;
    Ok(updated == 1)
}
