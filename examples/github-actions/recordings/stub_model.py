#!/usr/bin/env python3
"""A stand-in model that wrote the sample answers in answers.jsonl (see ../README.md).

Run as an `exec:` provider: reads llmops's request JSON on stdin and prints an answer. It
behaves like a small model following the prompt more or less well: it spots sentiment words,
calls a mixed review neutral only when the prompt says so, and answers in JSON only when the
prompt asks for JSON. Hand-written, deterministic, not a real model.
"""
import json
import re
import sys

POSITIVE = {"love", "perfectly", "great", "excellent", "best", "comfortable", "sturdy", "fast",
            "gorgeous", "quiet", "buy"}
NEGATIVE = {"stopped", "useless", "broke", "broken", "terrible", "returned", "loud", "slow",
            "crashing", "waste", "leaks"}


def classify(review, system):
    words = re.findall(r"[a-z]+", review.lower())
    hits = [w for w in words if w in POSITIVE or w in NEGATIVE]
    if not hits:
        return "neutral"
    mixed = any(w in POSITIVE for w in hits) and any(w in NEGATIVE for w in hits)
    if mixed and "both praises and criticises" in system:
        return "neutral"
    # Without the rule, the first sentiment word wins (a common small-model mistake).
    return "positive" if hits[0] in POSITIVE else "negative"


def main():
    request = json.load(sys.stdin)
    messages = request["messages"]
    system = messages[0]["content"]
    review = messages[-1]["content"]
    label = classify(review, system)
    if "JSON" in system:
        text = json.dumps({"sentiment": label})
    else:
        text = label.capitalize() + "."
    print(json.dumps({
        "output": text,
        "tokenUsage": {"prompt": (len(request["prompt"]) + 3) // 4,
                       "completion": (len(text) + 3) // 4},
    }))


main()
