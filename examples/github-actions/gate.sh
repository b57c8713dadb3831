#!/usr/bin/env bash
# The pull-request gate of .github/workflows/llmops.yml, run locally and offline: eval the
# suite with the prompts as they are in this folder, then compare with the main branch's run
# (baseline.json). Exit 0 when nothing got significantly worse and the pass rate is above the
# suite's threshold, 1 when a gate fails.
# Writes report.md (what the workflow posts as the step summary) and diff.html.
set -uo pipefail
cd "$(dirname "$0")"
llmops="${LLMOPS:-llmops}"

"$llmops" eval llmops.yaml --no-progress -o results.json
eval_code=$?
"$llmops" diff baseline.json latest --fail-on-regression -o report.md -o diff.html
code=$?
# Exit 1 from the eval alone: the pass rate fell below the suite's threshold; 2 or 3: broken.
[ "$code" -eq 0 ] && code=$eval_code
echo "gate: exit $code; report.md and diff.html written" >&2
exit "$code"
