//! The state every handler shares.

use std::{net::IpAddr, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota};

/// One upstream service.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub name: &'static str,
    pub base_url: String,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub catalog: Upstream,
    pub stream_key: Upstream,
    pub chat: Upstream,
    /// ingest-events: stream health.
    pub ingest: Upstream,
    pub timeout: Duration,
    pub limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    pub trust_forwarded_for: bool,
    pub dev_auth: bool,
    /// The merged OpenAPI document, serialised once.
    pub openapi_json: Arc<String>,
}

impl AppState {
    /// Every upstream, for readiness.
    pub fn upstreams(&self) -> [&Upstream; 3] {
        [&self.catalog, &self.stream_key, &self.chat]
    }
}

/// A per-IP limiter of `per_second` requests with bursts of `burst`.
pub fn limiter(per_second: u32, burst: u32) -> DefaultKeyedRateLimiter<IpAddr> {
    let rate = std::num::NonZeroU32::new(per_second).unwrap_or(std::num::NonZeroU32::MIN);
    let burst = std::num::NonZeroU32::new(burst).unwrap_or(rate);
    governor::RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
}
