#!/usr/bin/env python3
"""A tiny RAG app: retrieves paragraphs of corpus/*.md by keyword overlap with the question and
answers with the best-matching sentence. No model, no network: small enough to read in a
minute, real enough to evaluate (retrieval can miss, answers can be incomplete).

As an llmops `exec:` provider it reads the request JSON on stdin (the question is the variable
`question`) and prints {"output": answer, "context": [retrieved chunks]}. From a shell:
    python3 rag.py "How long are backups kept?"
"""
import argparse
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
STOP = set("a an and are at be by can do does for from how i in is it its me my of on or the "
           "to we what when where which who why will with you your".split())


def words(text):
    """Content words, lowercased, with a plural 's' dropped."""
    out = set()
    for w in re.findall(r"[a-z0-9$.%-]+", text.lower()):
        w = w.strip(".-")
        if w and w not in STOP:
            out.add(w[:-1] if len(w) > 3 and w.endswith("s") else w)
    return out


def chunks():
    for path in sorted((HERE / "corpus").glob("*.md")):
        for paragraph in path.read_text().split("\n\n"):
            text = " ".join(line.strip() for line in paragraph.splitlines())
            if text and not text.startswith("#"):
                yield text


def retrieve(question, top_k):
    q = words(question)
    scored = [(len(q & words(c)), c) for c in chunks()]
    scored = [s for s in scored if s[0] > 0]
    scored.sort(key=lambda s: -s[0])  # stable: ties keep corpus order
    return [c for _, c in scored[:top_k]]


def answer(question, context):
    if not context:
        return "I don't know: the handbook does not cover that."
    q = words(question)
    sentences = [s for c in context for s in re.split(r"(?<=[.!?])\s+", c) if s]
    return max(sentences, key=lambda s: len(q & words(s)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("question", nargs="?")
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--chatty", action="store_true",
                        help="add a friendly sentence the handbook does not back (a hallucination)")
    args = parser.parse_args()
    question = args.question
    if question is None:
        request = json.load(sys.stdin)
        question = request["vars"].get("question") or request["prompt"]
    context = retrieve(question, args.top_k)
    text = answer(question, context)
    if args.chatty and context:
        text += " Our support team is also available by phone around the clock."
    # cost 0: a local app (without it, llmops reports the cost as unknown, never as zero)
    print(json.dumps({"output": text, "context": context, "cost": 0}))


main()
