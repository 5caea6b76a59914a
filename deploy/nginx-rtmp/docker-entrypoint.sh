#!/bin/sh
# Renders nginx.conf.template from the environment, then runs nginx in the
# foreground (the nginx-rtmp image's entrypoint).
#
#   INGEST_URL     required: base URL of ingest-events for the RTMP hooks,
#                  e.g. http://ingest-events:8083. nginx resolves the host
#                  once, when it starts: the address must stay stable (a
#                  Kubernetes Service; a fixed address in docker-compose.yml).
#   CONTROL_ALLOW  required: who may use /control and /stat (an nginx
#                  `allow` argument: an address, a CIDR such as 10.0.0.0/8,
#                  or all); ingest-events must be inside it (RTMP_CONTROL_URL).
#   RTMP_PORT      default 1935; HTTP_PORT default 8090.
#   RUN_DIR        default /run/nginx-rtmp (config, pid, temp files, logs).
#   HLS_ROOT       default /var/lib/nginx-rtmp (HLS files under hls/).
#   TEMPLATE       default /etc/nginx-rtmp/nginx.conf.template.
#   RTMP_MODULE    default /usr/lib/nginx/modules/ngx_rtmp_module.so.
#
# `docker-entrypoint.sh --render-only` writes $RUN_DIR/nginx.conf, prints its
# path and exits (scripts/validate-deploy.sh renders and tests it this way).
set -eu

: "${INGEST_URL:?INGEST_URL is required (e.g. http://ingest-events:8083)}"
: "${CONTROL_ALLOW:?CONTROL_ALLOW is required (the network of ingest-events, e.g. 10.0.0.0/8)}"
RTMP_PORT="${RTMP_PORT:-1935}"
HTTP_PORT="${HTTP_PORT:-8090}"
RUN_DIR="${RUN_DIR:-/run/nginx-rtmp}"
HLS_ROOT="${HLS_ROOT:-/var/lib/nginx-rtmp}"
TEMPLATE="${TEMPLATE:-/etc/nginx-rtmp/nginx.conf.template}"
RTMP_MODULE="${RTMP_MODULE:-/usr/lib/nginx/modules/ngx_rtmp_module.so}"

# The values go into the configuration verbatim: allow only URL and address
# characters, so a value cannot end a directive or add one.
safe() {
  case "$2" in
    *[!A-Za-z0-9._:/-]*|'') echo "nginx-rtmp: $1 has characters outside [A-Za-z0-9._:/-]: '$2'" >&2; exit 2 ;;
  esac
}
safe INGEST_URL "$INGEST_URL"
safe CONTROL_ALLOW "$CONTROL_ALLOW"
safe RTMP_PORT "$RTMP_PORT"
safe HTTP_PORT "$HTTP_PORT"
safe RUN_DIR "$RUN_DIR"
safe HLS_ROOT "$HLS_ROOT"
safe RTMP_MODULE "$RTMP_MODULE"
case "$RTMP_PORT$HTTP_PORT" in
  *[!0-9]*) echo "nginx-rtmp: RTMP_PORT and HTTP_PORT must be numbers" >&2; exit 2 ;;
esac

mkdir -p "$RUN_DIR/tmp" "$HLS_ROOT/hls"
sed -e "s#{{RTMP_MODULE}}#$RTMP_MODULE#" \
    -e "s#{{USER_DIRECTIVE}}##" \
    -e "s#{{RUN_DIR}}#$RUN_DIR#g" \
    -e "s#{{RTMP_LISTEN}}#$RTMP_PORT#" \
    -e "s#{{RTMP_PORT}}#$RTMP_PORT#g" \
    -e "s#{{HTTP_LISTEN}}#$HTTP_PORT#" \
    -e "s#{{HTTP_PORT}}#$HTTP_PORT#g" \
    -e "s#{{INGEST_URL}}#${INGEST_URL%/}#g" \
    -e "s#{{HLS_DIR}}#$HLS_ROOT/hls#" \
    -e "s#{{HLS_ROOT}}#$HLS_ROOT#" \
    -e "s#{{CONTROL_ALLOW}}#$CONTROL_ALLOW#g" \
    "$TEMPLATE" >"$RUN_DIR/nginx.conf"
if grep -q '{{' "$RUN_DIR/nginx.conf"; then
  echo "nginx-rtmp: placeholders left in the template:" >&2
  grep -n '{{' "$RUN_DIR/nginx.conf" >&2
  exit 2
fi

if [ "${1:-}" = "--render-only" ]; then
  echo "$RUN_DIR/nginx.conf"
  exit 0
fi

# The template logs to files in RUN_DIR: make them pipes read into the
# container's output. (Symlinks to /dev/stderr would make nginx re-open the
# descriptors, which an unprivileged user may not do when the runtime owns them.)
for log in error.log access.log; do
  rm -f "$RUN_DIR/$log"
  mkfifo "$RUN_DIR/$log"
done
cat "$RUN_DIR/error.log" >&2 &
cat "$RUN_DIR/access.log" &
exec nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log" -g 'daemon off;'
