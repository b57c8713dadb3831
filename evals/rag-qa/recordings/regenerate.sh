#!/usr/bin/env bash
# Re-makes the sample recordings after the suite, the questions or the judge prompts change:
# runs the suite with the stand-in app and judge as exec: providers, records every answer, and
# splits the recording into the app's answers (app.jsonl) and the judge's verdicts (judge.jsonl).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
llmops="${LLMOPS:-$here/../../../build/cmd/llmops}"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$here/.record.yaml"' EXIT
sed -e 's|id: replay:recordings/app.jsonl|id: exec:python3 sample_app.py|' \
    -e 's|id: replay:recordings/judge.jsonl|id: exec:python3 sample_judge.py|' \
    -e 's|file://questions.yaml|file://../questions.yaml|' \
    -e '/^    config:$/d' -e '/^      provider: exec:/d' \
    "$here/../suite.yaml" > "$here/.record.yaml"
"$llmops" init "$work" >/dev/null
# The stand-ins are run from here (exec: programs run in the working directory).
(cd "$here" && "$llmops" --dir "$work" eval .record.yaml --no-cache --no-progress \
    --record "$work/all.jsonl" >/dev/null) || true
python3 - "$work/all.jsonl" "$here" <<'PY'
import json, sys
src, here = sys.argv[1:3]
files = {"exec:python3 sample_app.py": "app.jsonl", "exec:python3 sample_judge.py": "judge.jsonl"}
outs = {name: open(f"{here}/{name}", "w") for name in files.values()}
with open(src) as f:
    for line in f:
        entry = json.loads(line)
        outs[files[entry["provider"]]].write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
PY
echo "wrote $here/app.jsonl and $here/judge.jsonl"
