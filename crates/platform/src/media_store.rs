//! The media store shared by live-catalog (thumbnails, replay playback)
//! and ingest-events (replay recording): a local folder or an
//! S3-compatible bucket behind `MEDIA_STORE`, through the `object_store`
//! crate. Both services must be given the same `MEDIA_STORE` (and `AWS_*`
//! variables): one writes what the other serves.

use std::{path::PathBuf, sync::Arc, time::Duration};

use futures::{StreamExt, TryStreamExt};
use object_store::{
    ClientOptions, ObjectStore, RetryConfig,
    aws::{AmazonS3Builder, AmazonS3ConfigKey},
    local::LocalFileSystem,
    path::Path,
    prefix::PrefixStore,
};

use crate::config::{ConfigError, Env};

/// The media folder when `MEDIA_STORE` is unset: inside the git-ignored
/// `.dev/` of a checkout, where `make run` starts the services.
pub const DEFAULT_MEDIA_STORE: &str = ".dev/media";

/// The object store behind `MEDIA_STORE`.
#[derive(Clone)]
pub enum MediaStoreLocation {
    /// A local folder; one per machine, so only for a single replica or a
    /// shared volume.
    Folder(PathBuf),
    /// An S3-compatible bucket; objects go under `prefix` (may be empty).
    S3 {
        bucket: String,
        prefix: String,
        builder: Box<AmazonS3Builder>,
    },
}

impl MediaStoreLocation {
    /// Reads `MEDIA_STORE` and, for a bucket, the `AWS_*` variables.
    ///
    /// Fails when `MEDIA_STORE` is neither a folder, a `file://` URL with
    /// an absolute path nor an `s3://` URL, or when the S3 settings do not
    /// make a client.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const NAME: &str = "MEDIA_STORE";
        let raw = env
            .optional(NAME)
            .unwrap_or_else(|| DEFAULT_MEDIA_STORE.to_owned());
        if let Some(path) = raw.strip_prefix("file://") {
            let path = PathBuf::from(path);
            if !path.is_absolute() {
                return Err(ConfigError::invalid(
                    NAME,
                    "a file:// URL takes an absolute path, e.g. file:///var/lib/veza-live/media",
                ));
            }
            return Ok(Self::Folder(path));
        }
        if let Some(rest) = raw.strip_prefix("s3://") {
            return Self::s3(env, rest);
        }
        if raw.contains("://") {
            return Err(ConfigError::invalid(
                NAME,
                format!("{raw:?}: expected a folder, file:///absolute/path or s3://bucket/prefix"),
            ));
        }
        Ok(Self::Folder(PathBuf::from(raw)))
    }

    fn s3(env: &Env, rest: &str) -> Result<Self, ConfigError> {
        const NAME: &str = "MEDIA_STORE";
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !bucket_ok {
            return Err(ConfigError::invalid(
                NAME,
                format!("{bucket:?} is not a bucket name (3 to 63 of a-z, 0-9, '.', '-')"),
            ));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        if object_store::path::Path::parse(&prefix).is_err() {
            return Err(ConfigError::invalid(
                NAME,
                format!("{prefix:?} is not a valid object prefix"),
            ));
        }
        // Fail fast rather than hang: a bucket that does not answer makes
        // an upload 503 within seconds (`AWS_CONNECT_TIMEOUT`,
        // `AWS_TIMEOUT` override the client's timeouts).
        let mut builder = AmazonS3Builder::new()
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(2))
                    .with_timeout(Duration::from_secs(10)),
            )
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(5),
                ..RetryConfig::default()
            });
        for (name, value) in env.with_prefix("AWS_") {
            // As `AmazonS3Builder::from_env`: names it does not know are
            // someone else's.
            if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value);
            }
        }
        if env.optional("AWS_ENDPOINT_URL").is_some() {
            env.url_or("AWS_ENDPOINT_URL", "")?;
        }
        let builder = builder.with_bucket_name(bucket);
        if let Err(e) = builder.clone().build() {
            return Err(ConfigError::invalid(
                NAME,
                format!("the S3 settings (AWS_* variables) do not make a client: {e}"),
            ));
        }
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix,
            builder: Box::new(builder),
        })
    }

    /// Opens the store, creating a local folder if needed.
    ///
    /// Fails when the folder cannot be created or the S3 client not built.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn ObjectStore>> {
        Ok(match self {
            Self::Folder(path) => {
                tokio::fs::create_dir_all(path).await.map_err(|e| {
                    anyhow::anyhow!("creating the media folder {}: {e}", path.display())
                })?;
                // Empty folders go away with their last file.
                Arc::new(LocalFileSystem::new_with_prefix(path)?.with_automatic_cleanup(true))
            }
            Self::S3 {
                prefix, builder, ..
            } => {
                let s3 = builder.as_ref().clone().build()?;
                if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                }
            }
        })
    }
}

/// Deletes every object under `prefix`; returns how many.
///
/// Fails when the store does not answer.
pub async fn delete_prefix(store: &dyn ObjectStore, prefix: &Path) -> object_store::Result<usize> {
    let names = store
        .list(Some(prefix))
        .map_ok(|meta| meta.location)
        .boxed();
    let deleted: Vec<Path> = store.delete_stream(names).try_collect().await?;
    Ok(deleted.len())
}
