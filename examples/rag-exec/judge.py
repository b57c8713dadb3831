#!/usr/bin/env python3
"""An offline stand-in for an LLM judge, run by llmops as an `exec:` provider.

llmops renders its judge prompt (prompts/judge/<type>.yaml in the llmops sources) and sends it
as messages on stdin, like any exec: call; a model would read the instructions and answer with
a JSON verdict. This script recognises which judge prompt it was sent by its system message,
reads the <question>, <context> and <answer> sections of the user message and scores them by
word overlap: crude, deterministic and free, enough to show how the verdicts flow. Point
`judge.provider` at a real model (openai:gpt-4o-mini) for judgements worth trusting.
"""
import json
import re
import sys

STOP = set("a an and are at be by can do does for from how i in is it its me my of on or the "
           "to we what when where which who why will with you your".split())


def words(text):
    out = set()
    for w in re.findall(r"[a-z0-9$.%-]+", text.lower()):
        w = w.strip(".-")
        if w and w not in STOP:
            out.add(w[:-1] if len(w) > 3 and w.endswith("s") else w)
    return out


def section(text, tag):
    m = re.search(r"<%s>\n?(.*?)\n?</%s>" % (tag, tag), text, re.S)
    return m.group(1).strip() if m else ""


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def faithfulness(question, context, answer):
    """Share of the answer's sentences whose words are (mostly) in the context."""
    claims = sentences(answer)
    if not claims:
        return 1.0, "the answer makes no claim"
    known = words(context)
    supported = [c for c in claims if len(words(c) & known) >= 0.7 * max(1, len(words(c)))]
    return (len(supported) / len(claims),
            "%d of %d sentences of the answer are supported by the context"
            % (len(supported), len(claims)))


def context_relevance(question, context, answer):
    """Share of the context's sentences sharing a word with the question."""
    parts = sentences(context)
    if not parts:
        return 0.0, "no context was retrieved"
    q = words(question)
    relevant = [p for p in parts if q & words(p)]
    return (len(relevant) / len(parts),
            "%d of %d sentences of the context bear on the question" % (len(relevant), len(parts)))


def answer_relevance(question, context, answer):
    """Share of the question's words the answer takes up."""
    q = words(question)
    if not q:
        return 1.0, "the question has no content words"
    hit = q & words(answer)
    return (len(hit) / len(q),
            "the answer takes up %d of the question's %d key words" % (len(hit), len(q)))


JUDGES = [
    ("You check an answer against the context", faithfulness),
    ("You judge retrieved context", context_relevance),
    ("You rate how relevant an answer is", answer_relevance),
]


def main():
    request = json.load(sys.stdin)
    system = request["messages"][0]["content"]
    user = request["messages"][-1]["content"]
    for opening, judge in JUDGES:
        if system.startswith(opening):
            score, reason = judge(section(user, "question"), section(user, "context"),
                                  section(user, "answer"))
            verdict = {"reason": reason, "score": round(score, 3)}
            # The exec: protocol: a JSON object on stdout carries the answer text in "output";
            # the answer text is the verdict, as a judge model would write it.
            print(json.dumps({"output": json.dumps(verdict), "cost": 0}))
            return
    print(json.dumps({"error": "judge.py does not know this judge prompt: %r" % system[:60]}))


main()
