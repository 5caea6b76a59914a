//! Request/reply subjects stream-key answers: `live.rpc.keys.issue` (get or
//! create the streamer's key) and `live.rpc.keys.validate` (whose key is
//! this).

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_domain::rpc::{IssueKey, IssuedKey, ValidateKey};
use veza_live_platform::nats::{self, Refusal};

use crate::{keys, state::AppState};

/// The queue group all stream-key replicas share.
const QUEUE: &str = "stream-key";

/// Starts both responders.
pub async fn spawn(state: AppState, cancel: CancellationToken) -> Vec<JoinHandle<()>> {
    let (issue_state, validate_state) = (state.clone(), state.clone());
    vec![
        nats::respond::<IssueKey, _, _>(
            state.nats.clone(),
            &state.subjects,
            QUEUE,
            cancel.clone(),
            move |req| {
                let state = issue_state.clone();
                async move {
                    let stream_key = keys::get_or_create(&state, req.user_id)
                        .await
                        .map_err(|error| Refusal::Unavailable(format!("keys.issue: {error}")))?;
                    Ok(IssuedKey {
                        stream_key,
                        rtmp_url: state.rtmp_public_url.clone(),
                    })
                }
            },
        )
        .await,
        nats::respond::<ValidateKey, _, _>(
            state.nats.clone(),
            &state.subjects,
            QUEUE,
            cancel,
            move |req| {
                let state = validate_state.clone();
                async move { keys::validate(&state, req).await }
            },
        )
        .await,
    ]
}
