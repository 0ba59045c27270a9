#!/usr/bin/env bash
# Runs every test: formatting and clang-tidy checks, then the whole CTest suite (unit,
# integration, e2e, soak, bench smoke) in the release build and again under ASan+UBSan and TSan.
#   tests/run.sh           everything (what CI runs)
#   tests/run.sh --quick   release build and tests only
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

deploy/install-deps.sh --test
# The supabase-js end-to-end tests' packages, exactly as the committed lockfile pins them.
npm ci --prefix tests/e2e/supabase --no-audit --no-fund --loglevel=error
jobs=$(nproc)
step() { printf '\n==> %s\n' "$*"; }

sources() { git ls-files '*.cpp' '*.hpp' 2>/dev/null || find protocol server tests bench -name '*.[ch]pp'; }

if [[ $quick -eq 0 ]]; then
  step "clang-format"
  sources | xargs clang-format --dry-run --Werror
fi

presets=(release)
[[ $quick -eq 0 ]] && presets+=(asan tsan)
for preset in "${presets[@]}"; do
  step "build and test: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  # TSan needs a predictable address-space layout; setarch -R turns randomisation off.
  runner=()
  [[ $preset == tsan ]] && runner=(setarch "$(uname -m)" -R)
  "${runner[@]}" ctest --preset "$preset" -j "$jobs"
done

if [[ $quick -eq 0 ]]; then
  # libFuzzer (clang) over the protocol library, bounded to fit the CI budget: 4 targets at
  # 30 s each, two at a time, about 1 minute plus the build. By hand the default is 60 s per
  # target: cmake --preset fuzz && cmake --build --preset fuzz && ctest --preset fuzz.
  step "fuzz"
  cmake --preset fuzz -DSWITCHBOARD_FUZZ_SECONDS=30 >/dev/null
  cmake --build --preset fuzz -j "$jobs"
  ctest --preset fuzz -j 2
fi

if [[ $quick -eq 0 ]]; then
  step "clang-tidy"
  # The compile commands carry GCC-only flags (cmake/SwitchboardWarnings.cmake); clang-tidy's
  # clang front end must not treat them as errors.
  git ls-files 'protocol/*.cpp' 'server/*.cpp' |
    xargs -P "$jobs" -n 1 clang-tidy -p build/release --quiet \
      --extra-arg=-Wno-unknown-warning-option 2>/dev/null
fi
step "all tests passed"
