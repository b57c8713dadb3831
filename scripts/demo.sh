#!/usr/bin/env bash
# The main job, offline: installs what is missing, builds llmops, walks through the prompt store
# on the prompts shipped in prompts/ (init, commit, label, roll back, diff, render, export), then
# runs the shipped support-triage eval comparing two models on recorded sample responses
# (evals/support-triage, provider replay:), writes its reports (Markdown, JSON, JUnit, CSV) and
# diffs the two models (quality with intervals and tests, cost, latency; Markdown and HTML).
# Needs no API key and no network beyond Debian's package mirror for the first set-up.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
# Only the binary (and the HTTP plugin it opens), without debug information: the first result
# within 3 minutes of a fresh clone on 2 cores (SPEC §13; docs/benchmarks.md, "Build time").
# Applies when build/ is first configured; scripts/build.sh alone keeps -g.
export LLMOPS_DEBUG_INFO=${LLMOPS_DEBUG_INFO:--g0}
"$root/scripts/build.sh" release llmops >&2
llmops="$root/build/cmd/llmops"

work="$root/build/demo"
rm -rf "$work"
mkdir -p "$work"
cp -r "$root/prompts" "$work/prompts"
cd "$work"
export LLMOPS_AUTHOR="${LLMOPS_AUTHOR:-llmops demo <demo@example.com>}"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m'; plain=$'\033[0m'; else bold=; plain=; fi
step() { printf '\n%s$ %s%s\n' "$bold" "${*/#$llmops/llmops}" "$plain"; "$@"; }
step "$llmops" --version
step "$llmops" init
step "$llmops" prompt status
step "$llmops" prompt commit -m "Import the shipped prompts"
step "$llmops" prompt label set support/triage@1 production -m "First release"
# A change to the triage prompt: a new queue.
sed -i 's/"how-to" | "other"/"how-to" | "security" | "other"/' prompts/support/triage.yaml
step "$llmops" prompt diff support/triage
step "$llmops" prompt commit -m "Add a security queue"
step "$llmops" prompt label set support/triage@2 production -m "Ship the security queue"
step "$llmops" prompt label set support/triage@1 production -m "Roll back: security tickets misrouted"
step "$llmops" prompt label history support/triage
step "$llmops" prompt log support/triage
step "$llmops" prompt render support/triage@production --var ticket="I was charged twice for November."
step "$llmops" prompt export --label production
step "$llmops" fsck

# The eval: two models on the same tickets, answered from recordings (sample responses, not
# real model outputs: see evals/support-triage/recordings/README.md). A failing case makes the
# exit code 1, as a test runner's would; the demo goes on to show the reports.
suite="$root/evals/support-triage/suite.yaml"
step "$llmops" eval --validate "$suite"
code=0
step "$llmops" eval "$suite" --no-progress -o report.md -o results.json -o results.xml -o results.csv || code=$?
printf '(exit code %s: 1 means some cases failed, as listed above)\n' "$code"
step "$llmops" runs list
step head -n 12 report.md
# The two models compared case by case: the newer one against the older one.
step "$llmops" diff latest -o diff.md -o diff.html

# LLM as a judge, offline: a RAG app's answers judged with the RAG triad, then the judge of the
# support replies measured against people's labels (recorded sample verdicts again).
code=0
step "$llmops" eval "$root/evals/rag-qa/suite.yaml" --no-progress || code=$?
printf '(exit code %s: the judge caught the answer its context does not support)\n' "$code"
step "$llmops" judge calibrate "$root/evals/judge-calibration/suite.yaml" \
  --labels "$root/evals/judge-calibration/labels.jsonl"
printf '\nThe demo project is in %s (its store: %s/.llmops; reports: report.md, results.json,\nresults.xml, results.csv, diff.md, diff.html).\n' "$work" "$work"
