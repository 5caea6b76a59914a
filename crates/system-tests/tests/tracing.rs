//! One trace per request across services: gateway → live-catalog → the
//! `live.rpc.keys.issue` request/reply → stream-key, exported to a real
//! OTLP/HTTP receiver. Its own test binary, because it installs the
//! process-wide tracing pipeline.

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::json;
use veza_live_platform::{config::LogFormat, telemetry};
use veza_live_system_tests::{World, dead_upstream, start_gateway};
use veza_live_test_support::token_for;

type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A collector that keeps `(span name, trace id)` of every exported span.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let server = HttpServer::new(move || {
        let store = store.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let store = store.clone();
                async move {
                    if let Ok(req) = ExportTraceServiceRequest::decode(body.as_ref()) {
                        let mut store = store
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        for rs in req.resource_spans {
                            for ss in rs.scope_spans {
                                for span in ss.spans {
                                    store.push((span.name, span.trace_id));
                                }
                            }
                        }
                    }
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind");
    let addr = server.addrs()[0];
    tokio::spawn(server.run());
    (format!("http://{addr}"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_request_and_the_key_issue_round_trip_share_one_trace() {
    let (endpoint, received) = receiver().await;
    let guard = telemetry::init(
        "veza-live-system-tests",
        "info",
        LogFormat::Pretty,
        Some(&endpoint),
    )
    .expect("telemetry");
    let w = World::start().await;
    let gw = start_gateway(
        &w.catalog.http.base,
        &w.keys.http.base,
        &dead_upstream(),
        &[],
    )
    .await;
    let token = token_for(uuid::Uuid::new_v4(), "tracer");
    let res = gw
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Traced"}),
        )
        .await;
    assert_eq!(res.status, reqwest::StatusCode::CREATED, "{}", res.body);

    let spans = veza_live_test_support::eventually(
        "exported spans",
        std::time::Duration::from_secs(10),
        || async {
            guard.flush();
            let spans = received
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let server = spans
                .iter()
                .find(|(name, _)| name.ends_with("live.rpc.keys.issue") && !name.is_empty())?;
            Some((spans.clone(), server.1.clone()))
        },
    )
    .await;
    let (all, trace_id) = spans;
    let in_trace: Vec<&str> = all
        .iter()
        .filter(|(_, t)| *t == trace_id)
        .map(|(n, _)| n.as_str())
        .collect();
    let http_spans = in_trace
        .iter()
        .filter(|n| **n == "POST /api/v1/live/streams")
        .count();
    assert!(
        http_spans >= 2,
        "the gateway's and the catalog's server spans share the trace: {in_trace:?}"
    );
    let rpc_spans = in_trace
        .iter()
        .filter(|n| n.ends_with("live.rpc.keys.issue"))
        .count();
    assert!(
        rpc_spans >= 2,
        "the keys.issue client and server spans share the trace: {in_trace:?}"
    );
    gw.stop().await;
    w.stop().await;
}
