//! `POST /api/v1/auth/dev-token`: development logins, only with
//! `LIVE_DEV_AUTH=true`. The same username always gets the same user id.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use veza_live_domain::FieldError;
use veza_live_platform::{ApiError, auth::JwtVerifier, http};

use crate::state::AppState;

/// How long a dev token lasts.
const TTL_HOURS: i64 = 24;

/// A dev login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevTokenRequest {
    /// 1..=32 characters: letters, digits, `_`, `-`, `.`; surrounding white
    /// space is trimmed.
    #[schema(pattern = r"^\s*[A-Za-z0-9_.\-]{1,32}\s*$")]
    pub username: String,
}

/// A signed token for the username's stable user id.
#[derive(Debug, Serialize, ToSchema)]
pub struct DevToken {
    pub token: String,
    pub user_id: Uuid,
    pub username: String,
    pub expires_at: DateTime<Utc>,
}

/// `{"success": true, "data": DevToken}`.
#[derive(ToSchema)]
pub struct DevTokenResponse {
    pub success: bool,
    pub data: DevToken,
}

/// The stable user id of a dev username (UUID v5, as `scripts/dev-token.sh`).
pub fn dev_user_id(username: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("veza-live:dev-user:{username}").as_bytes(),
    )
}

fn valid_username(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Mint a development token (404 unless `LIVE_DEV_AUTH=true`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/dev-token",
    tag = "auth",
    request_body = DevTokenRequest,
    responses(
        (status = 200, description = "A token", body = DevTokenResponse),
        (status = 400, description = "Invalid username", body = veza_live_platform::openapi::ErrorResponse),
        (status = 404, description = "Dev logins are off", body = veza_live_platform::openapi::ErrorResponse),
    )
)]
pub async fn mint(
    state: web::Data<AppState>,
    jwt: web::Data<JwtVerifier>,
    body: web::Json<DevTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    if !state.dev_auth {
        return Err(ApiError::NotFound("no such route".into()));
    }
    let username = body.into_inner().username.trim().to_owned();
    if !valid_username(&username) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "username",
            "username must be 1 to 32 letters, digits, '_', '-' or '.'",
        )]));
    }
    let user_id = dev_user_id(&username);
    let ttl = chrono::Duration::hours(TTL_HOURS);
    let token = jwt.mint(user_id, Some(&username), ttl)?;
    Ok(http::ok(DevToken {
        token,
        user_id,
        username,
        expires_at: Utc::now() + ttl,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_username_same_user_and_the_script_agrees() {
        assert_eq!(dev_user_id("alice"), dev_user_id("alice"));
        assert_ne!(dev_user_id("alice"), dev_user_id("bob"));
        // scripts/dev-token.sh: uuid5(NAMESPACE_URL, "veza-live:dev-user:alice")
        assert_eq!(
            dev_user_id("alice").to_string(),
            "f2471c4a-7dbe-5711-8375-51da538cff6b"
        );
    }

    #[test]
    fn usernames_are_short_and_plain() {
        assert!(valid_username("dj.mix_01"));
        assert!(!valid_username(""));
        assert!(!valid_username(&"a".repeat(33)));
        assert!(!valid_username("a b"));
        assert!(!valid_username("<script>"));
    }
}
