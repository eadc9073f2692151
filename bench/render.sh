#!/usr/bin/env bash
# Renders the most expensive comments (and admin-editor posts) we know how to write, in a
# release build, and prints the time each takes. The target: every comment under 50 ms.
# Usage: bench/render.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --locked --quiet --example render_bench
