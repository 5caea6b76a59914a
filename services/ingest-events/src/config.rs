//! ingest-events configuration.
//!
//! Besides the shared variables of `veza_live_platform::config`
//! (`DATABASE_URL`, `NATS_URL`, `JWT_SECRET`, `LISTEN_ADDR` default
//! `127.0.0.1:8083`, ...):
//! - `INTERNAL_TOKEN` (required, at least 16 bytes): the shared secret of
//!   `POST /internal/stream-events` (header `X-Internal-Token`).
//! - `RTMP_RELAY_URL` (default `rtmp://127.0.0.1:1935/hls`): where
//!   `on_publish` relays an accepted stream, under its stream id.
//! - `RTMP_CONTROL_URL` (default `http://127.0.0.1:8090/control`): the
//!   nginx-rtmp control API used to drop a kicked publisher.
//! - `RTMP_LIVE_APP` (default `live`), `RTMP_HLS_APP` (default `hls`): the
//!   nginx-rtmp applications publishers and players use.
//! - `SESSION_LEASE_S` (default 15): an RTMP session not renewed by
//!   `on_update` within this ends with reason `lease_expired`.
//! - `EVENT_SESSION_LEASE_S` (default 120): the same for sessions reported
//!   over NATS or HTTP, renewed by any event of the stream (a repeated
//!   `stream_started` is a heartbeat).
//! - `VIEWER_PUBLISH_INTERVAL_MS` (default 1000): at most one viewer count
//!   per stream per interval.
//! - `VIEWER_REFRESH_S` (default 30): every live stream's count is published
//!   again from the `listeners` table at start-up and this often, so a count
//!   whose publication was lost (a crash between the write and the publish)
//!   converges.
//! - `LISTENER_LEASE_MS` (default 15000, 1000..=600000): how long a
//!   renewal of a listener holder's lease (a chat-gateway instance's
//!   heartbeat) lasts; its listeners are removed when it lapses.
//! - `RTMP_STAT_URL` (default `http://127.0.0.1:8090/stat`): nginx-rtmp's
//!   statistics (`rtmp_stat all`), read for stream health.
//! - `HEALTH_SAMPLE_INTERVAL_MS` (default 2000, 200..=60000): how often
//!   the statistics are read while a stream is live.
//! - `HTTP_WORKERS` (default: the number of CPUs).

use std::time::Duration;

use secrecy::SecretString;
use veza_live_platform::config::{CommonConfig, ConfigError, Env, http_workers};

/// Everything ingest-events reads at start-up.
#[derive(Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub internal_token: SecretString,
    pub rtmp_relay_url: String,
    pub rtmp_control_url: String,
    pub rtmp_live_app: String,
    pub rtmp_hls_app: String,
    pub session_lease: Duration,
    pub event_session_lease: Duration,
    pub viewer_publish_interval: Duration,
    pub viewer_refresh: Duration,
    pub listener_lease: Duration,
    pub rtmp_stat_url: String,
    pub health_sample_interval: Duration,
    pub http_workers: usize,
}

fn app_name(env: &Env, name: &str, default: &str) -> Result<String, ConfigError> {
    let value = env.optional(name).unwrap_or_else(|| default.to_owned());
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ConfigError::invalid(
            name,
            "must be an nginx-rtmp application name",
        ));
    }
    Ok(value)
}

fn seconds(env: &Env, name: &str, default: u64) -> Result<Duration, ConfigError> {
    let s: u64 = env.parse_or(name, default)?;
    if s == 0 {
        return Err(ConfigError::invalid(name, "must be at least 1"));
    }
    Ok(Duration::from_secs(s))
}

impl Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let interval_ms: u64 = env.parse_or("VIEWER_PUBLISH_INTERVAL_MS", 1000)?;
        if !(50..=60_000).contains(&interval_ms) {
            return Err(ConfigError::invalid(
                "VIEWER_PUBLISH_INTERVAL_MS",
                "must be 50..=60000",
            ));
        }
        let listener_lease_ms: u64 = env.parse_or("LISTENER_LEASE_MS", 15_000)?;
        if !(1000..=600_000).contains(&listener_lease_ms) {
            return Err(ConfigError::invalid(
                "LISTENER_LEASE_MS",
                "must be 1000..=600000",
            ));
        }
        let sample_ms: u64 = env.parse_or("HEALTH_SAMPLE_INTERVAL_MS", 2000)?;
        if !(200..=60_000).contains(&sample_ms) {
            return Err(ConfigError::invalid(
                "HEALTH_SAMPLE_INTERVAL_MS",
                "must be 200..=60000",
            ));
        }
        Ok(Self {
            common: CommonConfig::from_env(env, "ingest-events", "127.0.0.1:8083")?,
            internal_token: env.secret("INTERNAL_TOKEN", 16)?,
            rtmp_relay_url: env.url_or("RTMP_RELAY_URL", "rtmp://127.0.0.1:1935/hls")?,
            rtmp_control_url: env.url_or("RTMP_CONTROL_URL", "http://127.0.0.1:8090/control")?,
            rtmp_live_app: app_name(env, "RTMP_LIVE_APP", "live")?,
            rtmp_hls_app: app_name(env, "RTMP_HLS_APP", "hls")?,
            session_lease: seconds(env, "SESSION_LEASE_S", 15)?,
            event_session_lease: seconds(env, "EVENT_SESSION_LEASE_S", 120)?,
            viewer_publish_interval: Duration::from_millis(interval_ms),
            viewer_refresh: seconds(env, "VIEWER_REFRESH_S", 30)?,
            listener_lease: Duration::from_millis(listener_lease_ms),
            rtmp_stat_url: env.url_or("RTMP_STAT_URL", "http://127.0.0.1:8090/stat")?,
            health_sample_interval: Duration::from_millis(sample_ms),
            http_workers: http_workers(env)?,
        })
    }
}
