//! Request/reply payloads exchanged over NATS between services. Replies use
//! the same envelope as HTTP: `{"success": true, "data": ...}` or
//! `{"success": false, "error": {"code", "message"}}`.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::{ErrorBody, Subjects};

/// One request/reply exchange: its subject, what is asked and what is
/// answered. Callers and responders name the exchange (`call::<IssueKey>`),
/// so a subject cannot be paired with the wrong payloads.
pub trait Rpc {
    type Request: Serialize + DeserializeOwned + Send + Sync + 'static;
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// The subject under the deployment's prefix.
    fn subject(subjects: &Subjects) -> String;
}

macro_rules! rpc {
    ($(#[$doc:meta])* $name:ident: $request:ty => $reply:ty, $subject:ident) => {
        $(#[$doc])*
        pub struct $name;

        impl Rpc for $name {
            type Request = $request;
            type Reply = $reply;

            fn subject(subjects: &Subjects) -> String {
                subjects.$subject()
            }
        }
    };
}

rpc!(
    /// `live.rpc.keys.issue` (stream-key): the streamer's key, created
    /// when missing.
    IssueKey: IssueKeyRequest => IssuedKey, rpc_keys_issue
);
rpc!(
    /// `live.rpc.keys.validate` (stream-key): whose key this is.
    ValidateKey: ValidateKeyRequest => ValidatedKey, rpc_keys_validate
);
rpc!(
    /// `live.rpc.catalog.resolve_publish` (live-catalog): which stream goes
    /// live when the streamer publishes.
    ResolvePublish: StreamForUserRequest => StreamForUser, rpc_resolve_publish
);
rpc!(
    /// `live.rpc.catalog.ensure_draft` (live-catalog): the streamer's
    /// current stream, a new draft when there is none.
    EnsureDraft: StreamForUserRequest => StreamForUser, rpc_ensure_draft
);
rpc!(
    /// `live.rpc.catalog.stream_owner` (live-catalog): owner and status of
    /// a stream.
    LookUpStreamOwner: StreamOwnerRequest => StreamOwner, rpc_stream_owner
);

/// A request/reply answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct RpcReply<T> {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl<T> RpcReply<T> {
    /// A successful answer.
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            data: Some(data),
            error: None,
        }
    }

    /// A refusal with a stable code.
    pub fn err(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            success: false,
            data: None,
            error: Some(ErrorBody::new(code, message)),
        }
    }

    /// Turns the envelope into a `Result`.
    ///
    /// Fails with the error body, or an `invalid_reply` body when a
    /// successful reply carries no data.
    pub fn into_result(self) -> Result<T, ErrorBody> {
        match (self.success, self.data, self.error) {
            (true, Some(data), _) => Ok(data),
            (_, _, Some(error)) => Err(error),
            _ => Err(ErrorBody::new(
                "invalid_reply",
                "reply carried neither data nor error",
            )),
        }
    }
}

/// `live.rpc.keys.issue`: get or create the streamer's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueKeyRequest {
    pub user_id: Uuid,
}

/// The owner's key and where to publish with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedKey {
    pub stream_key: String,
    pub rtmp_url: String,
}

/// `live.rpc.keys.validate`: whose key is this?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateKeyRequest {
    pub stream_key: String,
    /// Address of the publishing client, for throttling guesses.
    #[serde(default)]
    pub client_addr: Option<String>,
}

/// The owner of a valid key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatedKey {
    pub user_id: Uuid,
}

/// `live.rpc.catalog.resolve_publish` and `live.rpc.catalog.ensure_draft`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamForUserRequest {
    pub user_id: Uuid,
    /// Display name for a stream created on the streamer's behalf.
    #[serde(default)]
    pub username: Option<String>,
}

/// The stream chosen for a streamer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamForUser {
    pub stream_id: Uuid,
    /// Whether its owner wants the broadcast recorded as a replay (absent
    /// from older catalogs: recorded).
    #[serde(default = "yes")]
    pub record_replay: bool,
}

fn yes() -> bool {
    true
}

/// `live.rpc.catalog.stream_owner`: who owns this stream, and where is it
/// in its life? For RTMP servers that report a stream by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOwnerRequest {
    pub stream_id: Uuid,
}

/// The owner and status of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOwner {
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub status: crate::StreamStatus,
    /// As in [`StreamForUser`].
    #[serde(default = "yes")]
    pub record_replay: bool,
}

/// Stable error codes of the request/reply subjects.
pub mod codes {
    pub const INVALID_KEY: &str = "invalid_key";
    pub const THROTTLED: &str = "throttled";
    pub const ALREADY_LIVE: &str = "already_live";
    pub const NOT_FOUND: &str = "not_found";
    pub const BAD_REQUEST: &str = "bad_request";
    pub const UNAVAILABLE: &str = "service_unavailable";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reply_envelope_matches_http_envelope() {
        let ok = serde_json::to_value(RpcReply::ok(ValidatedKey {
            user_id: Uuid::nil(),
        }))
        .expect("json");
        assert_eq!(
            ok,
            json!({"success": true, "data": {"user_id": "00000000-0000-0000-0000-000000000000"}})
        );
        let err = serde_json::to_value(RpcReply::<ValidatedKey>::err(
            codes::INVALID_KEY,
            "unknown key",
        ))
        .expect("json");
        assert_eq!(
            err,
            json!({"success": false, "error": {"code": "invalid_key", "message": "unknown key"}})
        );
    }

    #[test]
    fn into_result_reports_missing_data() {
        let reply: RpcReply<ValidatedKey> =
            serde_json::from_value(json!({"success": true})).expect("json");
        assert_eq!(reply.into_result().unwrap_err().code, "invalid_reply");
    }
}
