//! live-catalog configuration.
//!
//! Besides the shared variables of `veza_live_platform::config`
//! (`DATABASE_URL`, `NATS_URL`, `JWT_SECRET`, `LISTEN_ADDR` default
//! `127.0.0.1:8081`, ...):
//! - `HLS_PUBLIC_URL` (default `http://127.0.0.1:8090/hls`): base of the HLS
//!   playback URL of a live stream (`<base>/<stream_id>.m3u8`).
//! - `HTTP_WORKERS` (default: the number of CPUs).

use veza_live_platform::config::{CommonConfig, ConfigError, Env, http_workers};

/// Everything live-catalog reads at start-up.
#[derive(Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub hls_public_url: String,
    pub http_workers: usize,
}

impl Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let http_workers = http_workers(env)?;
        Ok(Self {
            common: CommonConfig::from_env(env, "live-catalog", "127.0.0.1:8081")?,
            hls_public_url: env.url_or("HLS_PUBLIC_URL", "http://127.0.0.1:8090/hls")?,
            http_workers,
        })
    }
}
