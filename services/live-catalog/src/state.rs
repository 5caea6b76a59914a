//! The state every handler and consumer shares.

use veza_live_domain::rpc::{IssueKey, IssueKeyRequest, IssuedKey};
use veza_live_platform::{ApiError, service::Context};

use crate::media::MediaStore;

/// Cheap to clone: pools and clients are handles.
#[derive(Clone)]
pub struct AppState {
    /// Pool, NATS, subjects, RPC timeout, outbox (`state.pool`, ...).
    pub ctx: Context,
    pub urls: crate::db::streams::PublicUrls,
    pub media: MediaStore,
}

veza_live_platform::context_state!(AppState);

impl AppState {
    /// The streamer's key from stream-key (created on first use).
    ///
    /// Fails with 503 when stream-key does not answer in time.
    pub async fn issue_key(&self, user_id: uuid::Uuid) -> Result<IssuedKey, ApiError> {
        Ok(self.call::<IssueKey>(&IssueKeyRequest { user_id }).await?)
    }
}
