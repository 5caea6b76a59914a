//! The state every handler, socket and consumer shares.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veza_live_platform::{auth::JwtVerifier, service::Context};

use crate::{
    config::{AllowedOrigins, ChatConfig},
    hub::Hub,
};

/// Cheap to clone: pools, clients and the hub are handles.
#[derive(Clone)]
pub struct AppState {
    /// Pool, NATS, subjects (`state.pool`, ...).
    pub ctx: Context,
    pub hub: Arc<Hub>,
    pub chat: Arc<ChatConfig>,
    pub allowed_origins: Arc<AllowedOrigins>,
    pub verifier: JwtVerifier,
    /// Fires at shutdown: sockets close with 1001.
    pub shutdown: CancellationToken,
}

veza_live_platform::context_state!(AppState);
