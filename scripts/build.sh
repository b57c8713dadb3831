#!/usr/bin/env bash
# Configures and builds llmops. Usage: scripts/build.sh [release|asan] [ninja targets...]
#   release: build/       (RelWithDebInfo, -Werror)
#   asan:    build-asan/  (ASan + UBSan, -O1, -Werror; -g1: line tables, all that the sanitizers'
#            reports need, and half the compile time of -g, docs/testing.md)
# LLMOPS_DEBUG_INFO sets the release build's debug flag (default -g; scripts/test.sh, so CI, uses -g1). Both
# apply when a build directory is configured, its first build.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
shift || true
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 ${LLMOPS_DEBUG_INFO:--g} -DNDEBUG") ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DLLMOPS_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1") ;;
  *) echo "usage: scripts/build.sh [release|asan] [targets...]" >&2; exit 2 ;;
esac
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DLLMOPS_WERROR=ON "${flags[@]}" >/dev/null
fi
ninja -C "$dir" "$@"
