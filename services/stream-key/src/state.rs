//! The state every handler and responder shares.

use std::{sync::Arc, time::Duration};

use veza_live_domain::Subjects;
use veza_live_platform::{db::DbPool, outbox::OutboxWaker};

use crate::{crypto::KeyCipher, throttle::GuessThrottle};

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    pub rpc_timeout: Duration,
    pub cipher: KeyCipher,
    pub throttle: Arc<GuessThrottle>,
    pub rtmp_public_url: String,
    pub outbox: OutboxWaker,
}
