//! [`Startup`]: what a service starts, in order, and the tokens that stop it.

use std::{future::Future, ops::Deref};

use actix_web::web;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_domain::rpc::Rpc;

use crate::{
    config::CommonConfig,
    consumer, db, nats,
    outbox::{self, OutboxWaker},
};

use super::{Application, Context, Http, Migrations, SharedTables};

/// A service being started: the tasks it spawned and the tokens that stop
/// them, in shutdown order.
pub struct Startup {
    pub(super) cancel: CancellationToken,
    pub(super) drained: CancellationToken,
    pub(super) late: CancellationToken,
    pub(super) tasks: Vec<JoinHandle<()>>,
    pub(super) late_tasks: Vec<JoinHandle<()>>,
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
    /// (`Startup::connect`), binds the HTTP listener with `/healthz`,
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
