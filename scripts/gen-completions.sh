#!/usr/bin/env bash
# Regenerates completions/ from the command tree of a built llmops binary.
# Usage: scripts/gen-completions.sh [BINARY]   (default: build/cmd/llmops; build it first with
# scripts/build.sh release). tests/cli/test_completion_cli.cpp fails until this is re-run after
# a change to the commands or options.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin=${1:-$root/build/cmd/llmops}
"$bin" completion bash >"$root/completions/llmops.bash"
"$bin" completion zsh >"$root/completions/_llmops"
"$bin" completion fish >"$root/completions/llmops.fish"
echo "gen-completions: wrote completions/llmops.bash, completions/_llmops, completions/llmops.fish" >&2
