//! Idempotent JetStream consumers: a durable pull consumer per service and
//! filter, explicit ack after the effect commits, redelivery on failure,
//! bounded concurrency, a cancellation token for shutdown. Handlers record
//! the event id with [`first_delivery`] in the transaction of their effect.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{
    self, AckKind,
    consumer::{AckPolicy, DeliverPolicy, pull},
};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;
use veza_live_domain::events::{EVENT_VERSION, Event};

use crate::{retry::Backoff, schema::processed_events, telemetry};

/// Which messages a consumer reads.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// The JetStream stream name (prefixed).
    pub stream: String,
    /// The durable consumer name, one per service and purpose: a constant
    /// of the service, also the key its handler records deliveries under.
    pub durable: &'static str,
    /// The subject filter.
    pub filter_subject: String,
    /// Messages handled at once.
    pub concurrency: usize,
}

/// What a handler made of a message.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The message can never be handled (bad payload): acknowledged and logged.
    #[error("rejected: {0}")]
    Rejected(String),
    /// A dependency failed: the message is redelivered later.
    #[error("retry: {0}")]
    Retry(String),
}

impl From<diesel::result::Error> for HandleError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Retry(format!("database: {e}"))
    }
}

impl From<crate::db::PoolError> for HandleError {
    fn from(e: crate::db::PoolError) -> Self {
        Self::Retry(format!("database pool: {e}"))
    }
}

/// Decodes an event envelope of a version this build understands.
///
/// Fails with [`HandleError::Rejected`] (acknowledged, never redelivered)
/// when the payload does not parse or carries another version.
pub fn decode<P: DeserializeOwned>(payload: &[u8]) -> Result<Event<P>, HandleError> {
    let event: Event<P> = serde_json::from_slice(payload)
        .map_err(|e| HandleError::Rejected(format!("payload: {e}")))?;
    if event.v != EVENT_VERSION {
        return Err(HandleError::Rejected(format!(
            "unsupported version {}",
            event.v
        )));
    }
    Ok(event)
}

/// Records that `consumer` handled `event_id`; false when it already had.
///
/// Fails when the insert fails.
pub async fn first_delivery(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    event_id: Uuid,
) -> QueryResult<bool> {
    use diesel::ExpressionMethods;
    let inserted = diesel::insert_into(processed_events::table)
        .values((
            processed_events::consumer.eq(consumer),
            processed_events::event_id.eq(event_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Records that `consumer` handled each of `event_ids` in one statement;
/// the ones it had not handled before.
///
/// Fails when the insert fails.
pub async fn first_deliveries(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    event_ids: &[Uuid],
) -> QueryResult<std::collections::HashSet<Uuid>> {
    use diesel::ExpressionMethods;
    if event_ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let values: Vec<_> = event_ids
        .iter()
        .map(|&id| {
            (
                processed_events::consumer.eq(consumer),
                processed_events::event_id.eq(id),
            )
        })
        .collect();
    let fresh: Vec<Uuid> = diesel::insert_into(processed_events::table)
        .values(values)
        .on_conflict_do_nothing()
        .returning(processed_events::event_id)
        .get_results(conn)
        .await?;
    Ok(fresh.into_iter().collect())
}

/// Whether `consumer` already handled `event_id` (a read-only check before
/// remote calls; [`first_delivery`] stays the authority inside the effect's
/// transaction).
///
/// Fails when the query fails.
pub async fn already_delivered(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    event_id: Uuid,
) -> QueryResult<bool> {
    use diesel::{ExpressionMethods, QueryDsl};
    diesel::select(diesel::dsl::exists(
        processed_events::table
            .filter(processed_events::consumer.eq(consumer))
            .filter(processed_events::event_id.eq(event_id)),
    ))
    .get_result(conn)
    .await
}

async fn open(js: &jetstream::Context, spec: &ConsumerSpec) -> anyhow::Result<pull::Stream> {
    let stream = js.get_stream(&spec.stream).await?;
    let consumer: jetstream::consumer::Consumer<pull::Config> = stream
        .get_or_create_consumer(
            spec.durable,
            pull::Config {
                durable_name: Some(spec.durable.to_owned()),
                filter_subject: spec.filter_subject.clone(),
                ack_policy: AckPolicy::Explicit,
                deliver_policy: DeliverPolicy::All,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 1024,
                ..Default::default()
            },
        )
        .await?;
    Ok(consumer.messages().await?)
}

/// Consumes until `cancel` fires, reopening the consumer after errors;
/// `drain` takes each opened consumer's messages until they end.
fn run<D, DFut>(
    js: jetstream::Context,
    spec: ConsumerSpec,
    cancel: CancellationToken,
    drain: D,
) -> JoinHandle<()>
where
    D: Fn(pull::Stream, &'static str, CancellationToken) -> DFut + Send + 'static,
    DFut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut backoff = Backoff::standard();
        while !cancel.is_cancelled() {
            let messages = match open(&js, &spec).await {
                Ok(messages) => {
                    backoff.reset();
                    messages
                }
                Err(error) => {
                    tracing::warn!(error = %error, consumer = %spec.durable, "consumer not ready, retrying");
                    if !backoff.wait(&cancel).await {
                        break;
                    }
                    continue;
                }
            };
            drain(messages, spec.durable, cancel.clone()).await;
            if !cancel.is_cancelled() {
                tokio::time::sleep(backoff.delay()).await;
            }
        }
    })
}

/// Consumes until `cancel` fires, reopening the consumer after errors;
/// up to `spec.concurrency` messages are handled at once.
pub fn spawn<F, Fut>(
    js: jetstream::Context,
    spec: ConsumerSpec,
    cancel: CancellationToken,
    handler: F,
) -> JoinHandle<()>
where
    F: Fn(jetstream::Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandleError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    let concurrency = spec.concurrency;
    run(js, spec, cancel, move |messages, durable, cancel| {
        let handler = handler.clone();
        messages
            .take_until(cancel.cancelled_owned())
            .for_each_concurrent(concurrency, move |message| {
                let handler = handler.clone();
                async move {
                    match message {
                        Ok(message) => handle_one(durable, message, handler.as_ref()).await,
                        Err(error) => tracing::warn!(error = %error, consumer = %durable, "consumer stream error"),
                    }
                }
            })
    })
}

/// Like [`spawn`], but the messages that are ready together (at most
/// `max`) go to `handler` as one batch, so that it can apply them in one
/// transaction; it answers one outcome per message, in order, and each
/// message is acknowledged (or redelivered) by its own. Up to
/// `spec.concurrency` batches are handled at once.
pub fn spawn_batches<F, Fut>(
    js: jetstream::Context,
    spec: ConsumerSpec,
    max: usize,
    cancel: CancellationToken,
    handler: F,
) -> JoinHandle<()>
where
    F: Fn(Vec<jetstream::Message>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Result<(), HandleError>>> + Send + 'static,
{
    let handler = Arc::new(handler);
    let concurrency = spec.concurrency;
    run(js, spec, cancel, move |messages, durable, cancel| {
        let handler = handler.clone();
        messages
            .take_until(cancel.cancelled_owned())
            .ready_chunks(max.max(1))
            .for_each_concurrent(concurrency, move |chunk| {
                let handler = handler.clone();
                async move {
                    let mut batch = Vec::with_capacity(chunk.len());
                    for message in chunk {
                        match message {
                            Ok(message) => batch.push(message),
                            Err(error) => tracing::warn!(error = %error, consumer = %durable, "consumer stream error"),
                        }
                    }
                    if !batch.is_empty() {
                        handle_batch(durable, batch, handler.as_ref()).await;
                    }
                }
            })
    })
}

async fn handle_batch<F, Fut>(durable: &str, batch: Vec<jetstream::Message>, handler: &F)
where
    F: Fn(Vec<jetstream::Message>) -> Fut,
    Fut: Future<Output = Vec<Result<(), HandleError>>>,
{
    let span = tracing::info_span!(
        "event.consume",
        otel.name = %batch[0].subject,
        otel.kind = "consumer",
        consumer = %durable,
        messages = batch.len(),
    );
    for message in &batch {
        telemetry::link_from_nats(&span, message.headers.as_ref());
    }
    let ackers = batch.clone();
    let outcomes = handler(batch).instrument(span.clone()).await;
    let _enter = span.enter();
    let mut outcomes = outcomes.into_iter();
    for acker in ackers {
        let outcome = outcomes
            .next()
            .unwrap_or_else(|| Err(HandleError::Retry("no outcome for the message".into())));
        settle(durable, &acker, outcome).await;
    }
}

async fn handle_one<F, Fut>(durable: &str, message: jetstream::Message, handler: &F)
where
    F: Fn(jetstream::Message) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let span = tracing::info_span!(
        "event.consume",
        otel.name = %message.subject,
        otel.kind = "consumer",
        consumer = %durable,
    );
    telemetry::continue_from_nats(&span, message.headers.as_ref());
    let acker = message.clone();
    let outcome = handler(message).instrument(span.clone()).await;
    let _enter = span.enter();
    settle(durable, &acker, outcome).await;
}

/// Acknowledges a handled message, terminates a rejected one, asks for a
/// retried one again in a second; counts the outcome.
async fn settle(durable: &str, acker: &jetstream::Message, outcome: Result<(), HandleError>) {
    let subject = &acker.subject;
    let (label, ack) = match outcome {
        Ok(()) => ("applied", acker.ack().await),
        Err(HandleError::Rejected(reason)) => {
            tracing::warn!(event.subject = %subject, reason = %reason, "event rejected");
            ("rejected", acker.ack_with(AckKind::Term).await)
        }
        Err(HandleError::Retry(reason)) => {
            tracing::warn!(event.subject = %subject, reason = %reason, "event will be retried");
            (
                "retried",
                acker
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await,
            )
        }
    };
    metrics::counter!("veza_live_events_consumed_total", "consumer" => durable.to_owned(), "outcome" => label)
        .increment(1);
    if let Err(error) = ack {
        tracing::warn!(error = %error, "ack failed; the event will be redelivered");
    }
}
