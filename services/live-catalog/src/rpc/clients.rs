//! Calls the catalog makes to other services.

use uuid::Uuid;
use veza_live_domain::rpc::{IssueKey, IssueKeyRequest, IssuedKey};
use veza_live_platform::ApiError;

use crate::state::AppState;

/// The streamer's key from stream-key (created on first use).
///
/// Fails with 503 when stream-key does not answer in time.
pub async fn issue_key(state: &AppState, user_id: Uuid) -> Result<IssuedKey, ApiError> {
    Ok(state.call::<IssueKey>(&IssueKeyRequest { user_id }).await?)
}
