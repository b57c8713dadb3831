#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with -Werror and runs every test, then
# builds the ASan+UBSan configuration and runs every test again. CI runs exactly this.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" --tests
jobs=$(nproc)
# Line tables only in the release build too: the suite never runs a debugger, and -g1 compiles a
# quarter faster than -g (docs/testing.md, "CI time"). Applies when build/ is first configured.
export LLMOPS_DEBUG_INFO=${LLMOPS_DEBUG_INFO:--g1}

echo "== style checks" >&2
scripts/check-function-length.sh
scripts/format.sh --check

echo "== release build (-Werror)" >&2
scripts/build.sh release
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== ASan+UBSan build" >&2
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
