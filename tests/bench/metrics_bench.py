#!/usr/bin/env python3
"""Metrics benchmark (issue 22): the cost of `llmops metrics` and of a `metrics serve` scrape on
a store of N imported calls and N eval results (default 1,000,000 each).

The store is made by `llmops init`, then filled with SQL (python's sqlite3, the schema as
llmops created it): calls spread over 50 prompts x 4 versions x 3 models (600 series, under the
default cap), latencies from 50 ms to 20 s; 100 finished runs of 20 suites holding the results,
each with its summary. Then it times, wall clock:
  - `llmops metrics > /dev/null` (a full aggregation, as cron with -o does it), best of 3;
  - `llmops metrics serve`: the first scrape (reads every call), then 10 scrapes with nothing
    new (the median), then a scrape after 10,000 more calls were inserted.
Run it on an idle machine; it prints the machine's load average with the numbers.

Usage: python3 tests/bench/metrics_bench.py [--calls N] [--results N] [--keep DIR] [--binary B]
"""

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fill_calls(db, first, count):
    rows = []
    for i in range(first, first + count):
        prompt = f"app/prompt-{i % 50}"
        rows.append((f"{i:016x}", f"{i:032x}", 1795424400000000000 + i * 1_000_000,
                     "2026-11-24T00:00:00.000Z", prompt, str(1 + i // 50 % 4),
                     ("gpt-4o-mini", "gpt-4o", "claude-3-5-haiku")[i % 3], "openai", "chat",
                     "{}", "[]", "billing", 100 + i % 50, 3 + i % 5, 50 + (i * 7919) % 20000,
                     0.0001 * (1 + i % 3), 1 if i % 97 == 0 else 0, "otlp", "{}",
                     "2026-11-24T00:00:00Z"))
    db.executemany(
        "INSERT INTO calls(span_id, trace_id, time_unix_ns, time, prompt, prompt_version, model, "
        "provider, operation, vars, messages, output, input_tokens, output_tokens, latency_ms, "
        "cost_usd, error, source, attributes, imported_at) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def fill_runs(db, results):
    per_run = results // 100
    for run in range(1, 101):
        suite = f"evals/suite-{run % 20}.yaml"
        summary = {"run": run, "status": "complete", "variants": [
            {"variant": 0, "label": "p@1 | echo", "results": per_run, "pass": per_run * 9 // 10,
             "fail": per_run - per_run * 9 // 10, "errors": 0, "pass_rate": 0.9,
             "mean_score": 0.9, "cost_usd": 1.5}]}
        db.execute("INSERT INTO runs(id, suite_path, suite_hash, dataset_hash, description, "
                   "provenance, status, started_at, ended_at, summary) VALUES "
                   "(?, ?, 'h', 'd', '', '{}', 'complete', '2026-11-24T00:00:00Z', "
                   "'2026-11-24T00:01:00Z', ?)", (run, suite, json.dumps(summary)))
        db.execute("INSERT INTO run_variants VALUES (?, 0, 'p@1 | echo', 'p', 'id', 'echo', "
                   "'echo', '{}')", (run,))
        db.executemany(
            "INSERT INTO results(run_id, variant, case_id, repeat, case_index, status, score, "
            "reason, output, assertions, vars, prompt, description, input_tokens, "
            "output_tokens, cached_input_tokens, reasoning_tokens, tokens_estimated, cost_usd, "
            "latency_ms, cached, finish_reason, created_at) VALUES (?, 0, ?, 0, ?, 'pass', 1, "
            "'', 'out', '[]', '{}', '[]', '', 10, 2, 0, 0, 0, 0.0001, 100, 0, 'stop', 't')",
            [(run, f"case-{i}", i) for i in range(per_run)])


def scrape(port):
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        body = r.read()
    return time.perf_counter() - start, len(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--results", type=int, default=1_000_000)
    ap.add_argument("--keep", help="build the store here and keep it")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/cmd/llmops"))
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="llmops-metrics-bench-")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, NO_COLOR="1")
    subprocess.run([args.binary, "init"], cwd=work, check=True, capture_output=True)
    db = sqlite3.connect(os.path.join(work, ".llmops/llmops.db"))
    t = time.perf_counter()
    fill_calls(db, 0, args.calls)
    fill_runs(db, args.results)
    db.commit()
    print(f"store: {args.calls} calls, {args.results} results, filled in "
          f"{time.perf_counter() - t:.1f} s")

    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([args.binary, "metrics"], cwd=work, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - t)
    print(f"llmops metrics: {min(runs):.3f} s (best of 3)")

    serve = subprocess.Popen([args.binary, "metrics", "serve", "--listen", "127.0.0.1:0"],
                             cwd=work, env=env, stdout=subprocess.PIPE, text=True)
    try:
        port = int(serve.stdout.readline().strip().rsplit(":", 1)[1])
        first, size = scrape(port)
        print(f"first scrape: {first:.3f} s ({size} bytes)")
        later = [scrape(port)[0] for _ in range(10)]
        print(f"scrape with nothing new: {statistics.median(later) * 1000:.1f} ms (median of 10)")
        fill_calls(db, args.calls, 10_000)
        db.commit()
        print(f"scrape after 10,000 new calls: {scrape(port)[0] * 1000:.1f} ms")
    finally:
        serve.terminate()
        serve.wait()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
