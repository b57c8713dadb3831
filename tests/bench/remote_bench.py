#!/usr/bin/env python3
"""Team-store benchmark (SPEC §16, issue 19). Run by hand, not in CI, as root or a user that can
run PostgreSQL (it starts its own, as `nobody` when root):

    scripts/build.sh release llmops && /usr/bin/python3 tests/bench/remote_bench.py [llmops]

Times, against a PostgreSQL 15 on loopback started in a temporary folder (fsync off, as the
tests run it): a push of 10,000 prompt versions, a push of one run of 100,000 results, the pull
of both into a second clone, and the latency of an app's label read through the
`llmops.current_prompts` view (psycopg2, one connection, the query the docs show). Prints a
Markdown table for docs/benchmarks.md.
"""
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLMOPS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cmd", "llmops")
PG_BIN = os.environ.get("LLMOPS_PG_BINDIR", "/usr/lib/postgresql/15/bin")
PASSWORD = "bench-password"
ENV = dict(os.environ, NO_COLOR="1", LLMOPS_AUTHOR="bench <bench@example.com>",
           PGPASSWORD=PASSWORD)
ENV.pop("LLMOPS_DIR", None)


def as_server_user():
    return ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []


def start_postgres(folder):
    data = os.path.join(folder, "data")
    os.makedirs(data)
    with open(os.path.join(folder, "pw"), "w") as f:
        f.write(PASSWORD + "\n")
    open(os.path.join(folder, "log"), "w").close()
    if os.geteuid() == 0:
        os.chmod(folder, 0o755)
        for path in (data, os.path.join(folder, "pw"), os.path.join(folder, "log")):
            shutil.chown(path, "nobody")
    subprocess.run(as_server_user() + [f"{PG_BIN}/initdb", "-D", data, "-U", "llmops",
                   "--auth-host=scram-sha-256", "--auth-local=trust",
                   f"--pwfile={folder}/pw", "-E", "UTF8", "--locale=C", "--no-sync"],
                   check=True, stdout=subprocess.DEVNULL, cwd=folder)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off -c full_page_writes=off"
    subprocess.run(as_server_user() + [f"{PG_BIN}/pg_ctl", "-D", data, "-l", f"{folder}/log",
                   "-w", "-o", options, "start"], check=True, stdout=subprocess.DEVNULL,
                   cwd=folder)
    return data, port


def stop_postgres(data, folder):
    subprocess.run(as_server_user() + [f"{PG_BIN}/pg_ctl", "-D", data, "-m", "immediate",
                   "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)


def llmops(cwd, *args, check=True):
    return subprocess.run([LLMOPS, *args], cwd=cwd, env=ENV, check=check,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def timed(cwd, *args):
    start = time.perf_counter()
    llmops(cwd, *args)
    return time.perf_counter() - start


def bundle(count):
    objects, prompts = {}, []
    for i in range(count):
        content = json.dumps({"template": f"Prompt number {i}: {{{{input}}}}"},
                             separators=(",", ":"))
        key = hashlib.sha256(content.encode()).hexdigest()
        objects[key] = content
        prompts.append({"name": f"bulk/p{i:05d}", "labels": {"production": 1},
                        "label_history": [{"label": "production", "from": None, "to": 1,
                                           "author": "bench", "message": "",
                                           "created_at": "2026-12-01T00:00:00.000Z"}],
                        "versions": [{"number": 1, "id": key, "parent": None, "message": "m",
                                      "author": "bench", "created_at": "2026-12-01T00:00:00.000Z"}]})
    return json.dumps({"format": "llmops-bundle/1", "objects": objects, "prompts": prompts})


def main():
    work = tempfile.mkdtemp(prefix="llmops-remote-bench-")
    os.chmod(work, 0o755)  # the server's user goes through it
    data, port = start_postgres(os.path.join(work, "pg"))
    url = f"postgresql://llmops@127.0.0.1:{port}/postgres"
    rows = []
    try:
        a, b = os.path.join(work, "a"), os.path.join(work, "b")
        for clone in (a, b):
            os.makedirs(clone)
            llmops(clone, "init")
            llmops(clone, "remote", "add", "origin", url)
        llmops(a, "remote", "init", "origin")
        with open(os.path.join(a, "bulk.json"), "w") as f:
            f.write(bundle(10000))
        llmops(a, "prompt", "import", "bulk.json")
        rows.append(("push of 10,000 prompt versions (and their labels)",
                     timed(a, "push", "--runs", "none")))
        with open(os.path.join(a, "cases.jsonl"), "w") as f:
            for i in range(100000):
                f.write(json.dumps({"vars": {"n": str(i)}}) + "\n")
        with open(os.path.join(a, "suite.yaml"), "w") as f:
            f.write("prompts: ['Echo {{n}}']\nproviders: [echo]\ntests: file://cases.jsonl\n"
                    "defaultTest:\n  assert: [{type: contains, value: Echo}]\n")
        llmops(a, "eval", "suite.yaml", check=False)
        rows.append(("push of a run of 100,000 results", timed(a, "push", "--runs", "latest")))
        rows.append(("pull of both into an empty clone", timed(b, "pull")))
        rows.append(("`prompt render NAME@production --remote origin` among 10,000 prompts "
                     "(median of 5, process start included)",
                     statistics.median(timed(a, "prompt", "render", "bulk/p00042@production",
                                             "--remote", "origin", "--var", "input=x")
                                       for _ in range(5))))
        rows.append(("`diff origin/latest latest` (100,000 results each side)",
                     timed(a, "diff", "origin/latest", "latest")))
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="llmops", password=PASSWORD,
                                dbname="postgres")
        latencies = []
        with conn.cursor() as cur:
            for i in range(2000):
                start = time.perf_counter()
                cur.execute("SELECT version, content FROM llmops.current_prompts "
                            "WHERE name = %s AND label = %s", (f"bulk/p{i % 10000:05d}", "production"))
                cur.fetchone()
                latencies.append((time.perf_counter() - start) * 1000.0)
        latencies.sort()
        print("| measure | result |\n|---|---:|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.2f} s |")
        print(f"| an app's label read through the view (2,000 reads, one connection) | "
              f"median {statistics.median(latencies):.2f} ms, p99 "
              f"{latencies[int(len(latencies) * 0.99)]:.2f} ms |")
    finally:
        stop_postgres(data, os.path.join(work, "pg"))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
