//! Calls stream-key makes to other services.

use uuid::Uuid;
use veza_live_domain::rpc::{EnsureDraft, StreamForUserRequest};
use veza_live_platform::ApiError;

use crate::state::AppState;

/// The streamer's current stream from the catalog, created as a draft
/// when there is none.
///
/// Fails with 503 when the catalog does not answer in time.
pub async fn ensure_draft(
    state: &AppState,
    user_id: Uuid,
    username: Option<String>,
) -> Result<Uuid, ApiError> {
    let reply = state
        .call::<EnsureDraft>(&StreamForUserRequest { user_id, username })
        .await?;
    Ok(reply.stream_id)
}
