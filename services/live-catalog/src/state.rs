//! The state every handler and consumer shares.

use std::time::Duration;

use veza_live_domain::{
    Subjects,
    rpc::{IssueKeyRequest, IssuedKey},
};
use veza_live_platform::{ApiError, db::DbPool, nats, outbox::OutboxWaker};

use crate::media::MediaStore;

/// Cheap to clone: pools and clients are handles.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    pub rpc_timeout: Duration,
    pub urls: crate::db::streams::PublicUrls,
    pub outbox: OutboxWaker,
    pub media: MediaStore,
}

impl AppState {
    /// The streamer's key from stream-key (created on first use).
    ///
    /// Fails with 503 when stream-key does not answer in time.
    pub async fn issue_key(&self, user_id: uuid::Uuid) -> Result<IssuedKey, ApiError> {
        let subject = self.subjects.rpc_keys_issue();
        Ok(nats::request(
            &self.nats,
            subject,
            &IssueKeyRequest { user_id },
            self.rpc_timeout,
        )
        .await?)
    }
}
