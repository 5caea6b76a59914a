#!/usr/bin/env bash
# Local PostgreSQL + NATS (JetStream) for one profile, kept under .dev/<profile>/.
# Usage: scripts/infra.sh up|down|status|env run|test
#   run:  PostgreSQL 127.0.0.1:15432, NATS 127.0.0.1:14222 (monitoring :18222)
#   test: PostgreSQL 127.0.0.1:25432, NATS 127.0.0.1:24222 (monitoring :28222), fsync off
set -euo pipefail
set +m # no job control, so the setsid below never forks and $! is the server itself
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { die "usage: $0 up|down|status|env run|test"; }
[ $# -eq 2 ] || usage
cmd="$1" profile="$2"
case "$profile" in
  run) PG_PORT=15432 NATS_PORT=14222 NATS_MON=18222 ;;
  test) PG_PORT=25432 NATS_PORT=24222 NATS_MON=28222 ;;
  *) usage ;;
esac

PROFILE_DIR="$DEV_DIR/$profile"
PGDATA="$PROFILE_DIR/pg"
PG_LOG="$PROFILE_DIR/postgres.log"
NATS_DIR="$PROFILE_DIR/nats"
NATS_PID="$PROFILE_DIR/nats.pid"
NATS_LOG="$PROFILE_DIR/nats.log"
PG_URL="postgres://veza@127.0.0.1:$PG_PORT"
NATS_URL="nats://127.0.0.1:$NATS_PORT"

is_root() { [ "$(id -u)" -eq 0 ]; }
# Run a PostgreSQL server command as the data owner (PostgreSQL refuses to run as root).
as_pg() { if is_root; then runuser -u "$PG_SYS_USER" -- "$@"; else "$@"; fi; }
pg() { local b; b="$(pg_bindir)" || die "PostgreSQL not found (run scripts/deps.sh)"; "$b/$1" "${@:2}"; }

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] || return 1
  if is_root; then id -u "$PG_SYS_USER" >/dev/null 2>&1 || return 1; fi
  as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}
pg_ready() { pg pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -U veza -d postgres; }
nats_pid() {
  local pid
  pid="$(cat "$NATS_PID" 2>/dev/null)" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nats-server ] && echo "$pid"
}
nats_healthy() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$NATS_MON/healthz"; }

ensure_pg_user() {
  is_root || return 0
  id -u "$PG_SYS_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_SYS_USER"
}

pg_init() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  log "initialising PostgreSQL data in $PGDATA"
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA"
  if is_root; then
    chown "$PG_SYS_USER:" "$PGDATA"
    runuser -u "$PG_SYS_USER" -- test -x "$PGDATA" ||
      die "user $PG_SYS_USER cannot reach $PGDATA; make its parent folders traversable (chmod o+x)"
  fi
  chmod 0700 "$PGDATA"
  as_pg "$(pg_bindir)/initdb" -D "$PGDATA" --auth=trust --username=veza -E UTF8 --locale=C \
    >"$PROFILE_DIR/initdb.log" 2>&1 || { show_tail "$PROFILE_DIR/initdb.log"; die "initdb failed"; }
  echo "include_if_exists = 'veza.conf'" >>"$PGDATA/postgresql.conf"
}

pg_write_conf() {
  local sock="$PGDATA" conf="$PGDATA/veza.conf"
  # Unix socket paths are limited to ~107 bytes; fall back to TCP only when too long.
  [ $((${#sock} + 20)) -lt 107 ] || sock=""
  {
    echo "# Written by scripts/infra.sh on every start; edit the script, not this file."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '${sock//\'/\'\'}'"
    echo "max_connections = 300"
    if [ "$profile" = test ]; then echo "fsync = off"; echo "synchronous_commit = off"; fi
  } >"$conf"
  if is_root; then chown "$PG_SYS_USER:" "$conf"; fi
}

pg_up() {
  ensure_pg_user
  if pg_running; then log "PostgreSQL ($profile) already running on 127.0.0.1:$PG_PORT"; else
    port_in_use 127.0.0.1 "$PG_PORT" && die "port $PG_PORT is already used by another process"
    pg_init
    pg_write_conf
    : >"$PG_LOG"
    if is_root; then chown "$PG_SYS_USER:" "$PG_LOG"; fi
    log "starting PostgreSQL ($profile) on 127.0.0.1:$PG_PORT"
    as_pg setsid -w "$(pg_bindir)/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -W start >/dev/null ||
      { show_tail "$PG_LOG"; die "PostgreSQL failed to start"; }
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    pg_ready && break
    sleep 0.5
  done
  pg_ready || { show_tail "$PG_LOG"; die "PostgreSQL not ready on 127.0.0.1:$PG_PORT after 30 s"; }
  local list
  list="$(printf "'%s'," "${DATABASES[@]}")"
  pg psql -X -q -v ON_ERROR_STOP=1 "$PG_URL/postgres" >/dev/null <<SQL
SELECT format('CREATE DATABASE %I OWNER veza', d)
FROM unnest(ARRAY[${list%,}]) AS d
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d)
\gexec
SQL
}

nats_up() {
  local bin pid i
  if nats_pid >/dev/null; then log "NATS ($profile) already running on 127.0.0.1:$NATS_PORT"; else
    bin="$(find_bin nats-server)" || die "nats-server not found (run scripts/deps.sh)"
    for i in "$NATS_PORT" "$NATS_MON"; do
      port_in_use 127.0.0.1 "$i" && die "port $i is already used by another process"
    done
    mkdir -p "$NATS_DIR"
    log "starting NATS ($profile) on 127.0.0.1:$NATS_PORT"
    setsid "$bin" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON" -js -sd "$NATS_DIR" \
      >"$NATS_LOG" 2>&1 </dev/null &
    echo $! >"$NATS_PID"
  fi
  for ((i = 0; i < 60; i++)); do
    nats_healthy && return 0
    nats_pid >/dev/null || break
    sleep 0.5
  done
  show_tail "$NATS_LOG"
  die "NATS did not become healthy on 127.0.0.1:$NATS_MON"
}

pg_down() {
  if pg_running; then
    log "stopping PostgreSQL ($profile)"
    as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null ||
      { show_tail "$PG_LOG"; die "PostgreSQL did not stop"; }
  fi
}

nats_down() {
  local pid i
  if pid="$(nats_pid)"; then
    log "stopping NATS ($profile)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then warn "NATS did not exit; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$NATS_PID"
}

case "$cmd" in
  up)
    mkdir -p "$PROFILE_DIR"
    chmod 0755 "$DEV_DIR" "$PROFILE_DIR"
    pg_up
    nats_up
    log "infra ($profile) up: $PG_URL  $NATS_URL"
    ;;
  down)
    nats_down
    pg_down
    ;;
  status)
    rc=0
    if pg_running; then echo "postgres $profile: running  $PG_URL"; else echo "postgres $profile: stopped"; rc=1; fi
    if nats_pid >/dev/null; then echo "nats     $profile: running  $NATS_URL"; else echo "nats     $profile: stopped"; rc=1; fi
    exit "$rc"
    ;;
  env)
    if [ "$profile" = test ]; then
      echo "export TEST_DATABASE_URL=$PG_URL/postgres"
      echo "export TEST_NATS_URL=$NATS_URL"
    else
      for db in "${DATABASES[@]}"; do
        echo "export ${db^^}_DATABASE_URL=$PG_URL/$db"
      done
      echo "export NATS_URL=$NATS_URL"
    fi
    ;;
  *) usage ;;
esac
