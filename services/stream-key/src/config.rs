//! stream-key configuration.
//!
//! Besides the shared variables of `veza_live_platform::config`
//! (`DATABASE_URL`, `NATS_URL`, `JWT_SECRET`, `LISTEN_ADDR` default
//! `127.0.0.1:8082`, ...):
//! - `STREAM_KEY_ENC_KEY` (required): 32 bytes as 64 hex characters, the
//!   AES-256-GCM key that encrypts keys at rest.
//! - `STREAM_KEY_HMAC_KEY` (required): at least 32 bytes as hex, the
//!   HMAC-SHA256 key of the lookup column.
//! - `RTMP_PUBLIC_URL` (default `rtmp://127.0.0.1:1935/live`): where
//!   encoders publish.
//! - `KEY_GUESS_LIMIT` (default 10), `KEY_GUESS_WINDOW_S` (default 60),
//!   `KEY_GUESS_COOLDOWN_S` (default 300): failed validations from one
//!   address within the window before it is refused for the cooldown.
//! - `HTTP_WORKERS` (default: the number of CPUs).

use std::time::Duration;

use secrecy::SecretBox;
use veza_live_platform::config::{BaseConfig, CommonConfig, ConfigError, Env, ServiceConfig};

/// Everything stream-key reads at start-up.
pub struct Config {
    pub common: CommonConfig,
    pub enc_key: SecretBox<[u8; 32]>,
    pub hmac_key: SecretBox<Vec<u8>>,
    pub rtmp_public_url: String,
    pub guess_limit: u32,
    pub guess_window: Duration,
    pub guess_cooldown: Duration,
}

fn hex_secret(env: &Env, name: &str) -> Result<Vec<u8>, ConfigError> {
    let secret = env.required(name)?;
    if secret.len() < 64 {
        return Err(ConfigError::invalid(
            name,
            "must be at least 64 hex characters (32 bytes)",
        ));
    }
    hex::decode(&secret).map_err(|_| ConfigError::invalid(name, "must be hex"))
}

impl ServiceConfig for Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let enc: [u8; 32] = hex_secret(env, "STREAM_KEY_ENC_KEY")?
            .try_into()
            .map_err(|_| {
                ConfigError::invalid(
                    "STREAM_KEY_ENC_KEY",
                    "must be exactly 32 bytes (64 hex characters)",
                )
            })?;
        let hmac = hex_secret(env, "STREAM_KEY_HMAC_KEY")?;
        let guess_limit: u32 = env.parse_or("KEY_GUESS_LIMIT", 10)?;
        if guess_limit == 0 {
            return Err(ConfigError::invalid(
                "KEY_GUESS_LIMIT",
                "must be at least 1",
            ));
        }
        Ok(Self {
            common: CommonConfig::from_env(env, "stream-key", "127.0.0.1:8082")?,
            enc_key: SecretBox::new(Box::new(enc)),
            hmac_key: SecretBox::new(Box::new(hmac)),
            rtmp_public_url: env.url_or("RTMP_PUBLIC_URL", "rtmp://127.0.0.1:1935/live")?,
            guess_limit,
            guess_window: Duration::from_secs(env.parse_or("KEY_GUESS_WINDOW_S", 60)?),
            guess_cooldown: Duration::from_secs(env.parse_or("KEY_GUESS_COOLDOWN_S", 300)?),
        })
    }

    fn base(&self) -> &BaseConfig {
        &self.common.base
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn env(extra: &[(&str, &str)]) -> Env {
        let mut pairs = vec![
            ("DATABASE_URL", "postgres://u@127.0.0.1/db".to_owned()),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef".to_owned()),
            ("STREAM_KEY_ENC_KEY", "11".repeat(32)),
            ("STREAM_KEY_HMAC_KEY", "22".repeat(32)),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        Env::from_pairs(pairs)
    }

    #[test]
    fn valid_keys_load() {
        let cfg = Config::from_env(&env(&[])).expect("valid");
        assert_eq!(cfg.enc_key.expose_secret()[0], 0x11);
        assert_eq!(cfg.rtmp_public_url, "rtmp://127.0.0.1:1935/live");
    }

    #[test]
    fn bad_key_material_is_named() {
        let short = "ab".repeat(16);
        let long = "ab".repeat(40);
        for (name, value) in [
            ("STREAM_KEY_ENC_KEY", short.as_str()),
            ("STREAM_KEY_ENC_KEY", long.as_str()),
            ("STREAM_KEY_ENC_KEY", &"zz".repeat(32)),
            ("STREAM_KEY_HMAC_KEY", "abcd"),
        ] {
            let err = Config::from_env(&env(&[(name, value)]))
                .err()
                .expect("invalid");
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
