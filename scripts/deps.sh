#!/usr/bin/env bash
# Install the system packages the dev/test scripts need, only those that are missing.
# Usage: scripts/deps.sh [ITEM...]   items: postgres nats nginx rtmp ffmpeg curl python3
#        build shellcheck            (default: everything except shellcheck)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

items=("$@")
[ ${#items[@]} -gt 0 ] || items=(postgres nats nginx rtmp ffmpeg curl python3 build)

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
    shellcheck) command -v shellcheck >/dev/null || missing+=(shellcheck) ;;
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
