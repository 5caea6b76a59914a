//! The skeleton every service is built on, so that each service's
//! `lib.rs` lists only what is particular to it.
//!
//! Start-up, in order ([`Startup`]):
//! 1. [`Startup::connect`]: migrations (retried until PostgreSQL answers,
//!    under an advisory lock), the database pool, the NATS connection and,
//!    in the background, the JetStream streams of the design — together a
//!    [`Context`];
//! 2. the service's own tasks: consumers, responders, timers, and
//!    [`Startup::relay_outbox`] for a service that publishes events;
//! 3. [`Startup::serve`]: the HTTP server of [`Http`], with the middleware
//!    and routes every service shares, and the service's own routes.
//!
//! Shutdown ([`Application::run_until_stopped`]): the HTTP server drains,
//! then consumers and timers stop, the outbox relay flushes what the
//! drained requests committed, and the "late" tasks (those that must
//! outlive the consumers, such as chat's listener reports) stop last.
//!
//! A binary's `main` is [`main`]; tests start any service on port 0 with
//! the same [`Service`] implementation.

use std::{
    future::Future,
    net::TcpListener,
    ops::{Deref, DerefMut},
    time::Duration,
};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::OpenApi;
use veza_live_domain::{Subjects, rpc::Rpc};

pub use crate::db::{Migrations, SharedTables};
use crate::{
    auth::JwtVerifier,
    config::{self, BaseConfig, CommonConfig, Env, ServiceConfig},
    consumer,
    db::{self, DbPool},
    health::{self, Readiness},
    http, nats, openapi,
    outbox::{self, OutboxWaker},
    routes::{self, KnownRoutes},
    shutdown, telemetry,
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
/// [`Startup::connect`]. A service's state holds one and dereferences to
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

/// A service being started: the tasks it spawned and the tokens that stop
/// them, in shutdown order.
pub struct Startup {
    cancel: CancellationToken,
    drained: CancellationToken,
    late: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    late_tasks: Vec<JoinHandle<()>>,
}

impl Startup {
    /// Starts a service that `cancel` stops.
    pub fn new(cancel: CancellationToken) -> Self {
        Self {
            cancel,
            drained: CancellationToken::new(),
            late: CancellationToken::new(),
            tasks: Vec::new(),
            late_tasks: Vec::new(),
        }
    }

    /// The token that stops consumers, responders and timers (after the
    /// HTTP drain).
    pub fn cancel(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The token of tasks that must outlive the consumers: it fires once
    /// every other task has stopped.
    pub fn late_cancel(&self) -> CancellationToken {
        self.late.clone()
    }

    /// The shared start-up of a service with a database and NATS: connects
    /// ([`Startup::connect`]), binds the HTTP listener with `/healthz`,
    /// `/readyz` (pool and NATS), `/metrics` and the document `D` at
    /// `/openapi.json`, and relays the outbox when the service's migrations
    /// include it.
    ///
    /// Fails when cancelled before the database answered, when the pool or
    /// the NATS client cannot be built, or when the listener cannot bind.
    pub async fn begin<D: utoipa::OpenApi>(
        cancel: CancellationToken,
        common: &CommonConfig,
        migrations: Migrations,
    ) -> anyhow::Result<(Self, Context, Http)> {
        let mut startup = Self::new(cancel);
        let ctx = startup.connect(common, migrations).await?;
        let http = Http::bind(&common.base)?
            .readiness(ctx.readiness())
            .openapi(&D::openapi())?;
        if migrations.shared.contains(&SharedTables::Outbox) {
            startup.relay_outbox(&ctx);
        }
        Ok((startup, ctx, http))
    }

    /// Migrates the database (retrying until it answers or the service is
    /// cancelled), opens the pool, connects to NATS and ensures the
    /// JetStream streams in the background.
    ///
    /// Fails when cancelled before the database answered or when the pool
    /// or the NATS client cannot be built.
    async fn connect(
        &mut self,
        common: &CommonConfig,
        migrations: Migrations,
    ) -> anyhow::Result<Context> {
        db::migrate_with_retry(&common.database_url, migrations, &self.cancel).await?;
        let pool = db::pool(&common.database_url, common.database_pool_size)?;
        let client = nats::connect(&common.nats_url, common.base.service_name).await?;
        let js = async_nats::jetstream::new(client.clone());
        self.task(tokio::spawn({
            let (js, subjects, cancel) = (js.clone(), common.subjects.clone(), self.cancel());
            let replicas = common.stream_replicas;
            async move {
                nats::ensure_streams_with_retry(&js, &subjects, replicas, &cancel).await;
            }
        }));
        Ok(Context {
            pool,
            nats: client,
            js,
            subjects: common.subjects.clone(),
            rpc_timeout: common.rpc_timeout,
            outbox: OutboxWaker::default(),
        })
    }

    /// Relays the outbox of `ctx` to JetStream until the HTTP drain is over,
    /// then flushes what is left.
    fn relay_outbox(&mut self, ctx: &Context) {
        let relay = outbox::spawn_relay(
            ctx.pool.clone(),
            ctx.js.clone(),
            ctx.outbox.clone(),
            self.drained.clone(),
        );
        self.task(relay);
    }

    /// A task stopped by [`Startup::cancel`], awaited at shutdown.
    pub fn task(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Tasks stopped by [`Startup::cancel`], awaited at shutdown.
    pub fn tasks(&mut self, tasks: impl IntoIterator<Item = JoinHandle<()>>) {
        self.tasks.extend(tasks);
    }

    /// Runs a durable JetStream consumer until [`Startup::cancel`] fires:
    /// each message is decoded as an `Event<P>` ([`consumer::decode`],
    /// version checked; a bad one is rejected) and handled by `handler`
    /// with its own copy of `state`.
    pub fn consume<P, S, F, Fut>(&mut self, state: &S, spec: consumer::ConsumerSpec, handler: F)
    where
        P: serde::de::DeserializeOwned + Send + 'static,
        S: Deref<Target = Context> + Clone + Send + Sync + 'static,
        F: Fn(S, veza_live_domain::events::Event<P>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), consumer::HandleError>> + Send + 'static,
    {
        let js = state.js.clone();
        let state = state.clone();
        let handler = std::sync::Arc::new(handler);
        let task = consumer::spawn(js, spec, self.cancel(), move |message| {
            let (state, handler) = (state.clone(), handler.clone());
            async move { handler(state, consumer::decode(&message.payload)?).await }
        });
        self.task(task);
    }

    /// Like [`Startup::consume`], but the messages ready together (at most
    /// `max`) reach `handler` as one batch of decoded events, which answers
    /// one outcome per event, in order ([`consumer::spawn_batches`]). A
    /// message that does not decode is rejected by itself.
    pub fn consume_batches<P, S, F, Fut>(
        &mut self,
        state: &S,
        spec: consumer::ConsumerSpec,
        max: usize,
        handler: F,
    ) where
        P: serde::de::DeserializeOwned + Send + 'static,
        S: Deref<Target = Context> + Clone + Send + Sync + 'static,
        F: Fn(S, Vec<veza_live_domain::events::Event<P>>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<(), consumer::HandleError>>> + Send + 'static,
    {
        let js = state.js.clone();
        let state = state.clone();
        let handler = std::sync::Arc::new(handler);
        let task = consumer::spawn_batches(js, spec, max, self.cancel(), move |messages| {
            let (state, handler) = (state.clone(), handler.clone());
            async move {
                let decoded: Vec<_> = messages
                    .iter()
                    .map(|m| consumer::decode::<P>(&m.payload))
                    .collect();
                let mut outcomes: Vec<Result<(), consumer::HandleError>> =
                    Vec::with_capacity(decoded.len());
                let mut events = Vec::with_capacity(decoded.len());
                let mut slots = Vec::with_capacity(decoded.len());
                for (n, event) in decoded.into_iter().enumerate() {
                    match event {
                        Ok(event) => {
                            events.push(event);
                            slots.push(n);
                            outcomes.push(Ok(()));
                        }
                        Err(rejected) => outcomes.push(Err(rejected)),
                    }
                }
                if !events.is_empty() {
                    let handled = handler(state, events).await;
                    let mut handled = handled.into_iter();
                    for n in slots {
                        outcomes[n] = handled.next().unwrap_or_else(|| {
                            Err(consumer::HandleError::Retry(
                                "no outcome for the event".into(),
                            ))
                        });
                    }
                }
                outcomes
            }
        });
        self.task(task);
    }

    /// Answers `R` in the queue group `queue` (the service's name, shared
    /// by its replicas) until [`Startup::cancel`] fires: each request is
    /// handled by `handler` with its own copy of `state`.
    pub async fn respond<R, S, F, Fut>(&mut self, state: &S, queue: &'static str, handler: F)
    where
        R: Rpc,
        S: Deref<Target = Context> + Clone + Send + Sync + 'static,
        F: Fn(S, R::Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Reply, nats::Refusal>> + Send + 'static,
    {
        let (client, subjects) = (state.nats.clone(), state.subjects.clone());
        let state = state.clone();
        let task = nats::respond::<R, _, _>(client, &subjects, queue, self.cancel(), move |req| {
            handler(state.clone(), req)
        })
        .await;
        self.task(task);
    }

    /// A task stopped by [`Startup::late_cancel`], awaited last.
    pub fn late_task(&mut self, task: JoinHandle<()>) {
        self.late_tasks.push(task);
    }

    /// Starts `http`, with `configure` adding the service's own routes and
    /// data (called once per worker).
    ///
    /// Fails when the server cannot listen.
    pub fn serve<F>(self, http: Http, configure: F) -> anyhow::Result<Application>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let port = http.port;
        let server = http.start(configure)?;
        Ok(Application {
            port,
            server,
            startup: self,
        })
    }
}

/// The HTTP side of a service: a bound listener and what every service
/// serves — request ids, access log and metrics ([`http::observe`]), the
/// JSON error envelope for bad bodies, queries and paths, JWT verification
/// data, and `404`/`405` for what no route matches; optionally `/healthz`,
/// `/readyz` and `/metrics` ([`Http::readiness`]) and `/openapi.json`
/// ([`Http::openapi`]).
pub struct Http {
    listener: TcpListener,
    port: u16,
    workers: usize,
    verifier: JwtVerifier,
    readiness: Option<web::Data<Readiness>>,
    spec: Option<web::Bytes>,
    known_routes: Option<web::Data<KnownRoutes>>,
    max_connections: Option<usize>,
}

impl Http {
    /// Binds `LISTEN_ADDR` (port 0 picks a free port).
    ///
    /// Fails when the address cannot be bound.
    pub fn bind(base: &BaseConfig) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(base.listen_addr)?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            port,
            workers: base.http_workers,
            verifier: JwtVerifier::new(&base.jwt),
            readiness: None,
            spec: None,
            known_routes: None,
            max_connections: None,
        })
    }

    /// The verifier of bearer tokens the handlers receive as data.
    pub fn verifier(&self) -> &JwtVerifier {
        &self.verifier
    }

    /// Serves `/healthz`, `/readyz` (checking `readiness`) and `/metrics`.
    pub fn readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = Some(web::Data::new(readiness));
        self
    }

    /// Serves `doc` at `/openapi.json` and answers `405` with `Allow` for
    /// a path it knows with another method.
    ///
    /// Fails when the document does not serialise.
    pub fn openapi(mut self, doc: &OpenApi) -> anyhow::Result<Self> {
        self.spec = Some(openapi::document_json(doc)?);
        Ok(self.known_routes(doc))
    }

    /// Answers `405` with `Allow` for a path `doc` knows with another
    /// method (the spec itself is served elsewhere).
    pub fn known_routes(mut self, doc: &OpenApi) -> Self {
        self.known_routes = Some(web::Data::new(KnownRoutes::from_openapi(doc)));
        self
    }

    /// For a service holding many long-lived sockets: at most
    /// `max_connections` per worker, `TCP_NODELAY` and a deep accept backlog.
    pub fn many_sockets(mut self, max_connections: usize) -> Self {
        self.max_connections = Some(max_connections);
        self
    }

    fn start<F>(self, configure: F) -> anyhow::Result<Server>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let Self {
            listener,
            workers,
            verifier,
            readiness,
            spec,
            known_routes,
            max_connections,
            ..
        } = self;
        let verifier = web::Data::new(verifier);
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(http::observe))
                .app_data(verifier.clone())
                .app_data(http::json_config())
                .app_data(http::query_config())
                .app_data(http::path_config())
                .configure(|cfg| configure(cfg))
                .configure(|cfg| {
                    if let Some(readiness) = &readiness {
                        cfg.app_data(readiness.clone());
                        health::configure(cfg);
                    }
                    if let Some(spec) = &spec {
                        openapi::serve(spec.clone())(cfg);
                    }
                    if let Some(known) = &known_routes {
                        cfg.app_data(known.clone());
                    }
                })
                .default_service(web::to(routes::fallback))
        })
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(10);
        if let Some(max) = max_connections {
            server = server.max_connections(max).tcp_nodelay(true).backlog(4096);
        }
        Ok(server.listen(listener)?.run())
    }
}

/// For a state dereferencing to a [`Context`]: a factory, called once per
/// HTTP worker (in [`Startup::serve`]'s `configure`), of a copy of `state`
/// whose requests use a database pool and a NATS connection of that
/// worker's own, opened on its runtime, so that a request, its queries and
/// its NATS requests stay on one thread (background work keeps the shared
/// ones). The copy keeps the shared pool or connection when its own cannot
/// be built.
pub fn worker_state<S>(
    state: S,
    common: &CommonConfig,
) -> impl Fn() -> web::Data<S> + Clone + Send + use<S>
where
    S: DerefMut<Target = Context> + Clone + Send + Sync + 'static,
{
    let shared = web::Data::new(state);
    let url = common.database_url.clone();
    let per_worker = db::per_worker(common.database_pool_size, common.base.http_workers);
    let (nats_url, name) = (common.nats_url.clone(), common.base.service_name);
    move || {
        let state =
            db::with_worker_pool(&shared, &url, per_worker, |state: &mut S| &mut state.pool);
        // The connection is made in the background (`retry_on_initial_connect`),
        // so connecting does not wait for the network here.
        match futures::executor::block_on(nats::connect(&nats_url, name)) {
            Ok(client) => {
                let mut state = state.get_ref().clone();
                state.js = async_nats::jetstream::new(client.clone());
                state.nats = client;
                web::Data::new(state)
            }
            Err(error) => {
                tracing::warn!(error = %error, "no worker NATS connection; this worker uses the shared one");
                state
            }
        }
    }
}

/// A built service: listening, with its background tasks running.
pub struct Application {
    port: u16,
    server: Server,
    startup: Startup,
}

impl Application {
    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the service's token fires, then drains requests, stops
    /// consumers and timers, flushes the outbox and stops the late tasks.
    ///
    /// Fails when the HTTP server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            server, startup, ..
        } = self;
        let handle = server.handle();
        let cancel = startup.cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        });
        let served = server.await;
        startup.cancel.cancel();
        // Only now: requests that finished during the drain wrote outbox rows.
        startup.drained.cancel();
        for task in startup.tasks {
            let _ = task.await;
        }
        startup.late.cancel();
        for task in startup.late_tasks {
            let _ = task.await;
        }
        Ok(served?)
    }
}
