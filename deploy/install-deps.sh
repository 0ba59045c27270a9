#!/usr/bin/env bash
# Installs, from Debian 12's own packages, whatever Switchboard needs that is missing.
#   deploy/install-deps.sh          build and run
#   deploy/install-deps.sh --test   also the test and lint tools, and Node.js and npm (the
#                                   supabase-js end-to-end tests)
#   deploy/install-deps.sh --bench  also Node.js and npm (bench/compare_peerjs.sh runs PeerJS)
# Runs apt only when something is missing, so repeated runs cost a few dpkg queries.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost1.81-dev libboost-program-options1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libspdlog-dev libssl-dev libjwt-dev libjemalloc-dev
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev clang-format clang-tidy python3-websockets clang libclang-rt-14-dev)
fi
# Node may come from elsewhere (NodeSource bundles npm in its nodejs): ask for the Debian
# packages only when the commands are missing.
if [[ "${1:-}" == "--bench" || "${1:-}" == "--test" ]]; then
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
