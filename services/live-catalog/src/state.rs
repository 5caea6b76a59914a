//! The state every handler and consumer shares.

use veza_live_platform::service::Context;

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
