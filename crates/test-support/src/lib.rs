//! Test support: real PostgreSQL and NATS for every test.
//!
//! - [`TestDb`]: one database per test, created from a migrated template
//!   (`CREATE DATABASE t_x TEMPLATE tpl_<service>_<hash>`) and dropped
//!   when the value is dropped.
//! - [`unique_prefix`]: a NATS subject prefix so tests share one server
//!   without crosstalk.
//! - [`HttpClient`]: JSON over HTTP against a service started on port 0.
//! - [`images`]: pictures, uploads with metadata and decompression bombs.
//! - [`NatsServer`]: a private NATS server a test may kill and restart.
//! - [`NatsCluster`]: three `nats-server` nodes in one JetStream cluster,
//!   each of which a test may kill and restart.
//! - [`PgServer`]: a private PostgreSQL server a test may stop
//!   (`-m immediate`) and restart; [`TestDb::new_on`] makes databases on it.
//! - [`free_port`]: a loopback port for a server a test starts itself,
//!   from below the ephemeral range so no outgoing connection takes it.
//!
//! `TEST_DATABASE_URL` (an admin URL, default
//! `postgres://veza@127.0.0.1:25432/postgres`) and `TEST_NATS_URL`
//! (default `nats://127.0.0.1:24222`) say where the servers are; `make test`
//! starts them.

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

mod db;
pub mod http;
pub mod images;
mod nats_cluster;
mod nats_server;
mod pg_server;
mod ports;
pub mod service;

use std::time::Duration;

pub use db::TestDb;
pub use http::{HttpClient, Reply};
pub use nats_cluster::NatsCluster;
pub use nats_server::NatsServer;
pub use pg_server::PgServer;
pub use ports::free_port;
use secrecy::SecretString;
pub use service::{Running, spawn};
use uuid::Uuid;
use veza_live_platform::{auth::JwtVerifier, config::JwtConfig};

/// Sends service logs to the test output when `RUST_LOG` is set (shown for
/// failing tests, or all with `--nocapture`).
pub fn init_logs() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// The JWT secret tests sign with.
pub const JWT_SECRET: &str = "test-only-jwt-secret-0123456789abcdef";

/// Where the test NATS server listens.
pub fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:24222".to_owned())
}

/// A fresh subject prefix, one token.
pub fn unique_prefix() -> String {
    format!("t{}", &Uuid::new_v4().simple().to_string()[..12])
}

/// A connected NATS client.
///
/// # Panics
/// When the test NATS server is not running.
pub async fn nats_client() -> async_nats::Client {
    async_nats::connect(nats_url()).await.unwrap_or_else(|e| {
        panic!(
            "test NATS at {} is not reachable (run `make test`): {e}",
            nats_url()
        )
    })
}

/// A verifier using [`JWT_SECRET`].
pub fn jwt() -> JwtVerifier {
    JwtVerifier::new(&JwtConfig {
        secret: SecretString::from(JWT_SECRET),
        issuer: None,
        audience: None,
    })
}

/// A valid token for a user, good for an hour.
pub fn token_for(user_id: Uuid, username: &str) -> String {
    jwt()
        .mint(user_id, Some(username), chrono::Duration::hours(1))
        .unwrap_or_else(|e| panic!("minting a test token: {e}"))
}

/// The environment a service under test reads: its database, the test NATS
/// server under `prefix`, the test JWT secret and port 0.
pub fn service_env(db: &TestDb, prefix: &str) -> Vec<(String, String)> {
    use secrecy::ExposeSecret;
    [
        ("DATABASE_URL", db.url.expose_secret().to_owned()),
        ("NATS_URL", nats_url()),
        ("NATS_SUBJECT_PREFIX", prefix.to_owned()),
        ("JWT_SECRET", JWT_SECRET.to_owned()),
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("LOG_FORMAT", "pretty".to_owned()),
        ("HTTP_WORKERS", "1".to_owned()),
        ("DATABASE_POOL_SIZE", "8".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Polls `check` until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
