//! chat-gateway configuration.
//!
//! Besides the shared variables of `veza_live_platform::config`
//! (`DATABASE_URL` of the `chat` database, `NATS_URL`, `JWT_SECRET`,
//! `LISTEN_ADDR` default `127.0.0.1:8084`, ...):
//! - `ALLOWED_ORIGINS` (default `http://localhost:8080,http://127.0.0.1:8080`):
//!   comma-separated origins whose browsers may open `/ws`; `*` allows any.
//!   A request without `Origin` (not a browser) is allowed.
//! - `CHAT_RATE_LIMIT` (default 5) messages per user and room within
//!   `CHAT_RATE_WINDOW_S` (default 10) seconds.
//! - `CHAT_PING_INTERVAL_MS` (default 20000): a socket silent this long is
//!   pinged.
//! - `CHAT_IDLE_TIMEOUT_MS` (default 60000): a socket silent this long is
//!   closed.
//! - `CHAT_SOCKET_QUEUE` (default 256): frames queued for one socket; a
//!   reader that lets it overflow is disconnected.
//! - `CHAT_MAX_CONNECTIONS` (default 25000): sockets one worker holds.
//! - `LISTENER_HEARTBEAT_MS` (default 5000, 100..=60000): how often the
//!   instance renews the lease on the web listeners it reported; keep it
//!   well under ingest-events' `LISTENER_LEASE_MS` (a third).
//! - `HTTP_WORKERS` (default: the number of CPUs).

use std::time::Duration;

pub use veza_live_platform::config::AllowedOrigins;
use veza_live_platform::config::{BaseConfig, CommonConfig, ConfigError, Env, ServiceConfig};

/// Limits and timings of the chat itself.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    pub rate_limit: u32,
    pub rate_window: Duration,
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub socket_queue: usize,
}

/// Everything chat-gateway reads at start-up.
#[derive(Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub allowed_origins: AllowedOrigins,
    pub chat: ChatConfig,
    pub max_connections: usize,
    pub listener_heartbeat: Duration,
}

fn at_least<T: PartialOrd + std::fmt::Display>(
    name: &str,
    value: T,
    min: T,
) -> Result<T, ConfigError> {
    if value < min {
        return Err(ConfigError::invalid(
            name,
            format!("must be at least {min}"),
        ));
    }
    Ok(value)
}

impl ServiceConfig for Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let allowed_origins =
            AllowedOrigins::from_env(env, "http://localhost:8080,http://127.0.0.1:8080")?;
        if allowed_origins.is_empty() {
            return Err(ConfigError::invalid(
                "ALLOWED_ORIGINS",
                "must list at least one origin",
            ));
        }
        let rate_limit = at_least("CHAT_RATE_LIMIT", env.parse_or("CHAT_RATE_LIMIT", 5u32)?, 1)?;
        let window_s = at_least(
            "CHAT_RATE_WINDOW_S",
            env.parse_or("CHAT_RATE_WINDOW_S", 10u64)?,
            1,
        )?;
        let ping_ms = at_least(
            "CHAT_PING_INTERVAL_MS",
            env.parse_or("CHAT_PING_INTERVAL_MS", 20_000u64)?,
            100,
        )?;
        let idle_ms = env.parse_or("CHAT_IDLE_TIMEOUT_MS", 60_000u64)?;
        if idle_ms <= ping_ms {
            return Err(ConfigError::invalid(
                "CHAT_IDLE_TIMEOUT_MS",
                "must be longer than CHAT_PING_INTERVAL_MS",
            ));
        }
        let socket_queue = at_least(
            "CHAT_SOCKET_QUEUE",
            env.parse_or("CHAT_SOCKET_QUEUE", 256usize)?,
            8,
        )?;
        let max_connections = at_least(
            "CHAT_MAX_CONNECTIONS",
            env.parse_or("CHAT_MAX_CONNECTIONS", 25_000usize)?,
            1,
        )?;
        let heartbeat_ms: u64 = env.parse_or("LISTENER_HEARTBEAT_MS", 5000)?;
        if !(100..=60_000).contains(&heartbeat_ms) {
            return Err(ConfigError::invalid(
                "LISTENER_HEARTBEAT_MS",
                "must be 100..=60000",
            ));
        }
        Ok(Self {
            common: CommonConfig::from_env(env, "chat-gateway", "127.0.0.1:8084")?,
            allowed_origins,
            chat: ChatConfig {
                rate_limit,
                rate_window: Duration::from_secs(window_s),
                ping_interval: Duration::from_millis(ping_ms),
                idle_timeout: Duration::from_millis(idle_ms),
                socket_queue,
            },
            max_connections,
            listener_heartbeat: Duration::from_millis(heartbeat_ms),
        })
    }

    fn base(&self) -> &BaseConfig {
        &self.common.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut pairs = vec![
            ("DATABASE_URL", "postgres://u@127.0.0.1:5432/chat"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ];
        pairs.extend_from_slice(extra);
        Config::from_env(&Env::from_pairs(pairs))
    }

    #[test]
    fn defaults_follow_the_design() {
        let config = load(&[]).expect("valid");
        assert_eq!(config.common.base.listen_addr.port(), 8084);
        assert_eq!(config.chat.rate_limit, 5);
        assert_eq!(config.chat.rate_window, Duration::from_secs(10));
        assert!(config.allowed_origins.allows(Some("http://localhost:8080")));
        assert!(!config.allowed_origins.allows(Some("https://evil.example")));
        assert!(config.allowed_origins.allows(None));
    }

    #[test]
    fn bad_values_are_named() {
        for (name, value) in [
            ("ALLOWED_ORIGINS", "evil.example"),
            ("CHAT_RATE_LIMIT", "0"),
            ("CHAT_IDLE_TIMEOUT_MS", "100"),
            ("CHAT_SOCKET_QUEUE", "1"),
            ("HTTP_WORKERS", "0"),
            ("LISTENER_HEARTBEAT_MS", "50"),
        ] {
            match load(&[(name, value)]) {
                Err(ConfigError::Invalid { name: bad, .. }) => assert_eq!(bad, name),
                other => panic!("{name}={value} should be invalid, got {:?}", other.err()),
            }
        }
    }

    #[test]
    fn a_star_allows_any_origin() {
        let config = load(&[("ALLOWED_ORIGINS", "https://veza.example, *")]).expect("valid");
        assert_eq!(config.allowed_origins, AllowedOrigins::Any);
    }
}
