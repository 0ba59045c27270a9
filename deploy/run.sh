#!/usr/bin/env bash
# Builds (release) and runs the server; with no arguments it listens on 127.0.0.1:8080 with
# in-memory state and dev-mode auth. Extra arguments go to the server: deploy/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target switchboard
exec build/release/server/switchboard "$@"
