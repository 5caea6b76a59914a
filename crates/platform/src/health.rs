//! `/healthz` (the process is alive) and `/readyz` (PostgreSQL and NATS
//! answer), served by every service.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::db::DbPool;

/// What readiness checks.
#[derive(Clone)]
pub struct Readiness {
    pub pool: DbPool,
    pub nats: async_nats::Client,
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

async fn database_ok(pool: &DbPool) -> bool {
    let check = async {
        let mut conn = pool.get().await.ok()?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await.ok()
    };
    matches!(
        tokio::time::timeout(CHECK_TIMEOUT, check).await,
        Ok(Some(_))
    )
}

async fn healthz() -> HttpResponse {
    crate::http::ok(json!({"status": "ok"}))
}

async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let database = database_ok(&readiness.pool).await;
    let nats = readiness.nats.connection_state() == async_nats::connection::State::Connected;
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = json!({
        "success": database && nats,
        "data": {"database": word(database), "nats": word(nats)},
    });
    if database && nats {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(body)
    }
}

/// Adds `/healthz`, `/readyz` and `/metrics`; needs `web::Data<Readiness>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
    crate::metrics::configure(cfg);
}
