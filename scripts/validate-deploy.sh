#!/usr/bin/env bash
# Validate the deployment files without a container engine or a cluster:
# docker-compose.yml against the Compose specification schema, the
# Kubernetes overlays against the Kubernetes schemas, every service
# environment (compose and each overlay) through the service binaries'
# --check-config, nginx-rtmp's rendered configuration with `nginx -t`, the
# Prometheus files with promtool and the dashboard's metric names.
# Usage: scripts/validate-deploy.sh   Prints one line per check; exits 1 when one fails.
#
# Installs once, into the git-ignored .dev/: a virtualenv with the pinned
# packages of deploy/tools/requirements.txt (.dev/venv) and promtool from
# Debian's prometheus package, unpacked without installing it (.dev/tools).
# Builds the service binaries first (cargo build, a no-op when up to date).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VENV="$DEV_DIR/venv"
TOOLS="$DEV_DIR/tools"
REQUIREMENTS="$ROOT/deploy/tools/requirements.txt"
SERVICES=(live-catalog stream-key ingest-events chat-gateway api-gateway)

# run_quiet CMD...: run CMD, showing its output only when it fails.
run_quiet() {
  local out
  if ! out="$("$@" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
}

# as_root CMD...: run CMD as root (directly or through sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else return 1
  fi
}

apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; }

# The virtualenv, rebuilt only when requirements.txt changes.
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
  log "installing the validation packages into .dev/venv"
  rm -rf "$VENV"
  mkdir -p "$DEV_DIR"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    # Debian ships venv support separately.
    rm -rf "$VENV"
    run_quiet apt_get install -y -q --no-install-recommends python3-venv \
      || die "python3 -m venv does not work and python3-venv could not be installed"
    python3 -m venv "$VENV"
  fi
  run_quiet "$VENV/bin/pip" install --disable-pip-version-check --no-deps -r "$REQUIREMENTS" \
    || { rm -rf "$VENV"; die "pip could not install deploy/tools/requirements.txt"; }
  cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

# promtool: installed, or unpacked once from Debian's prometheus package.
promtool="$(command -v promtool || true)"
if [ -z "$promtool" ]; then
  promtool="$TOOLS/prometheus/usr/bin/promtool"
  if [ ! -x "$promtool" ]; then
    log "unpacking promtool from Debian's prometheus package into .dev/tools"
    deb_dir="$(mktemp -d)"
    chmod 777 "$deb_dir" # apt's sandbox user writes the download
    if ! (cd "$deb_dir" && run_quiet apt-get download prometheus); then
      run_quiet apt_get update -q || true
      (cd "$deb_dir" && run_quiet apt-get download prometheus) || true
    fi
    deb="$(find "$deb_dir" -name 'prometheus_*.deb' | head -n 1)"
    if [ -n "$deb" ]; then
      mkdir -p "$TOOLS/prometheus"
      dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$TOOLS/prometheus" ./usr/bin/promtool
    fi
    rm -rf "$deb_dir"
  fi
  if [ ! -x "$promtool" ]; then
    warn "promtool unavailable (apt-get download prometheus failed): Prometheus files only parsed"
    promtool=""
  fi
fi

# Every service binary (each supports --check-config), as the tests build them.
resolve_target_dir
bins=()
for service in "${SERVICES[@]}"; do bins+=(--bin "$service"); done
(cd "$ROOT" && cargo build --quiet "${bins[@]}") || die "the service binaries do not build"


exec "$VENV/bin/python" "$ROOT/deploy/tools/validate_deploy.py" \
  --root "$ROOT" --bin-dir "$TARGET_DIR/debug" ${promtool:+--promtool "$promtool"}
