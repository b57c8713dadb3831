#!/usr/bin/env bash
# Runs the whole test suite N times while a competing load keeps the machine busy, then prints
# every test that failed at least once, how often, and its output. A test whose verdict depends
# on the machine's speed shows up here long before it fails CI at random.
#
# Usage: scripts/soak.sh N [--load build|spin|none] [--build release|asan] [-- ctest args...]
#   --load build  (default) rebuilds a second copy of the project from scratch, over and over,
#                 with one job per core: what a developer's or CI's machine is often doing
#   --load spin   one busy loop per core
#   --load none   no load (a baseline)
#   --build       which build's tests to run (default release; built first if needed)
# Logs and JUnit files stay in $SOAK_DIR (default: a new folder under /tmp, printed at the end).
# Exit status: 0 when every run passed, 1 when a test failed at least once, 2 on a usage error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

usage() {
  echo "usage: scripts/soak.sh N [--load build|spin|none] [--build release|asan] [-- ctest args...]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
runs=$1
shift
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage
load=build
kind=release
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --load) load=${2:-}; shift 2 || usage ;;
    --build) kind=${2:-}; shift 2 || usage ;;
    --) shift; ctest_args=("$@"); break ;;
    *) usage ;;
  esac
done
case "$load" in build|spin|none) ;; *) usage ;; esac
case "$kind" in release) build_dir=build ;; asan) build_dir=build-asan ;; *) usage ;; esac

out=${SOAK_DIR:-$(mktemp -d /tmp/llmops-soak.XXXXXX)}
mkdir -p "$out"
jobs=$(nproc)

echo "soak: building the $kind tests" >&2
scripts/build.sh "$kind" >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 3; }

load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_load EXIT
trap 'exit 130' INT TERM

# Each load runs in its own process group (set -m), so stopping it stops its compilers too.
set -m
case "$load" in
  build)
    load_dir="$out/load-build"
    (
      # ccache would turn every round after the first into cache hits: no load at all.
      export CCACHE_DISABLE=1
      cmake -S "$root" -B "$load_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null 2>&1
      while :; do
        ninja -C "$load_dir" -t clean >/dev/null 2>&1 || true
        ninja -C "$load_dir" -j "$jobs" >/dev/null 2>&1 || true
      done
    ) &
    load_pids+=($!)
    ;;
  spin)
    for _ in $(seq "$jobs"); do
      (while :; do :; done) &
      load_pids+=($!)
    done
    ;;
esac
set +m
echo "soak: load '$load' started; $runs runs of the $kind suite, logs in $out" >&2

for i in $(seq "$runs"); do
  start=$(date +%s)
  status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build_dir" -j "$jobs" --output-junit "$out/run-$i.xml" \
    "${ctest_args[@]}" >"$out/run-$i.log" 2>&1 || status=$?
  summary=$(grep -E 'tests passed|tests failed' "$out/run-$i.log" | tail -n 1 || true)
  echo "soak: run $i/$runs: exit $status in $(($(date +%s) - start)) s: ${summary:-no summary}" >&2
done

stop_load
trap - EXIT

# Every failed test, with the number of runs it failed in, then each failure's output.
status=0
python3 - "$out" "$runs" <<'EOF' || status=$?
import glob, os, sys
import xml.etree.ElementTree as ET

out, runs = sys.argv[1], int(sys.argv[2])
failures = {}  # test name -> [(run, output)]
for i in range(1, runs + 1):
    path = os.path.join(out, f"run-{i}.xml")
    if not os.path.exists(path):
        failures.setdefault("(ctest wrote no report)", []).append((i, ""))
        continue
    for case in ET.parse(path).getroot().iter("testcase"):
        status = case.get("status", "")
        failed = case.find("failure") is not None or case.find("error") is not None
        if failed or status in ("fail", "failed", "error"):
            text = case.findtext("system-out") or ""
            failures.setdefault(case.get("name"), []).append((i, text))
if not failures:
    print(f"soak: every test passed in all {runs} runs")
    sys.exit(0)
print(f"soak: {len(failures)} test(s) failed at least once in {runs} runs:")
for name, seen in sorted(failures.items()):
    print(f"  {name}: failed in {len(seen)} of {runs} runs ({', '.join(str(r) for r, _ in seen)})")
for name, seen in sorted(failures.items()):
    for run, text in seen:
        lines = text.splitlines()
        print(f"\n===== {name} (run {run}) =====")
        if len(lines) > 400:
            print(f"[... {len(lines) - 400} earlier lines in {out}/run-{run}.log]")
        print("\n".join(lines[-400:]))
sys.exit(1)
EOF
echo "soak: logs in $out" >&2
exit $status
