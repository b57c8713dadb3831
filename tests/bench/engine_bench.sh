#!/usr/bin/env bash
# Engine benchmark (issue 3): 10,000 calls at -j 64 to a loopback server answering after 50 ms
# (ideal wall time 10000 / 64 * 0.05 = 7.8 s), then the same calls from the response cache.
# Usage: bash tests/bench/engine_bench.sh [CALLS] [JOBS] [DELAY_MS]
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${1:-10000}
jobs=${2:-64}
delay=${3:-50}
bash scripts/build.sh release llmops_bench_engine >/dev/null
bin=build/tests/llmops_bench_engine
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" serve "$port" "$delay" 2>/dev/null &
server=$!
sleep 0.5
ideal=$(python3 -c "import math; print(f'{math.ceil($calls / $jobs) * $delay / 1000:.2f}')")
echo "ideal wall time: ${ideal}s"
"$bin" run "http://127.0.0.1:$port/v1" "$calls" "$jobs" "$work/cache.db"
