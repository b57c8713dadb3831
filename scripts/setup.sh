#!/usr/bin/env bash
# Installs llmops' build dependencies from Debian's packages, only when something is missing.
# Idempotent: on a machine that already has everything it makes no apt call at all.
# Usage: scripts/setup.sh [--tests]   (--tests adds what only the test suite needs)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache git python3
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev doctest-dev
  libcurl4-openssl-dev libsqlite3-dev libssl-dev libcpp-httplib-dev
  libkainjow-mustache-dev libdtl-dev libpq-dev
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
  # npm installs the OpenTelemetry JavaScript SDK below (nodesource's node carries its own).
  if ! command -v npm >/dev/null 2>&1; then
    packages+=(npm)
  fi
  # The team-store tests start a real PostgreSQL 15 (tests/support/pg_server.cpp: initdb and
  # pg_ctl in a temporary folder, as nobody when root). The package's own cluster is not used.
  packages+=(postgresql-15)
  # docs/teams.md reads the current_prompts view from Python, as an app would (and from Node,
  # with npm's `pg` below: Debian's node-pg needs Debian's node).
  packages+=(python3-psycopg2)
  # The schema test validates every shipped suite against `llmops schema suite` (Draft 2020-12).
  packages+=(python3-jsonschema)
  # The metrics tests check `llmops metrics` with promtool and scrape `metrics serve` with a real
  # Prometheus (both in Debian's prometheus package), and check the docs' alert rules.
  packages+=(prometheus)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3; do
    if $sudo apt-get -o DPkg::Lock::Timeout=120 update -qq; then break; fi
    echo "setup: apt-get update failed (attempt $attempt), retrying" >&2
    sleep 5
  done
  $sudo apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The OpenTelemetry JavaScript SDK, which tests/cli/test_traces_otel_js_cli.cpp exports spans
# with to `llmops traces serve` (not in Debian: from npm, exact versions, into one folder that
# the test finds through LLMOPS_OTEL_JS_DIR, a CMake cache variable with the same default), and
# node-postgres (`pg`), with which docs/teams.md's Node app reads the current_prompts view.
# These versions support Debian 12's node 18.19 and node 20+ (later ones need node 22).
# Skipped when the folder already holds exactly these versions: no network then.
if [ "${1:-}" = "--tests" ]; then
  otel_dir=${LLMOPS_OTEL_JS_DIR:-/usr/local/lib/llmops-tests/otel-js}
  otel_packages="@opentelemetry/api@1.9.1 @opentelemetry/sdk-trace-base@2.12.1 \
@opentelemetry/resources@2.12.1 @opentelemetry/exporter-trace-otlp-http@0.223.1 pg@8.23.1"
  if [ "$(cat "$otel_dir/.llmops-packages" 2>/dev/null)" != "$otel_packages" ]; then
    echo "setup: installing $otel_packages into $otel_dir (npm)" >&2
    $sudo mkdir -p "$otel_dir"
    # shellcheck disable=SC2086 # the list is words
    $sudo npm install --prefix "$otel_dir" --no-audit --no-fund --save-exact --loglevel=error \
      $otel_packages >&2
    echo "$otel_packages" | $sudo tee "$otel_dir/.llmops-packages" >/dev/null
  fi
fi
