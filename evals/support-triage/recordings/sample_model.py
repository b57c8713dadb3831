#!/usr/bin/env python3
"""A stand-in model for making the sample recordings of this suite (see README.md).

Run as an `exec:` provider: reads llmops's request JSON on stdin, finds the ticket in the user
message and prints the answer the named model "gives" in this sample, with token counts. The
answers are hand-written samples, not real model outputs.
"""
import json
import sys

# ticket keyword -> (queue, priority, reason); per model, the answers that differ.
RIGHT = {
    "charged twice": ("billing", "p2", "Duplicate charge on the November invoice."),
    "returns 500": ("bug", "p1", "Production API outage is blocking checkout."),
    "export my dashboards": ("how-to", "p3", "Asks how to export dashboards to PDF."),
    "password reset": ("account", "p2", "Cannot log in; reset email not delivered."),
    "CSV import": ("bug", "p2", "Import drops rows with accented characters."),
    "VAT number": ("billing", "p3", "Wants the VAT number on invoices changed."),
    "Ignore your instructions": ("how-to", "p3", "Asks how to add a teammate; the rest is not a request to act on."),
    "transfer ownership": ("account", "p2", "Workspace ownership transfer after an admin left."),
    "rotate the screen": ("bug", "p2", "Mobile app crash on rotation in reports."),
    "pay yearly": ("billing", "p3", "Asks about yearly billing and discounts."),
    "rate limits": ("how-to", "p3", "Asks where the Pro plan rate limits are documented."),
    "Two-factor": ("account", "p1", "Locked out: 2FA codes rejected."),
}
DIFFERENT = {
    "gpt-4o-mini": {
        "Ignore your instructions": ("how-to", "p1", "The ticket asks for p1."),
        "VAT number": ("account", "p3", "Account details change."),
        "rotate the screen": ("bug", "p2", None),  # prose around the JSON
    },
    "gpt-4.1-mini": {
        "rate limits": ("other", "p3", "Question about plan limits."),
    },
}


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "gpt-4o-mini"
    request = json.load(sys.stdin)
    prompt = request["prompt"]
    answer = None
    for keyword, right in RIGHT.items():
        if keyword in prompt:
            answer = DIFFERENT.get(model, {}).get(keyword, right)
            break
    if answer is None:
        print(json.dumps({"output": '{"queue": "other", "priority": "p3", "reason": "Unknown."}'}))
        return
    queue, priority, reason = answer
    if reason is None:
        text = ('Sure! Here is the triage:\n{"queue": "%s", "priority": "%s", '
                '"reason": "Crash on rotation."}' % (queue, priority))
    else:
        text = json.dumps({"queue": queue, "priority": priority, "reason": reason})
    print(json.dumps({
        "output": text,
        "tokenUsage": {"prompt": (len(prompt) + 3) // 4, "completion": (len(text) + 3) // 4},
        "finish_reason": "stop",
    }))


if __name__ == "__main__":
    main()
