#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL server on 127.0.0.1 for the test suite.
#   scripts/pg-test.sh start   -> prints the URL to use (GRANICA_TEST_PG_URL)
#   scripts/pg-test.sh stop
# Installs Debian's postgresql when it is missing. PostgreSQL refuses to run as
# root, so as root the server runs as the `postgres` user.
set -euo pipefail
PORT="${GRANICA_TEST_PG_PORT:-54329}"
STATE="${TMPDIR:-/tmp}/granica-pgtest-$PORT"

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" ]] && { echo "$d"; return 0; }
  done
  return 1
}

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_installed() {
  if ! find_bin >/dev/null; then
    echo "postgresql not found: installing Debian's postgresql" >&2
    if [[ $(id -u) -ne 0 ]]; then
      echo "error: run as root (or install postgresql with apt-get) to test on PostgreSQL" >&2
      exit 1
    fi
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
  fi
}

start() {
  ensure_installed
  local bin; bin=$(find_bin)
  if [[ -f "$STATE/data/postmaster.pid" ]] && as_pg "$bin/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1; then
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    return 0
  fi
  rm -rf "$STATE"; mkdir -p "$STATE"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$STATE"
  as_pg "$bin/initdb" -D "$STATE/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
    || { cat "$STATE/initdb.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || { cat "$STATE/server.log" >&2; exit 1; }
  echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
}

stop() {
  local bin; bin=$(find_bin) || return 0
  if [[ -d "$STATE/data" ]]; then
    as_pg "$bin/pg_ctl" -D "$STATE/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
