#!/usr/bin/env bash
# SQLite against PostgreSQL, and two instances behind nginx against one: installs
# nginx, wrk and PostgreSQL if missing, starts a private PostgreSQL cluster (unless
# HEWN_BENCH_POSTGRES names a server), builds hewn in release mode, runs
# bench/postgres.py (about 70 runs of --duration seconds each with the default 3 rounds).
# Usage: bench/postgres.sh [--duration 5] [--connections 32] [--busy-connections 256]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx-light wrk postgresql >/dev/null
fi
if [ -z "${HEWN_BENCH_POSTGRES:-}" ]; then
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  PGDIR="$(mktemp -d)"
  PGPORT=55433
  if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; chown postgres "$PGDIR"; else as_pg() { "$@"; }; fi
  as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # A durable cluster (fsync and synchronous_commit on): what an operator runs.
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -w -l "$PGDIR/log" start \
    -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
  trap 'as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true' EXIT
  HEWN_BENCH_POSTGRES="postgres://postgres@127.0.0.1:$PGPORT/postgres"
fi
cargo build --release --locked --bin hewn
python3 bench/postgres.py --postgres "$HEWN_BENCH_POSTGRES" "$@"
