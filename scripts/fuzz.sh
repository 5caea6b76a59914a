#!/usr/bin/env bash
# `make fuzz`: property-based API tests (schemathesis) and a JWT/WebSocket
# abuse matrix (scripts/fuzz/abuse.py) against the real stack of the
# end-to-end tests (web/e2e/fuzz-stack.mjs on web/e2e/stack.mjs: its own
# ports, fresh databases on the "test" profile's PostgreSQL and NATS).
# Not part of `make test`.
#
# Targets: the gateway's merged document (/api/v1/openapi.json, with a dev
# token) and each service's own /openapi.json (ingest-events with its
# internal token). Checks: not_a_server_error, status_code_conformance,
# content_type_conformance, response_schema_conformance.
#
# Bounds (environment):
#   FUZZ_SECONDS   time for the whole run, about (default 300), shared out
#                  between the five schemathesis targets
#   FUZZ_EXAMPLES  at most this many test cases per operation instead
#   FUZZ_WORKERS   schemathesis workers per target (default 1)
#   FUZZ_GATEWAY_RATE  requests per second to the gateway (default 40/s, under
#                  its per-IP rate limit)
#   FUZZ_TARGETS   which targets (default: gateway catalog stream-key chat ingest abuse)
#   FUZZ_SEED      schemathesis seed, to repeat a run
# Reports go to .dev/fuzz/reports/<target>/. Exit status: non-zero when any
# target failed or the stack could not start.
set -euo pipefail
set +m
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
resolve_target_dir

VENV="$DEV_DIR/venv-fuzz"
REQUIREMENTS="$SCRIPTS/fuzz/requirements.txt"
FUZZ_DIR="$DEV_DIR/fuzz"
REPORTS="$FUZZ_DIR/reports"
FUZZ_SECONDS="${FUZZ_SECONDS:-300}"
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-}"
FUZZ_WORKERS="${FUZZ_WORKERS:-1}"
FUZZ_GATEWAY_RATE="${FUZZ_GATEWAY_RATE:-40/s}"
read -r -a TARGETS <<<"${FUZZ_TARGETS:-gateway catalog stream-key chat ingest abuse}"
E2E_PORTS=(18080 18081 18082 18083 18084 19350 18090) # web/e2e/stack.mjs PORTS

[[ $FUZZ_SECONDS =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number of seconds"
[[ -z $FUZZ_EXAMPLES || $FUZZ_EXAMPLES =~ ^[1-9][0-9]*$ ]] || die "FUZZ_EXAMPLES must be a positive number"

infra_started=""
stack_pid=""
# shellcheck disable=SC2317 # invoked through trap
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM HUP
  if [ -n "$stack_pid" ] && [ -d "/proc/$stack_pid" ]; then
    log "stopping the stack"
    kill -TERM "$stack_pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      [ -d "/proc/$stack_pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$stack_pid" ]; then kill -KILL "$stack_pid" 2>/dev/null || true; fi
  fi
  if [ -n "$infra_started" ]; then
    log "stopping the test infrastructure"
    bash "$SCRIPTS/infra.sh" down test || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# 1. Dependencies, infrastructure, binaries, the stack.
bash "$SCRIPTS/deps.sh"
for port in "${E2E_PORTS[@]}"; do
  port_in_use 127.0.0.1 "$port" &&
    die "port $port (the end-to-end stack's) is in use: is an e2e or fuzz run alive? Try again after it"
done

infra_status="$(bash "$SCRIPTS/infra.sh" status test 2>/dev/null || true)"
if ! grep -q running <<<"$infra_status"; then
  infra_started=1
elif grep -q stopped <<<"$infra_status"; then
  warn "the test infrastructure was partly running; it is left up after the run"
fi
bash "$SCRIPTS/infra.sh" up test
eval "$(bash "$SCRIPTS/infra.sh" env test)"

log "building the service binaries"
cargo build --workspace --bins --manifest-path "$ROOT/Cargo.toml"

# 2. schemathesis and websockets in their own virtualenv, rebuilt when the pins change.
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
  log "installing the fuzzing packages into .dev/venv-fuzz"
  rm -rf "$VENV"
  mkdir -p "$DEV_DIR"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >/dev/null ||
      die "python3 -m venv does not work and python3-venv could not be installed"
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$REQUIREMENTS" ||
    { rm -rf "$VENV"; die "pip could not install scripts/fuzz/requirements.txt"; }
  cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

rm -rf "$REPORTS"
mkdir -p "$REPORTS"
stack_out="$FUZZ_DIR/stack.out"
log "starting the stack (web/e2e/fuzz-stack.mjs)"
CARGO_TARGET_DIR="$TARGET_DIR" node "$ROOT/web/e2e/fuzz-stack.mjs" >"$stack_out" 2>"$FUZZ_DIR/stack.err" &
stack_pid=$!
for ((i = 0; i < 900; i++)); do
  grep -q '^FUZZ_STACK_READY=1$' "$stack_out" 2>/dev/null && break
  [ -d "/proc/$stack_pid" ] || break
  sleep 0.2
done
if ! grep -q '^FUZZ_STACK_READY=1$' "$stack_out" 2>/dev/null; then
  show_tail "$FUZZ_DIR/stack.err"
  die "the stack did not start (service logs: web/test-results/logs/)"
fi
while IFS='=' read -r key value; do
  [[ $key =~ ^FUZZ_[A-Z_]+$ ]] && export "$key=$value"
done <"$stack_out"

token="$(curl -fsS --max-time 10 -X POST -H 'Content-Type: application/json' \
  -d '{"username":"fuzzer"}' "$FUZZ_GATEWAY_URL/api/v1/auth/dev-token" |
  "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["data"]["token"])')" ||
  die "could not mint a dev token from $FUZZ_GATEWAY_URL/api/v1/auth/dev-token"

# 3. schemathesis, one run per target.
st_targets=0
for t in "${TARGETS[@]}"; do [ "$t" = abuse ] || st_targets=$((st_targets + 1)); done
per_target=$(((FUZZ_SECONDS - 20) / (st_targets > 0 ? st_targets : 1)))
[ "$per_target" -ge 10 ] || per_target=10

REPORT_FORMATS="junit,ndjson"
SKIP_HEALTH_CHECKS="too_slow,filter_too_much"
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
summary=()
failed=0
# st_summary OUTPUT: "<test cases line>; <verdict line>" of a schemathesis output.
st_summary() {
  local cases verdict
  cases="$(grep -A1 '^Test cases:' "$1" | tail -n 1 | sed 's/^ *//')" || true
  verdict="$(grep -E '^=+ .+ =+$' "$1" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')" || true
  echo "${cases:-no test cases}; ${verdict:-no verdict}"
}

# run_st NAME SPEC_URL RATE [HEADER...]: one schemathesis run (RATE: its --rate-limit, or
# empty for none), its result appended to summary.
run_st() {
  local name="$1" spec="$2" rate="$3" dir="$REPORTS/$1" rc=0 line
  shift 3
  local args=(--no-color run "$spec" --checks "$CHECKS"
    --workers "$FUZZ_WORKERS" --request-timeout 10 --report "$REPORT_FORMATS" --report-dir "$dir"
    --suppress-health-check "$SKIP_HEALTH_CHECKS")
  if [ -n "$FUZZ_EXAMPLES" ]; then args+=(--max-examples "$FUZZ_EXAMPLES"); else args+=(--max-time "$per_target"); fi
  [ -z "${FUZZ_SEED:-}" ] || args+=(--seed "$FUZZ_SEED")
  [ -z "$rate" ] || args+=(--rate-limit "$rate")
  local h
  for h in "$@"; do args+=(--header "$h"); done
  log "schemathesis: $name ($spec)"
  mkdir -p "$dir"
  # From .dev/fuzz, where schemathesis keeps its example database (.schemathesis/).
  (cd "$FUZZ_DIR" && "$VENV/bin/st" "${args[@]}") 2>&1 | tee "$dir/output.txt" || rc=$?
  line="$(st_summary "$dir/output.txt")"
  if [ "$rc" -eq 0 ]; then summary+=("PASS  $name: $line"); else
    summary+=("FAIL  $name: $line (exit $rc; .dev/fuzz/reports/$name/output.txt)")
    failed=1
  fi
}

for t in "${TARGETS[@]}"; do
  case "$t" in
    # Below the gateway's per-IP limit (RATE_LIMIT_PER_SECOND, default 50), so its 429s
    # do not hide the logic behind it.
    gateway) run_st gateway "$FUZZ_GATEWAY_URL/api/v1/openapi.json" "$FUZZ_GATEWAY_RATE" \
      "Authorization: Bearer $token" ;;
    catalog) run_st live-catalog "$FUZZ_CATALOG_URL/openapi.json" "" "Authorization: Bearer $token" ;;
    stream-key) run_st stream-key "$FUZZ_STREAM_KEY_URL/openapi.json" "" "Authorization: Bearer $token" ;;
    chat) run_st chat-gateway "$FUZZ_CHAT_URL/openapi.json" "" "Authorization: Bearer $token" ;;
    ingest) run_st ingest-events "$FUZZ_INGEST_URL/openapi.json" "" "X-Internal-Token: $FUZZ_INTERNAL_TOKEN" \
      "Authorization: Bearer $token" ;;
    abuse) ;;
    *) die "unknown FUZZ_TARGETS entry: $t" ;;
  esac
done

# 4. The JWT/WebSocket abuse matrix.
for t in "${TARGETS[@]}"; do
  [ "$t" = abuse ] || continue
  log "abuse matrix (scripts/fuzz/abuse.py)"
  rc=0
  "$VENV/bin/python" "$SCRIPTS/fuzz/abuse.py" 2>&1 | tee "$REPORTS/abuse.txt" || rc=$?
  line="$(tail -n 1 "$REPORTS/abuse.txt")"
  if [ "$rc" -eq 0 ]; then summary+=("PASS  abuse: $line"); else
    summary+=("FAIL  abuse: $line (exit $rc; .dev/fuzz/reports/abuse.txt)")
    failed=1
  fi
done

echo
echo "==== make fuzz summary ===="
printf '%s\n' "${summary[@]}"
exit "$failed"
