#!/usr/bin/env bash
# Re-makes the sample recordings after the triage prompt or the tickets change: runs the suite
# with sample_model.py as an exec: provider per model, records the answers, and files them
# under the model names the suite replays (see README.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
llmops="${LLMOPS:-$here/../../../build/cmd/llmops}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for model in gpt-4o-mini gpt-4.1-mini; do
  sed -e "s|^providers:.*|providers: ['exec:python3 $here/sample_model.py $model']|" \
      -e '/^  - id: replay/,/^$/d' "$here/../suite.yaml" > "$here/../.record-$model.yaml"
  (cd "$work" && "$llmops" eval "$here/../.record-$model.yaml" --no-cache --no-progress \
      --record "$work/$model.jsonl" >/dev/null) || true
  rm -f "$here/../.record-$model.yaml"
  python3 - "$work/$model.jsonl" "$here/$model.jsonl" "openai:$model" <<'PY'
import json, sys
src, dst, provider = sys.argv[1:4]
with open(src) as f, open(dst, "w") as out:
    for line in f:
        entry = json.loads(line)
        entry["provider"] = provider
        entry["model"] = provider.split(":", 1)[1]
        out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
PY
done
echo "wrote $here/gpt-4o-mini.jsonl and $here/gpt-4.1-mini.jsonl"
