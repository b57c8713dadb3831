#!/usr/bin/env bash
# Re-makes small-model.jsonl and large-model.jsonl (sample answers, see ../README.md) after a
# change to the prompt or to ../problems.csv: records stub_models.py's answers with
# `llmops eval --record`, then gives each answer a fixed latency typical of its model.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
example="$(dirname "$here")"
llmops="${LLMOPS:-llmops}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for model in small-model large-model; do
  rm -rf "$work/p" && mkdir -p "$work/p"
  cp -r "$example/prompts" "$example/problems.csv" "$work/p/"
  cat > "$work/p/suite.yaml" <<YAML
prompts: [file://prompts/solve.yaml]
providers: ['exec:python3 $here/stub_models.py $model']
tests: file://problems.csv
YAML
  (cd "$work/p" && "$llmops" eval suite.yaml --no-progress --record "$work/$model.jsonl" >/dev/null) || true
  python3 - "$work/$model.jsonl" "$here/$model.jsonl" "$model" <<'PY'
import json, sys
src, dst, model = sys.argv[1:4]
base, spread = (300.0, 200) if model == "small-model" else (900.0, 600)
entries = {}
for line in open(src):
    entry = json.loads(line)
    entry["provider"] = model
    entry["model"] = model
    entry["response"]["latency_ms"] = base + int(entry["key"][:4], 16) % spread
    entries[entry["key"]] = entry
with open(dst, "w") as out:
    for key in sorted(entries):
        out.write(json.dumps(entries[key], ensure_ascii=False, sort_keys=True) + "\n")
PY
done
echo "wrote $here/small-model.jsonl and $here/large-model.jsonl"
