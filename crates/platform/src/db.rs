//! PostgreSQL: the diesel-async connection pool and embedded migrations,
//! run at start-up under an advisory lock so that replicas starting
//! together migrate once.

use std::{
    ops::{Deref, DerefMut},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use ::deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use diesel::{Connection, ConnectionError, IntoSql, RunQueryDsl as _, sql_types::BigInt};
use diesel_async::{
    AsyncPgConnection, TransactionManager, async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::PoolError as ConnError,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::{ExposeSecret, SecretString};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::retry::Backoff;

/// The pool every request path uses.
pub type DbPool = managed::Pool<PgManager>;
/// A pooled connection.
pub type DbConn = managed::Object<PgManager>;
/// Failure to get a connection (timeout, database down).
pub type PoolError = managed::PoolError<ConnError>;

/// How long a request waits for a pooled connection before answering 503.
const POOL_WAIT: Duration = Duration::from_secs(3);

/// A connection idle for longer than this is verified with a query before
/// it is handed out (a server that went away without closing the socket).
const VERIFY_IDLE: Duration = Duration::from_secs(1);

/// Opens and recycles the pool's connections.
///
/// Handing out a connection costs no round trip to PostgreSQL: its driver
/// task flags it when the socket closes (a restart, a killed backend) and
/// a connection left in a broken transaction state is dropped; only one
/// idle for longer than `VERIFY_IDLE` is checked with `SELECT 1`.
pub struct PgManager {
    url: String,
    /// Where connections are opened and driven; the caller's runtime when
    /// `None`.
    runtime: Option<Handle>,
}

/// A pooled connection: dereferences to the diesel-async connection.
pub struct PgConn {
    conn: AsyncPgConnection,
    closed: Arc<AtomicBool>,
}

impl Deref for PgConn {
    type Target = AsyncPgConnection;

    fn deref(&self) -> &AsyncPgConnection {
        &self.conn
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

/// Opens a connection whose driver task, on the current runtime, flags it
/// closed when its socket ends.
async fn open(url: &str) -> Result<PgConn, ConnError> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| ConnError::ConnectionError(ConnectionError::BadConnection(e.to_string())))?;
    let closed = Arc::new(AtomicBool::new(false));
    let flag = closed.clone();
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(error = %error, "database connection closed");
        }
        flag.store(true, Ordering::Release);
    });
    let conn = AsyncPgConnection::try_from(client)
        .await
        .map_err(ConnError::ConnectionError)?;
    Ok(PgConn { conn, closed })
}

impl managed::Manager for PgManager {
    type Type = PgConn;
    type Error = ConnError;

    // Both futures are boxed: `Pool::get` holds them inline, and every
    // task that awaits a connection (a chat socket's, for one) would carry
    // their size (several KiB for a connect) for its whole life.
    async fn create(&self) -> Result<PgConn, ConnError> {
        let url = self.url.clone();
        match &self.runtime {
            Some(runtime) => runtime
                .spawn(async move { open(&url).await })
                .await
                .map_err(|e| {
                    ConnError::ConnectionError(ConnectionError::BadConnection(e.to_string()))
                })?,
            None => Box::pin(open(&url)).await,
        }
    }

    async fn recycle(&self, conn: &mut PgConn, metrics: &Metrics) -> RecycleResult<ConnError> {
        let broken = <<AsyncPgConnection as diesel_async::AsyncConnection>::TransactionManager as TransactionManager<AsyncPgConnection>>::is_broken_transaction_manager(&mut conn.conn);
        if std::thread::panicking() || broken || conn.closed.load(Ordering::Acquire) {
            return Err(RecycleError::message("broken connection"));
        }
        if metrics.last_used() > VERIFY_IDLE {
            Box::pin(diesel_async::RunQueryDsl::execute(
                diesel::select(1_i32.into_sql::<diesel::sql_types::Integer>()),
                &mut conn.conn,
            ))
            .await
            .map_err(ConnError::QueryError)?;
        }
        Ok(())
    }
}

/// A pool for one HTTP worker, built inside that worker: its connections
/// are opened, and their driver tasks run, on the worker's own runtime, so
/// a request and its database I/O never change threads. Only that worker
/// uses it, and it is dropped with the worker after its drain, so no other
/// worker's request can lose a connection when this one stops.
///
/// Fails only when the pool configuration is invalid.
pub fn worker_pool(url: &SecretString, max_size: usize) -> anyhow::Result<DbPool> {
    build(
        PgManager {
            url: url.expose_secret().to_owned(),
            runtime: None,
        },
        max_size,
    )
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

fn build(manager: PgManager, max_size: usize) -> anyhow::Result<DbPool> {
    Ok(managed::Pool::builder(manager)
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
    // A connection's driver task runs on the runtime that opened it. actix
    // gives each HTTP worker a runtime of its own and stops idle workers
    // first at shutdown, which closed connections that busy workers were
    // still using ("connection closed" on in-flight requests). Connections
    // are opened on the runtime that builds the pool, which lives until
    // the service exits.
    build(
        PgManager {
            url: url.expose_secret().to_owned(),
            runtime: Handle::try_current().ok(),
        },
        max_size,
    )
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
