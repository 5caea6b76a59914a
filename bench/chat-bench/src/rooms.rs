//! `rooms`: many rooms, every user sending at a steady pace; accepted
//! messages, latency, persisted rows, CPU.

use std::time::{Duration, Instant};

use anyhow::Context;
use uuid::Uuid;
use veza_live_test_support::TestDb;

use crate::{
    RoomsArgs,
    histogram::Histogram,
    server::{Clients, Setup, cpu_s, cpu_used, rss_kib},
};

/// Messages read per query when counting a room's persisted messages.
const COUNT_PAGE: i64 = 1000;

/// chat-gateway's rate window (`CHAT_RATE_WINDOW_S`), in seconds.
const RATE_WINDOW_S: f64 = 10.0;

/// The design's per-user limit: 5 messages per user and room in 10 s.
const DESIGN_RATE_LIMIT: u32 = 5;

/// The per-user limit a `rooms` run sets (`CHAT_RATE_LIMIT`, per 10 s):
/// the design's 5, or twice what a user sends in a window when that is
/// more, so that a steady sender is never refused.
fn rooms_rate_limit(per_user_per_s: f64) -> u32 {
    let needed = (per_user_per_s * RATE_WINDOW_S * 2.0).ceil();
    DESIGN_RATE_LIMIT.max(needed.min(f64::from(u32::MAX)) as u32)
}

/// Persisted messages of `rooms`, read row by row from `chat_messages`
/// with chat-gateway's history query, and the sum of the rooms' last
/// `seq` (equal when no `seq` was skipped).
async fn count_persisted(db: &TestDb, rooms: &[Uuid]) -> anyhow::Result<(u64, i64)> {
    use veza_live_chat_gateway::db::{messages, rooms as room_rows};
    let mut conn = db.connect().await;
    let (mut rows, mut last_seqs) = (0u64, 0i64);
    for &room in rooms {
        let mut before = None;
        loop {
            let page = messages::page(&mut conn, room, before, COUNT_PAGE).await?;
            rows += page.len() as u64;
            match page.last() {
                Some(oldest) if page.len() as i64 == COUNT_PAGE => before = Some(oldest.seq),
                _ => break,
            }
        }
        if let Some(row) = room_rows::find(&mut conn, room).await? {
            last_seqs += row.last_seq;
        }
    }
    Ok((rows, last_seqs))
}

/// The shares of a `rooms` run: the rooms dealt out evenly over the
/// processes, each room's users all in one process.
fn room_shares(
    procs: usize,
    rooms: &[Uuid],
    port: u16,
    users: usize,
    messages: u64,
    seconds: u64,
) -> Vec<Vec<String>> {
    (0..procs)
        .map(|index| {
            let mine: Vec<String> = rooms
                [index * rooms.len() / procs..(index + 1) * rooms.len() / procs]
                .iter()
                .map(Uuid::to_string)
                .collect();
            vec![
                "--port".to_owned(),
                port.to_string(),
                "--stream".to_owned(),
                mine.join(","),
                "--users".to_owned(),
                users.to_string(),
                "--messages".to_owned(),
                messages.to_string(),
                "--seconds".to_owned(),
                seconds.to_string(),
            ]
        })
        .filter(|share| !share[3].is_empty())
        .collect()
}

/// `n - 1` events from the first to the last, per second.
fn rate_between(n: u64, first: u64, last: u64) -> f64 {
    let span = last.saturating_sub(first) as f64 / 1e9;
    if n < 2 || span <= 0.0 {
        return 0.0;
    }
    (n - 1) as f64 / span
}

/// Runs `rooms`.
pub async fn run_rooms(args: &RoomsArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let users = args.rooms * args.users;
    // Every user's share of the offered rate, as a whole number of
    // messages spread evenly over the run.
    let wanted = (args.rate * args.seconds) as f64 / users as f64;
    let messages = wanted.round().max(1.0) as u64;
    let per_user_per_s = messages as f64 / args.seconds as f64;
    let offered = per_user_per_s * users as f64;
    let rate_limit = rooms_rate_limit(per_user_per_s);
    println!(
        "{} rooms x {} users: {messages} messages per user over {} s ({per_user_per_s:.2}/s each, {offered:.0}/s offered); per-user limit {rate_limit} per {RATE_WINDOW_S:.0} s",
        args.rooms, args.users, args.seconds
    );
    let setup = Setup::start(common, 1, rate_limit).await?;
    let rooms = setup.open_rooms(common.server, args.rooms).await?;
    let server = &setup.servers[0];
    let pid = server.pid();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    let shares = room_shares(
        common.procs,
        &rooms,
        server.port,
        args.users,
        messages,
        args.seconds,
    );
    let mut clients = Clients::spawn(&shares)?;
    let ready = clients.ready().await?;
    let join_s = started.elapsed().as_secs_f64();
    let rss_joined = rss_kib(pid);
    println!(
        "{ready} authenticated sockets joined in {join_s:.1} s; server RSS {rss_before} KiB before, {rss_joined} KiB after"
    );

    let cpu_before = cpu_s(pid);
    clients.tell("go");
    let results = clients.collect("result").await?;
    let cpu_after = cpu_s(pid);
    let rss_after = rss_kib(pid);
    let (user, system) = cpu_used(&[cpu_before], &[cpu_after]);

    let (mut ack, mut commit, mut delivery) = (
        Histogram::default(),
        Histogram::default(),
        Histogram::default(),
    );
    let mut refused = std::collections::BTreeMap::<String, u64>::new();
    let (mut sent, mut accepted, mut others, mut others_expected, mut closed) = (0, 0, 0, 0, 0);
    let (mut first_send, mut last_send, mut first_ack, mut last_ack) = (u64::MAX, 0, u64::MAX, 0);
    for result in &results {
        let r: serde_json::Value = serde_json::from_str(result).context("a client's result")?;
        let n = |key: &str| r[key].as_u64().unwrap_or(0);
        sent += n("sent");
        accepted += n("accepted");
        others += n("others");
        others_expected += n("others_expected");
        closed += n("closed");
        if n("sent") > 0 {
            first_send = first_send.min(n("first_send"));
            last_send = last_send.max(n("last_send"));
        }
        if n("accepted") > 0 {
            first_ack = first_ack.min(n("first_ack"));
            last_ack = last_ack.max(n("last_ack"));
        }
        for (code, count) in r["refused"].as_object().into_iter().flatten() {
            *refused.entry(code.clone()).or_default() += count.as_u64().unwrap_or(0);
        }
        ack.merge(&Histogram::decode(r["ack"].as_str().unwrap_or("")));
        commit.merge(&Histogram::decode(r["commit"].as_str().unwrap_or("")));
        delivery.merge(&Histogram::decode(r["delivery"].as_str().unwrap_or("")));
    }
    let refused_total: u64 = refused.values().sum();
    let unanswered = sent.saturating_sub(accepted + refused_total);
    let send_rate = rate_between(sent, first_send, last_send);
    let accepted_per_s = rate_between(accepted, first_ack, last_ack);
    let (persisted, last_seqs) = count_persisted(&setup.db, &rooms).await?;

    println!(
        "sent {sent} ({send_rate:.0}/s from the first send to the last); accepted {accepted} ({accepted_per_s:.0}/s from the first answer to the last); refused {refused_total} {refused:?}; unanswered {unanswered}; sockets closed early {closed}"
    );
    for (name, h) in [
        ("send to the author's copy (acknowledgement)", &ack),
        ("created_at to the other members", &commit),
        ("send to the other members", &delivery),
    ] {
        println!(
            "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            h.quantile_ms(0.5),
            h.quantile_ms(0.99),
            h.quantile_ms(1.0),
        );
    }
    println!("frames to the other members: {others} delivered of {others_expected}");
    println!(
        "persisted: {persisted} rows in chat_messages for the {} rooms (their last seq sum to {last_seqs}) against {accepted} accepted",
        rooms.len()
    );
    let per_message = (user + system) * 1e6 / accepted.max(1) as f64;
    println!(
        "server CPU {user:.2} s user + {system:.2} s system ({per_message:.0} µs per accepted message); RSS {rss_after} KiB at the end"
    );

    let report = serde_json::json!({
        "server": format!("{:?}", common.server).to_lowercase(),
        "rooms": args.rooms,
        "users": args.users,
        "sockets": ready,
        "procs": shares.len(),
        "seconds": args.seconds,
        "rate": args.rate,
        "messages_per_user": messages,
        "offered_per_s": offered,
        "rate_limit": rate_limit,
        "rate_window_s": RATE_WINDOW_S,
        "join_s": join_s,
        "sent": sent,
        "send_per_s": send_rate,
        "accepted": accepted,
        "accepted_per_s": accepted_per_s,
        "refused": refused,
        "refused_total": refused_total,
        "unanswered": unanswered,
        "sockets_closed": closed,
        "ack_p50_ms": ack.quantile_ms(0.5),
        "ack_p99_ms": ack.quantile_ms(0.99),
        "ack_max_ms": ack.quantile_ms(1.0),
        "commit_p50_ms": commit.quantile_ms(0.5),
        "commit_p99_ms": commit.quantile_ms(0.99),
        "commit_max_ms": commit.quantile_ms(1.0),
        "delivery_p50_ms": delivery.quantile_ms(0.5),
        "delivery_p99_ms": delivery.quantile_ms(0.99),
        "frames": others,
        "frames_expected": others_expected,
        "persisted": persisted,
        "last_seq_sum": last_seqs,
        "cpu_user_s": user,
        "cpu_system_s": system,
        "cpu_us_per_message": per_message,
        "rss_before_kib": rss_before,
        "rss_joined_kib": rss_joined,
        "rss_after_kib": rss_after,
    });
    if let Some(path) = &common.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    clients.stop();
    drop(setup);
    Ok(())
}
