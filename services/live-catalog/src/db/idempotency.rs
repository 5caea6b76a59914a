//! `idempotency_keys`: the stream a create with an `Idempotency-Key` made,
//! per user, for 24 hours.

use chrono::{Duration, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::idempotency_keys;

/// How long a key replays its first answer.
pub const RETENTION: Duration = Duration::hours(24);

/// What a key says about a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First use: the create goes ahead and makes `stream_id`.
    New,
    /// Used before with the same request: it made this stream.
    Replay(Uuid),
    /// Used before with another request.
    Mismatch,
}

/// Claims `key` for a create of `stream_id`, inside the caller's
/// transaction. A concurrent create with the same key waits on the row
/// until this transaction ends, then replays it.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    key: &str,
    request_hash: &[u8],
    stream_id: Uuid,
) -> QueryResult<Claim> {
    let expired = Utc::now() - RETENTION;
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::created_at.lt(expired)),
    )
    .execute(conn)
    .await?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::stream_id.eq(stream_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let existing: Option<(Vec<u8>, Uuid)> = idempotency_keys::table
        .find((user_id, key))
        .select((idempotency_keys::request_hash, idempotency_keys::stream_id))
        .first(conn)
        .await
        .optional()?;
    Ok(match existing {
        Some((hash, stream)) if hash == request_hash => Claim::Replay(stream),
        Some(_) => Claim::Mismatch,
        // Deleted between the insert and the read (it expired): treat as a first use.
        None => Claim::New,
    })
}
