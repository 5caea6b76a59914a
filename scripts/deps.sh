#!/usr/bin/env bash
# Install the system packages the dev/test scripts need, only those that are missing.
# Usage: scripts/deps.sh [ITEM...]   items: postgres nats nginx rtmp ffmpeg curl python3
#        build node chromium shellcheck bench   (default: everything except chromium, shellcheck and bench)
# bench: wrk and pgbench, for `make bench`.
# node: Node.js 20.19 or later with npm (the web client's build); an older node is an error.
# chromium: /usr/bin/chromium and a font, for the web client's end-to-end tests.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

items=("$@")
[ ${#items[@]} -gt 0 ] || items=(postgres nats nginx rtmp ffmpeg curl python3 build node)
NODE_MIN=20.19 # web/package.json "engines" (Vite 8 needs 20.19+)

# node_version: MAJOR.MINOR of the installed node, empty when unknown.
node_version() { node -p 'process.versions.node.split(".").slice(0, 2).join(".")' 2>/dev/null || true; }

# require_recent_node: die unless node is at least NODE_MIN.
require_recent_node() {
  local version major minor
  version="$(node_version)"
  if [[ $version =~ ^([0-9]+)\.([0-9]+)$ ]]; then
    major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
    if [ "$major" -gt "${NODE_MIN%.*}" ] ||
      { [ "$major" -eq "${NODE_MIN%.*}" ] && [ "$minor" -ge "${NODE_MIN#*.}" ]; }; then
      return 0
    fi
  fi
  die "Node.js ${version:-of unknown version} at $(command -v node) is too old: the web client needs" \
    "Node.js $NODE_MIN or later with npm. Debian 12's own nodejs is 18: install Node.js $NODE_MIN+" \
    "(for example from NodeSource or nodejs.org) and run this again"
}
check_node_after=""

missing=()
for item in "${items[@]}"; do
  case "$item" in
    postgres) pg_bindir >/dev/null || missing+=(postgresql) ;;
    nats) find_bin nats-server >/dev/null || missing+=(nats-server) ;;
    nginx) find_bin nginx >/dev/null || missing+=(nginx) ;;
    rtmp) [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp) ;;
    ffmpeg) command -v ffmpeg >/dev/null || missing+=(ffmpeg) ;;
    curl) command -v curl >/dev/null || missing+=(curl ca-certificates) ;;
    python3) command -v python3 >/dev/null || missing+=(python3) ;;
    build) command -v cc >/dev/null || missing+=(gcc libc6-dev)
           command -v make >/dev/null || missing+=(make) ;;
    node) if command -v node >/dev/null; then
            require_recent_node
            command -v npm >/dev/null || missing+=(npm)
          else
            missing+=(nodejs npm) check_node_after=1
          fi ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium)
              [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core) ;;
    shellcheck) command -v shellcheck >/dev/null || missing+=(shellcheck) ;;
    bench) command -v wrk >/dev/null || missing+=(wrk)
           command -v pgbench >/dev/null || missing+=(postgresql-client) ;;
    *) die "unknown item '$item'" ;;
  esac
done

[ ${#missing[@]} -gt 0 ] || { log "system dependencies present"; exit 0; }

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  die "missing packages: ${missing[*]} (not root and no sudo; install them manually)"
fi

command -v apt-get >/dev/null || die "missing packages: ${missing[*]} (no apt-get here)"
log "installing: ${missing[*]}"
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
"${apt[@]}" update -q
"${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"
[ -z "$check_node_after" ] || require_recent_node
