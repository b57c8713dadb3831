#!/usr/bin/env python3
"""A support app that loads its prompts at start-up from `llmops prompt export` output.

    llmops prompt export --label production -o prompts.json
    python3 app.py --prompts prompts.json --customer Ada "I was charged twice."

It reads the export (format llmops-export/1), takes `support/reply` as it was at the label the
export was made for, fills its variables (declared defaults, then the caller's values) and
prints the chat request it would send to a model: no model is called. Moving the label and
exporting again ships another prompt version without changing or redeploying this code.
"""
import argparse
import json
import re
import sys

PROMPT = "support/reply"


def load_prompts(path):
    try:
        with open(path) as f:
            export = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("app: cannot read the prompts (%s); make them with: "
                 "llmops prompt export --label production -o %s" % (e, path))
    if export.get("format") != "llmops-export/1":
        sys.exit("app: %s is not an llmops prompt export (format %r)" % (path, export.get("format")))
    return export


def render(text, values):
    """{{name}} tags only: this app's prompts use no sections or partials."""
    def var(m):
        name = m.group(1).strip()
        if name not in values:
            sys.exit("app: the prompt needs the variable %r" % name)
        return str(values[name])
    if re.search(r"\{\{\s*[#^/>!]", text):
        sys.exit("app: this app renders {{name}} tags only")
    return re.sub(r"\{\{([^{}]+)\}\}", var, text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message")
    parser.add_argument("--customer", default="there")
    parser.add_argument("--prompts", default="prompts.json")
    args = parser.parse_args()

    export = load_prompts(args.prompts)
    prompt = export["prompts"].get(PROMPT)
    if prompt is None:
        sys.exit("app: %s has no %s at label %r" % (args.prompts, PROMPT, export.get("label")))

    values = {}
    for name, spec in (prompt.get("variables") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            values[name] = spec["default"]
    values.update({"customer": args.customer, "message": args.message})

    request = dict(prompt.get("config") or {})
    request["messages"] = [{"role": m["role"], "content": render(m["content"], values)}
                           for m in prompt["messages"]]
    print("# %s@%s = version %s (%s)" % (PROMPT, export.get("label"), prompt["version"],
                                        prompt["id"][:12]), file=sys.stderr)
    print(json.dumps(request, indent=2))


main()
