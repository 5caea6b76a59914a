//! NATS: connection with retry, the JetStream streams of the design,
//! event publishing with `Nats-Msg-Id`, and request/reply with a timeout on
//! the client side and bounded concurrency on the server side. Trace
//! context travels in message headers.

use std::{sync::Arc, time::Duration};

use async_nats::{
    Client, HeaderMap,
    jetstream::{self, stream::StorageType},
};
use bytes::Bytes;
use futures::StreamExt;
use serde::{Serialize, de::DeserializeOwned};
use tokio::{sync::Semaphore, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use veza_live_domain::{
    ErrorBody, Subjects,
    rpc::{Rpc, RpcReply, codes},
    subjects::{STREAM_EVENTS, STREAM_INGEST, STREAM_VIEWERS},
};

use crate::{
    retry::{self, Backoff},
    telemetry,
};

/// Connects, retrying in the background until a server answers, so a
/// service can start before NATS does. `urls` is one URL or the servers of
/// a cluster comma-separated; the client moves to another when its server
/// goes away.
///
/// Fails only when the options are invalid.
pub async fn connect(urls: &str, name: &str) -> anyhow::Result<Client> {
    let urls: Vec<&str> = urls.split(',').map(str::trim).collect();
    Ok(async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(3))
        .request_timeout(Some(Duration::from_secs(5)))
        .connect(urls)
        .await?)
}

/// The stream definitions of the design, under a prefix, with `replicas`
/// copies each (1 on a single server, 3 on a three-node cluster).
pub fn stream_configs(subjects: &Subjects, replicas: usize) -> Vec<jetstream::stream::Config> {
    let day = Duration::from_secs(24 * 3600);
    vec![
        jetstream::stream::Config {
            name: subjects.stream(STREAM_INGEST),
            subjects: vec![subjects.ingest_events()],
            storage: StorageType::File,
            max_age: 7 * day,
            duplicate_window: Duration::from_secs(120),
            num_replicas: replicas,
            ..Default::default()
        },
        jetstream::stream::Config {
            name: subjects.stream(STREAM_EVENTS),
            subjects: vec![subjects.events_all()],
            storage: StorageType::File,
            max_age: 7 * day,
            duplicate_window: Duration::from_secs(120),
            num_replicas: replicas,
            ..Default::default()
        },
        jetstream::stream::Config {
            name: subjects.stream(STREAM_VIEWERS),
            subjects: vec![subjects.viewers_all()],
            storage: StorageType::File,
            max_messages_per_subject: 1,
            max_age: day,
            duplicate_window: Duration::from_secs(120),
            num_replicas: replicas,
            ..Default::default()
        },
    ]
}

/// Creates the streams that do not exist yet, and raises the replicas of
/// an existing stream that has fewer than `replicas` (only that field
/// changes; a stream with more is left as it is, so one service started
/// with a smaller setting never scales a cluster down).
///
/// Fails when JetStream does not answer or refuses a definition (more
/// replicas than the cluster has nodes).
pub async fn ensure_streams(
    js: &jetstream::Context,
    subjects: &Subjects,
    replicas: usize,
) -> anyhow::Result<()> {
    for config in stream_configs(subjects, replicas) {
        let mut stream = js.get_or_create_stream(config).await?;
        let info = stream.info().await?;
        let have = info.config.num_replicas.max(1);
        if have < replicas {
            let mut raised = info.config.clone();
            raised.num_replicas = replicas;
            js.update_stream(raised).await?;
            tracing::info!(
                nats.stream = %info.config.name,
                replicas.from = have,
                replicas.to = replicas,
                "stream replicas raised"
            );
        } else if have > replicas {
            tracing::warn!(
                nats.stream = %info.config.name,
                replicas.stream = have,
                replicas.configured = replicas,
                "stream has more replicas than NATS_STREAM_REPLICAS; left as it is"
            );
        }
    }
    Ok(())
}

/// Retries [`ensure_streams`] until it succeeds or `cancel` fires.
pub async fn ensure_streams_with_retry(
    js: &jetstream::Context,
    subjects: &Subjects,
    replicas: usize,
    cancel: &CancellationToken,
) -> bool {
    retry::until_ok(
        cancel,
        Backoff::standard(),
        || ensure_streams(js, subjects, replicas),
        |error, _| tracing::warn!(error = %error, "JetStream not ready, retrying"),
    )
    .await
    .is_some()
}

/// Publishes one event to JetStream and waits for the stored ack;
/// `Nats-Msg-Id` makes a re-publish within the duplicate window a no-op.
///
/// Fails when the publish or its ack fails.
pub async fn publish_event(
    js: &jetstream::Context,
    subject: String,
    event_id: uuid::Uuid,
    payload: Bytes,
    traceparent: Option<&str>,
) -> anyhow::Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id.to_string().as_str());
    match traceparent {
        Some(tp) => headers.insert("traceparent", tp),
        None => telemetry::inject_nats(&mut headers),
    }
    js.publish_with_headers(subject, headers, payload)
        .await?
        .await?;
    Ok(())
}

/// Why a request/reply call failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// Nobody answered in time, or NATS is down.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    /// The other side refused the request.
    #[error("request refused: {} ({})", .0.code, .0.message)]
    Refused(ErrorBody),
    /// The reply did not parse.
    #[error("invalid reply: {0}")]
    InvalidReply(String),
}

/// Asks `R` and waits at most `timeout` for its reply.
///
/// Fails as [`request`].
pub async fn call<R: Rpc>(
    client: &Client,
    subjects: &Subjects,
    req: &R::Request,
    timeout: Duration,
) -> Result<R::Reply, RpcError> {
    request(client, R::subject(subjects), req, timeout).await
}

/// Why a responder answered without data: the one error style of replies.
#[derive(Debug)]
pub enum Refusal {
    /// An answer the caller acts on, `code` from `rpc::codes`.
    Refused { code: &'static str, message: String },
    /// A dependency of the responder failed: logged where it happened and
    /// answered `service_unavailable`, without the cause.
    Unavailable(String),
}

impl Refusal {
    /// A refusal the caller acts on.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self::Refused {
            code,
            message: message.into(),
        }
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Self::Unavailable(format!("database: {e}"))
    }
}

impl From<crate::db::PoolError> for Refusal {
    fn from(e: crate::db::PoolError) -> Self {
        Self::Unavailable(format!("database pool: {e}"))
    }
}

/// Answers `R` in the queue group `queue` (the service's name, shared by
/// its replicas) until `cancel` fires; see `serve`.
pub async fn respond<R, F, Fut>(
    client: Client,
    subjects: &Subjects,
    queue: &'static str,
    cancel: CancellationToken,
    handler: F,
) -> JoinHandle<()>
where
    R: Rpc,
    F: Fn(R::Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R::Reply, Refusal>> + Send + 'static,
{
    let subject = R::subject(subjects);
    serve(client, subject, queue.to_owned(), cancel, move |req| {
        let answer = handler(req);
        async move {
            match answer.await {
                Ok(reply) => RpcReply::ok(reply),
                Err(Refusal::Refused { code, message }) => RpcReply::err(code, message),
                Err(Refusal::Unavailable(cause)) => {
                    tracing::warn!(error.cause = %cause, "request failed");
                    RpcReply::err(codes::UNAVAILABLE, format!("{queue} unavailable"))
                }
            }
        }
    })
    .await
}

/// Sends a request and waits at most `timeout` for its reply.
///
/// Fails with [`RpcError::Unavailable`] on timeout, no responders or a
/// closed connection, [`RpcError::Refused`] when the reply is an error.
pub async fn request<Req, Resp>(
    client: &Client,
    subject: String,
    req: &Req,
    timeout: Duration,
) -> Result<Resp, RpcError>
where
    Req: Serialize,
    Resp: DeserializeOwned,
{
    let span = tracing::info_span!("rpc.client", otel.name = %subject, otel.kind = "client");
    async {
        let payload = serde_json::to_vec(req).map_err(|e| RpcError::InvalidReply(e.to_string()))?;
        let mut headers = HeaderMap::new();
        telemetry::inject_nats(&mut headers);
        let reply = tokio::time::timeout(
            timeout,
            client.request_with_headers(subject.clone(), headers, payload.into()),
        )
        .await
        .map_err(|_| RpcError::Unavailable(format!("{subject}: no reply within {timeout:?}")))?
        .map_err(|e| RpcError::Unavailable(format!("{subject}: {e}")))?;
        let parsed: RpcReply<Resp> = serde_json::from_slice(&reply.payload)
            .map_err(|e| RpcError::InvalidReply(e.to_string()))?;
        parsed.into_result().map_err(|body| {
            if body.code == codes::UNAVAILABLE {
                RpcError::Unavailable(format!("{subject}: {}", body.message))
            } else {
                RpcError::Refused(body)
            }
        })
    }
    .instrument(span)
    .await
}

/// Most requests a responder handles at once.
const RPC_CONCURRENCY: usize = 256;

/// Subscribes and waits until the server has registered the subscription
/// (a flush round trip), so requests sent after this returns find a
/// responder.
async fn subscribe_confirmed(
    client: &Client,
    subject: &str,
    queue_group: &str,
) -> anyhow::Result<async_nats::Subscriber> {
    let subscription = client
        .queue_subscribe(subject.to_owned(), queue_group.to_owned())
        .await?;
    client.flush().await?;
    Ok(subscription)
}

/// Serves a request/reply subject in a queue group until `cancel` fires.
/// Returns once the subscription is registered with the server, or after
/// a short wait when NATS is not reachable yet (the task keeps retrying).
/// A request that does not parse gets a `bad_request` reply.
async fn serve<Req, Resp, F, Fut>(
    client: Client,
    subject: String,
    queue_group: String,
    cancel: CancellationToken,
    handler: F,
) -> JoinHandle<()>
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = RpcReply<Resp>> + Send + 'static,
{
    let handler = Arc::new(handler);
    let first = tokio::time::timeout(
        Duration::from_secs(2),
        subscribe_confirmed(&client, &subject, &queue_group),
    )
    .await
    .ok()
    .and_then(Result::ok);
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(RPC_CONCURRENCY));
        let subscribed = match first {
            Some(sub) => Some(sub),
            None => {
                retry::until_ok(
                    &cancel,
                    Backoff::standard(),
                    || subscribe_confirmed(&client, &subject, &queue_group),
                    |error, _| tracing::warn!(error = %error, rpc.subject = %subject, "subscribe failed, retrying"),
                )
                .await
            }
        };
        let Some(mut subscription) = subscribed else {
            return;
        };
        loop {
            let message = tokio::select! {
                () = cancel.cancelled() => break,
                message = subscription.next() => match message {
                    Some(m) => m,
                    None => break,
                },
            };
            let Some(reply_to) = message.reply.clone() else {
                continue;
            };
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let handler = handler.clone();
            let client = client.clone();
            let span = tracing::info_span!("rpc.server", otel.name = %message.subject, otel.kind = "server");
            telemetry::continue_from_nats(&span, message.headers.as_ref());
            tokio::spawn(
                async move {
                    let _permit = permit;
                    let body = match serde_json::from_slice::<Req>(&message.payload) {
                        Ok(req) => serde_json::to_vec(&handler(req).await),
                        Err(e) => serde_json::to_vec(&RpcReply::<()>::err(
                            codes::BAD_REQUEST,
                            e.to_string(),
                        )),
                    };
                    match body {
                        Ok(body) => {
                            if let Err(error) = client.publish(reply_to, body.into()).await {
                                tracing::warn!(error = %error, "could not send reply");
                            }
                        }
                        Err(error) => tracing::error!(error = %error, "could not encode reply"),
                    }
                }
                .instrument(span),
            );
        }
        let _ = subscription.unsubscribe().await;
    })
}
