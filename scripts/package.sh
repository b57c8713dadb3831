#!/usr/bin/env bash
# Builds the Debian package: llmops_<version>_amd64.deb in build/ (the release build, then
# CPack; Depends computed by dpkg-shlibdeps). Usage: scripts/package.sh [OUTPUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:-$root/build}
cd "$root"
command -v dpkg-shlibdeps >/dev/null || { echo "package: needs dpkg-dev (apt-get install dpkg-dev)" >&2; exit 2; }
scripts/build.sh release llmops llmops_man
mkdir -p "$out"
cpack --config build/CPackConfig.cmake -B "$out" >&2
rm -rf "$out/_CPack_Packages"
ls "$out"/llmops_*_amd64.deb
