#!/usr/bin/env bash
# Re-makes answers.jsonl (sample answers, see ../README.md) and ../baseline.json after a change to
# the prompts or to ../reviews.csv: records stub_model.py's answers to every prompt version of
# this example with `llmops eval --record`, files them under gpt-4o-mini with a fixed latency
# per answer, then runs the suite with the main branch's prompt and exports the baseline.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
example="$(dirname "$here")"
llmops="${LLMOPS:-llmops}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

: > "$work/raw.jsonl"
for prompt in "$example/prompts/review/sentiment.yaml" "$example"/variants/*.yaml; do
  rm -rf "$work/p" && mkdir -p "$work/p/prompts/review"
  cp "$example/reviews.csv" "$work/p/"
  cp "$prompt" "$work/p/prompts/review/sentiment.yaml"
  sed -e "s|^  - id: replay:.*|  - id: exec:python3 $here/stub_model.py|" \
      "$example/llmops.yaml" > "$work/p/llmops.yaml"
  (cd "$work/p" && "$llmops" eval --no-progress --record "$work/raw.jsonl" >/dev/null) || true
done

python3 - "$work/raw.jsonl" "$here/answers.jsonl" <<'PY'
import json, sys
src, dst = sys.argv[1:3]
entries = {}
for line in open(src):
    entry = json.loads(line)
    entry["provider"] = "openai:gpt-4o-mini"
    entry["model"] = "gpt-4o-mini"
    # A latency that looks like a network call's, the same at every regeneration.
    entry["response"]["latency_ms"] = 350.0 + int(entry["key"][:4], 16) % 400
    entries[entry["key"]] = entry
with open(dst, "w") as out:
    for key in sorted(entries):
        out.write(json.dumps(entries[key], ensure_ascii=False, sort_keys=True) + "\n")
PY

# The baseline: the suite on the main branch's prompt, exported as CI keeps it.
rm -rf "$work/b" && mkdir -p "$work/b/prompts/review"
cp -r "$example/llmops.yaml" "$example/reviews.csv" "$example/recordings" "$work/b/"
cp "$example/variants/main.yaml" "$work/b/prompts/review/sentiment.yaml"
(cd "$work/b" && "$llmops" eval --no-progress >/dev/null || true
 "$llmops" runs export latest -o "$example/baseline.json")
echo "wrote $here/answers.jsonl and $example/baseline.json"
