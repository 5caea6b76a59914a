//! The `chat_bans` table: who may not speak in a room, and until when.

use chrono::{DateTime, Utc};
use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl, QueryResult, dsl::exists};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::chat_bans;

/// Bans a user, replacing an earlier ban.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    user_id: Uuid,
    banned_by: Uuid,
    expires_at: Option<DateTime<Utc>>,
) -> QueryResult<usize> {
    diesel::insert_into(chat_bans::table)
        .values((
            chat_bans::stream_id.eq(stream_id),
            chat_bans::user_id.eq(user_id),
            chat_bans::banned_by.eq(banned_by),
            chat_bans::expires_at.eq(expires_at),
        ))
        .on_conflict((chat_bans::stream_id, chat_bans::user_id))
        .do_update()
        .set((
            chat_bans::banned_by.eq(banned_by),
            chat_bans::expires_at.eq(expires_at),
            chat_bans::created_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Lifts a ban; the number of bans removed.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    user_id: Uuid,
) -> QueryResult<usize> {
    diesel::delete(chat_bans::table.find((stream_id, user_id)))
        .execute(conn)
        .await
}

/// Whether the user is banned from the room at `now`.
pub async fn is_banned(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::select(exists(
        chat_bans::table
            .filter(chat_bans::stream_id.eq(stream_id))
            .filter(chat_bans::user_id.eq(user_id))
            .filter(
                chat_bans::expires_at
                    .is_null()
                    .or(chat_bans::expires_at.gt(now)),
            ),
    ))
    .get_result(conn)
    .await
}

/// Which of `users` are banned from the room at `now`.
pub async fn banned_among(
    conn: &mut AsyncPgConnection,
    stream_id: Uuid,
    users: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<std::collections::HashSet<Uuid>> {
    let banned: Vec<Uuid> = chat_bans::table
        .filter(chat_bans::stream_id.eq(stream_id))
        .filter(chat_bans::user_id.eq_any(users))
        .filter(
            chat_bans::expires_at
                .is_null()
                .or(chat_bans::expires_at.gt(now)),
        )
        .select(chat_bans::user_id)
        .load(conn)
        .await?;
    Ok(banned.into_iter().collect())
}
