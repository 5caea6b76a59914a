//! PostgreSQL: the diesel-async connection pool and embedded migrations,
//! run at start-up under an advisory lock so that replicas starting
//! together migrate once.

use std::time::Duration;

use diesel::{Connection, RunQueryDsl as _, sql_types::BigInt};
use diesel_async::{
    AsyncPgConnection,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, deadpool},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use crate::retry::Backoff;

/// The pool every request path uses.
pub type DbPool = deadpool::Pool<AsyncPgConnection>;
/// A pooled connection.
pub type DbConn = deadpool::Object<AsyncPgConnection>;
/// Failure to get a connection (timeout, database down).
pub type PoolError = deadpool::PoolError;

/// How long a request waits for a pooled connection before answering 503.
const POOL_WAIT: Duration = Duration::from_secs(3);

/// A pool for one HTTP worker, built inside that worker: its connections
/// are opened, and their driver tasks run, on the worker's own runtime, so
/// a request and its database I/O never change threads. Only that worker
/// uses it, and it is dropped with the worker after its drain, so no other
/// worker's request can lose a connection when this one stops.
///
/// Fails only when the pool configuration is invalid.
pub fn worker_pool(url: &SecretString, max_size: usize) -> anyhow::Result<DbPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url.expose_secret());
    build(manager, max_size)
}

/// Connections in each worker's pool: the service's pool size split among
/// its HTTP workers, at least 2.
pub fn per_worker(pool_size: usize, workers: usize) -> usize {
    pool_size.div_ceil(workers.max(1)).max(2)
}

/// For one HTTP worker (call it in the `HttpServer::new` factory): a copy
/// of `shared` whose pool, reached by `pool_of`, is a [`worker_pool`] of
/// `max_size`; `shared` itself when that pool cannot be built.
pub fn with_worker_pool<S: Clone + 'static>(
    shared: &actix_web::web::Data<S>,
    url: &SecretString,
    max_size: usize,
    pool_of: fn(&mut S) -> &mut DbPool,
) -> actix_web::web::Data<S> {
    match worker_pool(url, max_size) {
        Ok(pool) => {
            let mut state = shared.get_ref().clone();
            *pool_of(&mut state) = pool;
            actix_web::web::Data::new(state)
        }
        Err(error) => {
            tracing::warn!(error = %error, "no worker pool; this worker uses the shared one");
            shared.clone()
        }
    }
}

fn build(
    manager: AsyncDieselConnectionManager<AsyncPgConnection>,
    max_size: usize,
) -> anyhow::Result<DbPool> {
    Ok(deadpool::Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(POOL_WAIT))
        .recycle_timeout(Some(POOL_WAIT))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()?)
}

/// Builds a pool; connections are opened lazily.
///
/// Fails only when the pool configuration is invalid.
pub fn pool(url: &SecretString, max_size: usize) -> anyhow::Result<DbPool> {
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    // A connection's driver task runs on the runtime that opened it. actix
    // gives each HTTP worker a runtime of its own and stops idle workers
    // first at shutdown, which closed connections that busy workers were
    // still using ("connection closed" on in-flight requests). Connections
    // are opened on the runtime that builds the pool, which lives until
    // the service exits.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        config.custom_setup = Box::new(move |url| {
            let (runtime, url) = (runtime.clone(), url.to_owned());
            Box::pin(async move {
                runtime
                    .spawn(async move {
                        <AsyncPgConnection as diesel_async::AsyncConnection>::establish(&url).await
                    })
                    .await
                    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
            })
        });
    }
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        url.expose_secret(),
        config,
    );
    build(manager, max_size)
}

/// Tables the platform crate owns, shipped as migration sets of their
/// own so every service database that uses them gets the same schema (the
/// one [`crate::schema`] describes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedTables {
    /// `outbox`, for a service that publishes events ([`crate::outbox`]).
    Outbox,
    /// `processed_events`, for a service with idempotent consumers
    /// ([`crate::consumer::first_delivery`]).
    ProcessedEvents,
}

const OUTBOX_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/outbox");
const PROCESSED_EVENTS_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("migrations/processed-events");

impl SharedTables {
    fn migrations(self) -> EmbeddedMigrations {
        match self {
            Self::Outbox => OUTBOX_MIGRATIONS,
            Self::ProcessedEvents => PROCESSED_EVENTS_MIGRATIONS,
        }
    }
}

/// A service database's migrations: the shared tables it uses, then its
/// own embedded set, under an advisory lock (one key per database, so
/// replicas starting together migrate once).
#[derive(Clone, Copy)]
pub struct Migrations {
    /// Returns the service's own set, usually `|| EMBEDDED`.
    pub own: fn() -> EmbeddedMigrations,
    pub shared: &'static [SharedTables],
    pub lock: i64,
}

impl Migrations {
    /// Every set, in the order they run.
    pub fn sets(&self) -> Vec<EmbeddedMigrations> {
        let mut sets: Vec<_> = self.shared.iter().map(|t| t.migrations()).collect();
        sets.push((self.own)());
        sets
    }
}

#[doc(hidden)]
pub use diesel_migrations::embed_migrations as __embed_migrations;

/// A service database's [`Migrations`]: its own folder (relative to the
/// service crate, embedded in the binary), the shared tables it uses and
/// its advisory lock key.
///
/// `migrations!("../../migrations/chat", shared: [ProcessedEvents], lock: 0x7665)`
#[macro_export]
macro_rules! migrations {
    ($folder:literal, shared: [$($shared:ident),* $(,)?], lock: $lock:expr $(,)?) => {{
        const EMBEDDED: ::diesel_migrations::EmbeddedMigrations =
            $crate::db::__embed_migrations!($folder);
        $crate::db::Migrations {
            own: || EMBEDDED,
            shared: &[$($crate::db::SharedTables::$shared),*],
            lock: $lock,
        }
    }};
}

/// Runs pending migrations once, holding `pg_advisory_lock(migrations.lock)`.
///
/// Fails when the database is unreachable or a migration fails.
pub async fn migrate(url: &SecretString, migrations: Migrations) -> anyhow::Result<usize> {
    let url = url.expose_secret().to_owned();
    // AsyncMigrationHarness blocks inside the runtime; the wrapper on a
    // blocking thread is safe on both current-thread and multi-thread runtimes.
    tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<BigInt, _>(migrations.lock)
            .execute(&mut conn)?;
        let applied = migrations.sets().into_iter().try_fold(0, |applied, set| {
            conn.run_pending_migrations(set)
                .map(|v| applied + v.len())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
        });
        let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<BigInt, _>(migrations.lock)
            .execute(&mut conn);
        applied
    })
    .await?
}

/// Runs migrations, retrying while the database is unreachable, until it
/// succeeds or `cancel` fires.
///
/// Fails when cancelled before the database answered.
pub async fn migrate_with_retry(
    url: &SecretString,
    migrations: Migrations,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let applied = crate::retry::until_ok(
        cancel,
        Backoff::new(Duration::from_millis(250), Duration::from_secs(5)),
        || migrate(url, migrations),
        |error, delay| {
            tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "database not ready, retrying");
        },
    )
    .await;
    match applied {
        Some(applied) => {
            tracing::info!(migrations.applied = applied, "database migrated");
            Ok(())
        }
        None => anyhow::bail!("cancelled while waiting for the database"),
    }
}
