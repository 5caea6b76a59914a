//! Lease renewals of listener holders (chat-gateway instances) on
//! `live.listeners.leases` (core NATS, queue group `ingest-events`, so one
//! replica stores each): every renewal extends its holder's lease by
//! `LISTENER_LEASE_MS`. The sweep in [`crate::tasks::lease_expiry`] removes the
//! listeners of holders whose lease lapsed.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_domain::events::{LEASE_HOLDER_MAX, ListenerLeaseRenewal};

use crate::{db::listeners, state::AppState};

/// Pause before subscribing again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Stores renewals until `cancel` fires.
pub fn spawn(state: AppState, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let subject = state.subjects.listener_leases();
        while !cancel.is_cancelled() {
            let mut renewals = match state
                .nats
                .queue_subscribe(subject.clone(), "ingest-events".to_owned())
                .await
            {
                Ok(subscription) => subscription,
                Err(error) => {
                    tracing::warn!(error = %error, "could not subscribe to lease renewals, retrying");
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(RETRY) => continue,
                    }
                }
            };
            loop {
                let message = tokio::select! {
                    () = cancel.cancelled() => return,
                    message = renewals.next() => message,
                };
                let Some(message) = message else { break };
                if let Err(error) = store(&state, &message.payload).await {
                    tracing::warn!(error = %error, "lease renewal not stored");
                }
            }
        }
    })
}

async fn store(state: &AppState, payload: &[u8]) -> anyhow::Result<()> {
    let renewal: ListenerLeaseRenewal = serde_json::from_slice(payload)?;
    let holder = renewal.holder;
    if holder.is_empty() || holder.chars().count() > LEASE_HOLDER_MAX {
        anyhow::bail!("holder must be 1 to {LEASE_HOLDER_MAX} characters");
    }
    let until = Utc::now() + state.leases.listener_lease();
    let mut conn = state.pool.get().await?;
    listeners::renew_lease(&mut conn, &holder, until).await?;
    Ok(())
}
