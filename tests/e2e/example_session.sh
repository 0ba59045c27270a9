#!/usr/bin/env bash
# End-to-end: the README's example client (deploy/examples/two_devices.py, a real Python
# WebSocket client) completes a call against the real binary on a free loopback port.
# Usage: example_session.sh <switchboard binary> <example script>
set -euo pipefail
binary=$1
script=$2
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

"$binary" --port 0 --log-level info >"$log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do  # up to 10 s for the server to log its port
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$log" | head -n 1)
  [[ -n $port ]] && break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "server did not start:"; cat "$log"; exit 1
fi
timeout 30 /usr/bin/python3 "$script" "ws://127.0.0.1:$port"
