#!/usr/bin/env python3
"""Writes the tables of docs/PERFORMANCE.md from one `make bench` run's
results.json, between the `<!-- bench:begin -->` and `<!-- bench:end -->`
markers (added at the top when missing).

    python3 bench/report.py bench/results/<timestamp>/results.json
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def med(values):
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return "—" if not a or not b else f"{a / b:.2f}×"


def verdict(ok):
    return "**met**" if ok else "**not met**"


def catalog(r, out):
    c = r.get("catalog")
    if not c:
        return
    runs, limits = c["runs"], c["pgbench"]
    out += [
        "### Catalog: live-catalog against fastify + pg",
        "",
        f"`{c['wrk']} -d{c['seconds']}s`, the median of the alternating runs; CPU is the "
        "server process's user + system time over the run divided by its requests; "
        "the limit is `pgbench -M prepared -c 16 -j 2` of the same SQL.",
        "",
        "| route | ours req/s | ours µs CPU/req | peer req/s | peer µs CPU/req | pgbench/s "
        "| req/s ours ÷ peer; CPU/req peer ÷ ours | ours ÷ pgbench | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for route, name, floor in (("list", "`GET /live/streams?is_live=true&limit=20`", 0.7),
                               ("get", "`GET /live/streams/{id}`", 0.5)):
        ours, peer = runs[f"{route}/ours"], runs[f"{route}/node"]
        o_rps, p_rps = med([x["rps"] for x in ours]), med([x["rps"] for x in peer])
        o_cpu = med([x["cpu_us_per_req"] for x in ours])
        p_cpu = med([x["cpu_us_per_req"] for x in peer])
        limit = limits[route]["tps"]
        ok = o_rps >= 3 * p_rps and o_rps >= floor * limit
        out.append(
            f"| {name} | {fmt(o_rps)} (p99 {fmt(med([x['p99_ms'] for x in ours]), 1)} ms) "
            f"| {fmt(o_cpu)} | {fmt(p_rps)} | {fmt(p_cpu)} | {fmt(limit)} "
            f"| {ratio(o_rps, p_rps)}, {ratio(p_cpu, o_cpu)} | {ratio(o_rps, limit)} "
            f"| ≥ 3× peer, ≥ {floor}× pgbench: {verdict(ok)} |")
    out.append("")


def onpublish(r, out):
    o = r.get("onpublish")
    if not o:
        return
    cpu = o["cpu_us_per_req"]
    out += [
        "### `on_publish` with an unknown key at 1,000 req/s",
        "",
        "`node bench/peers/rate.js` (open model: requests leave on schedule whatever the "
        "answers' latency) against ingest-events → NATS RPC → stream-key's lookup.",
        "",
        "| requests | p50 | p99 | max | µs CPU/req ingest-events + stream-key | target |",
        "|---|---|---|---|---|---|",
        f"| {o['requests']:,} at {o['rate']:.0f}/s, statuses {o['statuses']} "
        f"| {o['p50_ms']:.2f} ms | {o['p99_ms']:.2f} ms | {o['max_ms']:.1f} ms "
        f"| {cpu['ingest-events']:.0f} + {cpu['stream-key']:.0f} "
        f"| p99 ≤ 2 ms: {verdict(o['p99_ms'] <= 2)} |",
        "",
    ]


def golive(r, out):
    g = r.get("golive")
    if not g or not g.get("rounds"):
        return
    rounds = g["rounds"]

    def stats(field):
        values = sorted(x[field] for x in rounds if field in x)
        if not values:
            return "—"
        return f"{values[0]:.0f} / {med(values):.0f} / {values[-1]:.0f} ms"
    live_max = max(x["live_ms"] for x in rounds)
    cut_max = max(x["cut_ms"] for x in rounds)
    out += [
        "### Going live and being cut, with nginx-rtmp and ffmpeg",
        "",
        f"{len(rounds)} rounds against the release binaries (live-catalog, stream-key, "
        "ingest-events) and nginx-rtmp rendered from `deploy/nginx-rtmp/nginx.conf.template`: "
        "ffmpeg publishes a generated test pattern (x264 ultrafast, as the end-to-end tests) "
        "with the streamer's key while the streamer's streams are polled every 5 ms "
        "(`GET /live/streams/me`); then the key is regenerated and the publisher's exit and "
        "the stream's `ended` are timed. First, each round, ffmpeg with an unknown key: "
        "its own start-up, the RTMP handshake and a refused `on_publish`, until it exits. "
        "Ours alone: from the accepted `on_publish`'s arrival (its access line's timestamp "
        "less its duration) to the poll that saw `is_live`.",
        "",
        "| what | min / median / max | target |",
        "|---|---|---|",
        f"| ffmpeg starts with an unknown key → refused, ffmpeg exits | {stats('refused_ms')} "
        "| — (the encoder's start-up, handshake and exit) |",
        f"| ffmpeg starts publishing → `is_live` in the catalog | {stats('live_ms')} "
        f"| ≤ 1 s: {verdict(live_max <= 1000)} |",
        f"| of which `on_publish` reaches ingest-events → `is_live` seen | "
        f"{stats('hook_to_live_ms')} | — (ours: hook, key, session, JetStream, catalog) |",
        f"| key regenerated → the publisher cut (ffmpeg exits) | {stats('cut_ms')} "
        f"| ≤ 5 s: {verdict(cut_max <= 5000)} |",
        f"| key regenerated → the stream `ended` in the catalog | {stats('ended_ms')} | — |",
        "",
    ]


def ingest(r, out):
    phases = r.get("ingest")
    if not phases:
        return
    out += [
        "### Ingest events with database writes",
        "",
        "`live.ingest.events` as the Veza stream server sends them: one live stream reported "
        "over NATS, a batch of `listener_joined` events published at once (each a distinct "
        "listener), then their `listener_left`; timed from the first publish until "
        "ingest-events' durable consumer has acknowledged the last one. Each event has its "
        "ledger row and its presence row written (the listener events that arrive together "
        "in one transaction, the session's lease renewed at most once per step); the "
        "listener rows are counted afterwards.",
        "",
        "| events | events/s | µs CPU/event (ingest-events) | listener rows after (expected) | target |",
        "|---|---|---|---|---|",
    ]
    for kind in ("listener_joined", "listener_left"):
        p = phases.get(kind)
        if not p:
            continue
        ok = p["events_per_s"] >= 20_000 and p["listener_rows"] == p["rows_expected"]
        out.append(
            f"| {fmt(p['events'])} `{kind}` in {p['seconds']:.2f} s | {fmt(p['events_per_s'])} "
            f"| {fmt(p['cpu_us_per_event'])} | {fmt(p['listener_rows'])} "
            f"({fmt(p['rows_expected'])}) | ≥ 20,000/s, every row: {verdict(ok)} |")
    out.append("")


def chat(r, out):
    runs = r.get("chat", {}).get("runs")
    if runs:
        out += [
            "### Chat: chat-gateway against Node.js `ws`",
            "",
            "`chat-bench broadcast --server ours|node` (one load client for both, split over "
            "processes of at most 8,000 sockets). Idle RSS is the server process's growth "
            "once every socket joined, divided by the sockets. Latency runs: 1 message/s, "
            "from the server's `created_at` (stamped before the commit) to receipt. Burst "
            "runs: 50 messages/s; CPU is the server's over the broadcast.",
            "",
            "| sockets | side | RSS/socket | commit→receipt p50 / p99 at 1/s | burst frames/s "
            "| burst p99 | CPU-s per 100k frames | user µs/frame | frames delivered |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        sizes = sorted({int(k.split("/")[1]) for k in runs})
        for n in sizes:
            for side in ("ours", "node"):
                lat, burst = runs.get(f"{side}/{n}/latency"), runs.get(f"{side}/{n}/burst")
                if not lat or not burst:
                    continue
                delivered = lat["frames"] + burst["frames"]
                expected = lat["frames_expected"] + burst["frames_expected"]
                out.append(
                    f"| {n:,} | {side} | {lat['rss_per_socket_bytes'] / 1024:.1f} KiB "
                    f"| {lat['commit_p50_ms']:.1f} / {lat['commit_p99_ms']:.1f} ms "
                    f"| {fmt(burst['frames_per_s'])} | {burst['commit_p99_ms']:.0f} ms "
                    f"| {burst['cpu_s_per_100k_frames']:.2f} | {burst['user_us_per_frame']:.2f} "
                    f"| {delivered:,} of {expected:,} |")
        out.append("")
        big = max(sizes)
        o, p = runs.get(f"ours/{big}/latency"), runs.get(f"node/{big}/latency")
        ob, pb = runs.get(f"ours/{big}/burst"), runs.get(f"node/{big}/burst")
        if o and p and ob and pb:
            mem = o["rss_per_socket_bytes"] / p["rss_per_socket_bytes"]
            cpu = ob["user_us_per_frame"] / pb["user_us_per_frame"]
            out += [
                f"At {big:,} sockets: RSS per socket ours ÷ peer **{mem:.2f}×** (target ≤ 0.6×: "
                f"{verdict(mem <= 0.6)}); user CPU per frame ours ÷ peer **{cpu:.2f}×** (target "
                f"≤ 0.5×: {verdict(cpu <= 0.5)}); p99 at 1/s {o['commit_p99_ms']:.1f} ms against "
                f"the peer's {p['commit_p99_ms']:.1f} ms (target ≤ the peer's and ≤ 40 ms: "
                f"{verdict(o['commit_p99_ms'] <= min(40, p['commit_p99_ms']))}).",
                "",
            ]
    cross = r.get("chat", {}).get("cross")
    if cross:
        one, two = cross["1"], cross["2"]
        p50 = med([x["commit_p50_ms"] for x in two]) - med([x["commit_p50_ms"] for x in one])
        p99 = med([x["commit_p99_ms"] for x in two]) - med([x["commit_p99_ms"] for x in one])
        out += [
            "### Chat: a second instance over NATS",
            "",
            f"`chat-bench broadcast --instances 1|2`, {one[0]['sockets']} sockets, "
            f"{one[0]['messages']} messages at {one[0]['rate']}/s, alternating; with 2 the sender "
            "is on the first instance and the listeners on the second.",
            "",
            "| instances | commit→receipt p50 | p99 |",
            "|---|---|---|",
            f"| 1 | {med([x['commit_p50_ms'] for x in one]):.2f} ms "
            f"| {med([x['commit_p99_ms'] for x in one]):.2f} ms |",
            f"| 2 | {med([x['commit_p50_ms'] for x in two]):.2f} ms "
            f"| {med([x['commit_p99_ms'] for x in two]):.2f} ms |",
            f"| added | {p50:+.2f} ms (target ≤ 0.5: {verdict(p50 <= 0.5)}) "
            f"| {p99:+.2f} ms (target ≤ 2: {verdict(p99 <= 2)}) |",
            "",
        ]


def rooms(r, out):
    runs = r.get("rooms")
    if not runs or not any(runs.values()):
        return
    first = next(x for side in runs.values() for x in side)

    def ms(v):
        # The histograms' last bucket holds everything from 5 s up.
        return "≥ 5 s" if v >= 5000 else f"{v:,.1f} ms"

    out += [
        f"### Chat: {first['rooms']} rooms × {first['users']} users",
        "",
        f"`chat-bench rooms --rooms {first['rooms']} --users {first['users']} --rate "
        f"{first['rate']} --seconds {first['seconds']} --server ours|node`, alternating, "
        f"one load process: {first['sockets']:,} authenticated sockets, every user sending "
        f"{first['messages_per_user']} messages at a steady "
        f"{first['messages_per_user'] / first['seconds']:.2f}/s. The per-user limit is raised "
        f"to {first['rate_limit']} per {first['rate_window_s']:.0f} s for the run (twice what "
        f"a user sends; the design's 5 per 10 s would take {first['rate'] * 2:,} users for "
        f"{first['rate']:,}/s). Accepted: "
        "messages whose author received its own copy back, per second from the first to the "
        "last; refused: `error` answers. Latency: send → the author's copy, and the server's "
        "`created_at` (stamped in the transaction, before the commit) → the room's other "
        "members. Persisted: the rooms' rows in `chat_messages` after the run. CPU: the server "
        "process's user + system time over the run.",
        "",
        "| side | offered/s | accepted/s | refused | send→ack p50 / p99 | created_at→others "
        "p50 / p99 | frames to the others | persisted of accepted | CPU-s (µs/message) | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    rounds = max(len(v) for v in runs.values())
    for i in range(rounds):
        for side in ("ours", "node"):
            if i >= len(runs.get(side, [])):
                continue
            x = runs[side][i]
            cpu = x["cpu_user_s"] + x["cpu_system_s"]
            p99 = max(x["ack_p99_ms"], x["commit_p99_ms"])
            ok = (x["accepted_per_s"] >= 7000 and p99 <= 50
                  and x["persisted"] == x["accepted"] and x["unanswered"] == 0)
            target = (f"≥ 7,000/s, p99 ≤ 50 ms, persisted = accepted: {verdict(ok)}"
                      if side == "ours" else "—")
            refused = ", ".join(f"{k} {v:,}" for k, v in x["refused"].items()) or "0"
            if x["unanswered"]:
                refused += f"; {x['unanswered']:,} unanswered"
            out.append(
                f"| {side} | {fmt(x['offered_per_s'])} | {fmt(x['accepted_per_s'])} | {refused} "
                f"| {ms(x['ack_p50_ms'])} / {ms(x['ack_p99_ms'])} "
                f"| {ms(x['commit_p50_ms'])} / {ms(x['commit_p99_ms'])} "
                f"| {x['frames']:,} of {x['frames_expected']:,} "
                f"| {x['persisted']:,} of {x['accepted']:,} "
                f"| {cpu:.1f} ({fmt(x['cpu_us_per_message'])}) | {target} |")
    out.append("")
    o, n = runs.get("ours"), runs.get("node")
    if o and n:
        o_rate, n_rate = (med([x["accepted_per_s"] for x in o]),
                          med([x["accepted_per_s"] for x in n]))
        o_cpu, n_cpu = (med([x["cpu_us_per_message"] for x in o]),
                        med([x["cpu_us_per_message"] for x in n]))
        out += [
            f"Medians: accepted/s ours ÷ peer **{ratio(o_rate, n_rate)}**; CPU per accepted "
            f"message peer ÷ ours **{ratio(n_cpu, o_cpu)}**.",
            "",
        ]


def main():
    path = Path(sys.argv[1]).resolve()
    r = json.loads(path.read_text())
    rel = path.parent.relative_to(ROOT)
    m = r["machine"]
    out = [
        BEGIN,
        "## `make bench`: ours, the Node.js peer and the machine's limit",
        "",
        f"Written by `make bench` (run {r['started']}, {r.get('total_s', 0):.0f} s, "
        f"{m['cpus']} cores, load average {m['load_before'][0]:.1f} before and "
        f"{m['load_after'][0]:.1f} after); raw results in `{rel}/`. Release builds, "
        "PostgreSQL and NATS of the test profile, the load clients on the same cores. "
        "Reproduce: `make bench` (or `BENCH_ONLY=catalog make bench` for one part).",
        "",
    ]
    catalog(r, out)
    onpublish(r, out)
    golive(r, out)
    ingest(r, out)
    chat(r, out)
    rooms(r, out)
    out.append(END)
    block = "\n".join(out)
    text = DOC.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        first, _, rest = text.partition("\n\n")
        text = f"{first}\n\n{block}\n\n{rest}"
    DOC.write_text(text)
    print(block)


if __name__ == "__main__":
    main()
