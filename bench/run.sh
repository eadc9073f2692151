#!/usr/bin/env bash
# hewn's benchmark in one command: installs nginx and wrk if missing, builds hewn in
# release mode, then runs bench.py (hewn against nginx serving the same bytes).
# Usage: bench/run.sh [--duration 10] [--connections 32,256] [--skip-large]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx-light wrk >/dev/null \
    || DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx wrk >/dev/null
fi
cargo build --release --locked
exec python3 bench/bench.py "$@"
