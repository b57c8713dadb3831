#!/usr/bin/env bash
# Installs llmops' build dependencies from Debian's packages, only when something is missing.
# Idempotent: on a machine that already has everything it makes no apt call at all.
# Usage: scripts/setup.sh [--tests]   (--tests adds what only the test suite needs)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache git python3
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev doctest-dev
  libcurl4-openssl-dev libsqlite3-dev libssl-dev libcpp-httplib-dev
  libkainjow-mustache-dev libdtl-dev
)
if [ "${1:-}" = "--tests" ]; then
  # The HTML report of `llmops diff` is opened in headless Chromium by the tests. The demo does
  # not need it (a large download: the first result stays within minutes).
  packages+=(chromium)
  # The completion tests load completions/ in each shell; the man page test renders it with man.
  packages+=(zsh fish man-db groff-base)
  # scripts/format.sh --check (clang-format 14, the version .clang-format is tuned to).
  packages+=(clang-format)
  # The install test builds the .deb with CPack (dpkg-shlibdeps computes its Depends).
  packages+=(dpkg-dev)
  # javascript assertions and Nunjucks prompts run in node, with Debian's nunjucks package.
  # A node that is already there (nodesource's package, or one on PATH) is kept.
  if ! command -v node >/dev/null 2>&1; then
    packages+=(nodejs)
  fi
  packages+=(node-nunjucks)
  # The schema test validates every shipped suite against `llmops schema suite` (Draft 2020-12).
  packages+=(python3-jsonschema)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $sudo apt-get -o DPkg::Lock::Timeout=120 update -qq; then break; fi
  echo "setup: apt-get update failed (attempt $attempt), retrying" >&2
  sleep 5
done
$sudo apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${missing[@]}" >&2
