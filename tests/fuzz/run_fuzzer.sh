#!/usr/bin/env bash
# Runs one libFuzzer binary for a bounded time over a scratch copy of its committed corpus, so
# the units it discovers never land in the source tree (merge them in by hand with -merge=1,
# see tests/fuzz/README.md). Exits non-zero on any crash, UB, leak, timeout or out-of-memory;
# the input that caused it is kept as WORK_DIR/crash-*, leak-*, timeout-* or oom-*.
#   run_fuzzer.sh BINARY CORPUS_DIR WORK_DIR [libFuzzer flags...]
set -euo pipefail
binary=$1 corpus=$2 work=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus"
cp -R "$corpus/." "$work/corpus/"
exec "$binary" -artifact_prefix="$work/" -print_final_stats=1 "$@" "$work/corpus"
