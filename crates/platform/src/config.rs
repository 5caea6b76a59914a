//! Typed configuration from environment variables, validated at start-up.
//!
//! Variables every service reads:
//! - `DATABASE_URL` (required): the service's own PostgreSQL database.
//! - `NATS_URL` (default `nats://127.0.0.1:4222`): one server, or the
//!   servers of a cluster comma-separated (`nats://a:4222,nats://b:4222`).
//! - `NATS_STREAM_REPLICAS` (default 1, 1..=5): replicas of the JetStream
//!   streams the service creates; 3 on a three-node cluster.
//! - `JWT_SECRET` (required, at least 32 bytes): HS256 secret.
//! - `JWT_ISSUER`, `JWT_AUDIENCE` (optional): checked when set.
//! - `LISTEN_ADDR` (default per service, e.g. `127.0.0.1:8081`).
//! - `RUST_LOG` (default `info`), `LOG_FORMAT` (`json` | `pretty`, default `json`).
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (optional): OTLP/HTTP base URL; tracing
//!   export is off when unset.
//! - `NATS_SUBJECT_PREFIX` (optional): prefixes every subject and stream.
//! - `DATABASE_POOL_SIZE` (default 16), `NATS_RPC_TIMEOUT_MS` (default 2000).

use std::{collections::HashMap, net::SocketAddr, str::FromStr, time::Duration};

use secrecy::SecretString;
use veza_live_domain::Subjects;

/// A variable that is missing or does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {name} is required but not set")]
    Missing { name: String },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

impl ConfigError {
    /// An invalid-variable error.
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Reads variables from the process environment or, in tests, a map.
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// A fixed set of variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value, with an empty value counting as unset.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Every set variable whose name starts with `prefix`, sorted by name.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let mut found: Vec<_> = self
            .vars
            .keys()
            .filter(|name| name.starts_with(prefix))
            .filter_map(|name| Some((name.clone(), self.optional(name)?)))
            .collect();
        found.sort();
        found
    }

    /// The value, or an error naming the variable.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name).ok_or_else(|| ConfigError::Missing {
            name: name.to_owned(),
        })
    }

    /// The parsed value, or `default` when unset.
    ///
    /// Fails when the value is set but does not parse.
    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|e| ConfigError::invalid(name, format!("{v:?}: {e}"))),
        }
    }

    /// A required secret of at least `min_len` bytes.
    pub fn secret(&self, name: &str, min_len: usize) -> Result<SecretString, ConfigError> {
        let value = self.required(name)?;
        if value.len() < min_len {
            return Err(ConfigError::invalid(
                name,
                format!("must be at least {min_len} bytes long"),
            ));
        }
        Ok(SecretString::from(value))
    }

    /// An http(s) URL, without a trailing slash.
    pub fn url_or(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        let value = self.optional(name).unwrap_or_else(|| default.to_owned());
        let scheme_ok = [
            "http://", "https://", "rtmp://", "rtmps://", "nats://", "tls://",
        ]
        .iter()
        .any(|s| value.starts_with(s));
        if !scheme_ok || value.len() < 10 {
            return Err(ConfigError::invalid(
                name,
                format!("{value:?} is not a URL"),
            ));
        }
        Ok(value.trim_end_matches('/').to_owned())
    }
}

/// `--check-config`: when it is the first argument, loads the
/// configuration exactly as at start-up, connects to nothing, and exits: 0
/// with `config ok`, or 2 with the error naming the variable. Deployment
/// checks run every binary this way with the manifests' environment.
pub fn exit_if_check_config<T, E: std::fmt::Display>(load: impl FnOnce() -> Result<T, E>) {
    if std::env::args().nth(1).as_deref() != Some("--check-config") {
        return;
    }
    match load() {
        Ok(_) => {
            println!("config ok");
            std::process::exit(0)
        }
        Err(error) => {
            eprintln!("Error: {error}");
            std::process::exit(2)
        }
    }
}

/// `HTTP_WORKERS`: HTTP worker threads, at least 1 (default: the number
/// of CPUs).
///
/// Fails when the value does not parse or is 0.
fn http_workers(env: &Env) -> Result<usize, ConfigError> {
    let default = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    match env.parse_or("HTTP_WORKERS", default)? {
        0 => Err(ConfigError::invalid("HTTP_WORKERS", "must be at least 1")),
        n => Ok(n),
    }
}

/// `ALLOWED_ORIGINS`: the browser origins a service accepts (CORS at the
/// api-gateway, WebSocket upgrades at chat-gateway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `*`: any origin.
    Any,
    /// Exact `http(s)://host[:port]` origins, compared case-insensitively.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Reads `ALLOWED_ORIGINS` (comma-separated `http(s)` origins, or `*`),
    /// or `default` when unset.
    ///
    /// Fails when an entry is not an `http(s)` origin.
    pub fn from_env(env: &Env, default: &str) -> Result<Self, ConfigError> {
        let raw = env
            .optional("ALLOWED_ORIGINS")
            .unwrap_or_else(|| default.to_owned());
        Self::parse(&raw)
    }

    /// Parses a comma-separated list; an empty one lists nothing.
    ///
    /// Fails when an entry is not an `http(s)` origin.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let list: Vec<String> = raw
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        if list.iter().any(|o| o == "*") {
            return Ok(Self::Any);
        }
        if let Some(bad) = list
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(ConfigError::invalid(
                "ALLOWED_ORIGINS",
                format!("{bad:?} is not an http(s) origin"),
            ));
        }
        Ok(Self::List(list))
    }

    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::List(list) if list.is_empty())
    }

    /// Whether a request with this `Origin` header (or none) is allowed.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        match (self, origin) {
            (Self::Any, _) | (_, None) => true,
            (Self::List(list), Some(origin)) => {
                let origin = origin.trim_end_matches('/');
                list.iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(origin))
            }
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(format!("expected json or pretty, got {other:?}")),
        }
    }
}

/// JWT verification settings.
#[derive(Clone)]
pub struct JwtConfig {
    pub secret: SecretString,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// A service's configuration: read from the environment, and holding the
/// settings every HTTP service has.
pub trait ServiceConfig: Sized {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;

    /// The settings every HTTP service has (name, listener, logs).
    fn base(&self) -> &BaseConfig;
}

/// Settings of any HTTP service, with or without a database: the api-gateway
/// reads only these.
#[derive(Clone)]
pub struct BaseConfig {
    pub service_name: &'static str,
    pub jwt: JwtConfig,
    pub listen_addr: SocketAddr,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub otel_endpoint: Option<String>,
    pub http_workers: usize,
}

impl BaseConfig {
    /// Reads `JWT_SECRET`, `JWT_ISSUER`, `JWT_AUDIENCE`, `LISTEN_ADDR`,
    /// `HTTP_WORKERS`, `RUST_LOG`, `LOG_FORMAT` and
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`.
    ///
    /// Fails with the first missing or invalid variable, named.
    pub fn from_env(
        env: &Env,
        service_name: &'static str,
        default_listen: &str,
    ) -> Result<Self, ConfigError> {
        let default_listen: SocketAddr = default_listen
            .parse()
            .map_err(|_| ConfigError::invalid("LISTEN_ADDR", "bad built-in default"))?;
        Ok(Self {
            service_name,
            jwt: JwtConfig {
                secret: env.secret("JWT_SECRET", 32)?,
                issuer: env.optional("JWT_ISSUER"),
                audience: env.optional("JWT_AUDIENCE"),
            },
            listen_addr: env.parse_or("LISTEN_ADDR", default_listen)?,
            log_filter: env
                .optional("RUST_LOG")
                .unwrap_or_else(|| "info".to_owned()),
            log_format: env.parse_or("LOG_FORMAT", LogFormat::Json)?,
            otel_endpoint: match env.optional("OTEL_EXPORTER_OTLP_ENDPOINT") {
                Some(_) => Some(env.url_or("OTEL_EXPORTER_OTLP_ENDPOINT", "")?),
                None => None,
            },
            http_workers: http_workers(env)?,
        })
    }
}

/// Settings every service with a database and NATS shares, on top of
/// the [`BaseConfig`] of any HTTP service.
#[derive(Clone)]
pub struct CommonConfig {
    pub base: BaseConfig,
    pub database_url: SecretString,
    pub database_pool_size: usize,
    /// One URL or several, comma-separated.
    pub nats_url: String,
    pub stream_replicas: usize,
    pub subjects: Subjects,
    pub rpc_timeout: Duration,
}

impl CommonConfig {
    /// Reads the shared variables: [`BaseConfig::from_env`]'s, then
    /// `DATABASE_URL`, `DATABASE_POOL_SIZE`, `NATS_URL`,
    /// `NATS_STREAM_REPLICAS`, `NATS_SUBJECT_PREFIX` and
    /// `NATS_RPC_TIMEOUT_MS`.
    ///
    /// Fails with the first missing or invalid variable, named.
    pub fn from_env(
        env: &Env,
        service_name: &'static str,
        default_listen: &str,
    ) -> Result<Self, ConfigError> {
        let database_url = env.required("DATABASE_URL")?;
        if !database_url.starts_with("postgres://") && !database_url.starts_with("postgresql://") {
            return Err(ConfigError::invalid(
                "DATABASE_URL",
                "must start with postgres://",
            ));
        }
        let prefix = env.optional("NATS_SUBJECT_PREFIX");
        let subjects = Subjects::new(prefix.as_deref())
            .map_err(|e| ConfigError::invalid("NATS_SUBJECT_PREFIX", e))?;
        let pool_size: usize = env.parse_or("DATABASE_POOL_SIZE", 16)?;
        if pool_size == 0 {
            return Err(ConfigError::invalid(
                "DATABASE_POOL_SIZE",
                "must be at least 1",
            ));
        }
        let rpc_ms: u64 = env.parse_or("NATS_RPC_TIMEOUT_MS", 2000)?;
        if !(50..=60_000).contains(&rpc_ms) {
            return Err(ConfigError::invalid(
                "NATS_RPC_TIMEOUT_MS",
                "must be 50..=60000",
            ));
        }
        let base = BaseConfig::from_env(env, service_name, default_listen)?;
        Ok(Self {
            base,
            database_url: SecretString::from(database_url),
            database_pool_size: pool_size,
            nats_url: nats_urls(env)?,
            stream_replicas: stream_replicas(env)?,
            subjects,
            rpc_timeout: Duration::from_millis(rpc_ms),
        })
    }
}

/// `NATS_URL`: `nats://` or `tls://` URLs, comma-separated.
///
/// Fails when an entry is not such a URL.
fn nats_urls(env: &Env) -> Result<String, ConfigError> {
    let value = env
        .optional("NATS_URL")
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned());
    let urls: Vec<&str> = value.split(',').map(str::trim).collect();
    for url in &urls {
        let host = url
            .strip_prefix("nats://")
            .or_else(|| url.strip_prefix("tls://"));
        if host.is_none_or(|h| h.trim_end_matches('/').is_empty()) {
            return Err(ConfigError::invalid(
                "NATS_URL",
                format!("{url:?} is not a nats:// or tls:// URL"),
            ));
        }
    }
    Ok(urls
        .iter()
        .map(|u| u.trim_end_matches('/'))
        .collect::<Vec<_>>()
        .join(","))
}

/// `NATS_STREAM_REPLICAS`: 1..=5 (JetStream's limit), default 1.
///
/// Fails when the value does not parse or is out of range.
fn stream_replicas(env: &Env) -> Result<usize, ConfigError> {
    match env.parse_or("NATS_STREAM_REPLICAS", 1)? {
        n @ 1..=5 => Ok(n),
        _ => Err(ConfigError::invalid(
            "NATS_STREAM_REPLICAS",
            "must be 1..=5",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("DATABASE_URL", "postgres://u@127.0.0.1:5432/db"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ]
    }

    fn load(extra: &[(&'static str, &'static str)]) -> Result<CommonConfig, ConfigError> {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        CommonConfig::from_env(&Env::from_pairs(pairs), "test", "127.0.0.1:8081")
    }

    #[test]
    fn defaults_apply_when_only_required_variables_are_set() {
        let cfg = load(&[]).expect("valid");
        assert_eq!(cfg.base.listen_addr.port(), 8081);
        assert_eq!(cfg.nats_url, "nats://127.0.0.1:4222");
        assert_eq!(cfg.stream_replicas, 1);
        assert_eq!(cfg.base.log_format, LogFormat::Json);
        assert!(cfg.base.otel_endpoint.is_none());
    }

    #[test]
    fn missing_required_variable_is_named() {
        let err = CommonConfig::from_env(
            &Env::from_pairs(vec![("JWT_SECRET", "x".repeat(40))]),
            "t",
            "127.0.0.1:1",
        )
        .err()
        .expect("missing DATABASE_URL");
        assert_eq!(
            err,
            ConfigError::Missing {
                name: "DATABASE_URL".into()
            }
        );
        assert!(err.to_string().contains("DATABASE_URL"));
    }

    #[test]
    fn invalid_values_are_named() {
        let cases: [(&str, &str); 11] = [
            ("LISTEN_ADDR", "not-an-addr"),
            ("NATS_URL", "127.0.0.1:4222"),
            ("NATS_URL", "nats://a:4222,b:4222"),
            ("NATS_URL", "nats://a:4222,,nats://b:4222"),
            ("NATS_STREAM_REPLICAS", "0"),
            ("NATS_STREAM_REPLICAS", "6"),
            ("NATS_STREAM_REPLICAS", "three"),
            ("LOG_FORMAT", "xml"),
            ("NATS_SUBJECT_PREFIX", "a.b"),
            ("JWT_SECRET", "short"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ];
        for (name, value) in cases {
            match load(&[(name, value)]) {
                Err(ConfigError::Invalid { name: bad, .. }) => assert_eq!(bad, name),
                other => panic!("{name}={value} should be invalid, got {:?}", other.err()),
            }
        }
    }

    #[test]
    fn a_cluster_is_several_nats_urls_and_replicas_up_to_five() {
        let cfg = load(&[
            ("NATS_URL", "nats://n0:4222, nats://n1:4222/,tls://n2:4222"),
            ("NATS_STREAM_REPLICAS", "3"),
        ])
        .expect("valid");
        assert_eq!(cfg.nats_url, "nats://n0:4222,nats://n1:4222,tls://n2:4222");
        assert_eq!(cfg.stream_replicas, 3);
        let cfg = load(&[("NATS_STREAM_REPLICAS", "5")]).expect("valid");
        assert_eq!(cfg.stream_replicas, 5);
    }
}
