//! live-catalog configuration.
//!
//! Besides the shared variables of `veza_live_platform::config`
//! (`DATABASE_URL`, `NATS_URL`, `JWT_SECRET`, `LISTEN_ADDR` default
//! `127.0.0.1:8081`, ...):
//! - `HLS_PUBLIC_URL` (default `http://127.0.0.1:8090/hls`): base of the HLS
//!   playback URL of a live stream (`<base>/<stream_id>.m3u8`).
//! - `HTTP_WORKERS` (default: the number of CPUs).
//! - `MEDIA_STORE` (default `.dev/media`): where uploaded thumbnails are
//!   kept. A folder (relative to the working directory, or absolute), also
//!   written `file:///absolute/path`, created at start-up; or
//!   `s3://bucket[/prefix]`, an S3-compatible bucket.
//! - `MEDIA_PUBLIC_URL` (default `http://127.0.0.1:8080/media`): the public
//!   base of media URLs; a thumbnail's URL is
//!   `<base>/thumbnails/<stream_id>/<hash>.<ext>`. The gateway serves
//!   `/media/thumbnails/...` from live-catalog.
//! - With an `s3://` store, the usual AWS variables, read as object_store's
//!   `AmazonS3Builder::from_env` reads them: `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
//!   `AWS_DEFAULT_REGION`; default `us-east-1`), `AWS_ENDPOINT_URL` (a
//!   MinIO, Ceph or R2 endpoint), `AWS_ALLOW_HTTP` (`true` for a plain
//!   HTTP endpoint), `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`,
//!   `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (Kubernetes service
//!   account roles), `AWS_CONNECT_TIMEOUT` and `AWS_TIMEOUT` (defaults
//!   `2s` and `10s`). Without keys the bucket is reached with the instance's
//!   or pod's role.

use veza_live_platform::config::{BaseConfig, CommonConfig, ConfigError, Env, ServiceConfig};
pub use veza_live_platform::media_store::{DEFAULT_MEDIA_STORE, MediaStoreLocation};

/// Everything live-catalog reads at start-up.
#[derive(Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub hls_public_url: String,
    pub media: MediaConfig,
}

/// Where thumbnails are stored and the URL they are served under.
#[derive(Clone)]
pub struct MediaConfig {
    pub store: MediaStoreLocation,
    pub public_url: String,
}

impl ServiceConfig for Config {
    /// Reads and validates the environment.
    ///
    /// Fails with the first missing or invalid variable, named.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env, "live-catalog", "127.0.0.1:8081")?,
            hls_public_url: env.url_or("HLS_PUBLIC_URL", "http://127.0.0.1:8090/hls")?,
            media: MediaConfig {
                store: MediaStoreLocation::from_env(env)?,
                public_url: env.url_or("MEDIA_PUBLIC_URL", "http://127.0.0.1:8080/media")?,
            },
        })
    }

    fn base(&self) -> &BaseConfig {
        &self.common.base
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use object_store::aws::AmazonS3ConfigKey;

    use super::*;

    fn load(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut pairs = vec![
            ("DATABASE_URL", "postgres://u@127.0.0.1:5432/db"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ];
        pairs.extend_from_slice(extra);
        Config::from_env(&Env::from_pairs(pairs))
    }

    fn invalid_name(extra: &[(&str, &str)]) -> String {
        match load(extra) {
            Err(ConfigError::Invalid { name, .. }) => name,
            Err(other) => panic!("{extra:?}: expected an invalid variable, got {other}"),
            Ok(_) => panic!("{extra:?}: expected an invalid variable, got a config"),
        }
    }

    #[test]
    fn media_defaults_to_a_dev_folder_served_through_the_gateway() {
        let cfg = load(&[]).expect("valid");
        match cfg.media.store {
            MediaStoreLocation::Folder(path) => assert_eq!(path, PathBuf::from(".dev/media")),
            MediaStoreLocation::S3 { .. } => panic!("default is a folder"),
        }
        assert_eq!(cfg.media.public_url, "http://127.0.0.1:8080/media");
    }

    #[test]
    fn media_store_takes_folders_file_urls_and_buckets() {
        let folder = |value: &str| match load(&[("MEDIA_STORE", value)]).expect("valid").media.store
        {
            MediaStoreLocation::Folder(path) => path,
            MediaStoreLocation::S3 { .. } => panic!("{value} is a folder"),
        };
        assert_eq!(
            folder("file:///var/lib/media"),
            PathBuf::from("/var/lib/media")
        );
        assert_eq!(folder("/srv/media"), PathBuf::from("/srv/media"));
        assert_eq!(folder("data/media"), PathBuf::from("data/media"));
        let cfg = load(&[
            ("MEDIA_STORE", "s3://veza-media/live/thumbs/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "eu-west-3"),
        ])
        .expect("valid");
        match cfg.media.store {
            MediaStoreLocation::S3 {
                bucket,
                prefix,
                builder,
            } => {
                assert_eq!(bucket, "veza-media");
                assert_eq!(prefix, "live/thumbs");
                assert_eq!(
                    builder.get_config_value(&AmazonS3ConfigKey::Region),
                    Some("eu-west-3".to_owned())
                );
                assert_eq!(
                    builder.get_config_value(&AmazonS3ConfigKey::Endpoint),
                    Some("http://127.0.0.1:9000".to_owned())
                );
            }
            MediaStoreLocation::Folder(_) => panic!("s3:// is a bucket"),
        }
    }

    #[test]
    fn bad_media_settings_are_named() {
        for value in [
            "file://relative/path",
            "gs://bucket",
            "s3://",
            "s3://Bad_Bucket",
            "s3://bucket/a/../b",
        ] {
            assert_eq!(
                invalid_name(&[("MEDIA_STORE", value)]),
                "MEDIA_STORE",
                "{value}"
            );
        }
        assert_eq!(
            invalid_name(&[
                ("MEDIA_STORE", "s3://bucket"),
                ("AWS_ENDPOINT_URL", "not a url")
            ]),
            "AWS_ENDPOINT_URL"
        );
        assert_eq!(
            invalid_name(&[("MEDIA_STORE", "s3://bucket"), ("AWS_ALLOW_HTTP", "maybe")]),
            "MEDIA_STORE"
        );
        assert_eq!(
            invalid_name(&[("MEDIA_PUBLIC_URL", "cdn.example/media")]),
            "MEDIA_PUBLIC_URL"
        );
    }
}
