#!/usr/bin/env bash
# Mint a development JWT (HS256) signed with JWT_SECRET from .env or .env.example.
# The user id is derived from the username, so the same name is the same user.
# Usage: scripts/dev-token.sh [username] [ttl_seconds]   Prints the token.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ -z "${JWT_SECRET:-}" ]; then
  if [ -f "$ROOT/.env" ]; then load_env "$ROOT/.env"; else load_env "$ROOT/.env.example"; fi
fi
USERNAME="${1:-dev}" TTL="${2:-86400}" python3 - <<'PY'
import base64, hashlib, hmac, json, os, time, uuid
def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
name = os.environ["USERNAME"]
user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "veza-live:dev-user:" + name))
now = int(time.time())
claims = {"sub": user_id, "user_id": user_id, "username": name, "iat": now, "exp": now + int(os.environ["TTL"])}
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
body = b64(json.dumps(claims, separators=(",", ":")).encode())
sig = hmac.new(os.environ["JWT_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
