#!/usr/bin/env bash
# Importing a large WordPress export into a live site: builds hewn and the export
# generator in release mode, then runs bench/import.py (about two minutes).
# Usage: bench/import.sh [--megabytes 500] [--interval 0.01]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin hewn --example wxr_generate
exec python3 bench/import.py "$@"
