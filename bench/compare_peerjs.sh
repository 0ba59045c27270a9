#!/usr/bin/env bash
# Side by side: Switchboard and the PeerJS server (npm `peer`, pinned in bench/peerjs/) under the
# identical `connect` and `relay` workloads from switchboard-bench, in one run on this machine.
# Each server runs pinned to CPU 0 and the bench to CPU 1 (taskset); everything is loopback.
#   bench/compare_peerjs.sh [--seconds N] [--connections N]
# Prints a table with ratios and leaves the raw JSON of every run in $OUT (default: a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
connections=10000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--connections N]" >&2; exit 2 ;;
  esac
done

deploy/install-deps.sh --bench
cmake --preset release >/dev/null
cmake --build --preset release --target switchboard switchboard-bench >/dev/null
bench=build/release/bench/switchboard-bench
server=build/release/server/switchboard

work=$(mktemp -d)
out=${OUT:-$work/results}
mkdir -p "$out"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work/peerjs"
}
trap cleanup EXIT

# PeerJS from the committed lockfile, into a temporary folder (the repository stays clean).
mkdir -p "$work/peerjs"
cp bench/peerjs/package.json bench/peerjs/package-lock.json "$work/peerjs/"
(cd "$work/peerjs" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1)

ulimit -n 20000
peerjs_port=9911
switchboard_port=9912

wait_port() {  # port: up to 10 s for a listener
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "compare_peerjs: nothing listens on $1" >&2
  return 1
}

start_peerjs() {
  taskset -c 0 node "$work/peerjs/node_modules/peer/dist/bin/peerjs.js" --host 127.0.0.1 \
    --port "$peerjs_port" --concurrent_limit 20000 >/dev/null 2>&1 &
  pids+=($!)
  server_pid=$!
  wait_port "$peerjs_port"
}

start_switchboard() {
  # The abuse limits are lifted as for --spawn-server (bench/README.md "Method").
  taskset -c 0 "$server" --host 127.0.0.1 --port "$switchboard_port" --log-level warn \
    --max-connections 20000 --message-rate 100000 --message-burst 1000000 \
    --max-ringing-per-user 1000 >/dev/null 2>&1 &
  pids+=($!)
  server_pid=$!
  wait_port "$switchboard_port"
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

start() {  # target: a fresh server; sets $port
  if [[ $1 == peerjs ]]; then start_peerjs; port=$peerjs_port; else start_switchboard; port=$switchboard_port; fi
}

run() {  # name target scenario args...: one bench run on CPU 1, JSON to $out/name.json. The
  # bench measures the server's CPU time over its window itself (--server-pid).
  local name=$1 target=$2
  shift 2
  # A run with errors still reports (the table shows them); the comparison goes on.
  taskset -c 1 "$bench" "$@" --target "$target" --port "$port" --server-pid "$server_pid" \
    --json "$out/$name.json" | tee "$out/$name.txt" || true
}

for target in switchboard peerjs; do
  # 1. Saturated relay: as many exchanges as the server takes.
  start "$target"
  run "$target-relay-max" "$target" relay --pairs 500 --in-flight 8 --threads 1 \
    --duration "$seconds" --warmup 2
  stop_server
  # 2. Memory: idle connections on a fresh server (the RSS baseline is an idle process).
  start "$target"
  run "$target-connect" "$target" connect --connections "$connections" --duration 10
  stop_server
  # 3. Latency under a light load while the idle connections are held by a second bench
  # process (it measures nothing itself).
  start "$target"
  taskset -c 1 "$bench" connect --target "$target" --port "$port" --connections "$connections" \
    --duration $((seconds + 25)) >"$out/$target-holder.txt" &
  holder=$!
  sleep 15
  run "$target-relay-paced" "$target" relay --pairs 100 --rate 1000 --threads 1 \
    --duration "$seconds" --warmup 2
  wait "$holder" || true
  stop_server
done

python3 bench/compare_table.py "$out"
echo "raw results: $out"
