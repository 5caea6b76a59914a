//! Stored media: stream thumbnails in an object store (a local folder or an
//! S3-compatible bucket), named by content, `thumbnails/<stream_id>/<hash>.<ext>`,
//! so their public URLs can be cached forever.

pub mod thumbnail;

use std::sync::Arc;

use bytes::Bytes;
use object_store::{ObjectStore, ObjectStoreExt, path::Path};
use tokio::sync::Semaphore;
use uuid::Uuid;
use veza_live_platform::ApiError;

use self::thumbnail::{Thumbnail, ThumbnailError, ThumbnailFile};
use crate::config::MediaConfig;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Thumbnails decoded at once: each may hold up to
/// [`thumbnail::MAX_DECODED_BYTES`], so this bounds the memory they take.
const CONCURRENT_RENDERS: usize = 2;

/// The store is unreachable or failed.
#[derive(Debug, thiserror::Error)]
#[error("media store: {0}")]
pub struct StoreError(#[from] object_store::Error);

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

impl From<ThumbnailError> for ApiError {
    fn from(err: ThumbnailError) -> Self {
        use actix_web::http::StatusCode;
        match err {
            ThumbnailError::UnsupportedFormat => Self::Rejected {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_image",
                message: "the body must be a PNG, JPEG or WebP image".into(),
            },
            ThumbnailError::Undecodable(_) => Self::Rejected {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_image",
                message: "the image could not be decoded".into(),
            },
            ThumbnailError::TooLarge => Self::Rejected {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "image_too_large",
                message: format!(
                    "the image is too large to decode (at most {side}x{side} pixels and {mib} MiB decoded)",
                    side = thumbnail::MAX_SIDE,
                    mib = thumbnail::MAX_DECODED_BYTES / (1024 * 1024)
                ),
            },
        }
    }
}

/// The media store and the public base of its URLs. Cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    public_url: String,
    renders: Arc<Semaphore>,
}

impl MediaStore {
    /// Opens the configured store, creating a local folder if needed.
    ///
    /// Fails when the folder cannot be created or the S3 client not built.
    pub async fn open(config: &MediaConfig) -> anyhow::Result<Self> {
        Ok(Self::new(config.store.open().await?, &config.public_url))
    }

    /// A media store over any object store (tests use this with an
    /// in-memory one).
    pub fn new(store: Arc<dyn ObjectStore>, public_url: &str) -> Self {
        Self {
            store,
            public_url: public_url.trim_end_matches('/').to_owned(),
            renders: Arc::new(Semaphore::new(CONCURRENT_RENDERS)),
        }
    }

    /// Decodes and re-encodes an upload on the blocking pool, at most
    /// [`CONCURRENT_RENDERS`] at a time.
    ///
    /// Fails with 4xx for what is not an acceptable image, 503 when the
    /// blocking pool is gone.
    pub async fn render(&self, upload: Bytes) -> Result<Thumbnail, ApiError> {
        let _permit = self
            .renders
            .acquire()
            .await
            .map_err(|_| ApiError::Unavailable("thumbnail renderer closed".into()))?;
        let rendered = actix_web::web::block(move || thumbnail::render(&upload))
            .await
            .map_err(|_| ApiError::Unavailable("thumbnail renderer stopped".into()))?;
        Ok(rendered?)
    }

    /// The object name of a stream's thumbnail.
    pub fn thumbnail_path(stream_id: Uuid, file: &ThumbnailFile) -> Path {
        Path::from(format!("thumbnails/{}/{file}", stream_id.hyphenated()))
    }

    /// The public URL of an object.
    pub fn public_url(&self, path: &Path) -> String {
        format!("{}/{path}", self.public_url)
    }

    /// The thumbnail of `stream_id` a URL of ours points at, if it is one.
    pub fn thumbnail_of_url(&self, stream_id: Uuid, url: &str) -> Option<Path> {
        let rest = url
            .strip_prefix(&self.public_url)?
            .strip_prefix("/thumbnails/")?;
        let (stream, file) = rest.split_once('/')?;
        if stream != stream_id.hyphenated().to_string() {
            return None;
        }
        Some(Self::thumbnail_path(
            stream_id,
            &ThumbnailFile::parse(file)?,
        ))
    }

    /// Stores an object, replacing any at that name.
    ///
    /// Fails when the store does not take it.
    pub async fn put(&self, path: &Path, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.store.put(path, bytes.into()).await?;
        Ok(())
    }

    /// An object's bytes, or `None` when it does not exist.
    ///
    /// Fails when the store does not answer.
    pub async fn get(&self, path: &Path) -> Result<Option<Bytes>, StoreError> {
        match self.store.get(path).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// An object's size, or `None` when it does not exist.
    ///
    /// Fails when the store does not answer.
    pub async fn size(&self, path: &Path) -> Result<Option<u64>, StoreError> {
        match self.store.head(path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes `range` of an object, or `None` when it does not exist.
    ///
    /// Fails when the store does not answer.
    pub async fn get_range(
        &self,
        path: &Path,
        range: std::ops::Range<u64>,
    ) -> Result<Option<Bytes>, StoreError> {
        match self.store.get_range(path, range).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The object name of a file of a stream's replay.
    pub fn replay_path(stream_id: Uuid, file: &str) -> Path {
        Path::from(format!("replays/{}/{file}", stream_id.hyphenated()))
    }

    /// Deletes an object; a missing one is not an error.
    ///
    /// Fails when the store does not answer.
    pub async fn delete(&self, path: &Path) -> Result<(), StoreError> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every thumbnail of a stream.
    ///
    /// Fails when the store does not answer.
    pub async fn delete_thumbnails(&self, stream_id: Uuid) -> Result<usize, StoreError> {
        let prefix = Path::from(format!("thumbnails/{}", stream_id.hyphenated()));
        Ok(veza_live_platform::media_store::delete_prefix(self.store.as_ref(), &prefix).await?)
    }

    /// Deletes an object in the background, logging a failure: for
    /// clean-ups that must not hold up or fail a request.
    pub fn forget(&self, path: Path) {
        let media = self.clone();
        tokio::spawn(async move {
            if let Err(e) = media.delete(&path).await {
                tracing::warn!(media.path = %path, error.cause = %e, "stale thumbnail not deleted");
            }
        });
    }

    /// Deletes a stream's thumbnails in the background, logging a failure.
    pub fn forget_stream(&self, stream_id: Uuid) {
        let media = self.clone();
        tokio::spawn(async move {
            if let Err(e) = media.delete_thumbnails(stream_id).await {
                tracing::warn!(stream.id = %stream_id, error.cause = %e, "thumbnails of a deleted stream not deleted");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;

    fn media() -> MediaStore {
        MediaStore::new(Arc::new(InMemory::new()), "https://cdn.example/media/")
    }

    #[test]
    fn only_our_own_thumbnail_urls_map_back_to_objects() {
        let m = media();
        let id = Uuid::new_v4();
        let file = ThumbnailFile::parse("0123456789abcdef.jpg").expect("well-formed");
        let path = MediaStore::thumbnail_path(id, &file);
        let url = m.public_url(&path);
        assert_eq!(
            url,
            format!("https://cdn.example/media/thumbnails/{id}/0123456789abcdef.jpg")
        );
        assert_eq!(m.thumbnail_of_url(id, &url), Some(path));
        assert_eq!(m.thumbnail_of_url(Uuid::new_v4(), &url), None);
        for other in [
            "https://elsewhere.example/x.jpg".to_owned(),
            format!("https://cdn.example/media/thumbnails/{id}/../secret.jpg"),
            format!("https://cdn.example/media/avatars/{id}/0123456789abcdef.jpg"),
        ] {
            assert_eq!(m.thumbnail_of_url(id, &other), None, "{other}");
        }
    }

    #[tokio::test]
    async fn deleting_a_streams_thumbnails_leaves_other_streams_alone() {
        let m = media();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let file = |h: &str| ThumbnailFile::parse(&format!("{h}.jpg")).expect("name");
        for (id, hash) in [
            (a, "0000000000000001"),
            (a, "0000000000000002"),
            (b, "0000000000000003"),
        ] {
            m.put(&MediaStore::thumbnail_path(id, &file(hash)), vec![1, 2, 3])
                .await
                .expect("put");
        }
        assert_eq!(m.delete_thumbnails(a).await.expect("deleted"), 2);
        let kept = MediaStore::thumbnail_path(b, &file("0000000000000003"));
        assert_eq!(
            m.get(&kept).await.expect("get").as_deref(),
            Some(&[1u8, 2, 3][..])
        );
        let gone = MediaStore::thumbnail_path(a, &file("0000000000000001"));
        assert_eq!(m.get(&gone).await.expect("get"), None);
        m.delete(&gone)
            .await
            .expect("deleting a missing object is fine");
    }
}
