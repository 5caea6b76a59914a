//! Per-IP rate limiting: beyond the quota a request gets 429 in the
//! envelope with `Retry-After`, before it reaches any upstream.

use actix_web::{
    Error,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use governor::clock::{Clock, DefaultClock};
use veza_live_platform::ApiError;

use crate::{proxy::client_ip, state::AppState};

/// Middleware: refuses a client beyond its quota.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let exempt = matches!(req.path(), "/healthz" | "/readyz" | "/metrics");
    if let (Some(state), false) = (state, exempt)
        && let Some(ip) = client_ip(req.request(), state.trust_forwarded_for)
        && let Err(not_until) = state.limiter.check_key(&ip)
    {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        metrics::counter!("veza_live_gateway_rate_limited_total").increment(1);
        let err = ApiError::RateLimited {
            retry_after_s: wait.as_secs().max(1),
        };
        return Ok(req.error_response(err).map_into_boxed_body());
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
