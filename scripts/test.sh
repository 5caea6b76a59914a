#!/usr/bin/env bash
# Run every test against throw-away infra (profile "test"), torn down on exit:
# the deployment checks, the workspace tests (cargo), then the web client's
# stages (npm ci, API types up to date, type check, Vitest, Storybook build,
# production build) and the end-to-end browser test on the real stack.
# Usage: scripts/test.sh [extra cargo test args...]
#   TEST_STAGES="stage ..." runs only those stages (names as in the summary),
#   e.g. TEST_STAGES="bins npm-ci web-build e2e" (make e2e). Infra is started (and torn
#   down on exit) only for the cargo-test and e2e stages.
# Every selected stage runs even when an earlier one failed (a stage whose
# prerequisite failed is skipped); a summary follows; exit status 1 if any failed.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WEB_DIR="$ROOT/web"
ALL_STAGES=(deploy bins cargo-test npm-ci check-api typecheck vitest storybook web-build e2e)
read -r -a STAGES <<<"${TEST_STAGES:-${ALL_STAGES[*]}}"
for stage in "${STAGES[@]}"; do
  [[ " ${ALL_STAGES[*]} " == *" $stage "* ]] || die "unknown stage '$stage' (stages: ${ALL_STAGES[*]})"
done
declare -A result=() took=()
order=()

selected() { [[ " ${STAGES[*]} " == *" $1 "* ]]; }

# stage NAME [NEEDS...] -- CMD...: run CMD as stage NAME unless a stage it needs failed.
stage() {
  local name="$1" need start
  shift
  selected "$name" || { while [ "$1" != -- ]; do shift; done; return 0; }
  order+=("$name")
  while [ "$1" != -- ]; do
    need="$1"
    shift
    if [ -n "${result[$need]:-}" ] && [ "${result[$need]}" != ok ]; then
      result[$name]="skipped ($need failed)" took[$name]=0
      log "stage $name skipped: $need failed"
      while [ "$1" != -- ]; do shift; done
      return 0
    fi
  done
  shift
  log "stage $name: $*"
  start=$SECONDS
  if "$@"; then result[$name]=ok; else result[$name]=FAILED; fi
  took[$name]=$((SECONDS - start))
  [ "${result[$name]}" = ok ] || warn "stage $name FAILED"
}

summary() {
  local name failed=0
  echo
  echo "==== test summary ===="
  for name in "${order[@]}"; do
    printf '  %-11s %-26s %4ss\n' "$name" "${result[$name]}" "${took[$name]}"
    [ "${result[$name]}" = ok ] || failed=1
  done
  if [ "$failed" = 0 ]; then echo "all ${#order[@]} stages ok"; else echo "some stages did not pass"; fi
  return "$failed"
}

# npm ci: always in CI; locally only when node_modules is missing or older than the lockfile.
npm_ci() (
  cd "$WEB_DIR"
  if [ -z "${CI:-}" ] && [ -d node_modules ] && [ ! package-lock.json -nt node_modules ]; then
    log "web/node_modules is up to date with package-lock.json: npm ci not needed"
    return 0
  fi
  npm ci --no-audit --no-fund && touch node_modules
)
npm_run() (cd "$WEB_DIR" && npm run --silent "$@")
# The end-to-end test, on the binaries the "bins" stage built (web/e2e/stack.mjs starts the stack).
run_e2e() (cd "$WEB_DIR" && CARGO_TARGET_DIR="$TARGET_DIR" npm run --silent e2e)

"$SCRIPTS/deps.sh"
selected e2e && "$SCRIPTS/deps.sh" node chromium

# Deployment files (compose, Kubernetes, nginx-rtmp, Prometheus), before any test runs.
stage deploy -- "$SCRIPTS/validate-deploy.sh"

trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
if selected cargo-test || selected e2e; then
  # Tear down quietly so the summary stays the last thing printed.
  trap 'VEZA_QUIET=1 "$SCRIPTS/infra.sh" down test' EXIT
  "$SCRIPTS/infra.sh" up test
  eval "$("$SCRIPTS/infra.sh" env test)"
fi
# Shared settings (JWT_SECRET, keys, ...) unless already set; never the "run" URLs/addresses.
load_env "$ROOT/.env.example" '(_DATABASE_URL|^NATS_URL|_LISTEN_ADDR)$'

if selected cargo-test; then
  # Drop per-test databases left behind by an aborted run.
  "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 "$TEST_DATABASE_URL" >/dev/null <<'SQL'
SELECT format('DROP DATABASE %I WITH (FORCE)', datname)
FROM pg_database WHERE datname LIKE 't\_%'
\gexec
SQL
fi

resolve_target_dir
cd "$ROOT"
# The service binaries first: the fault-injection tests (crates/system-tests/tests/faults)
# and the end-to-end test run them as real processes.
stage bins -- cargo build --workspace --bins
stage cargo-test bins -- cargo test --workspace --all-targets "$@"
stage npm-ci -- npm_ci
stage check-api npm-ci -- npm_run check:api
stage typecheck npm-ci -- npm_run typecheck
stage vitest npm-ci -- npm_run test
stage storybook npm-ci -- npm_run build-storybook
stage web-build npm-ci -- npm_run build
stage e2e npm-ci web-build bins -- run_e2e

summary
