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
//! - `REPLAY_RECORDING` (default `on`; `off`): record RTMP broadcasts as
//!   replays (a stream's owner can also turn it off with `record_replay`).
//! - `RTMP_HLS_URL` (default `http://127.0.0.1:8090/hls`): where nginx-rtmp
//!   serves the live HLS output (`<base>/<stream_id>.m3u8`), read while a
//!   stream is recorded.
//! - `REPLAY_POLL_INTERVAL_MS` (default 2000, 200..=10000): how often a
//!   recorded stream's live playlist is read for new segments; well within
//!   the playlist's length (`hls_playlist_length`, 30 s as deployed).
//! - `REPLAY_MIN_SECONDS` (default 10): a shorter broadcast gets no replay.
//! - `REPLAY_MAX_MB` (default 4096): a replay stops growing past this size.
//! - `REPLAY_RETENTION_DAYS` (default 30; 0 keeps replays forever): replays
//!   older than this are deleted by a periodic task.
//! - `REPLAY_SWEEP_INTERVAL_S` (default 3600): how often that task runs.
//! - `MEDIA_STORE` and the `AWS_*` variables: the media store replays are
//!   written to, the same as live-catalog's (which serves them); see
//!   `veza_live_platform::media_store`. With an `s3://` store, the AWS
//!   variables as live-catalog reads them: `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
//!   `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, `AWS_CONNECT_TIMEOUT`,
//!   `AWS_TIMEOUT`.

use std::time::Duration;

use secrecy::SecretString;
use veza_live_platform::{
    config::{BaseConfig, CommonConfig, ConfigError, Env, ServiceConfig},
    media_store::MediaStoreLocation,
};

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
    pub replay: ReplayConfig,
}

/// How broadcasts are recorded as replays.
#[derive(Clone)]
pub struct ReplayConfig {
    pub enabled: bool,
    pub hls_url: String,
    pub poll_interval: Duration,
    pub min_duration: Duration,
    pub max_bytes: u64,
    /// `None`: kept forever.
    pub retention: Option<Duration>,
    pub sweep_interval: Duration,
    pub store: MediaStoreLocation,
}

impl ReplayConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let enabled = match env.optional("REPLAY_RECORDING").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(ConfigError::invalid(
                    "REPLAY_RECORDING",
                    "must be on or off",
                ));
            }
        };
        let max_mb: u64 = env.parse_or("REPLAY_MAX_MB", 4096)?;
        if max_mb == 0 {
            return Err(ConfigError::invalid("REPLAY_MAX_MB", "must be at least 1"));
        }
        let retention_days: u64 = env.parse_or("REPLAY_RETENTION_DAYS", 30)?;
        if retention_days > 36_500 {
            return Err(ConfigError::invalid(
                "REPLAY_RETENTION_DAYS",
                "must be at most 36500 (0 keeps replays forever)",
            ));
        }
        Ok(Self {
            enabled,
            hls_url: env
                .url_or("RTMP_HLS_URL", "http://127.0.0.1:8090/hls")?
                .trim_end_matches('/')
                .to_owned(),
            poll_interval: millis(env, "REPLAY_POLL_INTERVAL_MS", 2000, 200..=10_000)?,
            min_duration: Duration::from_secs(env.parse_or("REPLAY_MIN_SECONDS", 10)?),
            max_bytes: max_mb.saturating_mul(1024 * 1024),
            retention: (retention_days > 0)
                .then(|| Duration::from_secs(retention_days * 24 * 3600)),
            sweep_interval: seconds(env, "REPLAY_SWEEP_INTERVAL_S", 3600)?,
            store: MediaStoreLocation::from_env(env)?,
        })
    }
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

/// A number of milliseconds within `range`.
fn millis(
    env: &Env,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let ms: u64 = env.parse_or(name, default)?;
    if !range.contains(&ms) {
        return Err(ConfigError::invalid(
            name,
            format!("must be {}..={}", range.start(), range.end()),
        ));
    }
    Ok(Duration::from_millis(ms))
}

fn seconds(env: &Env, name: &str, default: u64) -> Result<Duration, ConfigError> {
    let s: u64 = env.parse_or(name, default)?;
    if s == 0 {
        return Err(ConfigError::invalid(name, "must be at least 1"));
    }
    Ok(Duration::from_secs(s))
}

impl ServiceConfig for Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env, "ingest-events", "127.0.0.1:8083")?,
            internal_token: env.secret("INTERNAL_TOKEN", 16)?,
            rtmp_relay_url: env.url_or("RTMP_RELAY_URL", "rtmp://127.0.0.1:1935/hls")?,
            rtmp_control_url: env.url_or("RTMP_CONTROL_URL", "http://127.0.0.1:8090/control")?,
            rtmp_live_app: app_name(env, "RTMP_LIVE_APP", "live")?,
            rtmp_hls_app: app_name(env, "RTMP_HLS_APP", "hls")?,
            session_lease: seconds(env, "SESSION_LEASE_S", 15)?,
            event_session_lease: seconds(env, "EVENT_SESSION_LEASE_S", 120)?,
            viewer_publish_interval: millis(env, "VIEWER_PUBLISH_INTERVAL_MS", 1000, 50..=60_000)?,
            viewer_refresh: seconds(env, "VIEWER_REFRESH_S", 30)?,
            listener_lease: millis(env, "LISTENER_LEASE_MS", 15_000, 1000..=600_000)?,
            rtmp_stat_url: env.url_or("RTMP_STAT_URL", "http://127.0.0.1:8090/stat")?,
            health_sample_interval: millis(env, "HEALTH_SAMPLE_INTERVAL_MS", 2000, 200..=60_000)?,
            replay: ReplayConfig::from_env(env)?,
        })
    }

    fn base(&self) -> &BaseConfig {
        &self.common.base
    }
}
