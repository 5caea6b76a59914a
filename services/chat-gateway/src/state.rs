//! The state every handler, socket and consumer shares.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veza_live_domain::Subjects;
use veza_live_platform::{auth::JwtVerifier, db::DbPool};

use crate::{
    config::{AllowedOrigins, ChatConfig},
    hub::Hub,
};

/// Cheap to clone: pools, clients and the hub are handles.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub subjects: Subjects,
    pub hub: Arc<Hub>,
    pub chat: Arc<ChatConfig>,
    pub allowed_origins: Arc<AllowedOrigins>,
    pub verifier: JwtVerifier,
    /// Fires at shutdown: sockets close with 1001.
    pub shutdown: CancellationToken,
}
