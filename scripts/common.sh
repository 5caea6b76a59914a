# Shared helpers for the scripts in this folder. Sourced, never executed.
# shellcheck shell=bash

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS/.." && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
DEV_DIR="$ROOT/.dev"
PG_SYS_USER="${PG_SYS_USER:-veza-dev}" # system user that owns PostgreSQL data when run as root
# shellcheck disable=SC2034
DATABASES=(live_catalog stream_key ingest_events chat)

log() { [ -n "${VEZA_QUIET:-}" ] || echo "==> $*" >&2; }
warn() { echo "warning: $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# Print the last lines of a log file to stderr (used when something fails to start).
show_tail() {
  [ -f "$1" ] || return 0
  echo "---- last lines of $1 ----" >&2
  tail -n "${2:-40}" "$1" >&2
  echo "----" >&2
}

# find_bin NAME: path of a binary, also looking in sbin dirs that may be off PATH.
find_bin() {
  command -v "$1" 2>/dev/null && return 0
  local d
  for d in /usr/sbin /sbin /usr/local/sbin; do
    [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  return 1
}

# pg_bindir: newest /usr/lib/postgresql/*/bin holding initdb (override with PG_BINDIR).
pg_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return 0; fi
  local d
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
    | sort -V | tail -n 1)"
  if [ -n "$d" ]; then dirname "$d"; return 0; fi
  d="$(command -v initdb 2>/dev/null)" && { dirname "$d"; return 0; }
  return 1
}

# Make a relative CARGO_TARGET_DIR absolute (cargo reads it relative to the cwd) before
# the scripts change directory, and set TARGET_DIR to the target folder in use.
resolve_target_dir() {
  if [ -n "${CARGO_TARGET_DIR:-}" ] && [[ $CARGO_TARGET_DIR != /* ]]; then
    export CARGO_TARGET_DIR="$PWD/$CARGO_TARGET_DIR"
  fi
  # shellcheck disable=SC2034 # read by the caller
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
}

# port_in_use HOST PORT: true if something accepts TCP connections there.
port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# env_file: the settings file in use, .env if present, else .env.example.
env_file() { if [ -f "$ROOT/.env" ]; then echo "$ROOT/.env"; else echo "$ROOT/.env.example"; fi; }

# load_env FILE [SKIP_REGEX]: export the KEY=VALUE lines of FILE. Variables already set
# in the environment win; keys matching SKIP_REGEX are ignored. Values are not evaluated.
load_env() {
  local file="$1" skip="${2:-}" line key val
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    line="${line#"${line%%[![:space:]]*}"}"
    [[ -z $line || $line == \#* || $line != *=* ]] && continue
    line="${line#export }"
    key="${line%%=*}"
    val="${line#*=}"
    [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ -n $skip && $key =~ $skip ]] && continue
    if [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]]; then val="${BASH_REMATCH[1]}"; fi
    [ -n "${!key+x}" ] || export "$key=$val"
  done <"$file"
}
