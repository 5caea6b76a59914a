//! What the service does with keys: get or create, regenerate, validate.
//! HTTP routes and NATS responders both call these.

use std::time::Instant;

use chrono::Utc;
use diesel_async::AsyncConnection;
use uuid::Uuid;
use veza_live_domain::{
    events::{Event, KeyRotated},
    rpc::{ValidateKeyRequest, ValidatedKey, codes},
};
use veza_live_platform::{ApiError, nats::Refusal, outbox};

use crate::{
    crypto::{self, DecryptError},
    db::keys,
    state::AppState,
};

impl From<DecryptError> for ApiError {
    fn from(e: DecryptError) -> Self {
        ApiError::Internal(e.into())
    }
}

/// The streamer's key, created on first use.
///
/// Fails with 503 when the database is unavailable.
pub async fn get_or_create(state: &AppState, user_id: Uuid) -> Result<String, ApiError> {
    let mut conn = state.pool.get().await?;
    if let Some(row) = keys::find(&mut conn, user_id).await? {
        return Ok(state
            .cipher
            .open(user_id, &row.key_nonce, &row.key_ciphertext)?);
    }
    let key = crypto::new_key();
    if keys::insert_if_absent(&mut conn, user_id, &state.cipher.seal(user_id, &key)).await? {
        tracing::info!(user.id = %user_id, "stream key created");
        return Ok(key);
    }
    // Another request created it first: that one is the key.
    let row = keys::find(&mut conn, user_id).await?.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "stream key vanished after a conflicting insert"
        ))
    })?;
    Ok(state
        .cipher
        .open(user_id, &row.key_nonce, &row.key_ciphertext)?)
}

/// Replaces the streamer's key; the old one stops validating at once and
/// `live.events.key.rotated` is queued in the same transaction.
///
/// Fails with 503 when the database is unavailable.
pub async fn regenerate(state: &AppState, user_id: Uuid) -> Result<String, ApiError> {
    let key = crypto::new_key();
    let sealed = state.cipher.seal(user_id, &key);
    let subject = state.subjects.key_rotated();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        keys::replace(conn, user_id, &sealed).await?;
        outbox::enqueue(
            conn,
            subject,
            &Event::new(KeyRotated { user_id }, Utc::now()),
        )
        .await
    })
    .await?;
    state.outbox.wake();
    metrics::counter!("veza_live_stream_key_rotations_total").increment(1);
    tracing::info!(user.id = %user_id, "stream key regenerated");
    Ok(key)
}

fn refuse(reason: &'static str, code: &'static str, message: &str) -> Refusal {
    metrics::counter!("veza_live_key_validation_failures_total", "reason" => reason).increment(1);
    Refusal::new(code, message)
}

/// Whose key is this? Fails closed; failures count toward the guess
/// throttle of the client address.
pub async fn validate(state: &AppState, req: ValidateKeyRequest) -> Result<ValidatedKey, Refusal> {
    let addr = req.client_addr.as_deref().unwrap_or("unknown");
    if state.throttle.blocked_for(addr, Instant::now()).is_some() {
        return Err(refuse(
            "throttled",
            codes::THROTTLED,
            "too many failed attempts, retry later",
        ));
    }
    let candidate = req.stream_key.trim();
    let owner = if Uuid::try_parse(candidate).is_ok() {
        let lookup = state.cipher.lookup(candidate);
        let found = async {
            let mut conn = state.pool.get().await.map_err(|e| e.to_string())?;
            keys::owner_by_lookup(&mut conn, &lookup)
                .await
                .map_err(|e| e.to_string())
        };
        match found.await {
            Ok(owner) => owner,
            Err(cause) => {
                metrics::counter!("veza_live_key_validation_failures_total", "reason" => "unavailable").increment(1);
                return Err(Refusal::Unavailable(format!(
                    "key validation could not reach the database: {cause}"
                )));
            }
        }
    } else {
        None
    };
    match owner {
        Some(user_id) => {
            metrics::counter!("veza_live_key_validations_total").increment(1);
            Ok(ValidatedKey { user_id })
        }
        None => {
            state.throttle.record_failure(addr, Instant::now());
            Err(refuse(
                "invalid_key",
                codes::INVALID_KEY,
                "unknown stream key",
            ))
        }
    }
}
