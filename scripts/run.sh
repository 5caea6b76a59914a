#!/usr/bin/env bash
# Run the whole stack locally: infra (profile "run"), then every built service binary,
# with the gateway serving the web client (web/, built with npm when missing or stale).
# Settings come from .env (or .env.example). Ctrl-C stops everything.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# binary         env prefix      default listen   needs database
SERVICES=(
  "api-gateway    API_GATEWAY     127.0.0.1:8080   no"
  "live-catalog   LIVE_CATALOG    127.0.0.1:8081   yes"
  "stream-key     STREAM_KEY      127.0.0.1:8082   yes"
  "ingest-events  INGEST_EVENTS   127.0.0.1:8083   yes"
  "chat-gateway   CHAT            127.0.0.1:8084   yes"
)
LOG_DIR="$DEV_DIR/run/logs"
WEB_DIR="$ROOT/web"
pids=() names=() logs=() tail_pid=""

# build_web: npm ci when web/node_modules is missing or older than the lockfile, and
# npm run build when web/dist/index.html is missing or older than a source of the client.
build_web() (
  cd "$WEB_DIR"
  [ -f package-lock.json ] || die "web/package-lock.json is missing (npm ci needs it): run npm install in web/"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    log "installing the web client's packages (npm ci)"
    npm ci --no-audit --no-fund || die "npm ci failed in web/"
    touch node_modules # the stamp compared with the lockfile next time
  fi
  local sources=() path
  for path in src public index.html package.json package-lock.json vite.config.ts; do
    [ ! -e "$path" ] || sources+=("$path")
  done
  if [ ! -f dist/index.html ] \
    || [ -n "$(find "${sources[@]}" -newer dist/index.html -print -quit)" ]; then
    log "building the web client (npm run build)"
    npm run build || die "npm run build failed in web/"
    [ -f dist/index.html ] || die "npm run build wrote no web/dist/index.html"
  fi
)

# shellcheck disable=SC2317 # invoked through trap
cleanup() {
  local status=$? pid i
  trap - EXIT INT TERM HUP
  set +e
  [ ${#pids[@]} -eq 0 ] || log "stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  [ -z "$tail_pid" ] || { kill "$tail_pid" 2>/dev/null; wait "$tail_pid" 2>/dev/null; }
  "$SCRIPTS/nginx.sh" down run
  "$SCRIPTS/infra.sh" down run
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$SCRIPTS/deps.sh"
"$SCRIPTS/infra.sh" up run
load_env "$(env_file)"

resolve_target_dir
cd "$ROOT"
log "building services"
cargo build --workspace --bins

web_dist=""
if [ -f "$WEB_DIR/package.json" ]; then
  build_web
  web_dist="$WEB_DIR/dist"
else
  warn "web/package.json not found: no web client yet, the gateway serves the API only"
fi

mkdir -p "$LOG_DIR"
for row in "${SERVICES[@]}"; do
  read -r name prefix default_addr needs_db <<<"$row"
  bin="$TARGET_DIR/debug/$name"
  [ -x "$bin" ] || continue
  addr_var="${prefix}_LISTEN_ADDR" db_var="${prefix}_DATABASE_URL"
  addr="${!addr_var:-$default_addr}"
  port_in_use "${addr%:*}" "${addr##*:}" && die "$name: $addr is already in use (an old run still alive?)"
  svc_env=(LISTEN_ADDR="$addr")
  if [ "$needs_db" = yes ]; then
    [ -n "${!db_var:-}" ] || die "$name: $db_var is not set"
    svc_env+=(DATABASE_URL="${!db_var}")
  fi
  if [ "$name" = api-gateway ] && [ -n "$web_dist" ] && [ -z "${WEB_DIST_DIR:-}" ]; then
    svc_env+=(WEB_DIST_DIR="$web_dist")
  fi
  logfile="$LOG_DIR/$name.log"
  log "starting $name on $addr (log: ${logfile#"$ROOT/"})"
  env -u DATABASE_URL "${svc_env[@]}" "$bin" >"$logfile" 2>&1 </dev/null &
  pids+=($!) names+=("$name|$addr") logs+=("$logfile")
done
[ ${#pids[@]} -gt 0 ] || die "no service binaries found in $TARGET_DIR/debug"

# Wait until every service reports ready.
for idx in "${!pids[@]}"; do
  name="${names[idx]%|*}" addr="${names[idx]#*|}"
  for ((i = 0; i < 120; i++)); do
    curl -fs -o /dev/null --max-time 2 "http://$addr/readyz" && break
    kill -0 "${pids[idx]}" 2>/dev/null || break
    sleep 0.5
  done
  if ! curl -fs -o /dev/null --max-time 2 "http://$addr/readyz"; then
    show_tail "${logs[idx]}"
    die "$name did not become ready on http://$addr/readyz"
  fi
done

# nginx-rtmp in front of ingest-events, once its hooks answer.
ingest_addr="${INGEST_EVENTS_LISTEN_ADDR:-127.0.0.1:8083}"
"$SCRIPTS/nginx.sh" up run "http://$ingest_addr"

echo
echo "Veza Live is running:"
for entry in "${names[@]}"; do
  if [ "${entry%|*}" = api-gateway ] && { [ -n "$web_dist" ] || [ -n "${WEB_DIST_DIR:-}" ]; }; then
    printf '  %-14s http://%s/\n' "Web client" "${entry#*|}"
  fi
done
for entry in "${names[@]}"; do
  printf '  %-14s http://%s   metrics: http://%s/metrics\n' "${entry%|*}" "${entry#*|}" "${entry#*|}"
done
for db in "${DATABASES[@]}"; do
  var="${db^^}_DATABASE_URL"
  printf '  %-14s %s\n' "PostgreSQL" "${!var:-}"
done
echo "  NATS           ${NATS_URL:-} (monitoring: http://127.0.0.1:18222)"
echo "  RTMP ingest    rtmp://127.0.0.1:${RTMP_PORT:-1935}/live  (OBS: server = this URL, stream key = yours)"
echo "  HLS playback   http://127.0.0.1:${NGINX_HTTP_PORT:-8090}/hls/<stream id>.m3u8"
echo "Logs: ${LOG_DIR#"$ROOT/"}/<service>.log (followed below). Press Ctrl-C to stop everything."
echo

tail -n 0 -F "${logs[@]}" &
tail_pid=$!
set +e
wait -n "${pids[@]}"
code=$?
set -e
for idx in "${!pids[@]}"; do
  kill -0 "${pids[idx]}" 2>/dev/null || { warn "${names[idx]%|*} exited (status $code)"; show_tail "${logs[idx]}" 20; }
done
exit 1
