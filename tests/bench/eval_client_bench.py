#!/usr/bin/env python3
"""Eval overhead against a tight client (SPEC §13 "Overhead", docs/benchmarks.md "Evals").

One loopback OpenAI-compatible server answering after DELAY ms (engine_bench.cpp's `serve`, with
cpp-httplib's keep-alive, backlog and compression pitfalls fixed) is driven in turn by

  - `llmops eval` of a promptfoo config (one prompt, openai:gpt-4o-mini, a CSV of CASES
    questions, one `contains` assertion) at -j JOBS, writing `-o results.json`: process start,
    suite load, the run, the store and the export all counted, in a fresh project each time;
  - `llmops_bench_engine client`: the same number of requests of the same shape over JOBS
    keep-alive connections (libcurl multi, nothing else done with the answers).

Runs alternate (client, eval, client, eval, ...) so that a loaded machine slows both alike, and
the script prints each run's wall time, CPU time (user + sys) and peak RSS, then the ratio eval /
client: the figure a slow machine cannot hide. Target: at most 1.03.

Usage: tests/bench/eval_client_bench.py [--cases 1000] [--jobs 64] [--delay 50] [--runs 3]
       [--no-build] [--keep DIR]
"""
import argparse
import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs argv and reports (exit code, wall s, cpu s, max RSS MB) of that process alone: a fresh
# Python child per measurement, so RUSAGE_CHILDREN is this command's own.
PROBE = ("import resource,subprocess,sys,time;"
         "t=time.monotonic();p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,"
         "stderr=subprocess.PIPE,text=True);w=time.monotonic()-t;"
         "r=resource.getrusage(resource.RUSAGE_CHILDREN);"
         "print(p.returncode,w,r.ru_utime+r.ru_stime,r.ru_maxrss/1024.0);"
         "sys.stderr.write(p.stderr[-400:])")


def measure(cmd, cwd, env):
    probe = subprocess.run([sys.executable, "-c", PROBE] + cmd, cwd=cwd, env=env,
                           capture_output=True, text=True)
    code, wall, cpu, rss = probe.stdout.split()
    if code not in ("0",):
        sys.stderr.write(f"{cmd[0]} exited {code}: {probe.stderr}\n")
    return int(code), float(wall), float(cpu), float(rss)


def write_suite(work, cases):
    with open(os.path.join(work, "cases.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["question"])
        for i in range(cases):
            w.writerow([f"question {i}"])
    with open(os.path.join(work, "promptfooconfig.yaml"), "w") as f:
        f.write("description: eval against a tight client\n"
                "prompts:\n  - 'Q: {{question}}'\n"
                "providers:\n  - openai:gpt-4o-mini\n"
                "defaultTest:\n  assert:\n    - type: contains\n      value: ok\n"
                "tests: file://cases.csv\n")


def start_server(bench, delay):
    for _ in range(20):
        port = random.randint(20000, 40000)
        server = subprocess.Popen([bench, "serve", str(port), str(delay)],
                                  stderr=subprocess.PIPE, text=True)
        line = server.stderr.readline()
        if "serving" in line:
            return server, port
        server.wait()
    sys.exit("cannot start the server")


def summary(name, rows, calls):
    walls = sorted(r[1] for r in rows)
    cpus = sorted(r[2] for r in rows)
    rss = max(r[3] for r in rows)
    print(f"{name:7s} wall min {walls[0]:.3f} s  median {statistics.median(walls):.3f} s   "
          f"cpu median {statistics.median(cpus):.3f} s ({1000 * statistics.median(cpus) / calls:.3f}"
          f" ms per call)   peak RSS {rss:.1f} MB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=64)
    ap.add_argument("--delay", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--keep", help="write the suite and the projects here and keep them")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    llmops = os.path.join(args.build, "cmd", "llmops")
    bench = os.path.join(args.build, "tests", "llmops_bench_engine")
    if not args.no_build:
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "build.sh"), "release", "llmops",
                        "llmops_bench_engine"], check=True, stdout=subprocess.DEVNULL)
    work = args.keep or tempfile.mkdtemp(prefix="llmops-client-bench-")
    os.makedirs(work, exist_ok=True)
    write_suite(work, args.cases)
    server, port = start_server(bench, args.delay)
    base = f"http://127.0.0.1:{port}/v1"
    env = dict(os.environ, OPENAI_BASE_URL=base, OPENAI_API_KEY="sk-bench", NO_COLOR="1")
    env.pop("LLMOPS_DIR", None)
    print(f"{args.cases} cases at -j {args.jobs}, server answering after {args.delay} ms; "
          f"{os.cpu_count()} cpus; load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    evals, clients, ratios = [], [], []
    try:
        for n in range(args.runs):
            c = measure([bench, "client", base, str(args.cases), str(args.jobs)], work, env)
            shutil.rmtree(os.path.join(work, ".llmops"), ignore_errors=True)
            subprocess.run([llmops, "init"], cwd=work, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            e = measure([llmops, "eval", "-j", str(args.jobs), "--no-progress", "-o",
                         "results.json"], work, env)
            clients.append(c)
            evals.append(e)
            ratios.append(e[1] / c[1])
            print(f"run {n + 1}: client {c[1]:.3f} s (cpu {c[2]:.3f} s)   eval {e[1]:.3f} s "
                  f"(cpu {e[2]:.3f} s, {e[3]:.1f} MB, exit {e[0]})   ratio {ratios[-1]:.3f}   "
                  f"load {os.getloadavg()[0]:.2f}")
    finally:
        ticks = open(f"/proc/{server.pid}/stat").read().split()
        server_cpu = (int(ticks[13]) + int(ticks[14])) / os.sysconf("SC_CLK_TCK")
        server.terminate()
        server.wait()
    summary("client", clients, args.cases)
    summary("eval", evals, args.cases)
    print(f"ratio eval/client: median {statistics.median(ratios):.3f}, "
          f"min-to-min {min(e[1] for e in evals) / min(c[1] for c in clients):.3f} "
          f"(target <= 1.03); server cpu {server_cpu:.2f} s in all")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
