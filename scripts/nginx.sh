#!/usr/bin/env bash
# nginx-rtmp for local runs: renders deploy/nginx-rtmp/nginx.conf.template into
# .dev/<profile>/nginx and starts or stops it by PID.
# Usage: scripts/nginx.sh up|down <profile> [ingest-url]
# Ports: RTMP_PORT (default 1935) and NGINX_HTTP_PORT (default 8090).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd="${1:-}" profile="${2:-run}" ingest="${3:-http://127.0.0.1:8083}"
dir="$DEV_DIR/$profile/nginx"
pidfile="$dir/nginx.pid"
rtmp_port="${RTMP_PORT:-1935}" http_port="${NGINX_HTTP_PORT:-8090}"
module=/usr/lib/nginx/modules/ngx_rtmp_module.so

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "$cmd" in
  up)
    running && { log "nginx-rtmp ($profile) already running"; exit 0; }
    nginx_bin="$(find_bin nginx)" || die "nginx is not installed (run scripts/deps.sh)"
    [ -f "$module" ] || die "the RTMP module is missing: install libnginx-mod-rtmp"
    mkdir -p "$dir/hls" "$dir/tmp"
    user_directive=""
    [ "$(id -u)" = 0 ] && user_directive="user root root;"
    sed -e "s#{{RTMP_MODULE}}#$module#" \
        -e "s#{{USER_DIRECTIVE}}#$user_directive#" \
        -e "s#{{RUN_DIR}}#$dir#g" \
        -e "s#{{RTMP_LISTEN}}#127.0.0.1:$rtmp_port#" \
        -e "s#{{RTMP_PORT}}#$rtmp_port#g" \
        -e "s#{{HTTP_LISTEN}}#127.0.0.1:$http_port#" \
        -e "s#{{HTTP_PORT}}#$http_port#g" \
        -e "s#{{INGEST_URL}}#$ingest#g" \
        -e "s#{{HLS_DIR}}#$dir/hls#" \
        -e "s#{{HLS_ROOT}}#$dir#" \
        -e "s#{{CONTROL_ALLOW}}#127.0.0.1#g" \
        "$ROOT/deploy/nginx-rtmp/nginx.conf.template" >"$dir/nginx.conf"
    port_in_use 127.0.0.1 "$rtmp_port" && die "port $rtmp_port is already used"
    "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -t -q || die "invalid nginx configuration"
    "$nginx_bin" -p "$dir" -c "$dir/nginx.conf"
    for ((i = 0; i < 50; i++)); do port_in_use 127.0.0.1 "$rtmp_port" && break; sleep 0.1; done
    port_in_use 127.0.0.1 "$rtmp_port" || { show_tail "$dir/error.log"; die "nginx-rtmp did not start"; }
    log "nginx-rtmp ($profile): rtmp://127.0.0.1:$rtmp_port/live  http://127.0.0.1:$http_port/hls"
    ;;
  down)
    if running; then
      pid="$(cat "$pidfile")"
      kill -QUIT "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      log "nginx-rtmp ($profile) stopped"
    fi
    ;;
  *) die "usage: $0 up|down <profile> [ingest-url]" ;;
esac
