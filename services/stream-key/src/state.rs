//! The state every handler and responder shares.

use std::sync::Arc;

use veza_live_platform::service::Context;

use crate::{crypto::KeyCipher, throttle::GuessThrottle};

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Pool, NATS, subjects, RPC timeout, outbox (`state.pool`, ...).
    pub ctx: Context,
    pub cipher: KeyCipher,
    pub throttle: Arc<GuessThrottle>,
    pub rtmp_public_url: String,
}

veza_live_platform::context_state!(AppState);
