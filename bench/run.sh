#!/usr/bin/env bash
# `make bench`: builds the release binaries, installs the Node.js peers,
# brings up the test PostgreSQL and NATS when they are not running (and
# leaves them as found), then runs bench/bench.py. Bounded: about ten
# minutes on 2 cores once built. Not part of `make test` or CI.
#   BENCH_ONLY=catalog,onpublish,golive,ingest,chat,cross,rooms   a subset
#   BENCH_QUICK=1                                          every step shortened
#   BENCH_RUST_LOG=warn                                    the services' log filter (default info)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
resolve_target_dir
cd "$ROOT"

bash scripts/deps.sh postgres nats nginx rtmp ffmpeg node python3 bench
log "building release binaries"
cargo build --release --locked -p veza-live-catalog -p veza-live-stream-key \
  -p veza-live-ingest-events -p veza-live-chat-gateway -p veza-live-chat-bench
log "installing the Node.js peers"
(cd bench/peers && npm ci --no-audit --no-fund --loglevel=error)

bash scripts/infra.sh status test 2>/dev/null | grep -q 'postgres test: running' &&
  bash scripts/infra.sh status test 2>/dev/null | grep -q 'nats     test: running' ||
  bash scripts/infra.sh up test
eval "$(bash scripts/infra.sh env test)"
export TEST_DATABASE_URL TEST_NATS_URL
BIN_DIR="$TARGET_DIR/release" timeout 1200 python3 bench/bench.py
