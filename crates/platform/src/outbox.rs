//! The transactional outbox: an event row is written in the same
//! transaction as the change it describes, then relayed to JetStream with
//! `Nats-Msg-Id` = event id and marked published only after the stored
//! ack. Rows are claimed with `FOR UPDATE SKIP LOCKED` in id order, never
//! with an `id > last_seen` cursor (sequences commit out of order).

use std::{sync::Arc, time::Duration};

use async_nats::jetstream;
use chrono::Utc;
use diesel::{ExpressionMethods, QueryDsl, QueryResult};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use tokio::{sync::Notify, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::events::Event;

use crate::{db::DbPool, schema::outbox, telemetry};

/// Rows relayed per transaction.
const BATCH: i64 = 200;
/// How often the relay looks for rows when nobody woke it.
const POLL: Duration = Duration::from_millis(500);
/// How long published rows are kept for inspection.
const KEEP_PUBLISHED: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Adds an event to the outbox; call inside the transaction of the change.
///
/// Fails when the insert fails (the change then rolls back too).
pub async fn enqueue<P: Serialize>(
    conn: &mut AsyncPgConnection,
    subject: String,
    event: &Event<P>,
) -> QueryResult<()> {
    let payload = serde_json::to_value(event)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::event_id.eq(event.event_id),
            outbox::subject.eq(subject),
            outbox::payload.eq(payload),
            outbox::traceparent.eq(telemetry::current_traceparent()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] crate::db::PoolError),
    #[error("publish: {0:#}")]
    Publish(anyhow::Error),
}

type Row = (i64, Uuid, String, serde_json::Value, Option<String>);

/// Relays one batch; returns how many rows were published.
async fn relay_batch(pool: &DbPool, js: &jetstream::Context) -> Result<usize, RelayError> {
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let rows: Vec<Row> = outbox::table
            .filter(outbox::published_at.is_null())
            .order(outbox::id.asc())
            .limit(BATCH)
            .for_update()
            .skip_locked()
            .select((
                outbox::id,
                outbox::event_id,
                outbox::subject,
                outbox::payload,
                outbox::traceparent,
            ))
            .load(conn)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let publishes = rows
            .iter()
            .map(|(_, event_id, subject, payload, traceparent)| {
                let body = serde_json::to_vec(payload).unwrap_or_default();
                crate::nats::publish_event(
                    js,
                    subject.clone(),
                    *event_id,
                    body.into(),
                    traceparent.as_deref(),
                )
            });
        for result in futures::future::join_all(publishes).await {
            result.map_err(RelayError::Publish)?;
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set(outbox::published_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        metrics::counter!("veza_live_outbox_published_total").increment(ids.len() as u64);
        Ok(ids.len())
    })
    .await
}

async fn refresh_backlog_and_prune(pool: &DbPool) -> Result<(), RelayError> {
    let mut conn = pool.get().await?;
    let backlog: i64 = outbox::table
        .filter(outbox::published_at.is_null())
        .count()
        .get_result(&mut conn)
        .await?;
    metrics::gauge!("veza_live_outbox_backlog").set(backlog as f64);
    diesel::delete(outbox::table.filter(outbox::published_at.lt(Utc::now() - KEEP_PUBLISHED)))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Wakes the relay after a commit that wrote outbox rows.
#[derive(Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    /// Tells the relay that rows are waiting.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Runs the relay until `cancel` fires, then flushes what is left.
pub fn spawn_relay(
    pool: DbPool,
    js: jetstream::Context,
    waker: OutboxWaker,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_housekeeping = tokio::time::Instant::now();
        loop {
            let outcome = relay_batch(&pool, &js).await;
            let pause = match outcome {
                Ok(n) if n as i64 == BATCH => Duration::ZERO,
                Ok(_) => POLL,
                Err(error) => {
                    tracing::warn!(error = %error, "outbox relay failed, retrying");
                    Duration::from_secs(1)
                }
            };
            if last_housekeeping.elapsed() > Duration::from_secs(5) {
                last_housekeeping = tokio::time::Instant::now();
                if let Err(error) = refresh_backlog_and_prune(&pool).await {
                    tracing::debug!(error = %error, "outbox housekeeping skipped");
                }
            }
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = waker.0.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        // Flush on shutdown, bounded so a dead NATS cannot hold the exit.
        let flush = async {
            while let Ok(n) = relay_batch(&pool, &js).await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), flush).await;
    })
}
