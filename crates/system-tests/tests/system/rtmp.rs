//! End to end with a real nginx-rtmp and ffmpeg: publish with the key, go
//! live, HLS under the stream id, RTMP players counted, wrong keys refused,
//! a rotated key kicks the publisher, a dead nginx ends the stream through
//! the lease and keeps what was recorded as its replay.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use veza_live_system_tests::{
    LiveWorld,
    rtmp::{Ffmpeg, Nginx},
};
use veza_live_test_support::eventually;

use crate::{data, user};

/// A stream as its owner sees it.
pub async fn stream(lw: &LiveWorld, id: &str, token: &str) -> Value {
    let res = lw
        .base
        .catalog
        .http
        .get(&format!("/api/v1/live/streams/{id}"), Some(token))
        .await;
    data(&res.body).clone()
}

/// Waits up to `secs` for the stream to pass `check`.
pub async fn wait_for(
    lw: &LiveWorld,
    id: &str,
    token: &str,
    what: &str,
    secs: u64,
    check: impl Fn(&Value) -> bool,
) -> Value {
    eventually(what, Duration::from_secs(secs), || async {
        let s = stream(lw, id, token).await;
        check(&s).then_some(s)
    })
    .await
}

/// A stream and its key.
async fn stream_and_key(lw: &LiveWorld, token: &str) -> (String, String) {
    let res = lw
        .base
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(token),
            &json!({"title": "Live set"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let s = data(&res.body);
    (
        s["id"].as_str().expect("id").to_owned(),
        s["stream_key"].as_str().expect("key").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_with_the_key_goes_live_and_serves_hls_under_the_stream_id_only() {
    let lw = LiveWorld::start(&[]).await;
    let (_, token) = user("dj");
    let (id, key) = stream_and_key(&lw, &token).await;
    let started = Instant::now();
    let mut publisher = Ffmpeg::publish(&lw.nginx.ports.publish_url(&key), 60);
    let live = eventually(
        "the catalog to show the stream live",
        Duration::from_secs(10),
        || async {
            let s = stream(&lw, &id, &token).await;
            (s["is_live"] == true).then_some(s)
        },
    )
    .await;
    let took = started.elapsed();
    println!(
        "ffmpeg start -> is_live in the catalog: {} ms",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(5), "went live after {took:?}");
    assert_eq!(
        live["stream_url"],
        format!("http://127.0.0.1:8090/hls/{id}.m3u8")
    );

    // The playlist is served under the stream id.
    let hls = lw.nginx.ports.hls_url(&id);
    let mut playlist = String::new();
    for _ in 0..200 {
        if let Ok(res) = reqwest::get(&hls).await
            && res.status() == StatusCode::OK
        {
            playlist = res.text().await.unwrap_or_default();
            if playlist.contains("#EXTINF") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        playlist.contains("#EXTINF"),
        "no HLS playlist at {hls}; files {:?}; nginx log:\n{}",
        lw.nginx.hls_files(),
        lw.nginx.error_log()
    );
    assert!(!playlist.contains(&key));
    let files = lw.nginx.hls_files();
    assert!(
        files.iter().any(|f| f == &format!("{id}.m3u8")),
        "{files:?}"
    );
    assert!(
        files.iter().all(|f| !f.contains(&key)),
        "the key is in an HLS path: {files:?}"
    );
    // Public views never show the key.
    for path in [
        "/api/v1/live/streams?is_live=true".to_owned(),
        format!("/api/v1/live/streams/{id}"),
    ] {
        let res = lw.base.catalog.http.get(&path, None).await;
        assert!(!res.body.to_string().contains(&key), "{path}");
    }
    assert_eq!(publisher.exited(), None, "the publisher is still streaming");

    publisher.stop();
    let ended = wait_for(&lw, &id, &token, "the stream to end", 10, |s| {
        s["status"] == "ended"
    })
    .await;
    assert_eq!(ended["is_vod"], true);
    lw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rtmp_player_raises_the_viewer_count_and_lowers_it_when_it_leaves() {
    let lw = LiveWorld::start(&[]).await;
    let (_, token) = user("dj");
    let (id, key) = stream_and_key(&lw, &token).await;
    let _publisher = Ffmpeg::publish(&lw.nginx.ports.publish_url(&key), 60);
    wait_for(&lw, &id, &token, "live", 10, |s| s["is_live"] == true).await;
    // The relay itself is not a viewer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stream(&lw, &id, &token).await["viewer_count"], 0);

    let mut player = Ffmpeg::play(&lw.nginx.ports.play_url(&id), 60);
    wait_for(&lw, &id, &token, "one viewer", 10, |s| {
        s["viewer_count"] == 1
    })
    .await;
    player.stop();
    let after = wait_for(&lw, &id, &token, "no viewer", 10, |s| {
        s["viewer_count"] == 0
    })
    .await;
    assert_eq!(after["peak_viewers"], 1);
    lw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused() {
    let lw = LiveWorld::start(&[]).await;
    let (_, token) = user("dj");
    let (id, _) = stream_and_key(&lw, &token).await;
    let mut publisher = Ffmpeg::publish(
        &lw.nginx
            .ports
            .publish_url(&uuid::Uuid::new_v4().to_string()),
        30,
    );
    let ok = eventually("ffmpeg to be refused", Duration::from_secs(10), || {
        std::future::ready(publisher.exited())
    })
    .await;
    assert!(!ok, "ffmpeg must fail to publish with a wrong key");
    assert_eq!(stream(&lw, &id, &token).await["status"], "draft");
    let live = lw
        .base
        .catalog
        .http
        .get("/api/v1/live/streams?is_live=true", None)
        .await;
    assert_eq!(data(&live.body).as_array().map(Vec::len), Some(0));
    lw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerating_the_key_while_live_drops_the_publisher_and_refuses_the_old_key() {
    let lw = LiveWorld::start(&[]).await;
    let (_, token) = user("dj");
    let (id, old_key) = stream_and_key(&lw, &token).await;
    let mut publisher = Ffmpeg::publish(&lw.nginx.ports.publish_url(&old_key), 60);
    wait_for(&lw, &id, &token, "live", 10, |s| s["is_live"] == true).await;

    let rotated_at = Instant::now();
    let res = lw
        .base
        .keys
        .http
        .post(
            "/api/v1/live/streams/me/key/regenerate",
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    eventually(
        "the publisher to be dropped",
        Duration::from_secs(5),
        || std::future::ready(publisher.exited()),
    )
    .await;
    println!(
        "key regenerated -> publisher dropped: {} ms",
        rotated_at.elapsed().as_millis()
    );
    let ended = wait_for(&lw, &id, &token, "the stream to end", 5, |s| {
        s["status"] == "ended"
    })
    .await;
    assert_eq!(ended["is_vod"], true);
    let vod = lw
        .base
        .catalog
        .http
        .get("/api/v1/live/streams?is_vod=true", None)
        .await;
    assert_eq!(data(&vod.body)[0]["id"], id.as_str());

    // The encoder's reconnect with the old key is refused.
    let mut retry = Ffmpeg::publish(&lw.nginx.ports.publish_url(&old_key), 30);
    let ok = eventually("the old key to be refused", Duration::from_secs(10), || {
        std::future::ready(retry.exited())
    })
    .await;
    assert!(!ok);
    lw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nginx_ends_the_stream_through_the_lease_and_keeps_what_was_recorded() {
    let mut lw = LiveWorld::start(&[
        ("SESSION_LEASE_S", "3"),
        ("REPLAY_POLL_INTERVAL_MS", "500"),
        ("REPLAY_MIN_SECONDS", "2"),
    ])
    .await;
    let (_, token) = user("dj");
    let (id, key) = stream_and_key(&lw, &token).await;
    let _publisher = Ffmpeg::publish(&lw.nginx.ports.publish_url(&key), 60);
    wait_for(&lw, &id, &token, "live", 10, |s| s["is_live"] == true).await;
    let live_at = Instant::now();
    // Longer than the lease: on_update keeps it live.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        stream(&lw, &id, &token).await["status"],
        "live",
        "on_update renews the lease"
    );
    lw.nginx.kill_hard();
    let killed = Instant::now();
    let recorded_for = (killed - live_at).as_secs_f64();
    wait_for(&lw, &id, &token, "the lease to end the stream", 15, |s| {
        s["status"] == "ended"
    })
    .await;
    println!(
        "nginx killed -> stream ended: {} ms",
        killed.elapsed().as_millis()
    );
    // A fresh nginx does not bring it back.
    lw.nginx = Nginx::start(lw.nginx.ports, port_of(&lw.ingest.http.base));
    assert_eq!(stream(&lw, &id, &token).await["status"], "ended");
    // What was recorded before the kill is the replay.
    let replay = wait_for(&lw, &id, &token, "the replay", 20, |s| {
        s["replay_status"] == "ready"
    })
    .await;
    let duration = replay["duration_seconds"].as_f64().expect("a duration");
    assert!(
        duration >= recorded_for - 3.0 && duration <= recorded_for + 1.0,
        "a replay of {duration:.2} s for {recorded_for:.2} s live before nginx died"
    );
    lw.stop().await;
}

fn port_of(base: &str) -> u16 {
    base.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port")
}
