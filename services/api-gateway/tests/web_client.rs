//! The gateway serving the built web client from `WEB_DIST_DIR`: files,
//! cache headers, history fallback, security headers, the API untouched
//! and no way out of the folder. Each test writes its own dist folder.

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    time::Duration,
};

use veza_live_api_gateway::{ApiGateway, Config};
use veza_live_platform::config::{Env, ServiceConfig};
use veza_live_test_support::{Running, spawn};

const INDEX: &str = "<!doctype html><title>Veza Live</title><div id=\"root\">index-marker</div>";
const SCRIPT: &str = "console.log('hashed bundle');";
const SECRET: &str = "secret-outside-the-dist-folder";

/// A temporary folder: `dist/` (index.html, assets/x-abc123.js,
/// robots.txt, .env) and, beside it, a file no request may read.
struct Site {
    root: PathBuf,
}

impl Site {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("veza-web-test-{}", uuid::Uuid::new_v4()));
        let files = [
            ("dist/index.html", INDEX),
            ("dist/assets/x-abc123.js", SCRIPT),
            ("dist/robots.txt", "User-agent: *\n"),
            ("dist/.env", SECRET),
            ("secret.txt", SECRET),
        ];
        std::fs::create_dir_all(root.join("dist/assets")).expect("temporary folder");
        for (name, content) in files {
            std::fs::write(root.join(name), content).expect("writing the dist folder");
        }
        Self { root }
    }

    fn dist(&self) -> String {
        self.root.join("dist").display().to_string()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The gateway's variables in these tests.
fn base_pairs<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("JWT_SECRET", veza_live_test_support::JWT_SECRET),
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("LOG_FORMAT", "pretty"),
        ("HTTP_WORKERS", "1"),
        // Nothing listens there: the API answers as with its services down.
        ("LIVE_CATALOG_URL", "http://127.0.0.1:9"),
        ("STREAM_KEY_URL", "http://127.0.0.1:9"),
        ("CHAT_URL", "http://127.0.0.1:9"),
        ("UPSTREAM_TIMEOUT_MS", "1000"),
    ]
}

fn config(extra: &[(&str, &str)]) -> Result<Config, String> {
    let mut pairs = base_pairs();
    pairs.extend_from_slice(extra);
    Config::from_env(&Env::from_pairs(pairs)).map_err(|e| e.to_string())
}

struct Gateway {
    port: u16,
    running: Running,
}

impl Gateway {
    async fn start(extra: &[(&str, &str)]) -> Self {
        let mut pairs = base_pairs();
        pairs.extend_from_slice(extra);
        let running = spawn::<ApiGateway>(&Env::from_pairs(pairs)).await;
        Self {
            port: running.port,
            running,
        }
    }

    async fn with_client(site: &Site) -> Self {
        Self::start(&[("WEB_DIST_DIR", &site.dist())]).await
    }

    /// Sends `method path` exactly as written (no client-side path
    /// normalisation), with an optional `Accept`.
    async fn raw(&self, method: &str, path: &str, accept: Option<&str>) -> Reply {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{}Connection: close\r\n\r\n",
            self.port,
            accept
                .map(|a| format!("Accept: {a}\r\n"))
                .unwrap_or_default(),
        );
        let port = self.port;
        tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("read timeout");
            stream.write_all(request.as_bytes()).expect("write");
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).expect("read");
            Reply::parse(&bytes)
        })
        .await
        .expect("the client thread")
    }

    async fn get(&self, path: &str) -> Reply {
        self.raw("GET", path, None).await
    }

    async fn stop(self) {
        self.running.stop().await;
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn parse(bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes);
        let (head, body) = text.split_once("\r\n\r\n").expect("a full response");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The gateway's JSON 404 envelope, not a file.
    fn assert_json_404(&self, what: &str) {
        assert_eq!(self.status, 404, "{what}: {self:?}");
        assert_eq!(self.json()["error"]["code"], "not_found", "{what}");
        assert!(!self.body.contains("index-marker"), "{what}: got the index");
        assert!(!self.body.contains(SECRET), "{what}: leaked a file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_is_served_at_the_root_with_security_headers_and_no_cache() {
    let site = Site::new();
    let gw = Gateway::with_client(&site).await;
    let res = gw.get("/").await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body, INDEX);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    let csp = res.header("content-security-policy").expect("a policy");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let port = gw.port;
    assert!(
        csp.contains(&format!(
            "connect-src 'self' ws://127.0.0.1:{port} http://127.0.0.1:8090;"
        )),
        "socket to self and the HLS origin: {csp}"
    );
    assert!(
        csp.contains("media-src 'self' blob: http://127.0.0.1:8090;"),
        "{csp}"
    );
    let head = gw.raw("HEAD", "/index.html", None).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "", "HEAD has no body");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_routes_fall_back_to_the_index() {
    let site = Site::new();
    let gw = Gateway::with_client(&site).await;
    for path in ["/live/go-live", "/live/streams/8b0cc23f", "/apiary"] {
        let res = gw.get(path).await;
        assert_eq!(res.status, 200, "{path}: {res:?}");
        assert_eq!(res.body, INDEX, "{path}");
        assert!(res.header("content-type").unwrap().starts_with("text/html"));
        assert_eq!(res.header("cache-control"), Some("no-cache"), "{path}");
        assert!(res.header("content-security-policy").is_some(), "{path}");
    }
    // A page asked for by a browser, even with a dot in its last segment.
    let res = gw.raw("GET", "/u/jane.doe", Some("text/html,*/*")).await;
    assert_eq!(res.body, INDEX);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_immutable_and_other_files_revalidated() {
    let site = Site::new();
    let gw = Gateway::with_client(&site).await;
    let res = gw.get("/assets/x-abc123.js").await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body, SCRIPT);
    let content_type = res.header("content-type").unwrap();
    assert!(content_type.contains("javascript"), "{content_type}");
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert!(res.header("etag").is_some());

    let res = gw.get("/robots.txt").await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_a_404_not_the_index() {
    let site = Site::new();
    let gw = Gateway::with_client(&site).await;
    for path in ["/assets/x-000000.js", "/assets/", "/favicon.ico"] {
        let res = gw.get(path).await;
        res.assert_json_404(path);
        assert_eq!(
            res.header("cache-control"),
            Some("no-cache"),
            "{path}: a miss is never cached for a year"
        );
    }
    // Even when a browser asks for a page: assets are build output.
    gw.raw("GET", "/assets/gone", Some("text/html"))
        .await
        .assert_json_404("/assets/gone as a page");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_and_hidden_files_are_refused() {
    let site = Site::new();
    let gw = Gateway::with_client(&site).await;
    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2E%2E/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/.env",
        "/%2eenv",
        "/assets/x-abc123.js%00.html",
    ] {
        gw.get(path).await.assert_json_404(path);
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_and_operations_paths_are_untouched_by_the_client() {
    let site = Site::new();
    let with = Gateway::with_client(&site).await;
    let without = Gateway::start(&[]).await;
    for (method, path) in [
        ("GET", "/api/v1/nope"),
        ("GET", "/api/nope"),
        ("GET", "/api"),
        ("GET", "/media/thumbnails/none.jpg"),
        ("GET", "/ws/extra"),
        ("POST", "/"),
        ("POST", "/live/go-live"),
        ("GET", "/api/v1/live/streams"),
        ("GET", "/ws"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    ] {
        let a = with.raw(method, path, Some("text/html")).await;
        let b = without.raw(method, path, Some("text/html")).await;
        assert_eq!(a.status, b.status, "{method} {path}: {a:?} vs {b:?}");
        assert!(!a.body.contains("index-marker"), "{method} {path}");
        assert!(
            a.header("content-security-policy").is_none(),
            "{method} {path}"
        );
        if a.status == 404 {
            a.assert_json_404(&format!("{method} {path}"));
        }
    }
    let metrics = with.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(!metrics.body.contains("index-marker"));
    with.stop().await;
    without.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_web_dist_dir_nothing_is_served_from_disk() {
    let _site = Site::new();
    let gw = Gateway::start(&[]).await;
    for path in ["/", "/index.html", "/live/go-live", "/assets/x-abc123.js"] {
        let res = gw.raw("GET", path, Some("text/html")).await;
        res.assert_json_404(path);
        assert!(res.header("content-security-policy").is_none());
        assert!(res.header("cache-control").is_none(), "{path}");
    }
    gw.stop().await;
}

#[test]
fn a_dist_dir_without_index_html_is_refused_at_start_up() {
    let site = Site::new();
    std::fs::remove_file(Path::new(&site.dist()).join("index.html")).unwrap();
    let err = config(&[("WEB_DIST_DIR", &site.dist())])
        .err()
        .expect("refused");
    assert!(
        err.contains("WEB_DIST_DIR") && err.contains("index.html"),
        "{err}"
    );
    let err = config(&[("WEB_DIST_DIR", "/no/such/folder")])
        .err()
        .expect("refused");
    assert!(err.contains("WEB_DIST_DIR"), "{err}");
    let err = config(&[
        ("WEB_DIST_DIR", &Site::new().dist()),
        ("WEB_CSP_MEDIA_ORIGINS", "not an origin"),
    ])
    .err()
    .expect("refused");
    assert!(err.contains("WEB_CSP_MEDIA_ORIGINS"), "{err}");
}
