#!/usr/bin/env bash
# Re-makes the judge's sample recording after the labels, the rubric or the judge prompts
# change: calibrates with the stand-in judge as an exec: provider and records its answers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
llmops="${LLMOPS:-$here/../../../build/cmd/llmops}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -f "$here/judge.jsonl"
"$llmops" init "$work" >/dev/null
# The stand-in runs from here (exec: programs run in the working directory).
(cd "$here" && "$llmops" --dir "$work" judge calibrate ../suite.yaml --labels ../labels.jsonl \
    --judge 'exec:python3 sample_judge.py' --no-cache --record "$here/judge.jsonl" >/dev/null)
echo "wrote $here/judge.jsonl"
