//! Bearer JWT authentication: HS256 pinned, `exp` required, the user id in
//! `user_id` or `sub` (a UUID string), `username` optional, `iss`/`aud`
//! checked when configured. Every service validates tokens itself.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ApiError, config::JwtConfig};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub username: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl AuthUser {
    /// A display name: the token's username, else a short form of the id.
    pub fn display_name(&self) -> String {
        display_name(self.user_id, self.username.as_deref())
    }
}

/// A user's display name: `username` when given, else `user-` and the first
/// eight hex digits of the id.
pub fn display_name(user_id: Uuid, username: Option<&str>) -> String {
    username.map_or_else(
        || {
            let id = user_id.simple().to_string();
            format!("user-{}", &id[..8])
        },
        str::to_owned,
    )
}

/// The caller, when a token is present; a present but bad token is still
/// refused with 401.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

/// Why a token was refused; the message is safe to show.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid or expired token")]
    Invalid,
}

/// Verifies tokens; cheap to clone.
#[derive(Clone)]
pub struct JwtVerifier {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtVerifier {
    /// A verifier for the configured secret, issuer and audience.
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        // A token not valid yet is refused as well (`nbf`, when present).
        validation.validate_nbf = true;
        validation.leeway = 5;
        match &config.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &config.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        Self {
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        }
    }

    /// Checks a token and returns its user.
    ///
    /// Fails when the signature, algorithm, expiry, issuer, audience or user
    /// id is wrong.
    pub fn verify(&self, token: &str) -> Result<AuthUser, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        let raw_id = claims.user_id.or(claims.sub).ok_or(TokenError::Invalid)?;
        let user_id = Uuid::parse_str(&raw_id).map_err(|_| TokenError::Invalid)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        Ok(AuthUser {
            user_id,
            // The Unicode policy of every displayed text: no bidi controls, not invisible-only.
            username: claims
                .username
                .map(|u| {
                    veza_live_domain::text::clean(&u)
                        .chars()
                        .take(64)
                        .collect::<String>()
                })
                .filter(|u| !u.is_empty()),
            expires_at,
        })
    }

    /// Signs a token for a user, valid for `ttl`. Used by dev login and tests.
    ///
    /// Fails only if signing fails, which HS256 does not.
    pub fn mint(
        &self,
        user_id: Uuid,
        username: Option<&str>,
        ttl: chrono::Duration,
    ) -> Result<String, ApiError> {
        let now = Utc::now();
        let claims = Claims {
            user_id: Some(user_id.to_string()),
            sub: Some(user_id.to_string()),
            username: username.map(str::to_owned),
            exp: (now + ttl).timestamp(),
            iat: Some(now.timestamp()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.into()))
    }
}

/// The bearer token of a request: the `Authorization` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let mut values = req
        .headers()
        .get_all(actix_web::http::header::AUTHORIZATION);
    let value = values.next()?.to_str().ok()?;
    // Two credentials are ambiguous (a proxy and the client may each add
    // one): refuse rather than pick one.
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn authenticate(req: &HttpRequest) -> Result<Option<AuthUser>, ApiError> {
    let has_header = req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION);
    let Some(token) = bearer_token(req) else {
        return if has_header {
            Err(ApiError::Unauthorized(TokenError::Invalid.to_string()))
        } else {
            Ok(None)
        };
    };
    let verifier = req
        .app_data::<web::Data<JwtVerifier>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtVerifier missing from app data")))?;
    verifier
        .verify(token)
        .map(Some)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|user| {
            user.ok_or_else(|| ApiError::Unauthorized(TokenError::Missing.to_string()))
        }))
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(MaybeAuthUser))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn verifier(issuer: Option<&str>) -> JwtVerifier {
        JwtVerifier::new(&JwtConfig {
            secret: SecretString::from(SECRET),
            issuer: issuer.map(str::to_owned),
            audience: None,
        })
    }

    fn sign(claims: serde_json::Value, alg: Algorithm, secret: &str) -> String {
        encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    }

    fn future() -> i64 {
        Utc::now().timestamp() + 600
    }

    #[test]
    fn minted_token_round_trips() {
        let v = verifier(None);
        let id = Uuid::new_v4();
        let token = v
            .mint(id, Some("dj"), chrono::Duration::minutes(5))
            .expect("mint");
        let user = v.verify(&token).expect("valid");
        assert_eq!(user.user_id, id);
        assert_eq!(user.username.as_deref(), Some("dj"));
        for (raw, shown) in [
            ("\u{202e}dj\u{202c}", Some("dj")),
            ("\u{200b}\u{feff}", None),
        ] {
            let token = sign(
                serde_json::json!({"sub": id.to_string(), "exp": future(), "username": raw}),
                Algorithm::HS256,
                SECRET,
            );
            let user = verifier(None).verify(&token).expect("valid");
            assert_eq!(user.username.as_deref(), shown, "{raw:?}");
        }
    }

    #[test]
    fn accepts_sub_when_user_id_is_absent() {
        let id = Uuid::new_v4();
        let token = sign(
            serde_json::json!({"sub": id.to_string(), "exp": future()}),
            Algorithm::HS256,
            SECRET,
        );
        assert_eq!(verifier(None).verify(&token).expect("valid").user_id, id);
    }

    #[test]
    fn refuses_missing_exp_expired_wrong_secret_wrong_alg_and_non_uuid() {
        let v = verifier(None);
        let id = Uuid::new_v4().to_string();
        let cases = [
            sign(serde_json::json!({"sub": id}), Algorithm::HS256, SECRET),
            sign(
                serde_json::json!({"sub": id, "exp": 1_000}),
                Algorithm::HS256,
                SECRET,
            ),
            sign(
                serde_json::json!({"sub": id, "exp": future()}),
                Algorithm::HS256,
                "another-secret-another-secret-xx",
            ),
            sign(
                serde_json::json!({"sub": id, "exp": future()}),
                Algorithm::HS384,
                SECRET,
            ),
            sign(
                serde_json::json!({"sub": "alice", "exp": future()}),
                Algorithm::HS256,
                SECRET,
            ),
            sign(
                serde_json::json!({"sub": id, "exp": future().to_string()}),
                Algorithm::HS256,
                SECRET,
            ),
            "not-a-jwt".to_owned(),
        ];
        for token in cases {
            assert_eq!(
                v.verify(&token),
                Err(TokenError::Invalid),
                "token {token} must be refused"
            );
        }
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let id = Uuid::new_v4().to_string();
        let later = sign(
            serde_json::json!({"sub": id, "exp": future() + 3600, "nbf": future() + 3000}),
            Algorithm::HS256,
            SECRET,
        );
        assert_eq!(verifier(None).verify(&later), Err(TokenError::Invalid));
        let now = sign(
            serde_json::json!({"sub": id, "exp": future(), "nbf": Utc::now().timestamp() - 10}),
            Algorithm::HS256,
            SECRET,
        );
        assert!(verifier(None).verify(&now).is_ok());
    }

    #[test]
    fn issuer_is_checked_when_configured() {
        let v = verifier(Some("veza"));
        let id = Uuid::new_v4().to_string();
        let wrong = sign(
            serde_json::json!({"sub": id, "exp": future(), "iss": "other"}),
            Algorithm::HS256,
            SECRET,
        );
        let right = sign(
            serde_json::json!({"sub": id, "exp": future(), "iss": "veza"}),
            Algorithm::HS256,
            SECRET,
        );
        assert!(v.verify(&wrong).is_err());
        assert!(v.verify(&right).is_ok());
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let id = Uuid::new_v4().to_string();
        let token = sign(
            serde_json::json!({"sub": id, "exp": future()}),
            Algorithm::HS256,
            SECRET,
        );
        let bearer = format!("Bearer {token}");
        let one = actix_web::test::TestRequest::default()
            .insert_header((actix_web::http::header::AUTHORIZATION, bearer.as_str()))
            .to_http_request();
        assert_eq!(bearer_token(&one), Some(token.as_str()));
        let two = actix_web::test::TestRequest::default()
            .append_header((actix_web::http::header::AUTHORIZATION, bearer.as_str()))
            .append_header((actix_web::http::header::AUTHORIZATION, "Bearer other"))
            .to_http_request();
        assert_eq!(bearer_token(&two), None);
        let user = actix_web::test::TestRequest::default()
            .append_header((actix_web::http::header::AUTHORIZATION, bearer.as_str()))
            .append_header((actix_web::http::header::AUTHORIZATION, bearer.as_str()))
            .app_data(web::Data::new(verifier(None)))
            .to_http_request();
        assert!(matches!(
            authenticate(&user),
            Err(ApiError::Unauthorized(_))
        ));
    }
}
