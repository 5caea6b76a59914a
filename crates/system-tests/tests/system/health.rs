//! Stream health with a real nginx-rtmp and ffmpeg: an encoder at a known
//! bitrate and picture shows up in `GET /live/streams/{id}/health` (owner
//! only, also through the gateway) and in the per-stream gauges; a frozen
//! or stopped encoder is `no_signal`.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use veza_live_system_tests::{LiveWorld, dead_upstream, rtmp::Ffmpeg, start_gateway};
use veza_live_test_support::eventually;

use crate::{data, error_code, user};

/// Video bitrate the encoder is set to, plus its 64 kb/s of audio.
const VIDEO_KBPS: u32 = 800;
const ENCODER_BPS: f64 = (VIDEO_KBPS as f64 + 64.0) * 1000.0;

async fn health(lw: &LiveWorld, id: &str, token: &str) -> Value {
    let res = lw
        .ingest
        .http
        .get(&format!("/api/v1/live/streams/{id}/health"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    data(&res.body).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encoder_at_a_known_bitrate_shows_in_its_owners_health_and_freezing_it_is_no_signal() {
    let lw = LiveWorld::start(&[("HEALTH_SAMPLE_INTERVAL_MS", "1000")]).await;
    let (_, token) = user("dj");
    let (_, other) = user("someone");
    let res = lw
        .base
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Health"}),
        )
        .await;
    let created = data(&res.body);
    let id = created["id"].as_str().expect("id").to_owned();
    let key = created["stream_key"].as_str().expect("key").to_owned();

    // Before going live: the owner is told it is not live, others are refused.
    let before = health(&lw, &id, &token).await;
    assert_eq!(
        (before["live"].clone(), before["verdict"].clone()),
        (json!(false), json!("no_signal"))
    );
    let path = format!("/api/v1/live/streams/{id}/health");
    let res = lw.ingest.http.get(&path, Some(&other)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "someone else's draft");

    let mut encoder = Ffmpeg::publish_cbr(
        &lw.nginx.ports.publish_url(&key),
        90,
        (640, 360, 30),
        VIDEO_KBPS,
    );
    let started = Instant::now();
    let steady = eventually(
        "a steady bitrate in the health figures",
        Duration::from_secs(25),
        || async {
            let h = health(&lw, &id, &token).await;
            let enough = h["bitrate_avg_bps"].as_f64().is_some()
                && h["verdict"] != "unknown"
                && h["uptime_s"].as_u64().unwrap_or(0) >= 6;
            enough.then_some(h)
        },
    )
    .await;
    println!(
        "ffmpeg start -> steady health figures: {} ms; {steady}",
        started.elapsed().as_millis()
    );
    assert_eq!(steady["live"], true);
    assert_eq!(steady["video"]["width"], 640);
    assert_eq!(steady["video"]["height"], 360);
    assert_eq!(steady["video"]["frame_rate"], 30.0);
    assert_eq!(steady["video"]["codec"], "H264");
    assert_eq!(steady["audio"]["codec"], "AAC");
    assert_eq!(steady["audio"]["sample_rate"], 44100);
    let avg = steady["bitrate_avg_bps"].as_f64().expect("average");
    println!(
        "encoder {ENCODER_BPS} b/s, measured {avg} b/s ({:+.1} %)",
        (avg / ENCODER_BPS - 1.0) * 100.0
    );
    assert!(
        (avg - ENCODER_BPS).abs() <= ENCODER_BPS * 0.2,
        "measured {avg} b/s for an encoder at {ENCODER_BPS}: {steady}"
    );
    assert_eq!(steady["verdict"], "excellent", "{steady}");

    // Owner only.
    let res = lw.ingest.http.get(&path, Some(&other)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&res.body), "forbidden");
    assert!(!res.body.to_string().contains("bitrate"));
    let res = lw.ingest.http.get(&path, None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = lw
        .ingest
        .http
        .get(
            &format!("/api/v1/live/streams/{}/health", uuid::Uuid::new_v4()),
            Some(&token),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Through the gateway, as the web client asks.
    let gateway = start_gateway(
        &lw.base.catalog.http.base,
        &lw.base.keys.http.base,
        &dead_upstream(),
        &[("INGEST_URL", lw.ingest.http.base.as_str())],
    )
    .await;
    let res = gateway.http.get(&path, Some(&token)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(data(&res.body)["video"]["width"], 640);
    let res = gateway.http.get(&path, Some(&other)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // The per-stream gauges, for this live stream only.
    let metrics = reqwest::get(format!("{}/metrics", lw.ingest.http.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(&format!(
            "veza_live_stream_ingest_frame_rate{{stream_id=\"{id}\"}} 30"
        )),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "veza_live_stream_ingest_bitrate_bps{{stream_id=\"{id}\"}}"
    )));

    // A frozen encoder keeps its connection but sends nothing.
    encoder.freeze();
    let frozen = Instant::now();
    let silent = eventually(
        "no signal from a frozen encoder",
        Duration::from_secs(10),
        || async {
            let h = health(&lw, &id, &token).await;
            (h["verdict"] == "no_signal").then_some(h)
        },
    )
    .await;
    println!(
        "encoder frozen -> no_signal: {} ms",
        frozen.elapsed().as_millis()
    );
    assert_eq!(silent["live"], true);
    assert_eq!(silent["bitrate_bps"], 0);
    let metrics = reqwest::get(format!("{}/metrics", lw.ingest.http.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(&format!(
            "veza_live_stream_ingest_bitrate_bps{{stream_id=\"{id}\"}} 0\n"
        )),
        "{metrics}"
    );

    // Stopped: the session ends, the stream is no longer live.
    encoder.stop();
    let ended = eventually("the stream to end", Duration::from_secs(20), || async {
        let h = health(&lw, &id, &token).await;
        (h["live"] == false).then_some(h)
    })
    .await;
    assert_eq!(ended["verdict"], "no_signal");
    // The next sample forgets it: no series once the stream ended.
    let base = lw.ingest.http.base.clone();
    eventually("the stream's gauges to go", Duration::from_secs(5), || {
        let base = base.clone();
        let id = id.clone();
        async move {
            let metrics = reqwest::get(format!("{base}/metrics"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (!metrics.contains("veza_live_stream_ingest_bitrate_bps{") || !metrics.contains(&id))
                .then_some(())
        }
    })
    .await;
    gateway.stop().await;
    lw.stop().await;
}
