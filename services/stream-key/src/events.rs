//! Request/reply subjects stream-key answers: `live.rpc.keys.issue` (get or
//! create the streamer's key) and `live.rpc.keys.validate` (whose key is
//! this), and the catalog's `ensure_draft` it calls.

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::rpc::{
    IssueKeyRequest, IssuedKey, RpcReply, StreamForUser, StreamForUserRequest, ValidateKeyRequest,
    codes,
};
use veza_live_platform::{ApiError, nats};

use crate::{keys, state::AppState};

/// The queue group all stream-key replicas share.
const QUEUE: &str = "stream-key";

/// Starts both responders.
pub async fn spawn(state: AppState, cancel: CancellationToken) -> Vec<JoinHandle<()>> {
    let issue_state = state.clone();
    let validate_state = state.clone();
    vec![
        nats::serve(
            state.nats.clone(),
            state.subjects.rpc_keys_issue(),
            QUEUE.into(),
            cancel.clone(),
            move |req: IssueKeyRequest| {
                let state = issue_state.clone();
                async move {
                    match keys::get_or_create(&state, req.user_id).await {
                        Ok(stream_key) => RpcReply::ok(IssuedKey {
                            stream_key,
                            rtmp_url: state.rtmp_public_url.clone(),
                        }),
                        Err(error) => {
                            tracing::warn!(error = %error, "keys.issue failed");
                            RpcReply::err(codes::UNAVAILABLE, "stream-key unavailable")
                        }
                    }
                }
            },
        )
        .await,
        nats::serve(
            state.nats.clone(),
            state.subjects.rpc_keys_validate(),
            QUEUE.into(),
            cancel,
            move |req: ValidateKeyRequest| {
                let state = validate_state.clone();
                async move { keys::validate(&state, req).await }
            },
        )
        .await,
    ]
}

/// The streamer's current stream from the catalog, created as a draft
/// when there is none.
///
/// Fails with 503 when the catalog does not answer in time.
pub async fn ensure_draft(
    state: &AppState,
    user_id: Uuid,
    username: Option<String>,
) -> Result<Uuid, ApiError> {
    let reply: StreamForUser = nats::request(
        &state.nats,
        state.subjects.rpc_ensure_draft(),
        &StreamForUserRequest { user_id, username },
        state.rpc_timeout,
    )
    .await?;
    Ok(reply.stream_id)
}
