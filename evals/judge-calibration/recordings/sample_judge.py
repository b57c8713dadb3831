#!/usr/bin/env python3
"""A stand-in judge for making this example's sample recordings (see README.md).

Run as an `exec:` judge: reads the rendered judge prompt on stdin. For llm-rubric it passes a
reply that sounds polite and is more than a few words (so it misses an over-promise, r5, and
passes a polite non-answer, r7: the kind of disagreement calibration is for); for select-best it
prefers the longer reply, except that when two replies are of similar length it picks the first
one shown (a position bias that calibration measures).
"""
import json
import re
import sys

POLITE = ("thanks", "thank you", "sorry", "please", "happy to")


def main():
    request = json.load(sys.stdin)
    system = " ".join(request["messages"][0]["content"].split())
    user = request["messages"][-1]["content"]
    if "pick the one that best meets" in system:
        outputs = re.findall(r'<output index="(\d+)">\n(.*?)\n</output>', user, re.S)
        lengths = [len(text.split()) for _, text in outputs]
        if max(lengths) - min(lengths) <= 5:
            choice = 0
        else:
            choice = lengths.index(max(lengths))
        verdict = {"reason": "output %d is the more complete" % choice, "choice": choice}
    else:
        reply = re.search(r"<output>\n(.*?)\n</output>", user, re.S).group(1)
        polite = any(p in reply.lower() for p in POLITE)
        long_enough = len(reply.split()) >= 6
        ok = polite and long_enough
        verdict = {"reason": "polite and substantive" if ok else ("too short" if not long_enough else "not polite"),
                   "pass": ok, "score": 1.0 if ok else 0.0}
    print(json.dumps({"output": json.dumps(verdict), "usage": {"input": len(user.split()) + 150, "output": 30}}))


main()
