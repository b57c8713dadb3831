"""Writes traffic.jsonl: a made-up week of production calls of support/triage, 2026-11-01 to
2026-11-07, as an app that logs llmops's JSONL form would. Deterministic (no randomness but a
seeded generator), offline, standard library only.

- Each user is assigned a version by llmops's documented rule (sha256-mod-10000/v1) on the
  label's 90/10 split of versions 1 and 2, so one user always sees one version.
- Version 1 answers wrongly or refuses about 15% of the time; version 2 about 2%.
- On the last day (2026-11-07) the tickets change: longer, about a new product (drift).
"""
import hashlib
import json
import random

CATEGORIES = {
    "billing": ["I was charged twice for my plan", "Refund my last invoice please",
                "My card was declined at checkout", "Why did my price go up"],
    "bug": ["The app crashes when I open settings", "Export to CSV gives an empty file",
            "The page is blank after login", "Search returns nothing"],
    "account": ["I cannot reset my password", "Please delete my account",
                "How do I change my email", "Two-factor codes never arrive"],
}
DRIFTED = ["The new smart thermostat integration keeps disconnecting from the hub every night "
           "and the firmware update screen shows error 0x42 before the device reboots itself",
           "After pairing the thermostat with the mobile app the schedule I configured for the "
           "heating zones disappears and the hub reports an unknown device in the living room"]


def bucket(prompt, label, unit):
    digest = hashlib.sha256(f"{prompt}/{label}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000


def version_of(user):
    return 1 if bucket("support/triage", "production", user) < 9000 else 2


def answer(rng, version, category, drifted):
    error_rate = (0.15 if version == 1 else 0.02) + (0.25 if drifted else 0.0)
    if rng.random() >= error_rate:
        return category
    return "I cannot help with that." if rng.random() < 0.5 else "other"


def main():
    rng = random.Random(7)
    with open("traffic.jsonl", "w") as out:
        for n in range(2100):
            day = 1 + n // 300
            drifted = day == 7
            user = f"user-{rng.randrange(1500)}"
            version = version_of(user)
            category = rng.choice(sorted(CATEGORIES))
            ticket = rng.choice(DRIFTED) if drifted and rng.random() < 0.6 else \
                rng.choice(CATEGORIES[category])
            minute = (n % 300) * 3
            call = {
                "span_id": f"call-{n:05d}",
                "time": f"2026-11-{day:02d}T{minute // 60 + 6:02d}:{minute % 60:02d}:00Z",
                "prompt": f"support/triage@{version}",
                "model": "gpt-4o-mini",
                "vars": {"ticket": ticket},
                "messages": [{"role": "user", "content": ticket}],
                "output": answer(rng, version, category, drifted),
                "input_tokens": 60 + len(ticket) // 4,
                "output_tokens": 2,
                "latency_ms": 300 + rng.randrange(200),
                "user": user,
            }
            out.write(json.dumps(call) + "\n")


main()
