//! `idle` and `broadcast`: one room, its sockets idle or receiving one
//! sender's messages; memory per socket, delivery latency, frames/s, CPU.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;
use veza_live_test_support::token_for;

use crate::{
    RunArgs,
    client::now_nanos,
    histogram::Histogram,
    server::{Clients, Setup, cpu_s, cpu_used, rss_kib},
};

/// The per-user limit of `idle` and `broadcast` runs (`CHAT_RATE_LIMIT`):
/// their one sender sends up to 1,000 messages a second.
const BROADCAST_RATE_LIMIT: u32 = 1_000_000;

/// Runs `idle` or `broadcast`.
pub async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let setup = Setup::start(common, args.instances, BROADCAST_RATE_LIMIT).await?;
    let stream = setup
        .open_rooms(common.server, 1)
        .await?
        .first()
        .copied()
        .context("no room")?;
    let servers = &setup.servers;
    let (sender_at, listeners_at) = (&servers[0], &servers[servers.len() - 1]);
    let pid = listeners_at.pid();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    let clients = Clients::listeners(
        common.procs,
        args.sockets,
        listeners_at.port,
        stream,
        args.messages,
    )?;
    let ready = clients.ready().await?;
    let join_s = started.elapsed().as_secs_f64();
    println!("{ready} sockets joined in {join_s:.1} s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib(pid);
    let per_socket = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / ready.max(1) as f64;
    println!("server RSS: {rss_before} KiB before, {rss_after} KiB with {ready} idle sockets");
    println!(
        "RSS per idle socket: {per_socket:.0} bytes ({:.2} KiB)",
        per_socket / 1024.0
    );
    let mut report = serde_json::json!({
        "server": format!("{:?}", common.server).to_lowercase(),
        "instances": args.instances,
        "sockets": ready,
        "join_s": join_s,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_per_socket_bytes": per_socket,
    });
    if args.messages == 0 {
        clients.stop();
    } else {
        let token = token_for(Uuid::new_v4(), "bench");
        let port = sender_at.port;
        let req = tokio_tungstenite::tungstenite::http::Request::builder()
            .uri(format!("ws://127.0.0.1:{port}/ws"))
            .header("Host", format!("127.0.0.1:{port}"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header(
                "Sec-WebSocket-Key",
                tokio_tungstenite::tungstenite::handshake::client::generate_key(),
            )
            .body(())?;
        let (mut sender, _) = tokio_tungstenite::connect_async_with_config(req, None, true).await?;
        let join = serde_json::json!({"type": "join", "stream_id": stream}).to_string();
        sender.send(Message::text(join)).await?;
        // Wait for `joined` before sending.
        while let Some(frame) = sender.next().await {
            if let Message::Text(text) = frame?
                && text.contains("\"joined\"")
            {
                break;
            }
        }
        let (mut sink, mut source) = sender.split();
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = source.next().await {} });
        let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
        let cpu_before: Vec<_> = servers.iter().map(|s| cpu_s(s.pid())).collect();
        let first_send = now_nanos();
        let mut tick = tokio::time::interval(interval);
        for _ in 0..args.messages {
            tick.tick().await;
            let content = format!("t:{}", now_nanos());
            let frame =
                serde_json::json!({"type": "send", "stream_id": stream, "content": content});
            sink.send(Message::text(frame.to_string())).await?;
        }
        let results = clients.collect("result").await?;
        let cpu_after: Vec<_> = servers.iter().map(|s| cpu_s(s.pid())).collect();
        let (mut sent, mut persisted) = (Histogram::default(), Histogram::default());
        let mut last = 0u128;
        for result in &results {
            let mut parts = result.split(' ');
            last = last.max(parts.next().and_then(|s| s.parse().ok()).unwrap_or(0));
            sent.merge(&Histogram::decode(parts.next().unwrap_or("")));
            persisted.merge(&Histogram::decode(parts.next().unwrap_or("")));
        }
        let frames = sent.total();
        let expected = args.messages * ready as u64;
        let span = (last.saturating_sub(first_send)) as f64 / 1e9;
        println!(
            "{} messages at {}/s to {ready} sockets: {frames} frames delivered of {expected}",
            args.messages, args.rate
        );
        for (name, h) in [
            ("send to receipt (persistence included)", &sent),
            ("persisted to receipt (commit + fan-out)", &persisted),
        ] {
            println!(
                "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                h.quantile_ms(0.5),
                h.quantile_ms(0.99),
                h.quantile_ms(1.0),
            );
        }
        let (user, system) = cpu_used(&cpu_before, &cpu_after);
        let per_100k = |cpu: f64| cpu * 100_000.0 / frames.max(1) as f64;
        println!(
            "{:.0} frames/s from the first send to the last receipt ({span:.2} s); server CPU {:.2} s user + {:.2} s system ({:.2} s per 100k frames)",
            frames as f64 / span.max(1e-9),
            user,
            system,
            per_100k(user + system)
        );
        report["messages"] = args.messages.into();
        report["rate"] = args.rate.into();
        report["frames"] = frames.into();
        report["frames_expected"] = expected.into();
        report["frames_per_s"] = (frames as f64 / span.max(1e-9)).into();
        report["send_p50_ms"] = sent.quantile_ms(0.5).into();
        report["send_p99_ms"] = sent.quantile_ms(0.99).into();
        report["commit_p50_ms"] = persisted.quantile_ms(0.5).into();
        report["commit_p99_ms"] = persisted.quantile_ms(0.99).into();
        report["commit_max_ms"] = persisted.quantile_ms(1.0).into();
        report["cpu_user_s"] = user.into();
        report["cpu_system_s"] = system.into();
        report["cpu_s_per_100k_frames"] = per_100k(user + system).into();
        report["user_us_per_frame"] = (user * 1e6 / frames.max(1) as f64).into();
        clients.stop();
        drain.abort();
    }
    if let Some(path) = &common.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    drop(setup);
    Ok(())
}
