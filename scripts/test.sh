#!/usr/bin/env bash
# Run the workspace tests against throw-away infra (profile "test"), torn down on exit.
# Usage: scripts/test.sh [extra cargo test args...]   Exit status is cargo's.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$SCRIPTS/deps.sh"
# Deployment files (compose, Kubernetes, nginx-rtmp, Prometheus), before any test runs.
"$SCRIPTS/validate-deploy.sh"

# Tear down quietly so cargo's summary stays the last thing printed.
trap 'VEZA_QUIET=1 "$SCRIPTS/infra.sh" down test' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
"$SCRIPTS/infra.sh" up test
eval "$("$SCRIPTS/infra.sh" env test)"
# Shared settings (JWT_SECRET, keys, ...) unless already set; never the "run" URLs/addresses.
load_env "$ROOT/.env.example" '(_DATABASE_URL|^NATS_URL|_LISTEN_ADDR)$'

# Drop per-test databases left behind by an aborted run.
"$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 "$TEST_DATABASE_URL" >/dev/null <<'SQL'
SELECT format('DROP DATABASE %I WITH (FORCE)', datname)
FROM pg_database WHERE datname LIKE 't\_%'
\gexec
SQL

resolve_target_dir
cd "$ROOT"
set +e
cargo test --workspace --all-targets "$@"
status=$?
set -e
exit "$status"
