//! The browser client: when `WEB_DIST_DIR` is set, GET and HEAD requests
//! that match no other route are answered from that folder (the output of
//! `npm run build` in `web/`). Hashed files under `assets/` are cached for a
//! year; `index.html` and other unhashed files are revalidated on every use.
//! A path that is no file and looks like a client route gets `index.html`
//! (history fallback), so the client's router handles it. Paths under
//! `/api`, `/ws`, `/media`, `/metrics`, `/healthz` and `/readyz` never reach
//! the folder: they keep the JSON 404 of unknown routes. Every answer
//! carries `nosniff`, `Referrer-Policy: no-referrer` (a stream key in a page
//! must never leak through a referrer) and the Content-Security-Policy.

use std::{io, path::PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse, fn_service},
    guard::{self, GuardContext},
    http::{
        Method, StatusCode,
        header::{self, HeaderValue},
    },
    middleware::{Next, from_fn},
    web,
};
use percent_encoding::percent_decode_str;
use veza_live_platform::{
    ApiError,
    config::{ConfigError, Env},
};

/// Hashed build output: the name changes whenever the content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else: cached, but revalidated (ETag) before each use.
const REVALIDATE: &str = "no-cache";

/// Prefixes that belong to the API and operations, never to the client.
const RESERVED: &[&str] = &["/api", "/ws", "/media", "/metrics", "/healthz", "/readyz"];

/// Where the built client lives and what its pages may load.
#[derive(Debug, Clone)]
pub struct WebClient {
    /// The folder holding `index.html`, canonical.
    pub dist_dir: PathBuf,
    /// Origins of HLS playback (playlists, segments, posters), e.g.
    /// `https://live.veza.example`.
    pub media_origins: Vec<String>,
    /// Take the page's scheme from `X-Forwarded-Proto` (behind a trusted
    /// proxy), so the socket origin in the policy is `wss:` behind TLS.
    pub trust_forwarded_proto: bool,
}

impl WebClient {
    /// Reads `WEB_DIST_DIR`, `WEB_CSP_MEDIA_ORIGINS` and `HLS_PUBLIC_URL`;
    /// `None` when `WEB_DIST_DIR` is unset.
    ///
    /// Fails when the folder has no `index.html` or an origin is not a
    /// bare http(s) origin.
    pub fn from_env(env: &Env, trust_forwarded_for: bool) -> Result<Option<Self>, ConfigError> {
        let Some(dir) = env.optional("WEB_DIST_DIR") else {
            return Ok(None);
        };
        let invalid = |reason: String| ConfigError::invalid("WEB_DIST_DIR", reason);
        let dist_dir = std::fs::canonicalize(&dir)
            .map_err(|e| invalid(format!("{dir:?}: {e} (build the client: npm run build)")))?;
        if !dist_dir.join("index.html").is_file() {
            return Err(invalid(format!(
                "{dir:?} has no index.html (build the client: npm run build)"
            )));
        }
        let media_origins = match env.optional("WEB_CSP_MEDIA_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| origin_of(o, true).ok_or(o))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|o| {
                    ConfigError::invalid(
                        "WEB_CSP_MEDIA_ORIGINS",
                        format!("{o:?} is not an origin such as https://cdn.example.com"),
                    )
                })?,
            None => {
                let hls = env.url_or("HLS_PUBLIC_URL", "http://127.0.0.1:8090/hls")?;
                let origin = origin_of(&hls, false).ok_or_else(|| {
                    ConfigError::invalid("HLS_PUBLIC_URL", format!("{hls:?} is not an http(s) URL"))
                })?;
                vec![origin]
            }
        };
        Ok(Some(Self {
            dist_dir,
            media_origins,
            trust_forwarded_proto: trust_forwarded_for,
        }))
    }

    /// The Content-Security-Policy of a page whose socket origin is `ws`.
    ///
    /// Scripts come from the gateway only; styles may also be inline, as
    /// component libraries inject `<style>` elements. `blob:` is for
    /// hls.js, which feeds the video element through Media Source and runs
    /// its demuxer in a blob worker.
    pub fn content_security_policy(&self, ws: Option<&str>) -> String {
        let media = self.media_origins.join(" ");
        let ws = ws.map(|w| format!(" {w}")).unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' https: data: blob: {media}; media-src 'self' blob: {media}; \
             connect-src 'self'{ws} {media}; worker-src 'self' blob:; font-src 'self' data:; \
             manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
             frame-ancestors 'none'"
        )
    }

    /// The WebSocket origin of the page a request asked for: its own host,
    /// `wss:` when the page came over TLS. `None` for a host that is not a
    /// plain host name or address (nothing odd goes into the header).
    fn socket_origin(&self, req: &ServiceRequest) -> Option<String> {
        let info = req.connection_info();
        let (scheme, host) = if self.trust_forwarded_proto {
            (info.scheme().to_owned(), info.host().to_owned())
        } else {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| {
                    req.uri()
                        .authority()
                        .map(actix_web::http::uri::Authority::as_str)
                })?;
            let scheme = if req.app_config().secure() {
                "https"
            } else {
                "http"
            };
            (scheme.to_owned(), host.to_owned())
        };
        let plain = !host.is_empty()
            && host.len() <= 255
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        plain.then(|| format!("{}://{host}", if scheme == "https" { "wss" } else { "ws" }))
    }
}

/// `scheme://host[:port]` of an http(s) URL; with `bare`, only when the
/// value is nothing more than that.
fn origin_of(value: &str, bare: bool) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let plain = url.username().is_empty() && url.password().is_none();
    let bare_ok = !bare || (url.path() == "/" && url.query().is_none() && url.fragment().is_none());
    let origin = url.origin();
    (matches!(url.scheme(), "http" | "https") && plain && bare_ok && origin.is_tuple())
        .then(|| origin.ascii_serialization())
}

/// The decoded request path when it may name a client file or route: no
/// `.`/`..`/hidden segments, encoded slashes, backslashes or NULs (so no
/// traversal reaches the filesystem), and outside the reserved prefixes.
pub fn client_path(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let safe = decoded.starts_with('/')
        && decoded.matches('/').count() == raw.matches('/').count()
        && !decoded.contains(['\\', '\0'])
        && decoded.split('/').all(|s| !s.starts_with('.'));
    let reserved = RESERVED.iter().any(|p| {
        decoded
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    (safe && !reserved).then(|| decoded.into_owned())
}

fn under_assets(path: &str) -> bool {
    path == "/assets" || path.starts_with("/assets/")
}

/// Whether a path with no file behind it gets `index.html`: not a missing
/// build file (`assets/*`, or a name with an extension that is not asked
/// for as a page).
fn is_history_route(path: &str, accepts_html: bool) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !under_assets(path) && (!last.contains('.') || accepts_html)
}

fn is_client_request(ctx: &GuardContext<'_>) -> bool {
    let head = ctx.head();
    matches!(head.method, Method::GET | Method::HEAD) && client_path(head.uri.path()).is_some()
}

/// No file: `index.html` for a client route, the JSON 404 otherwise.
async fn fallback(req: ServiceRequest) -> Result<ServiceResponse, Error> {
    let path = client_path(req.path()).unwrap_or_default();
    let accepts_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !is_history_route(&path, accepts_html) {
        return Ok(req.error_response(ApiError::NotFound("no such file".into())));
    }
    let Some(client) = req.app_data::<web::Data<WebClient>>() else {
        return Ok(req.error_response(ApiError::NotFound("no such route".into())));
    };
    match NamedFile::open(client.dist_dir.join("index.html")) {
        Ok(index) => {
            let (req, _) = req.into_parts();
            let res = index.disable_content_disposition().into_response(&req);
            Ok(ServiceResponse::new(req, res))
        }
        // `npm run build` empties the folder before writing it again.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(req.error_response(
            ApiError::Unavailable("the web client's index.html is missing".into()),
        )),
        Err(e) => Ok(req.error_response(ApiError::Internal(e.into()))),
    }
}

/// Cache and security headers on everything the client folder answers.
async fn client_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let csp = req
        .app_data::<web::Data<WebClient>>()
        .map(|c| c.content_security_policy(c.socket_origin(&req).as_deref()));
    let hashed = under_assets(req.path());
    let mut res = next.call(req).await?;
    let fresh = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    let headers = res.headers_mut();
    let cache = if hashed && fresh {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(value) = csp.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(res)
}

/// Serves the client; register it after every other route. Requests it
/// does not take (other methods, reserved or unsafe paths) fall through to
/// the app's default service.
pub fn configure(cfg: &mut web::ServiceConfig, client: &WebClient) {
    cfg.service(
        web::scope("")
            .guard(guard::fn_guard(is_client_request))
            .app_data(web::Data::new(client.clone()))
            .wrap(from_fn(client_headers))
            .service(
                Files::new("", &client.dist_dir)
                    .index_file("index.html")
                    .disable_content_disposition()
                    .default_handler(fn_service(fallback)),
            ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_and_reserved_paths_never_reach_the_folder() {
        for path in [
            "/../secret",
            "/assets/../../secret",
            "/%2e%2e/secret",
            "/assets/%2E%2E/%2e%2e/secret",
            "/assets/..%2fsecret",
            "/a%5c..%5csecret",
            "/.env",
            "/assets/%00.js",
            "/%ff",
            "/api",
            "/api/v1/nope",
            "/ws",
            "/media/thumbnails/x.jpg",
            "/metrics",
            "/healthz",
            "/readyz/",
            "/%61pi/v1/nope",
        ] {
            assert_eq!(client_path(path), None, "{path}");
        }
        for path in [
            "/",
            "/live/go-live",
            "/assets/x-abc123.js",
            "/apiary",
            "/wsx",
        ] {
            assert_eq!(client_path(path).as_deref(), Some(path));
        }
    }

    #[test]
    fn only_client_routes_fall_back_to_the_index() {
        assert!(is_history_route("/live/go-live", false));
        assert!(is_history_route("/", false));
        assert!(is_history_route("/u/jane.doe", true), "a page asked for");
        assert!(!is_history_route("/favicon.ico", false));
        assert!(!is_history_route("/assets/missing-123.js", false));
        assert!(!is_history_route("/assets/page", true));
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn media_origins_come_from_the_hls_url_or_the_explicit_list() {
        let dir = std::env::temp_dir().join(format!("veza-web-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        let err = WebClient::from_env(&env(&[("WEB_DIST_DIR", d)]), false).unwrap_err();
        assert!(err.to_string().contains("WEB_DIST_DIR"), "{err}");
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();

        let c = WebClient::from_env(&env(&[("WEB_DIST_DIR", d)]), false)
            .unwrap()
            .unwrap();
        assert_eq!(c.media_origins, ["http://127.0.0.1:8090"]);
        let c = WebClient::from_env(
            &env(&[
                ("WEB_DIST_DIR", d),
                ("HLS_PUBLIC_URL", "https://live.veza.example/hls"),
            ]),
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.media_origins, ["https://live.veza.example"]);
        let c = WebClient::from_env(
            &env(&[
                ("WEB_DIST_DIR", d),
                (
                    "WEB_CSP_MEDIA_ORIGINS",
                    "https://cdn.example.com, http://h:8090",
                ),
            ]),
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            c.media_origins,
            ["https://cdn.example.com", "http://h:8090"]
        );
        for bad in [
            "https://cdn.example.com/hls",
            "ftp://x.example",
            "cdn.example.com",
        ] {
            let err = WebClient::from_env(
                &env(&[("WEB_DIST_DIR", d), ("WEB_CSP_MEDIA_ORIGINS", bad)]),
                false,
            )
            .unwrap_err();
            assert!(
                err.to_string().contains("WEB_CSP_MEDIA_ORIGINS"),
                "{bad}: {err}"
            );
        }
        assert!(WebClient::from_env(&env(&[]), false).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_policy_allows_self_blob_media_and_the_socket_only() {
        let c = WebClient {
            dist_dir: PathBuf::from("/nowhere"),
            media_origins: vec!["https://hls.example".into()],
            trust_forwarded_proto: false,
        };
        let csp = c.content_security_policy(Some("wss://live.example"));
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(
            csp.contains("media-src 'self' blob: https://hls.example;"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' wss://live.example https://hls.example;"),
            "{csp}"
        );
        assert!(csp.contains("img-src 'self' https: data: blob:"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
    }
}
