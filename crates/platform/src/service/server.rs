//! [`Http`]: the HTTP side every service shares, and [`worker_state`], a
//! worker's own database pool and NATS connection.

use std::{net::TcpListener, ops::DerefMut};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use utoipa::openapi::OpenApi;

use crate::{
    auth::JwtVerifier,
    config::{BaseConfig, CommonConfig},
    db,
    health::{self, Readiness},
    http, nats, openapi,
    routes::{self, KnownRoutes},
};

use super::Context;

/// The HTTP side of a service: a bound listener and what every service
/// serves — request ids, access log and metrics ([`http::observe`]), the
/// JSON error envelope for bad bodies, queries and paths, JWT verification
/// data, and `404`/`405` for what no route matches; optionally `/healthz`,
/// `/readyz` and `/metrics` ([`Http::readiness`]) and `/openapi.json`
/// ([`Http::openapi`]).
pub struct Http {
    pub(super) listener: TcpListener,
    pub(super) port: u16,
    pub(super) workers: usize,
    pub(super) verifier: JwtVerifier,
    pub(super) readiness: Option<web::Data<Readiness>>,
    pub(super) spec: Option<web::Bytes>,
    pub(super) known_routes: Option<web::Data<KnownRoutes>>,
    pub(super) max_connections: Option<usize>,
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

    pub(super) fn start<F>(self, configure: F) -> anyhow::Result<Server>
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
/// HTTP worker (in [`Startup::serve`](super::Startup::serve)'s `configure`), of a copy of `state`
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
