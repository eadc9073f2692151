#!/usr/bin/env bash
# The page cache under writes no reader sees: builds hewn in release mode, then runs
# bench/cache.py (two wrk runs of --duration seconds each, about half a minute).
# Usage: bench/cache.sh [--duration 10] [--connections 32] [--comments 50] [--logins 20]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --bin hewn
exec python3 bench/cache.py "$@"
