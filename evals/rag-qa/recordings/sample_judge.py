#!/usr/bin/env python3
"""A stand-in judge for making this suite's sample recordings (see README.md).

Run as an `exec:` judge: reads the rendered judge prompt (llmops's shipped prompts/judge/*.yaml)
on stdin, recognises which RAG assertion asks, scores it by word overlap, and answers with the
JSON verdict the prompt asks for. A real judge model reads meaning; this one only counts words,
which is enough to make sample verdicts that differ between good and bad answers.
"""
import json
import re
import sys

STOP = set("a an the of to in on for is are can do does i my what which how many days with from by it and or be".split())


def words(text):
    return {w for w in re.findall(r"[a-z0-9.]+", text.lower()) if w not in STOP}


def block(text, tag):
    m = re.search(r"<%s>\n(.*?)\n</%s>" % (tag, tag), text, re.S)
    return m.group(1) if m else ""


def overlap(part, whole):
    p = words(part)
    return len(p & words(whole)) / len(p) if p else 1.0


def main():
    request = json.load(sys.stdin)
    system = " ".join(request["messages"][0]["content"].split())
    user = request["messages"][-1]["content"]
    context, answer = block(user, "context"), block(user, "answer")
    question = block(user, "question")
    if "factual claims" in system:  # context-faithfulness
        claims = [s for s in re.split(r"(?<=\.)\s+", answer) if s.strip()]
        supported = [overlap(c, context) >= 0.75 for c in claims]
        score = sum(supported) / len(claims) if claims else 1.0
        verdict = {"claims": [{"claim": c, "supported": s} for c, s in zip(claims, supported)],
                   "reason": "%d of %d claims found in the context" % (sum(supported), len(claims)),
                   "score": round(score, 3)}
    elif "retrieved context for a question" in system:  # context-relevance
        sentences = [s for s in re.split(r"(?<=\.)\s+", context) if s.strip()]
        relevant = sum(1 for s in sentences if overlap(question, s) >= 0.3)
        verdict = {"relevant": relevant, "total": len(sentences),
                   "reason": "%d of %d sentences help answer the question" % (relevant, len(sentences)),
                   "score": round(relevant / len(sentences), 3) if sentences else 0}
    elif "information of a reference answer" in system:  # context-recall
        reference = block(user, "reference_answer")
        score = overlap(reference, context)
        verdict = {"statements": [{"statement": reference, "in_context": score >= 0.6}],
                   "reason": "%.0f%% of the reference's words are in the context" % (100 * score),
                   "score": round(score, 3)}
    else:  # answer-relevance
        score = min(1.0, 2 * overlap(question, answer))
        verdict = {"reason": "the answer shares %.0f%% of the question's words" % (50 * score),
                   "score": round(score, 3)}
    print(json.dumps({"output": json.dumps(verdict), "usage": {"input": len(user.split()) + 120, "output": 40}}))


main()
