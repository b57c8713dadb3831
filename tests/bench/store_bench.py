#!/usr/bin/env python3
"""Prompt-store benchmark (SPEC §13, issue 2). Run by hand, not in CI:

    scripts/build.sh release llmops && python3 tests/bench/store_bench.py [path/to/llmops]

Builds a project with 1,000 prompts x 10 versions (10,000 versions), then times the read
commands (median of repeated runs, wall clock, process start included), `--version`, and a
single commit of 10,000 new prompt files. Prints a Markdown table for docs/benchmarks.md.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLMOPS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cmd", "llmops")
ENV = dict(os.environ, NO_COLOR="1", LLMOPS_AUTHOR="bench <bench@example.com>")
ENV.pop("LLMOPS_DIR", None)


def run(cwd, *args):
    subprocess.run([LLMOPS, *args], cwd=cwd, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(cwd, *args):
    start = time.perf_counter()
    run(cwd, *args)
    return (time.perf_counter() - start) * 1000.0


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000.0


def median_ms(cwd, args, repeat=21, before_each=None):
    """Median and fastest wall time, and the median CPU time (user + sys) of `repeat` runs. On a
    shared machine the wall time follows the load; the fastest run and the CPU time much less."""
    run(cwd, *args)  # warm the page cache (and, for `prompt status`, write the stat index)
    walls, cpus = [], []
    for _ in range(repeat):
        if before_each:
            before_each()
        before = cpu_ms()
        walls.append(timed(cwd, *args))
        cpus.append(cpu_ms() - before)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def write_prompt(path, i, version):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f"description: benchmark prompt {i}\n"
                f"config:\n  model: gpt-4o-mini\n  temperature: 0\n"
                f"variables:\n  question:\n  context:\n    default: none\n"
                f"messages:\n  - role: system\n    content: |-\n"
                f"      You answer questions about product area {i}. Revision {version}.\n"
                f"      Use the context when it helps: {{{{context}}}}\n"
                f"  - role: user\n    content: \"{{{{question}}}}\"\n")


def main():
    results = []
    work = tempfile.mkdtemp(prefix="llmops-bench-")
    try:
        project = os.path.join(work, "p")
        os.makedirs(project)
        run(project, "init")
        paths = [os.path.join(project, "prompts", f"area{i % 100:02d}", f"p{i:04d}.yaml")
                 for i in range(1000)]
        commit_ms = []
        for version in range(1, 11):
            for i, path in enumerate(paths):
                write_prompt(path, i, version)
            commit_ms.append(timed(project, "prompt", "commit", "-m", f"revision {version}"))
        per_commit = statistics.median(commit_ms)
        results.append(("commit 1,000 changed files (1,000 versions)",
                        (per_commit, min(commit_ms), None),
                        f"{1000 / per_commit * 1000:,.0f} versions/s"))
        run(project, "prompt", "label", "set", "area07/p0007@5", "production")
        name = "area07/p0007"
        results.append(("`--version`", median_ms(project, ["--version"]), ""))
        results.append((f"`prompt log {name}` (10 versions)",
                        median_ms(project, ["prompt", "log", name]), ""))
        results.append(("`prompt log -n 20` (all 10,000 versions)",
                        median_ms(project, ["prompt", "log", "-n", "20"]), ""))
        results.append((f"`prompt show {name}@production`",
                        median_ms(project, ["prompt", "show", f"{name}@production"]), ""))
        results.append((f"`prompt diff {name}@3 {name}@9`",
                        median_ms(project, ["prompt", "diff", f"{name}@3", f"{name}@9"]), ""))
        results.append((f"`prompt diff {name}` (working file)",
                        median_ms(project, ["prompt", "diff", name]), ""))
        results.append(("`prompt status` (1,000 files, stat index written)",
                        median_ms(project, ["prompt", "status"]), ""))
        index = os.path.join(project, ".llmops", "index")
        results.append(("`prompt status`, stat index deleted before each run (every file read)",
                        median_ms(project, ["prompt", "status"],
                                  before_each=lambda: os.remove(index)), ""))
        results.append(("`prompt list` (1,000 prompts)",
                        median_ms(project, ["prompt", "list"]), ""))
        results.append(("`fsck` (10,000 versions)", median_ms(project, ["fsck"], repeat=5), ""))

        big = os.path.join(work, "big")
        os.makedirs(big)
        run(big, "init")
        for i in range(10000):
            write_prompt(os.path.join(big, "prompts", f"d{i % 100:02d}", f"q{i:05d}.yaml"), i, 1)
        ms = timed(big, "prompt", "commit", "-m", "import 10,000 prompts")
        results.append(("commit 10,000 new files in one command", (ms, ms, None),
                        f"{10000 / ms * 1000:,.0f} versions/s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"nproc {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| operation | median ms | fastest ms | CPU ms (median) | rate |")
    print("|---|---:|---:|---:|---|")
    for label, (median, fastest, cpu), rate in results:
        cpu_text = "" if cpu is None else f"{cpu:.1f}"
        print(f"| {label} | {median:.1f} | {fastest:.1f} | {cpu_text} | {rate} |")


if __name__ == "__main__":
    main()
