//! Service plumbing shared by every Veza Live service: typed environment
//! configuration, telemetry, Prometheus metrics, health endpoints, JWT
//! authentication, the error envelope, the PostgreSQL pool and embedded
//! migrations, NATS connections and JetStream streams, the transactional
//! outbox relay, idempotent consumers and graceful shutdown.

pub mod auth;
pub mod config;
pub mod consumer;
pub mod db;
pub mod error;
pub mod health;
pub mod http;
pub mod log_writer;
pub mod media_store;
pub mod metrics;
pub mod nats;
pub mod openapi;
pub mod outbox;
pub mod retry;
pub mod routes;
pub mod schema;
pub mod service;
pub mod shutdown;
pub mod tasks;
pub mod telemetry;

pub use error::ApiError;
