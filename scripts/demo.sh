#!/usr/bin/env bash
# The main job, offline: installs what is missing, builds llmops, and walks through the prompt
# store on the prompts shipped in prompts/ (init, commit, label, roll back, diff, render, export).
# Needs no API key and no network beyond Debian's package mirror for the first set-up.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
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
printf '\nThe demo project is in %s (its store: %s/.llmops).\n' "$work" "$work"
