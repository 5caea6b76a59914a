//! Calls ingest-events makes to other services, their refusals mapped onto
//! [`IngestError`].

use uuid::Uuid;
use veza_live_domain::{
    ErrorBody,
    rpc::{
        LookUpStreamOwner, ResolvePublish, StreamForUser, StreamForUserRequest, StreamOwner,
        StreamOwnerRequest, ValidateKey, ValidateKeyRequest, codes,
    },
};
use veza_live_platform::nats::RpcError;

use crate::{
    ingest::{IngestError, Origin},
    state::AppState,
};

/// Maps a refusal from another service onto an ingest error.
fn from_rpc(err: RpcError) -> IngestError {
    match err {
        RpcError::Refused(ErrorBody { code, .. }) => match code.as_str() {
            codes::INVALID_KEY => IngestError::InvalidKey,
            codes::THROTTLED => IngestError::Throttled,
            codes::ALREADY_LIVE => IngestError::AlreadyLive,
            codes::NOT_FOUND => IngestError::UnknownStream,
            other => IngestError::Unavailable(format!("refused: {other}")),
        },
        RpcError::Unavailable(cause) | RpcError::InvalidReply(cause) => {
            IngestError::Unavailable(cause)
        }
    }
}

/// The owner and status of a stream, from the catalog.
pub async fn stream_owner(state: &AppState, stream_id: Uuid) -> Result<StreamOwner, IngestError> {
    state
        .call::<LookUpStreamOwner>(&StreamOwnerRequest { stream_id })
        .await
        .map_err(from_rpc)
}

/// Whose stream key this is, from stream-key (which throttles guesses per
/// client address).
pub async fn key_owner(state: &AppState, key: &str, origin: &Origin) -> Result<Uuid, IngestError> {
    let req = ValidateKeyRequest {
        stream_key: key.to_owned(),
        client_addr: origin.client_addr.clone(),
    };
    let valid = state.call::<ValidateKey>(&req).await.map_err(from_rpc)?;
    Ok(valid.user_id)
}

/// The stream that goes live when `user_id` publishes, from the catalog;
/// [`IngestError::AlreadyLive`] when one already is.
pub async fn resolve_publish(
    state: &AppState,
    user_id: Uuid,
) -> Result<StreamForUser, IngestError> {
    let req = StreamForUserRequest {
        user_id,
        username: None,
    };
    state.call::<ResolvePublish>(&req).await.map_err(from_rpc)
}
