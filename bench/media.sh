#!/usr/bin/env bash
# Media serving and processing: installs nginx and wrk if missing, builds hewn and
# examples/media_bench in release mode, then runs bench/media.py (a hot variant from
# hewn's memory against nginx from disk; a 12-megapixel JPEG processed).
# Usage: bench/media.sh [--duration 10] [--connections 32,256]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx-light wrk >/dev/null \
    || DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx wrk >/dev/null
fi
cargo build --release --locked --bin hewn --example media_bench
exec python3 bench/media.py "$@"
