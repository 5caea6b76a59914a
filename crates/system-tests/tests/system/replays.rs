//! Replays with a real nginx-rtmp and ffmpeg: a 20 s broadcast, with
//! ingest-events restarted in the middle, becomes a VOD playlist whose
//! segments add up to the broadcast; live-catalog serves it with byte
//! ranges and ffprobe reads it; retention deletes it. Beside it, a stream
//! whose owner turned recording off gets none, and deleting a stream
//! deletes its replay.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use diesel::{QueryableByName, sql_types};
use diesel_async::RunQueryDsl;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use veza_live_system_tests::{LiveWorld, rtmp::Ffmpeg, shared_media_dir};
use veza_live_test_support::eventually;

use crate::{
    data,
    rtmp::{stream, wait_for},
    user,
};

const WAIT: Duration = Duration::from_secs(40);
const WAIT_S: u64 = 40;

/// Creates a stream; returns its id and key.
async fn create(lw: &LiveWorld, token: &str, body: Value) -> (String, String) {
    let res = lw
        .base
        .catalog
        .http
        .post("/api/v1/live/streams", Some(token), &body)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = data(&res.body);
    (
        created["id"].as_str().expect("id").to_owned(),
        created["stream_key"].as_str().expect("key").to_owned(),
    )
}

fn replay_folder(id: &str) -> PathBuf {
    shared_media_dir().join("replays").join(id)
}

#[derive(QueryableByName, Debug)]
struct Progress {
    #[diesel(sql_type = sql_types::Text)]
    status: String,
    #[diesel(sql_type = sql_types::Integer)]
    segments: i32,
}

async fn progress(lw: &LiveWorld, id: &str) -> Option<Progress> {
    let mut conn = lw.ingest_db.connect().await;
    diesel::sql_query("SELECT status, segments FROM replays WHERE stream_id = $1::uuid")
        .bind::<sql_types::Text, _>(id)
        .get_result(&mut conn)
        .await
        .ok()
}

#[derive(QueryableByName)]
struct Seen {
    #[diesel(sql_type = sql_types::Text)]
    at: String,
}

/// When the live session of `id` was last renewed by nginx's `on_update`.
async fn last_update(lw: &LiveWorld, id: &str) -> String {
    let mut conn = lw.ingest_db.connect().await;
    let seen: Seen = diesel::sql_query(
        "SELECT last_seen_at::text AS at FROM ingest_sessions \
         WHERE stream_id = $1::uuid AND status = 'active'",
    )
    .bind::<sql_types::Text, _>(id)
    .get_result(&mut conn)
    .await
    .expect("an active session");
    seen.at
}

#[derive(QueryableByName)]
struct Sequence {
    #[diesel(sql_type = sql_types::BigInt)]
    media_sequence: i64,
}

/// A plain GET against live-catalog, for non-JSON answers.
async fn fetch(lw: &LiveWorld, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", lw.base.catalog.http.base));
    if let Some(range) = range {
        req = req.header(header::RANGE, range);
    }
    req.send().await.expect("catalog answers")
}

/// The `#EXTINF` durations of a playlist.
fn durations(playlist: &str) -> Vec<f64> {
    playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .map(|d| d.trim_end_matches(',').parse().expect("a duration"))
        .collect()
}

fn seconds_between(from: &Value, to: &Value) -> f64 {
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp")).expect("RFC 3339")
    };
    (at(to) - at(from)).num_milliseconds() as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_becomes_a_vod_replay_that_survives_an_ingest_restart_and_expires() {
    let lw = LiveWorld::start(&[
        ("REPLAY_POLL_INTERVAL_MS", "500"),
        ("REPLAY_MIN_SECONDS", "3"),
        ("REPLAY_SWEEP_INTERVAL_S", "1"),
    ])
    .await;
    let (_, dj) = user("dj");
    let (_, quiet) = user("quiet");
    let (_, brief) = user("brief");
    let (id, key) = create(&lw, &dj, json!({"title": "Long set"})).await;
    let (off_id, off_key) = create(
        &lw,
        &quiet,
        json!({"title": "Not recorded", "record_replay": false}),
    )
    .await;
    let (short_id, short_key) = create(&lw, &brief, json!({"title": "Short"})).await;
    assert_eq!(stream(&lw, &id, &dj).await["record_replay"], true);
    assert_eq!(stream(&lw, &off_id, &quiet).await["record_replay"], false);

    let mut main = Ffmpeg::publish(&lw.nginx.ports.publish_url(&key), 20);
    let mut off = Ffmpeg::publish(&lw.nginx.ports.publish_url(&off_key), 8);
    let mut short = Ffmpeg::publish(&lw.nginx.ports.publish_url(&short_key), 8);
    wait_for(&lw, &id, &dj, "the long set to go live", WAIT_S, |s| {
        s["is_live"] == true
    })
    .await;
    let live = stream(&lw, &id, &dj).await;
    assert_eq!(live["replay_status"], "none", "no replay while live");
    assert_eq!(live["duration_seconds"], Value::Null);

    // Recording is under way...
    eventually("segments to be recorded", WAIT, || async {
        progress(&lw, &id)
            .await
            .filter(|p| p.status == "recording" && p.segments >= 3)
    })
    .await;
    // ...when ingest-events restarts, right after nginx's renewal so that
    // the next one (2 s later) finds it back.
    let before = last_update(&lw, &id).await;
    eventually("nginx to renew the session", WAIT, || async {
        (last_update(&lw, &id).await != before).then_some(())
    })
    .await;
    let restart = Instant::now();
    let lw = lw.restart_ingest().await;
    let downtime = restart.elapsed();
    assert!(
        downtime < Duration::from_millis(1500),
        "the restart took {downtime:?}, longer than nginx's renewal interval allows"
    );
    println!("ingest-events restarted in {} ms", downtime.as_millis());

    // The short stream's replay is ready first; deleting the stream deletes it.
    let short_ready = wait_for(&lw, &short_id, &brief, "the short replay", WAIT_S, |s| {
        s["replay_status"] == "ready"
    })
    .await;
    short.stop();
    assert!(replay_folder(&short_id).join("index.m3u8").exists());
    assert!(
        short_ready["stream_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/media/replays/{short_id}/index.m3u8")))
    );
    let res = lw
        .base
        .catalog
        .http
        .delete(&format!("/api/v1/live/streams/{short_id}"), Some(&brief))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    eventually("the deleted stream's replay to go", WAIT, || async {
        (!replay_folder(&short_id).exists()).then_some(())
    })
    .await;
    let gone = fetch(&lw, &format!("/media/replays/{short_id}/index.m3u8"), None).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    // Recording off: ended, and nothing recorded.
    let ended_off = wait_for(
        &lw,
        &off_id,
        &quiet,
        "the unrecorded stream to end",
        WAIT_S,
        |s| s["status"] == "ended",
    )
    .await;
    off.stop();
    assert_eq!(ended_off["replay_status"], "none");
    assert_eq!(ended_off["stream_url"], Value::Null);
    assert!(progress(&lw, &off_id).await.is_none(), "not recorded");
    assert!(!replay_folder(&off_id).exists());

    // The long set ends: processing, then ready.
    let ended = wait_for(&lw, &id, &dj, "the long set to end", WAIT_S, |s| {
        s["status"] == "ended"
    })
    .await;
    main.stop();
    assert!(
        ["processing", "ready"].contains(&ended["replay_status"].as_str().unwrap_or_default()),
        "{ended}"
    );
    let ready = wait_for(&lw, &id, &dj, "the replay to be ready", WAIT_S, |s| {
        s["replay_status"] == "ready"
    })
    .await;
    let shown: serde_json::Map<String, Value> = [
        "status",
        "is_live",
        "is_vod",
        "viewer_count",
        "peak_viewers",
        "started_at",
        "ended_at",
        "replay_status",
        "duration_seconds",
        "stream_url",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), ready[k].clone()))
    .collect();
    println!("replay ready: {}", Value::Object(shown));
    let url = ready["stream_url"]
        .as_str()
        .expect("a replay URL")
        .to_owned();
    let path = format!("/media/replays/{id}/index.m3u8");
    assert!(url.ends_with(&path), "{url}");
    assert!(
        !url.contains(&key),
        "the key never appears in a replay path"
    );

    // A VOD playlist of the whole broadcast.
    let res = fetch(&lw, &path, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/vnd.apple.mpegurl"
    );
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let playlist = res.text().await.expect("text");
    assert!(playlist.contains("#EXT-X-PLAYLIST-TYPE:VOD"), "{playlist}");
    assert!(
        playlist.trim_end().ends_with("#EXT-X-ENDLIST"),
        "{playlist}"
    );
    assert!(
        !playlist.contains("#EXT-X-DISCONTINUITY"),
        "the restart of ingest-events lost nothing: {playlist}"
    );
    let parts = durations(&playlist);
    let total: f64 = parts.iter().sum();
    let longest = parts.iter().copied().fold(0.0, f64::max);
    let broadcast = seconds_between(&ready["started_at"], &ready["ended_at"]);
    assert!(
        (total - broadcast).abs() <= longest + 0.5,
        "segments add up to {total:.2} s, the broadcast lasted {broadcast:.2} s (longest segment {longest:.2} s)"
    );
    assert!(total > 15.0, "{total} s of a 20 s broadcast");
    let listed = ready["duration_seconds"].as_f64().expect("a duration");
    assert!((listed - total).abs() < 0.01, "{listed} vs {total}");

    // Every segment nginx wrote, in order, none skipped across the restart.
    let sequences: Vec<i64> = {
        let mut conn = lw.ingest_db.connect().await;
        diesel::sql_query(
            "SELECT media_sequence FROM replay_segments WHERE stream_id = $1::uuid ORDER BY idx",
        )
        .bind::<sql_types::Text, _>(&id)
        .load::<Sequence>(&mut conn)
        .await
        .expect("segments")
        .into_iter()
        .map(|s| s.media_sequence)
        .collect()
    };
    assert_eq!(sequences.len(), parts.len());
    assert!(
        sequences.windows(2).all(|w| w[1] == w[0] + 1),
        "contiguous: {sequences:?}"
    );

    // Byte ranges of a segment.
    let seg = format!("/media/replays/{id}/0.ts");
    let whole = fetch(&lw, &seg, None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::CONTENT_TYPE], "video/mp2t");
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    let size = whole.bytes().await.expect("bytes").len();
    let part = fetch(&lw, &seg, Some("bytes=0-187")).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 0-187/{size}").as_str()
    );
    let bytes = part.bytes().await.expect("bytes");
    assert_eq!(bytes.len(), 188);
    assert_eq!(bytes[0], 0x47, "an MPEG-TS sync byte");
    let past = fetch(&lw, &seg, Some(&format!("bytes={size}-"))).await;
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // ffprobe reads the replay as a whole.
    let input = format!("{}{path}", lw.base.catalog.http.base);
    let probe = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format=duration",
                "-of",
                "default=nw=1:nk=1",
            ])
            .arg(input)
            .output()
    })
    .await
    .expect("ffprobe task")
    .expect("ffprobe runs");
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let probed: f64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .expect("a duration");
    assert!(
        (probed - total).abs() <= longest + 0.5,
        "ffprobe reads {probed:.2} s, the playlist says {total:.2} s"
    );

    // Retention: once older than REPLAY_RETENTION_DAYS, it is deleted.
    {
        let mut conn = lw.ingest_db.connect().await;
        diesel::sql_query(
            "UPDATE replays SET ready_at = now() - interval '31 days' WHERE stream_id = $1::uuid",
        )
        .bind::<sql_types::Text, _>(&id)
        .execute(&mut conn)
        .await
        .expect("backdated");
    }
    let expired = wait_for(&lw, &id, &dj, "the old replay to expire", WAIT_S, |s| {
        s["replay_status"] == "none"
    })
    .await;
    assert_eq!(expired["stream_url"], Value::Null);
    assert_eq!(expired["status"], "ended", "the stream itself stays");
    assert!(!replay_folder(&id).exists());
    assert_eq!(
        fetch(&lw, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    lw.stop().await;
}
