//! api-gateway configuration.
//!
//! Besides `JWT_SECRET`, `JWT_ISSUER`, `JWT_AUDIENCE`, `LISTEN_ADDR`
//! (default `127.0.0.1:8080`), `RUST_LOG`, `LOG_FORMAT` and
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (see `veza_live_platform::config`):
//! - `LIVE_CATALOG_URL` (default `http://127.0.0.1:8081`),
//!   `STREAM_KEY_URL` (default `http://127.0.0.1:8082`),
//!   `CHAT_URL` (default `http://127.0.0.1:8084`),
//!   `INGEST_URL` (default `http://127.0.0.1:8083`; stream health): the
//!   upstream services.
//! - `UPSTREAM_TIMEOUT_MS` (default 10000): an upstream slower than this
//!   answers 504; one that refuses connections answers 503.
//! - `ALLOWED_ORIGINS` (comma-separated, default none): CORS allowlist.
//! - `RATE_LIMIT_PER_SECOND` (default 50) and `RATE_LIMIT_BURST`
//!   (default 100): per client IP; beyond them 429 with `Retry-After`.
//! - `TRUST_FORWARDED_FOR` (default false): take the client IP from
//!   `X-Forwarded-For` (only behind a trusted proxy or ingress).
//! - `LIVE_DEV_AUTH` (default false): serve `POST /api/v1/auth/dev-token`.
//!   Never set it in production.
//! - `HTTP_WORKERS` (default: the number of CPUs).
//! - `WEB_DIST_DIR` (optional): the built web client (`npm run build` in
//!   `web/` writes `web/dist`), served at `/` for GET requests no API route
//!   takes, with history fallback to `index.html`. Must hold `index.html`;
//!   unset, the gateway serves the API only.
//! - `WEB_CSP_MEDIA_ORIGINS` (comma-separated origins, default: the origin
//!   of `HLS_PUBLIC_URL`, itself defaulting to `http://127.0.0.1:8090/hls`):
//!   where the client's pages may load HLS playlists, segments and images
//!   from, in their Content-Security-Policy. Read only with `WEB_DIST_DIR`.

use std::time::Duration;

use veza_live_platform::config::{AllowedOrigins, BaseConfig, ConfigError, Env, ServiceConfig};

use crate::web_client::WebClient;

/// Everything the gateway reads at start-up.
#[derive(Clone)]
pub struct Config {
    pub base: BaseConfig,
    pub catalog_url: String,
    pub stream_key_url: String,
    pub chat_url: String,
    pub ingest_url: String,
    pub upstream_timeout: Duration,
    pub allowed_origins: AllowedOrigins,
    pub rate_per_second: u32,
    pub rate_burst: u32,
    pub trust_forwarded_for: bool,
    pub dev_auth: bool,
    /// The web client to serve, when `WEB_DIST_DIR` is set.
    pub web_client: Option<WebClient>,
}

impl ServiceConfig for Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let timeout_ms: u64 = env.parse_or("UPSTREAM_TIMEOUT_MS", 10_000)?;
        if !(100..=120_000).contains(&timeout_ms) {
            return Err(ConfigError::invalid(
                "UPSTREAM_TIMEOUT_MS",
                "must be 100..=120000",
            ));
        }
        let rate_per_second: u32 = env.parse_or("RATE_LIMIT_PER_SECOND", 50)?;
        let rate_burst: u32 = env.parse_or("RATE_LIMIT_BURST", 100)?;
        if rate_per_second == 0 || rate_burst == 0 {
            return Err(ConfigError::invalid(
                "RATE_LIMIT_PER_SECOND",
                "rate and burst must be at least 1",
            ));
        }
        let allowed_origins = AllowedOrigins::from_env(env, "")?;
        let trust_forwarded_for = env.parse_or("TRUST_FORWARDED_FOR", false)?;
        Ok(Self {
            base: BaseConfig::from_env(env, "api-gateway", "127.0.0.1:8080")?,
            catalog_url: env.url_or("LIVE_CATALOG_URL", "http://127.0.0.1:8081")?,
            stream_key_url: env.url_or("STREAM_KEY_URL", "http://127.0.0.1:8082")?,
            chat_url: env.url_or("CHAT_URL", "http://127.0.0.1:8084")?,
            ingest_url: env.url_or("INGEST_URL", "http://127.0.0.1:8083")?,
            upstream_timeout: Duration::from_millis(timeout_ms),
            allowed_origins,
            rate_per_second,
            rate_burst,
            trust_forwarded_for,
            dev_auth: env.parse_or("LIVE_DEV_AUTH", false)?,
            web_client: WebClient::from_env(env, trust_forwarded_for)?,
        })
    }

    fn base(&self) -> &BaseConfig {
        &self.base
    }
}
