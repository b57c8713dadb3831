#!/usr/bin/env python3
"""Trace import benchmark (issue 18): N GenAI spans of OTLP JSON, as the collector's file
exporter writes them (one ExportTraceServiceRequest a line, many spans a line), imported with
`llmops traces import`; prints spans/s and the peak RSS (/usr/bin/time -v).

Each span is a chat call as an OpenAI instrumentation records it (semantic conventions 1.37):
model, provider, operation, tokens, input and output messages, llmops's prompt name, version and
two vars; one span in ten is an HTTP span (not an LLM call, skipped). Run it on an idle machine.

Usage: python3 tests/bench/traces_bench.py [--spans N] [--per-line K] [--keep DIR] [--binary B]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def attr(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def genai_span(i):
    start = 1795424400000000000 + i * 1_000_000
    ticket = f"Ticket {i}: my card was charged twice for order {i * 7 % 100000}"
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": ticket}]}])
    output = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "billing"}],
                          "finish_reason": "stop"}])
    return {
        "traceId": f"{i:032x}", "spanId": f"{i:016x}", "name": "chat gpt-4o-mini", "kind": 3,
        "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 400_000_000 + i % 1000),
        "attributes": [
            attr("gen_ai.operation.name", "chat"), attr("gen_ai.provider.name", "openai"),
            attr("gen_ai.request.model", "gpt-4o-mini"),
            attr("gen_ai.response.model", "gpt-4o-mini"),
            attr("gen_ai.usage.input_tokens", 100 + i % 50),
            attr("gen_ai.usage.output_tokens", 3 + i % 5),
            attr("gen_ai.input.messages", messages), attr("gen_ai.output.messages", output),
            attr("llmops.prompt.name", "support/triage"), attr("llmops.prompt.version", 3),
            attr("llmops.vars.ticket", ticket), attr("user.id", f"u-{i % 977}"),
        ],
        "status": {},
    }


def http_span(i):
    start = 1795424400000000000 + i * 1_000_000
    return {"traceId": f"{i:032x}", "spanId": f"h{i:015x}", "name": "POST /tickets", "kind": 2,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 500_000_000),
            "attributes": [attr("http.request.method", "POST"), attr("http.route", "/tickets")],
            "status": {}}


def write_spans(path, spans, per_line):
    """Writes `spans` spans (9 GenAI to 1 HTTP), `per_line` a line; returns the GenAI count."""
    genai = 0
    resource = {"attributes": [attr("service.name", "support-bot")]}
    with open(path, "w") as out:
        for first in range(0, spans, per_line):
            batch = []
            for i in range(first, min(first + per_line, spans)):
                if i % 10 == 9:
                    batch.append(http_span(i))
                else:
                    batch.append(genai_span(i))
                    genai += 1
            request = {"resourceSpans": [{"resource": resource, "scopeSpans": [
                {"scope": {"name": "openai"}, "spans": batch}]}]}
            out.write(json.dumps(request, separators=(",", ":")) + "\n")
    return genai


def timed(argv, cwd):
    """Runs `argv` under /usr/bin/time -v; returns (wall s, peak RSS in MB, CPU s, stdout)."""
    start = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v"] + argv, cwd=cwd, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", proc.stderr).group(1))
              for kind in ("User", "System"))
    return wall, rss / 1024, cpu, proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--per-line", type=int, default=100)
    parser.add_argument("--keep", help="work in this folder and keep it")
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "cmd", "llmops"))
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="llmops-traces-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        trace = os.path.join(work, "otel-traces.jsonl")
        t0 = time.monotonic()
        genai = write_spans(trace, args.spans, args.per_line)
        size = os.path.getsize(trace) / 1e6
        print(f"generated {args.spans} spans ({genai} GenAI), {size:.0f} MB, "
              f"in {time.monotonic() - t0:.1f} s")
        shutil.rmtree(os.path.join(work, ".llmops"), ignore_errors=True)
        subprocess.run([args.binary, "init"], cwd=work, check=True, capture_output=True)
        wall, rss, cpu, out = timed([args.binary, "traces", "import", trace], work)
        print(out.strip())
        print(f"import: {wall:.2f} s, {args.spans / wall:,.0f} spans/s "
              f"({genai / wall:,.0f} calls/s), CPU {cpu:.2f} s, peak RSS {rss:.0f} MB")
        wall, rss, cpu, out = timed([args.binary, "traces", "import", trace], work)
        print(f"again (all already there): {wall:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MB")
        wall, rss, cpu, _ = timed([args.binary, "usage", "--by", "prompt,version,model,day"],
                                  work)
        print(f"usage --by prompt,version,model,day: {wall:.2f} s, CPU {cpu:.2f} s, "
              f"peak RSS {rss:.0f} MB")
        print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
