//! The error envelope: one `ApiError` for every service, answered as
//! `{"success": false, "error": {code, message, details, request_id}}`.
//! A 5xx logs its cause once, here, and answers a generic message.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use veza_live_domain::{ErrorBody, FieldError};

use crate::http::current_request_id;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {message}")]
    Conflict { code: &'static str, message: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A client error with its own status and code, for refusals the
    /// variants above do not name (an undecodable image is 415
    /// `invalid_image`). Only 4xx statuses: any other answers 400.
    #[error("rejected: {message}")]
    Rejected {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("rate limited")]
    RateLimited { retry_after_s: u64 },
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    #[error("dependency timed out: {0}")]
    GatewayTimeout(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

#[derive(Serialize)]
struct ErrorEnvelope {
    success: bool,
    error: ErrorBody,
}

impl ApiError {
    /// The stable code and the message clients see.
    fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Self::Validation(_) => ("validation_failed", "the request is invalid".into()),
            Self::BadRequest(m) => ("bad_request", m.clone()),
            Self::Unauthorized(m) => ("unauthorized", m.clone()),
            Self::Forbidden(m) => ("forbidden", m.clone()),
            Self::NotFound(m) => ("not_found", m.clone()),
            Self::Conflict { code, message } => (code, message.clone()),
            Self::PayloadTooLarge => ("payload_too_large", "the request body is too large".into()),
            Self::UnsupportedMediaType => (
                "unsupported_media_type",
                "the request body must be application/json".into(),
            ),
            Self::Rejected { code, message, .. } => (code, message.clone()),
            Self::RateLimited { .. } => ("rate_limited", "too many requests, retry later".into()),
            Self::Unavailable(_) => (
                "service_unavailable",
                "a dependency is unavailable, retry later".into(),
            ),
            Self::GatewayTimeout(_) => (
                "gateway_timeout",
                "a dependency did not answer in time, retry later".into(),
            ),
            Self::Internal(_) => ("internal_error", "an internal error occurred".into()),
        }
    }

    /// The body of this error, as sent over HTTP or NATS.
    pub fn body(&self) -> ErrorBody {
        let (code, message) = self.code_and_message();
        ErrorBody {
            code: code.to_owned(),
            message,
            details: match self {
                Self::Validation(details) => details.clone(),
                _ => Vec::new(),
            },
            request_id: current_request_id(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Rejected { status, .. } if status.is_client_error() => *status,
            Self::Rejected { .. } => StatusCode::BAD_REQUEST,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(cause) | Self::GatewayTimeout(cause) => {
                tracing::warn!(error.cause = %cause, "dependency unavailable");
            }
            Self::Internal(cause) => {
                tracing::error!(error.cause = format!("{cause:#}"), "request failed");
            }
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            Self::RateLimited { retry_after_s } => {
                builder.insert_header(("Retry-After", retry_after_s.max(&1).to_string()));
            }
            Self::Unavailable(_) | Self::GatewayTimeout(_) => {
                builder.insert_header(("Retry-After", "1"));
            }
            Self::Unauthorized(_) => {
                builder.insert_header(("WWW-Authenticate", "Bearer"));
            }
            _ => {}
        }
        builder.json(ErrorEnvelope {
            success: false,
            error: self.body(),
        })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound("resource not found".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Conflict {
                code: "conflict",
                message: "the resource already exists".into(),
            },
            Error::RollbackErrorOnCommit { commit_error, .. } => Self::from(*commit_error),
            other if database_gone(&other) => Self::Unavailable(format!("database: {other}")),
            other => Self::Internal(other.into()),
        }
    }
}

/// Whether a database error means the server went away (a connection
/// closed or reset, the server shutting down or starting up) rather than a
/// fault of the request: that is a 503 to retry, not a 500.
fn database_gone(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        // diesel-async reports every error without an SQLSTATE (I/O, a
        // closed socket) as UnableToSendCommand.
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | Error::BrokenTransactionManager => true,
        // 57P01 admin_shutdown, 57P02 crash_shutdown and 57P03
        // cannot_connect_now; diesel keeps the message, not the code.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("terminating connection")
                || message.starts_with("the database system is")
        }
        _ => false,
    }
}

impl From<crate::db::PoolError> for ApiError {
    fn from(err: crate::db::PoolError) -> Self {
        Self::Unavailable(format!("database pool: {err}"))
    }
}

impl From<crate::nats::RpcError> for ApiError {
    fn from(err: crate::nats::RpcError) -> Self {
        match err {
            crate::nats::RpcError::Unavailable(cause) => Self::Unavailable(cause),
            other => Self::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::ApiError;

    fn db(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_database_that_went_away_is_unavailable() {
        for err in [
            db(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            db(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection",
            ),
            db(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            db(
                DatabaseErrorKind::Unknown,
                "the database system is starting up",
            ),
            Error::BrokenTransactionManager,
            Error::RollbackErrorOnCommit {
                commit_error: Box::new(db(
                    DatabaseErrorKind::UnableToSendCommand,
                    "connection closed",
                )),
                rollback_error: Box::new(Error::BrokenTransactionManager),
            },
        ] {
            let shown = err.to_string();
            assert!(
                matches!(ApiError::from(err), ApiError::Unavailable(_)),
                "{shown} should be a 503"
            );
        }
    }

    #[test]
    fn other_database_errors_stay_internal() {
        for err in [
            db(DatabaseErrorKind::Unknown, "column \"x\" does not exist"),
            db(DatabaseErrorKind::CheckViolation, "check failed"),
            Error::RollbackTransaction,
        ] {
            let shown = err.to_string();
            assert!(
                matches!(ApiError::from(err), ApiError::Internal(_)),
                "{shown} should be a 500"
            );
        }
        assert!(matches!(
            ApiError::from(db(DatabaseErrorKind::UniqueViolation, "dup")),
            ApiError::Conflict { .. }
        ));
    }
}
