//! The body nginx-rtmp's notify module sends: `application/x-www-form-urlencoded`
//! with lower-case fields `app`, `flashver`, `swfurl`, `tcurl`, `pageurl`,
//! `addr`, `clientid`, then `call`, `name`, `type` (or `start`/`duration`/
//! `reset`, `time`/`timestamp`), then the raw query arguments of the
//! publish or play URL. The first occurrence of a field wins, so query
//! arguments cannot override what nginx itself reports.

use veza_live_platform::ApiError;

/// Largest hook body accepted.
pub const HOOK_BODY_LIMIT: usize = 16 * 1024;

/// A parsed hook call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookForm {
    pub call: String,
    pub app: String,
    pub name: String,
    pub addr: Option<String>,
    pub client_id: String,
    pub flashver: String,
}

/// Why a hook body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    #[error("the body is not form-urlencoded")]
    Malformed,
    #[error("field {0} is missing")]
    Missing(&'static str),
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl HookForm {
    /// Parses a hook body.
    ///
    /// Fails when it is not form-urlencoded or lacks `call` or `clientid`.
    pub fn parse(body: &[u8]) -> Result<Self, FormError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| FormError::Malformed)?;
        let first = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
        };
        let required = |key: &'static str| {
            first(key)
                .filter(|v| !v.is_empty())
                .ok_or(FormError::Missing(key))
        };
        Ok(Self {
            call: required("call")?,
            // nginx-rtmp's own relay reports an empty app.
            app: first("app").unwrap_or_default(),
            client_id: required("clientid")?,
            name: first("name").unwrap_or_default(),
            addr: first("addr").filter(|a| !a.is_empty()),
            flashver: first("flashver").unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_nginx_rtmp_sends_for_publish() {
        let body = b"app=live&flashver=FMLE/3.0%20(compatible%3B%20FMSc/1.0)&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1&clientid=42&call=publish&name=0b1c&type=live";
        let form = HookForm::parse(body).expect("valid");
        assert_eq!(form.call, "publish");
        assert_eq!(form.app, "live");
        assert_eq!(form.name, "0b1c");
        assert_eq!(form.client_id, "42");
        assert_eq!(form.addr.as_deref(), Some("127.0.0.1"));
        assert_eq!(form.flashver, "FMLE/3.0 (compatible; FMSc/1.0)");
    }

    #[test]
    fn appended_query_arguments_cannot_override_nginx_fields() {
        let body = b"app=live&addr=10.0.0.1&clientid=7&call=publish&name=key&type=live&name=other&app=hls&extra=1&clientid=9";
        let form = HookForm::parse(body).expect("valid");
        assert_eq!(
            (
                form.app.as_str(),
                form.name.as_str(),
                form.client_id.as_str()
            ),
            ("live", "key", "7")
        );
    }

    #[test]
    fn the_local_relay_play_with_an_empty_app_parses() {
        // What nginx-rtmp 1.2.2 sends for the relay of an on_publish redirect.
        let body = b"app=&flashver=ngx-local-relay&swfurl=&tcurl=&pageurl=&addr=127.0.0.1:1935/hls/xyz&clientid=3&call=play&name=key&start=0&duration=0&reset=0";
        let form = HookForm::parse(body).expect("valid");
        assert_eq!(form.app, "");
        assert_eq!(form.flashver, "ngx-local-relay");
        assert_eq!(form.call, "play");
    }

    #[test]
    fn percent_encoding_and_plus_are_decoded() {
        let form =
            HookForm::parse(b"app=live&clientid=1&call=play&name=a%2Fb+c&flashver=ngx-local-relay")
                .expect("valid");
        assert_eq!(form.name, "a/b c");
        assert_eq!(form.flashver, "ngx-local-relay");
    }

    #[test]
    fn missing_required_fields_are_named() {
        assert_eq!(
            HookForm::parse(b"app=live&clientid=1"),
            Err(FormError::Missing("call"))
        );
        assert_eq!(
            HookForm::parse(b"call=publish&app=live&clientid="),
            Err(FormError::Missing("clientid"))
        );
        assert_eq!(HookForm::parse(b"").err(), Some(FormError::Missing("call")));
    }

    #[test]
    fn broken_percent_escapes_and_bad_utf8_are_kept_inert() {
        let form =
            HookForm::parse(b"app=live&clientid=1&call=publish&name=%zz%E2%28").expect("lenient");
        assert_eq!(form.name, "%zz\u{fffd}(");
        let form = HookForm::parse(&[
            b'a', b'p', b'p', b'=', 0xff, b'&', b'c', b'a', b'l', b'l', b'=', b'x', b'&', b'c',
            b'l', b'i', b'e', b'n', b't', b'i', b'd', b'=', b'1',
        ])
        .expect("lenient");
        assert_eq!(form.app, "\u{fffd}");
    }
}
