#!/usr/bin/env python3
"""Eval benchmark (docs/benchmarks.md, "Evals"): a 100,000-case suite on `echo` with three
deterministic assertions per case (contains, not-contains, regex from CSV `__expected` columns),
run end to end (store writes included), then exported to JSON and CSV.

Usage: tests/bench/eval_bench.py [--cases N] [--llmops build/llmops] [--keep DIR]
Prints wall time and peak memory (max RSS of the llmops process) of each step.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--llmops", default=os.path.join(os.path.dirname(__file__), "../../build/cmd/llmops"))
    ap.add_argument("--keep", help="write the suite here and keep it")
    args = ap.parse_args()
    exe = os.path.abspath(args.llmops)
    work = args.keep or tempfile.mkdtemp(prefix="llmops-eval-bench-")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "cases.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["__id", "question", "__expected1", "__expected2", "__expected3"])
        for i in range(args.cases):
            w.writerow([f"case-{i}", f"What is {i} plus {i}?", f"contains: {i} plus",
                        "not-contains: forbidden", f"regex:^Q: What is \\d+ plus"])
    with open(os.path.join(work, "suite.yaml"), "w") as f:
        f.write("description: eval benchmark\n"
                "prompts:\n  - 'Q: {{question}}'\n"
                "providers:\n  - echo\n"
                "tests: file://cases.csv\n")
    subprocess.run([exe, "init"], cwd=work, check=True, stdout=subprocess.DEVNULL)
    steps = [
        ("validate", [exe, "eval", "--validate", "suite.yaml"]),
        ("eval", [exe, "eval", "suite.yaml", "--no-progress", "-j", "64"]),
        ("export json", [exe, "runs", "export", "latest", "-o", "out.json"]),
        ("export csv", [exe, "runs", "export", "latest", "-o", "out.csv"]),
    ]
    print(f"{args.cases} cases, 3 assertions each, echo provider ({work})")
    for name, cmd in steps:
        # A fresh Python child per step so that ru_maxrss is this step's own peak.
        probe = subprocess.run(
            [sys.executable, "-c",
             "import resource,subprocess,sys,time;"
             "t=time.monotonic();p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE,text=True);"
             "w=time.monotonic()-t;r=resource.getrusage(resource.RUSAGE_CHILDREN);"
             "print(p.returncode,w,r.ru_utime+r.ru_stime,r.ru_maxrss/1024.0);"
             "sys.stderr.write(p.stderr[-300:])"] + cmd,
            cwd=work, capture_output=True, text=True)
        code, wall, cpu, rss = probe.stdout.split()
        print(f"{name:12s} exit {code}  wall {float(wall):6.2f} s  cpu {float(cpu):6.2f} s  peak {float(rss):6.1f} MB")
        if code not in ("0", "1"):
            print(probe.stderr, file=sys.stderr)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
