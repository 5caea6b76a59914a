//! Thumbnail uploads: re-encoded, scaled down, stored by content, served
//! through the gateway with cache headers; bad uploads, strangers and a
//! store that is down change nothing.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use image::{DynamicImage, GenericImageView, ImageFormat, Rgba, RgbaImage};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use veza_live_system_tests::{Running, World, dead_upstream, rtmp::free_port, start_gateway};
use veza_live_test_support::{Reply, eventually, images};

use crate::{data, error_code, user};

const WAIT: Duration = Duration::from_secs(10);
/// The default `MEDIA_PUBLIC_URL`.
const PUBLIC_MEDIA: &str = "http://127.0.0.1:8080/media";

/// A media folder of one test, removed at the end.
struct MediaDir(PathBuf);

impl MediaDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("veza-live-media-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("media dir");
        Self(dir)
    }

    /// Every file under the folder, relative to it.
    fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for MediaDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// live-catalog on its own media folder, stream-key and the gateway.
struct Setup {
    world: World,
    gateway: Running,
    media: MediaDir,
}

impl Setup {
    async fn start() -> Self {
        let media = MediaDir::new();
        let store = media.0.display().to_string();
        let world = World::start_with_catalog(&[("MEDIA_STORE", store.as_str())]).await;
        let gateway = gateway_for(&world).await;
        Self {
            world,
            gateway,
            media,
        }
    }

    async fn stop(self) {
        self.gateway.stop().await;
        self.world.stop().await;
    }
}

async fn gateway_for(w: &World) -> Running {
    start_gateway(
        &w.catalog.http.base,
        &w.keys.http.base,
        &dead_upstream(),
        &[],
    )
    .await
}

async fn create(gw: &Running, token: &str, scheduled: bool) -> String {
    let body = if scheduled {
        let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        json!({"title": "With a picture", "scheduled_at": at})
    } else {
        json!({"title": "Draft with a picture"})
    };
    let res = gw
        .http
        .post("/api/v1/live/streams", Some(token), &body)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    data(&res.body)["id"].as_str().expect("id").to_owned()
}

async fn upload(
    running: &Running,
    id: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    running
        .http
        .send_raw(
            Method::PUT,
            &format!("/api/v1/live/streams/{id}/thumbnail"),
            token,
            content_type,
            body,
        )
        .await
}

async fn stream(gw: &Running, id: &str, token: &str) -> Value {
    let res = gw
        .http
        .get(&format!("/api/v1/live/streams/{id}"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    data(&res.body).clone()
}

/// The gateway path of a thumbnail URL.
fn media_path(url: &str) -> String {
    let rest = url
        .strip_prefix(PUBLIC_MEDIA)
        .unwrap_or_else(|| panic!("{url} is not under {PUBLIC_MEDIA}"));
    format!("/media{rest}")
}

/// A raw GET/HEAD answer: status, headers and bytes.
async fn fetch(
    base: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = reqwest::Client::new().request(method, format!("{base}{path}"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("answered");
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.expect("body").to_vec())
}

/// Sends a request line as written, without any client normalising `..`.
fn raw_get(base: &str, target: &str) -> (u16, String) {
    let addr = base.strip_prefix("http://").expect("http base");
    let mut socket = std::net::TcpStream::connect(addr).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        socket,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// Pixels that do not compress: an upload of a chosen size.
fn noise(width: u32, height: u32) -> DynamicImage {
    let mut state = 0x2545_f491_u32;
    DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state & 0xff) as u8
        };
        image::Rgb([next(), next(), next()])
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn png_jpeg_and_webp_are_reencoded_scaled_and_served_through_the_gateway_for_ever() {
    let s = Setup::start().await;
    let (_, token) = user("painter");
    let js = async_nats::jetstream::new(s.world.nats.clone());
    let events = js
        .get_stream(
            s.world
                .subjects
                .stream(veza_live_domain::subjects::STREAM_EVENTS),
        )
        .await
        .expect("events stream");
    for (format, (w, h), expected) in [
        (ImageFormat::Png, (1920, 1080), (1280, 720)),
        (ImageFormat::Jpeg, (1600, 1200), (960, 720)),
        (ImageFormat::WebP, (1400, 700), (1280, 640)),
    ] {
        let id = create(&s.gateway, &token, true).await;
        let input = images::encode(&images::gradient(w, h), format);
        assert!(input.len() < 2 * 1024 * 1024, "{format:?} upload fits");
        // The Content-Type says nothing: the bytes decide.
        let res = upload(
            &s.gateway,
            &id,
            Some(&token),
            "application/octet-stream",
            input.clone(),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{format:?}: {}", res.body);
        let url = data(&res.body)["thumbnail_url"]
            .as_str()
            .expect("thumbnail_url")
            .to_owned();
        let prefix = format!("{PUBLIC_MEDIA}/thumbnails/{id}/");
        let name = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
        let (hash, ext) = name.split_once('.').expect("hash.ext");
        assert_eq!(ext, "jpg", "opaque images are stored as JPEG");
        assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            stream(&s.gateway, &id, &token).await["thumbnail_url"],
            url.as_str()
        );

        // Stored re-encoded, scaled to fit 1280x720 with the aspect ratio.
        let stored_path = s.media.0.join(format!("thumbnails/{id}/{name}"));
        let stored = std::fs::read(&stored_path).expect("stored in the media folder");
        assert_ne!(stored, input);
        let decoded = image::load_from_memory(&stored).expect("stored image decodes");
        assert_eq!(image::guess_format(&stored).ok(), Some(ImageFormat::Jpeg));
        assert_eq!(decoded.dimensions(), expected, "{format:?}");

        // Served through the gateway with the bytes and the cache headers.
        let path = media_path(&url);
        let (status, headers, body) = fetch(&s.gateway.http.base, Method::GET, &path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, stored);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = headers["etag"].to_str().expect("etag").to_owned();
        assert_eq!(etag, format!("\"{hash}\""));
        let (status, headers, body) = fetch(
            &s.gateway.http.base,
            Method::GET,
            &path,
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        assert_eq!(headers["etag"], etag.as_str());
        let (status, headers, body) = fetch(&s.gateway.http.base, Method::HEAD, &path, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.is_empty());
        assert_eq!(headers["content-type"], "image/jpeg");

        // Through the same path as PUT /live/streams/{id}: stream.updated.
        let event: Value = eventually("stream.updated with the thumbnail", WAIT, || {
            let (events, subject, url) = (
                events.clone(),
                s.world.subjects.stream_updated(),
                url.clone(),
            );
            async move {
                let message = events
                    .get_last_raw_message_by_subject(&subject)
                    .await
                    .ok()?;
                let event: Value = serde_json::from_slice(&message.payload).ok()?;
                (event["stream"]["thumbnail_url"] == url.as_str()).then_some(event)
            }
        })
        .await;
        assert_eq!(event["stream"]["id"], id.as_str());
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_thumbnail_replaces_the_old_file_and_deleting_the_stream_deletes_them() {
    let s = Setup::start().await;
    let (_, token) = user("painter");
    let id = create(&s.gateway, &token, false).await;
    let first = images::encode(&images::gradient(640, 360), ImageFormat::Jpeg);
    let res = upload(&s.gateway, &id, Some(&token), "image/jpeg", first.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let first_url = data(&res.body)["thumbnail_url"]
        .as_str()
        .expect("url")
        .to_owned();
    // The same image again: the same name, the file kept.
    let res = upload(&s.gateway, &id, Some(&token), "image/jpeg", first).await;
    assert_eq!(data(&res.body)["thumbnail_url"], first_url.as_str());
    assert_eq!(s.media.files().len(), 1);

    // A picture with transparent pixels is stored as PNG, the old one goes.
    let mut clear = RgbaImage::from_pixel(300, 200, Rgba([10, 200, 10, 255]));
    clear.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
    let png = images::encode(&DynamicImage::ImageRgba8(clear), ImageFormat::Png);
    let res = upload(&s.gateway, &id, Some(&token), "image/png", png).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let second_url = data(&res.body)["thumbnail_url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert!(second_url.ends_with(".png"), "{second_url}");
    let second_file = format!(
        "thumbnails/{id}/{}",
        second_url.rsplit('/').next().unwrap_or_default()
    );
    eventually("the previous thumbnail deleted", WAIT, || async {
        (s.media.files() == [second_file.clone()]).then_some(())
    })
    .await;
    let (status, _, _) = fetch(
        &s.gateway.http.base,
        Method::GET,
        &media_path(&first_url),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, headers, _) = fetch(
        &s.gateway.http.base,
        Method::GET,
        &media_path(&second_url),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");

    // A thumbnail_url set by hand to someone else's image is left alone.
    let res = s
        .gateway
        .http
        .put(
            &format!("/api/v1/live/streams/{id}"),
            Some(&token),
            &json!({"thumbnail_url": "https://images.example/elsewhere.jpg"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = upload(
        &s.gateway,
        &id,
        Some(&token),
        "image/jpeg",
        images::encode(&images::gradient(100, 100), ImageFormat::Jpeg),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    eventually("two files of the stream", WAIT, || async {
        (s.media.files().len() == 2).then_some(())
    })
    .await;

    let res = s
        .gateway
        .http
        .delete(&format!("/api/v1/live/streams/{id}"), Some(&token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    eventually("the stream's thumbnails deleted", WAIT, || async {
        s.media.files().is_empty().then_some(())
    })
    .await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_that_are_not_acceptable_images_are_4xx_and_store_nothing() {
    let s = Setup::start().await;
    let (_, token) = user("painter");
    let id = create(&s.gateway, &token, true).await;
    let mut truncated = images::encode(&images::gradient(64, 48), ImageFormat::Png);
    truncated.truncate(80);
    // Over 2 MiB, starting like a PNG.
    let mut oversized = images::encode(&images::gradient(8, 8), ImageFormat::Png);
    oversized.resize(2 * 1024 * 1024 + 1, 0);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "text",
            "text/plain",
            b"just words".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_image",
        ),
        (
            "text named .png",
            "image/png",
            b"I am not really a picture.png\n".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_image",
        ),
        (
            "a GIF",
            "image/gif",
            gif,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_image",
        ),
        (
            "empty",
            "image/png",
            Vec::new(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_image",
        ),
        (
            "truncated PNG",
            "image/png",
            truncated,
            StatusCode::BAD_REQUEST,
            "invalid_image",
        ),
        (
            "over 2 MiB",
            "image/png",
            oversized,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "PNG declaring 30000x30000",
            "image/png",
            images::png_declaring(30_000, 30_000),
            StatusCode::PAYLOAD_TOO_LARGE,
            "image_too_large",
        ),
        (
            "PNG declaring 8193x16",
            "image/png",
            images::png_declaring(8193, 16),
            StatusCode::PAYLOAD_TOO_LARGE,
            "image_too_large",
        ),
        (
            "PNG declaring 8000x8000 RGBA",
            "image/png",
            images::png_declaring_rgba(8000, 8000),
            StatusCode::PAYLOAD_TOO_LARGE,
            "image_too_large",
        ),
    ];
    for (what, content_type, body, status, code) in cases {
        for (via, running) in [("gateway", &s.gateway), ("catalog", &s.world.catalog)] {
            let res = upload(running, &id, Some(&token), content_type, body.clone()).await;
            assert_eq!(res.status, status, "{what} via {via}: {}", res.body);
            assert_eq!(error_code(&res.body), code, "{what} via {via}");
        }
    }
    assert!(s.media.files().is_empty(), "stored: {:?}", s.media.files());
    assert_eq!(
        stream(&s.gateway, &id, &token).await["thumbnail_url"],
        Value::Null
    );

    // The gateway lets a thumbnail through above its usual 1 MiB, and only
    // a thumbnail.
    let big = images::encode(&noise(900, 600), ImageFormat::Png);
    assert!(big.len() > 1024 * 1024 + 1024 && big.len() < 2 * 1024 * 1024);
    let res = s
        .gateway
        .http
        .send_raw(
            Method::PUT,
            &format!("/api/v1/live/streams/{id}"),
            Some(&token),
            "application/json",
            big.clone(),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let res = upload(&s.gateway, &id, Some(&token), "image/png", big).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(s.media.files().len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_may_upload_and_strangers_store_nothing() {
    let s = Setup::start().await;
    let (_, owner) = user("owner");
    let (_, other) = user("other");
    let scheduled = create(&s.gateway, &owner, true).await;
    let draft = create(&s.gateway, &owner, false).await;
    let picture = images::encode(&images::gradient(320, 180), ImageFormat::Png);
    let unknown = Uuid::new_v4().to_string();
    for (what, id, token, status, code) in [
        (
            "anonymous",
            scheduled.as_str(),
            None,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "bad token",
            scheduled.as_str(),
            Some("not-a-jwt"),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "someone else's stream",
            scheduled.as_str(),
            Some(other.as_str()),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "someone else's draft",
            draft.as_str(),
            Some(other.as_str()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown stream",
            unknown.as_str(),
            Some(owner.as_str()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "malformed id",
            "not-a-uuid",
            Some(owner.as_str()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let res = upload(&s.gateway, id, token, "image/png", picture.clone()).await;
        assert_eq!(res.status, status, "{what}: {}", res.body);
        assert_eq!(error_code(&res.body), code, "{what}");
    }
    assert!(s.media.files().is_empty(), "stored: {:?}", s.media.files());
    for id in [&scheduled, &draft] {
        assert_eq!(
            stream(&s.gateway, id, &owner).await["thumbnail_url"],
            Value::Null
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_well_formed_thumbnail_names_are_served() {
    let s = Setup::start().await;
    let (_, token) = user("painter");
    let id = create(&s.gateway, &token, true).await;
    let res = upload(
        &s.gateway,
        &id,
        Some(&token),
        "image/png",
        images::encode(&images::gradient(64, 64), ImageFormat::Png),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Files in the store that no thumbnail name designates.
    let folder = s.media.0.join(format!("thumbnails/{id}"));
    std::fs::write(s.media.0.join("secret.txt"), "top secret").expect("plant");
    std::fs::write(folder.join("notes.txt"), "top secret").expect("plant");
    std::fs::write(folder.join("0123456789ABCDEF.jpg"), "top secret").expect("plant");
    std::fs::write(folder.join("0123456789abcdef.gif"), "top secret").expect("plant");
    let upper = id.to_uppercase();
    for base in [&s.gateway.http.base, &s.world.catalog.http.base] {
        for path in [
            format!("/media/thumbnails/{id}/notes.txt"),
            format!("/media/thumbnails/{id}/0123456789ABCDEF.jpg"),
            format!("/media/thumbnails/{id}/0123456789abcdef.gif"),
            format!("/media/thumbnails/{upper}/0123456789abcdef.jpg"),
            format!("/media/thumbnails/{id}/fedcba9876543210.jpg"),
            format!("/media/thumbnails/{id}/..%2F..%2Fsecret.txt"),
            format!("/media/thumbnails/{id}/%2e%2e%2f%2e%2e%2fsecret.txt"),
            "/media/thumbnails/not-a-uuid/0123456789abcdef.jpg".to_owned(),
        ] {
            let (status, _, body) = fetch(base, Method::GET, &path, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{base}{path}");
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            assert_eq!(error_code(&body), "not_found", "{path}");
        }
        for target in [
            format!("/media/thumbnails/{id}/../../secret.txt"),
            format!("/media/thumbnails/{id}/../../../../../../etc/passwd"),
            "/media/thumbnails/../secret.txt".to_owned(),
        ] {
            let (status, answer) = raw_get(base, &target);
            assert!((400..500).contains(&status), "{base}{target}: {answer}");
            assert!(
                !answer.contains("top secret") && !answer.contains("root:"),
                "{answer}"
            );
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_is_down_answers_503_and_the_stream_keeps_its_thumbnail() {
    // A folder that stops being one.
    let s = Setup::start().await;
    let (_, token) = user("painter");
    let id = create(&s.gateway, &token, true).await;
    let picture = images::encode(&images::gradient(320, 180), ImageFormat::Png);
    std::fs::remove_dir_all(&s.media.0).expect("remove the media folder");
    std::fs::write(&s.media.0, "not a folder").expect("a file in its place");
    let res = upload(&s.gateway, &id, Some(&token), "image/png", picture.clone()).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(error_code(&res.body), "service_unavailable");
    assert!(res.headers.get("retry-after").is_some());
    assert_eq!(
        stream(&s.gateway, &id, &token).await["thumbnail_url"],
        Value::Null
    );
    let _ = std::fs::remove_file(&s.media.0);
    s.stop().await;

    // An S3 endpoint where nothing listens: 503 within seconds, not a hang.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let w = World::start_with_catalog(&[
        ("MEDIA_STORE", "s3://veza-test-media/thumbs"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "test-access-key"),
        ("AWS_SECRET_ACCESS_KEY", "test-secret-key"),
        ("AWS_REGION", "us-east-1"),
    ])
    .await;
    let gw = gateway_for(&w).await;
    let id = create(&gw, &token, true).await;
    let started = std::time::Instant::now();
    let res = upload(&gw, &id, Some(&token), "image/png", picture).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stream(&gw, &id, &token).await["thumbnail_url"], Value::Null);
    let (status, _, _) = fetch(
        &gw.http.base,
        Method::GET,
        &format!("/media/thumbnails/{id}/0123456789abcdef.jpg"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    gw.stop().await;
    w.stop().await;
}
