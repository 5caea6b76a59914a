//! The skeleton every service is built on, so that each service's
//! `lib.rs` lists only what is particular to it.
//!
//! Start-up, in order ([`Startup`], `startup.rs`):
//! 1. [`Startup::begin`]: migrations (retried until PostgreSQL answers,
//!    under an advisory lock), the database pool, the NATS connection and,
//!    in the background, the JetStream streams of the design — together a
//!    [`Context`] —, the bound [`Http`] (`server.rs`) and the outbox relay
//!    of a service that publishes events;
//! 2. the service's own tasks: consumers ([`Startup::consume`],
//!    [`Startup::consume_batches`]), responders ([`Startup::respond`]) and
//!    timers ([`Startup::task`]);
//! 3. [`Startup::serve`]: the HTTP server, with the middleware and routes
//!    every service shares, and the service's own routes; each worker with
//!    its own database pool and NATS connection ([`worker_state`]).
//!
//! Shutdown ([`Application::run_until_stopped`], `application.rs`): the HTTP server drains,
//! then consumers and timers stop, the outbox relay flushes what the
//! drained requests committed, and the "late" tasks (those that must
//! outlive the consumers, such as chat's listener reports) stop last.
//!
//! A binary's `main` is [`main`]; tests start any service on port 0 with
//! the same [`Service`] implementation.

mod application;
mod server;
mod startup;

use std::{future::Future, time::Duration};

use tokio_util::sync::CancellationToken;
use veza_live_domain::{Subjects, rpc::Rpc};

pub use crate::db::{Migrations, SharedTables};
use crate::{
    config::{self, Env, ServiceConfig},
    db::DbPool,
    health::Readiness,
    nats,
    outbox::OutboxWaker,
    shutdown, telemetry,
};

pub use self::{
    application::Application,
    server::{Http, worker_state},
    startup::Startup,
};

/// A service: how it reads its configuration and how it is built.
pub trait Service {
    /// Everything the service reads at start-up.
    type Config: ServiceConfig;

    /// Connects, starts the background tasks and binds the listener;
    /// `cancel` stops the service.
    fn build(
        config: Self::Config,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<Application>>;
}

/// The `main` of every service binary: `--check-config`, configuration from
/// the process environment, telemetry, SIGTERM/SIGINT handling, then serves
/// until a signal.
///
/// Fails when the configuration is invalid, telemetry cannot start, the
/// service cannot be built or its HTTP server fails.
pub async fn main<S: Service>() -> anyhow::Result<()> {
    config::exit_if_check_config(|| S::Config::from_env(&Env::process()));
    let config = S::Config::from_env(&Env::process())?;
    let base = config.base();
    let name = base.service_name;
    let _telemetry = telemetry::init(
        name,
        &base.log_filter,
        base.log_format,
        base.otel_endpoint.as_deref(),
    )?;
    let app = S::build(config, shutdown::on_signal()).await?;
    tracing::info!(http.port = app.port(), "{name} listening");
    app.run_until_stopped().await
}

/// What every service with a database and NATS shares, built once by
/// [`Startup::begin`]. A service's state holds one and dereferences to
/// it ([`crate::context_state`]), so `state.pool` or `state.subjects`
/// read the same in every service.
#[derive(Clone)]
pub struct Context {
    pub pool: DbPool,
    pub nats: async_nats::Client,
    pub js: async_nats::jetstream::Context,
    pub subjects: Subjects,
    pub rpc_timeout: Duration,
    /// Wakes the outbox relay after a commit that enqueued events.
    pub outbox: OutboxWaker,
}

impl Context {
    /// Asks `R` over NATS, waiting at most `NATS_RPC_TIMEOUT_MS`.
    ///
    /// Fails as [`nats::request`].
    pub async fn call<R: Rpc>(&self, req: &R::Request) -> Result<R::Reply, nats::RpcError> {
        nats::call::<R>(&self.nats, &self.subjects, req, self.rpc_timeout).await
    }

    /// What `/readyz` checks: this context's pool and NATS connection.
    pub fn readiness(&self) -> Readiness {
        Readiness {
            pool: self.pool.clone(),
            nats: self.nats.clone(),
        }
    }
}

/// Implements `Deref`/`DerefMut` to [`Context`] for a service state with
/// a `ctx: Context` field.
#[macro_export]
macro_rules! context_state {
    ($state:ty) => {
        impl ::std::ops::Deref for $state {
            type Target = $crate::service::Context;

            fn deref(&self) -> &Self::Target {
                &self.ctx
            }
        }

        impl ::std::ops::DerefMut for $state {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.ctx
            }
        }
    };
}
