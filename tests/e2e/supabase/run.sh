#!/usr/bin/env bash
# Runs the supabase-js end-to-end suite against a switchboard binary (each test file starts
# its own server on a free loopback port).
#   tests/e2e/supabase/run.sh <switchboard binary> [test files...]   default: every *.test.mjs
# Needs `npm ci --prefix tests/e2e/supabase` once. E2E_SERVER_LOG=1 / E2E_REALTIME_LOG=1
# print the server's log / realtime-js's log to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <switchboard binary> [test files...]" >&2
  exit 2
fi
binary=$(realpath "$1")
shift
if [[ ! -x $binary ]]; then
  echo "run.sh: $binary is not an executable switchboard binary" >&2
  exit 2
fi
if [[ ! -d $here/node_modules/@supabase/supabase-js || ! -d $here/node_modules/ws ]]; then
  echo "run.sh: $here/node_modules is missing: run 'npm ci --prefix tests/e2e/supabase' first" >&2
  exit 1
fi

cd "$here"
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(*.test.mjs)
export SWITCHBOARD_BINARY=$binary
# --test-force-exit: realtime-js leaves timers behind after disconnect (a 10 s one per
# disconnect in 2.119); they must not hold each file's process open. The overall timeout is
# the backstop for anything else; it signals the whole process group, servers included.
exec timeout --kill-after=10 300 node --test --test-force-exit "${files[@]}"
