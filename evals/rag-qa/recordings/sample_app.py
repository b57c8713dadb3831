#!/usr/bin/env python3
"""A stand-in RAG app for making this suite's sample recordings (see README.md).

Run as an `exec:` provider: reads llmops's request JSON on stdin, retrieves the two documents
of a tiny corpus that share the most words with the question, and answers with a sentence of
the best one. It returns the retrieved chunks as `context`, which the RAG assertions judge.
One question retrieves the wrong documents and the app answers anyway: a hallucination the
judge should catch.
"""
import json
import re
import sys

CORPUS = [
    "Refunds: customers can ask for a refund within 30 days of purchase. Refunds go back to the original card.",
    "Exports: data can be exported as CSV or JSON from the settings page. Exports run in the background.",
    "Security: an admin resets two-factor authentication from the members page. Users cannot reset it themselves.",
    "Plans: the enterprise plan guarantees 99.9 percent uptime and includes a dedicated manager.",
    "Office: the office is open from 8 to 18 on weekdays. Parking is available on level -1.",
    "Billing: invoices are sent on the first day of each month by email.",
]
STOP = set("a an the of to in on for is are can do does i my what which how many days with from by".split())


def words(text):
    return {w for w in re.findall(r"[a-z0-9.]+", text.lower()) if w not in STOP}


def main():
    request = json.load(sys.stdin)
    question = request["prompt"]
    ranked = sorted(CORPUS, key=lambda doc: -len(words(doc) & words(question)))
    context = ranked[:2]
    best = context[0]
    if "dog" in question.lower():
        # Nothing in the corpus is about pets: a confident answer the context does not support.
        answer = "Yes, dogs are welcome in the office every day."
    else:
        sentence = best.split(": ", 1)[1].split(". ")[0].rstrip(".")
        answer = sentence[0].upper() + sentence[1:] + "."
    tokens = len(question.split()) + sum(len(c.split()) for c in context)
    print(json.dumps({"output": answer, "context": context,
                      "usage": {"input": tokens + 40, "output": len(answer.split())}}))


main()
