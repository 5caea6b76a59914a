//! The `stream_keys` table: one encrypted key per streamer.

use chrono::Utc;
use diesel::{
    ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, upsert::excluded,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{crypto::SealedKey, schema::stream_keys};

/// A stored key: its owner and ciphertext.
#[derive(Debug, Clone, Queryable)]
pub struct KeyRow {
    pub user_id: Uuid,
    pub key_ciphertext: Vec<u8>,
    pub key_nonce: Vec<u8>,
}

/// The streamer's key, if any.
pub async fn find(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Option<KeyRow>> {
    stream_keys::table
        .find(user_id)
        .select((
            stream_keys::user_id,
            stream_keys::key_ciphertext,
            stream_keys::key_nonce,
        ))
        .first(conn)
        .await
        .optional()
}

/// Stores a first key unless the streamer already has one; true if stored.
pub async fn insert_if_absent(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    sealed: &SealedKey,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(stream_keys::table)
        .values((
            stream_keys::user_id.eq(user_id),
            stream_keys::key_ciphertext.eq(&sealed.ciphertext),
            stream_keys::key_nonce.eq(&sealed.nonce),
            stream_keys::key_hmac.eq(&sealed.lookup),
        ))
        .on_conflict(stream_keys::user_id)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Replaces the streamer's key (or stores a first one).
pub async fn replace(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    sealed: &SealedKey,
) -> QueryResult<()> {
    diesel::insert_into(stream_keys::table)
        .values((
            stream_keys::user_id.eq(user_id),
            stream_keys::key_ciphertext.eq(&sealed.ciphertext),
            stream_keys::key_nonce.eq(&sealed.nonce),
            stream_keys::key_hmac.eq(&sealed.lookup),
        ))
        .on_conflict(stream_keys::user_id)
        .do_update()
        .set((
            stream_keys::key_ciphertext.eq(excluded(stream_keys::key_ciphertext)),
            stream_keys::key_nonce.eq(excluded(stream_keys::key_nonce)),
            stream_keys::key_hmac.eq(excluded(stream_keys::key_hmac)),
            stream_keys::rotated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The owner of the key with this lookup value.
pub async fn owner_by_lookup(
    conn: &mut AsyncPgConnection,
    lookup: &[u8],
) -> QueryResult<Option<Uuid>> {
    stream_keys::table
        .filter(stream_keys::key_hmac.eq(lookup))
        .select(stream_keys::user_id)
        .first(conn)
        .await
        .optional()
}
