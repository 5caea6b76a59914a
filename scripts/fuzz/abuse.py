"""JWT and WebSocket abuse matrix of `make fuzz` (scripts/fuzz.sh).

Runs against a stack started by web/e2e/fuzz-stack.mjs, whose settings it
reads from the environment (FUZZ_GATEWAY_URL, FUZZ_CATALOG_URL, ...,
FUZZ_JWT_SECRET, FUZZ_ALLOWED_ORIGIN). Prints one PASS/FAIL line per case
and a closing "N passed, N failed" line; exits 1 when any case failed.

HTTP: forged or malformed tokens (alg none, HS384, expired, exp as a
string, wrong secret, no exp, ...), two Authorization headers and tokens in
places that are not the Authorization header (cookie, body, query) must
never reach a user or owner route: 401 (400 where the request is also
malformed), never 2xx, never 5xx; on a public route they are refused or
ignored (anonymous), never 5xx. Every service validates tokens itself, so
each service is tried directly as well as through the gateway.

WebSocket (/ws, through the gateway and on chat-gateway directly): a
foreign Origin is refused with 403 before the upgrade, bad tokens with 401,
a frame over 4 KiB closes the socket with 1009, a flood of sends gets
rate_limited error frames and the socket and the service stay alive.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import os
import sys
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

ENV = os.environ
GATEWAY = ENV["FUZZ_GATEWAY_URL"]
SERVICES = {
    "live-catalog": ENV["FUZZ_CATALOG_URL"],
    "stream-key": ENV["FUZZ_STREAM_KEY_URL"],
    "ingest-events": ENV["FUZZ_INGEST_URL"],
    "chat-gateway": ENV["FUZZ_CHAT_URL"],
}
SECRET = ENV["FUZZ_JWT_SECRET"].encode()
ORIGIN = ENV["FUZZ_ALLOWED_ORIGIN"]

results: list[tuple[bool, str, str]] = []
skipped: list[str] = []


def record(ok: bool, name: str, detail: str) -> None:
    results.append((ok, name, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def skip(name: str, why: str) -> None:
    skipped.append(name)
    print(f"SKIP  {name}: {why}", flush=True)


def note(name: str, detail: str) -> None:
    """A hardening observation outside DESIGN's rules: printed, never a failure."""
    print(f"NOTE  {name}: {detail}", flush=True)


# --- tokens -----------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, *, alg: str = "HS256", secret: bytes = SECRET, sign: bool = True) -> str:
    head = b64(json.dumps({"typ": "JWT", "alg": alg}).encode())
    body = b64(json.dumps(claims).encode())
    signing = f"{head}.{body}".encode()
    if not sign:
        return f"{head}.{body}."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return f"{head}.{body}.{b64(hmac.new(secret, signing, digest).digest())}"


def claims_for(user_id: str, **extra) -> dict:
    now = int(time.time())
    return {"user_id": user_id, "sub": user_id, "username": "mallory", "iat": now, "exp": now + 3600, **extra}


def bad_tokens(user_id: str) -> dict[str, str]:
    """Tokens that must not authenticate anyone, by case name."""
    now = int(time.time())
    good = claims_for(user_id)
    no_exp = {k: v for k, v in good.items() if k != "exp"}
    no_sub = {k: v for k, v in good.items() if k not in ("sub", "user_id")}
    valid = jwt(good)
    head, body, sig = valid.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    return {
        "alg none": jwt(good, alg="none", sign=False),
        "alg none, signature kept": f"{jwt(good, alg='none', sign=False)}{sig}",
        "HS384 with the right secret": jwt(good, alg="HS384"),
        "HS512 with the right secret": jwt(good, alg="HS512"),
        "expired": jwt(claims_for(user_id, exp=now - 120, iat=now - 7200)),
        "exp as a string": jwt(claims_for(user_id, exp=str(now + 3600))),
        "exp as a float string": jwt(claims_for(user_id, exp=f"{now + 3600}.0")),
        "wrong secret": jwt(good, secret=b"not-the-secret-" + os.urandom(24)),
        "no exp": jwt(no_exp),
        "no user id": jwt(no_sub),
        "sub not a UUID": jwt(claims_for("admin")),
        "signature flipped": f"{head}.{body}.{flipped}",
        "signature removed": f"{head}.{body}.",
        "two segments": f"{head}.{body}",
        "garbage": "not-a-jwt",
        "empty": "",
    }


# --- HTTP -------------------------------------------------------------------


def request(base: str, method: str, path: str, headers: list[tuple[str, str]] | None = None,
            body: dict | None = None) -> tuple[int, str]:
    """One request; headers as a list so a name may repeat."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        data = json.dumps(body).encode() if body is not None else None
        sent = {name.lower() for name, _ in headers or []}
        for name, value in headers or []:
            conn.putheader(name, value)
        if data is not None:
            if "content-type" not in sent:
                conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        res = conn.getresponse()
        return res.status, res.read(2000).decode("utf-8", "replace")
    finally:
        conn.close()


def api(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    headers = [("Authorization", f"Bearer {token}")] if token else []
    status, text = request(base, method, path, headers, body)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {}


def short(text: str) -> str:
    return " ".join(text.split())[:160]


def expect_refused(name: str, status: int, text: str, allowed: tuple[int, ...] = (401,)) -> None:
    ok = status in allowed
    record(ok, name, f"{status}" + ("" if ok else f" (want {'/'.join(map(str, allowed))}): {short(text)}"))


def expect_public(name: str, status: int, text: str) -> None:
    """A public route: refused (401) or served anonymously (2xx), never 5xx."""
    ok = status == 401 or 200 <= status < 300
    record(ok, name, f"{status}" + ("" if ok else f" (want 401 or 2xx): {short(text)}"))


def http_matrix(token: str, user_id: str, stream_id: str) -> None:
    sid = stream_id
    # Routes that need a user (or the stream's owner), by where they are served.
    protected = {
        GATEWAY: [("GET", "/api/v1/live/streams/me"), ("PUT", f"/api/v1/live/streams/{sid}"),
                  ("GET", "/api/v1/live/streams/me/key"), ("PUT", f"/api/v1/live/streams/{sid}/chat/settings")],
        SERVICES["live-catalog"]: [("GET", "/api/v1/live/streams/me"), ("PUT", f"/api/v1/live/streams/{sid}")],
        SERVICES["stream-key"]: [("GET", "/api/v1/live/streams/me/key")],
        SERVICES["chat-gateway"]: [("PUT", f"/api/v1/live/streams/{sid}/chat/settings")],
    }
    # The stream health route (DESIGN §5, ingest-events), when a service documents it.
    for base in (GATEWAY, SERVICES["ingest-events"]):
        spec_path = "/api/v1/openapi.json" if base == GATEWAY else "/openapi.json"
        status, spec = api(base, "GET", spec_path)
        if "/api/v1/live/streams/{id}/health" in (spec.get("paths") or {}):
            protected.setdefault(base, []).append(("GET", f"/api/v1/live/streams/{sid}/health"))
        else:
            name = "gateway" if base == GATEWAY else "ingest-events"
            skip(f"bad tokens -> {name} GET /api/v1/live/streams/{{id}}/health", f"not in {name}'s OpenAPI document")
    bodies = {"PUT": {"title": "hijacked"}}
    chat_body = {"slow_mode_s": 7}
    where = {v: k for k, v in SERVICES.items()} | {GATEWAY: "gateway"}

    def body_for(method: str, path: str) -> dict | None:
        if path.endswith("/chat/settings"):
            return chat_body
        return bodies.get(method)

    # The harness itself: the real token works where it should.
    status, doc = api(GATEWAY, "GET", "/api/v1/live/streams/me", token)
    record(status == 200, "control: a valid token reads /live/streams/me", str(status))

    for label, bad in bad_tokens(user_id).items():
        for base, routes in protected.items():
            for method, path in routes:
                status, text = request(base, method, path, [("Authorization", f"Bearer {bad}")], body_for(method, path))
                expect_refused(f"{label} -> {where[base]} {method} {path}", status, text)
        status, text = request(GATEWAY, "GET", "/api/v1/live/streams", [("Authorization", f"Bearer {bad}")])
        expect_public(f"{label} -> gateway GET /api/v1/live/streams (public)", status, text)

    # nbf: DESIGN §5 does not ask for it; a token not yet valid should still not be accepted.
    early = jwt(claims_for(user_id, nbf=int(time.time()) + 3600))
    for base in (GATEWAY, *SERVICES.values()):
        path = {SERVICES["stream-key"]: "/api/v1/live/streams/me/key", SERVICES["ingest-events"]: None,
                SERVICES["chat-gateway"]: None}.get(base, "/api/v1/live/streams/me")
        if path:
            status, text = request(base, "GET", path, [("Authorization", f"Bearer {early}")])
            if status != 401:
                note(f"nbf in the future -> {where[base]} GET {path}", f"{status} (a not-yet-valid token is accepted)")

    # Odd schemes and header shapes.
    for label, value in {
        "scheme Basic": f"Basic {base64.b64encode(b'user:pass').decode()}",
        "scheme Token": f"Token {token}",
        "no scheme": token,
        "Bearer without a token": "Bearer ",
        "Bearer twice": f"Bearer Bearer {token}",
        "a 16 KiB token": "Bearer " + "a" * 16384,
    }.items():
        status, text = request(GATEWAY, "GET", "/api/v1/live/streams/me", [("Authorization", value)])
        expect_refused(f"{label} -> gateway GET /api/v1/live/streams/me", status, text, (400, 401, 431))

    # Two Authorization headers: ambiguous, must not authenticate.
    forged = jwt(claims_for(user_id), secret=b"wrong-secret-0123456789abcdef0123456789")
    for base in (GATEWAY, SERVICES["live-catalog"]):
        for order, pair in (("valid first", (token, forged)), ("forged first", (forged, token))):
            status, text = request(base, "GET", "/api/v1/live/streams/me",
                                   [("Authorization", f"Bearer {pair[0]}"), ("Authorization", f"Bearer {pair[1]}")])
            expect_refused(f"two Authorization headers ({order}) -> {where[base]} GET /api/v1/live/streams/me",
                           status, text, (400, 401))
            status, text = request(base, "PUT", f"/api/v1/live/streams/{sid}",
                                   [("Authorization", f"Bearer {pair[1]}"), ("Authorization", f"Bearer {pair[0]}")],
                                   {"title": "hijacked"})
            expect_refused(f"two Authorization headers ({order}, reversed) -> {where[base]} PUT /api/v1/live/streams/{{id}}",
                           status, text, (400, 401))

    # The (valid) token anywhere but the Authorization header.
    for base in (GATEWAY, SERVICES["live-catalog"]):
        for label, headers in {
            "cookie token=": [("Cookie", f"token={token}")],
            "cookie access_token=": [("Cookie", f"access_token={token}")],
            "cookie Authorization=": [("Cookie", f"Authorization=Bearer {token}")],
            "header X-Access-Token": [("X-Access-Token", token)],
            "header X-Auth-Token": [("X-Auth-Token", token)],
        }.items():
            status, text = request(base, "GET", "/api/v1/live/streams/me", headers)
            expect_refused(f"{label} -> {where[base]} GET /api/v1/live/streams/me", status, text)
        for q in ("token", "access_token", "jwt"):
            status, text = request(base, "GET", f"/api/v1/live/streams/me?{q}={token}")
            expect_refused(f"query ?{q}= -> {where[base]} GET /api/v1/live/streams/me", status, text, (400, 401))
        status, text = request(base, "POST", "/api/v1/live/streams", body={"title": "smuggled", "token": token})
        expect_refused(f"token in the body -> {where[base]} POST /api/v1/live/streams", status, text, (400, 401))
        status, text = request(base, "PUT", f"/api/v1/live/streams/{sid}",
                               body={"title": "smuggled", "access_token": token})
        expect_refused(f"token in the body -> {where[base]} PUT /api/v1/live/streams/{{id}}", status, text, (400, 401))

    # Nothing above changed the stream.
    status, doc = api(GATEWAY, "GET", f"/api/v1/live/streams/{sid}", token)
    title = (doc.get("data") or {}).get("title")
    record(status == 200 and title not in ("hijacked", "smuggled"), "the stream is untouched", f"{status} title={title!r}")


# --- WebSocket --------------------------------------------------------------


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://", 1) + "/ws" + query


async def handshake_status(url: str, headers: dict[str, str]) -> int | str:
    """The HTTP status that refused the upgrade, or 101 when it was accepted."""
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=10):
            return 101
    except InvalidStatus as e:
        return e.response.status_code
    except Exception as e:  # noqa: BLE001 - reported as a failure
        return f"{type(e).__name__}: {e}"


async def recv_json(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def joined(base: str, token: str, stream_id: str):
    ws = await websockets.connect(ws_url(base), additional_headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"},
                                  open_timeout=10, max_size=None)
    await ws.send(json.dumps({"type": "join", "stream_id": stream_id}))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = await recv_json(ws)
        if frame.get("type") == "joined":
            return ws, frame
        if frame.get("type") == "error":
            raise RuntimeError(f"join refused: {frame}")
    raise RuntimeError("no joined frame")


async def ws_matrix(token: str, user_id: str, stream_id: str, second_token: str) -> None:
    now = int(time.time())
    expired = jwt(claims_for(user_id, exp=now - 120, iat=now - 7200))
    targets = {"gateway": GATEWAY, "chat-gateway": SERVICES["chat-gateway"]}
    for where, base in targets.items():
        for label, origin in {"foreign Origin": "http://evil.example", "Origin null": "null",
                              "Origin of another port": ORIGIN.rsplit(":", 1)[0] + ":1"}.items():
            for auth in ("anonymous", "with a valid token"):
                headers = {"Origin": origin}
                if auth != "anonymous":
                    headers["Authorization"] = f"Bearer {token}"
                status = await handshake_status(ws_url(base), headers)
                record(status == 403, f"ws {label}, {auth} -> {where} /ws", f"{status} (want 403)")
        status = await handshake_status(ws_url(base), {"Origin": ORIGIN})
        record(status == 101, f"ws control: allowed Origin, anonymous -> {where} /ws", f"{status} (want 101)")
        for label, bad in {"expired token": expired, "alg none": jwt(claims_for(user_id), alg="none", sign=False),
                           "HS384": jwt(claims_for(user_id), alg="HS384"),
                           "wrong secret": jwt(claims_for(user_id), secret=b"x" * 40)}.items():
            status = await handshake_status(ws_url(base), {"Origin": ORIGIN, "Authorization": f"Bearer {bad}"})
            record(status == 401, f"ws {label} (header) -> {where} /ws", f"{status} (want 401)")
            status = await handshake_status(ws_url(base, f"?token={urllib.parse.quote(bad)}"), {"Origin": ORIGIN})
            record(status == 401, f"ws {label} (?token=) -> {where} /ws", f"{status} (want 401)")

        # A frame over 4 KiB closes the socket with 1009.
        try:
            ws, _ = await joined(base, token, stream_id)
            await ws.send(json.dumps({"type": "send", "stream_id": stream_id, "content": "x" * 5000}))
            code = None
            try:
                while True:
                    await recv_json(ws)
            except ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd else None
            record(code == 1009, f"ws frame over 4 KiB -> {where} /ws", f"close {code} (want 1009)")
        except Exception as e:  # noqa: BLE001
            record(False, f"ws frame over 4 KiB -> {where} /ws", f"{type(e).__name__}: {e}")

    # A flood of sends: rate_limited error frames, the socket and the service alive.
    for where, base, tok in (("gateway", GATEWAY, token), ("chat-gateway", SERVICES["chat-gateway"], second_token)):
        name = f"ws flood of 40 sends -> {where} /ws"
        try:
            ws, frame = await joined(base, tok, stream_id)
            if not frame.get("can_send"):
                raise RuntimeError(f"joined without can_send: {frame}")
            for i in range(40):
                await ws.send(json.dumps({"type": "send", "stream_id": stream_id, "content": f"flood {i}",
                                          "client_msg_id": str(uuid.uuid4())}))
            await ws.send(json.dumps({"type": "ping"}))
            kinds: dict[str, int] = {}
            limited = 0
            while True:
                frame = await recv_json(ws, 10)
                kinds[frame.get("type", "?")] = kinds.get(frame.get("type", "?"), 0) + 1
                if frame.get("type") == "error" and frame.get("code") == "rate_limited":
                    limited += 1
                if frame.get("type") == "pong":
                    break
            await ws.close()
            record(limited > 0, name, f"{limited} rate_limited error frames, then pong; frames {kinds}")
        except Exception as e:  # noqa: BLE001
            record(False, name, f"{type(e).__name__}: {e}")
    for where, base in targets.items():
        status, text = request(base, "GET", "/healthz")
        record(status == 200, f"{where} alive after the WebSocket cases", str(status))


# --- main -------------------------------------------------------------------


def dev_token(username: str) -> tuple[str, str]:
    status, doc = api(GATEWAY, "POST", "/api/v1/auth/dev-token", body={"username": username})
    if status != 200:
        sys.exit(f"abuse: could not mint a dev token ({status} {doc})")
    return doc["data"]["token"], doc["data"]["user_id"]


def main() -> int:
    suffix = uuid.uuid4().hex[:6]
    token, user_id = dev_token(f"abuse_owner_{suffix}")
    second_token, _ = dev_token(f"abuse_viewer_{suffix}")
    scheduled = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    status, doc = api(GATEWAY, "POST", "/api/v1/live/streams", token,
                      {"title": f"Abuse matrix {suffix}", "scheduled_at": scheduled})
    if status != 201:
        sys.exit(f"abuse: could not create a scheduled stream ({status} {doc})")
    stream_id = doc["data"]["id"]

    http_matrix(token, user_id, stream_id)
    asyncio.run(ws_matrix(token, user_id, stream_id, second_token))

    failed = sum(1 for ok, _, _ in results if not ok)
    passed = len(results) - failed
    if failed:
        print("\nfailed cases:")
        for ok, name, detail in results:
            if not ok:
                print(f"  {name}: {detail}")
    print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
