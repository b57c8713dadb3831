#pragma once
// Output of `llmops traces`: the import's summary, calls as a table and as JSON (docs/traces.md
// documents the JSON).

#include <string>
#include <vector>

#include <llmops/store/calls.hpp>
#include <llmops/traces/import.hpp>
#include <llmops/traces/serve.hpp>
#include <llmops/traces/stats.hpp>

namespace llmops::report {

// `imported N calls (M already there, K skipped: not LLM calls, B bad) from FILE`, then the
// first problems, one per line, for stderr.
std::string import_summary_text(const traces::ImportSummary& summary, const std::string& file);

// The problems of an import, as `llmops: warning: file:line: why` lines (and how many more).
std::string import_problems_text(const traces::ImportSummary& summary);

// Two lines per call, newest first, fitted to `width` columns: time, prompt@version and model;
// then tokens, latency, cost, and the error or the start of the output. An empty list says
// `no calls`.
std::string calls_text(const std::vector<store::CallRecord>& calls, size_t width);

// A JSON array of calls, one object each (every column of the store; vars, messages and
// attributes as JSON values), ending with a newline.
std::string calls_json(const std::vector<store::CallRecord>& calls);

// One call in full: its fields, one a line, then its messages and output.
std::string call_text(const store::CallRecord& call);

// One call as the object `calls_json` writes for each, ending with a newline.
std::string call_json(const store::CallRecord& call);

// A row per (prompt, version, model) and a total: calls, error rate, tokens, cost, latency
// p50/p95, mean feedback; the label on its own line when the row would not fit `width`
// columns. No calls says `no calls`.
std::string call_stats_text(const traces::CallStats& stats, size_t width);

// `{"groups": [group], "total": group}`, each group `{"prompt", "version", "model", "calls",
// "errors", "error_rate", "input_tokens", "output_tokens", "cost_usd", "unpriced",
// "latency_p50_ms", "latency_p95_ms", "feedback_mean", "feedback_count"}` (null: no data).
std::string call_stats_json(const traces::CallStats& stats);

// `llmops usage`: a row per group (its keys, then calls, error rate, tokens, cost, latency
// p50/p95) and a total, fitted to `width` columns: one line a row when the labels fit beside the
// numbers, else the label on its own line and the numbers below it (the least useful dropped
// when even they do not fit). Cost reads `unknown` when no call of the row was priced and
// `≥$x` when some were not. No calls says `no calls`.
std::string usage_text(const traces::UsageStats& usage, size_t width);

// `{"by": [key], "groups": [group], "total": group}`, each group its keys (as in `by`), then
// `{"calls", "errors", "error_rate", "input_tokens", "output_tokens", "cost_usd", "unpriced",
// "latency_p50_ms", "latency_p95_ms"}` (`cost_usd` null when no call was priced).
std::string usage_json(const traces::UsageStats& usage);

// `listening on http://HOST:PORT` (IPv6 hosts in brackets), the line `traces serve` starts with.
std::string listening_text(const std::string& host, int port);

// One request of `traces serve --verbose`: `POST /v1/traces 200: 2 new, 1 already there,
// 3 skipped, 0 rejected`, or the status and why it failed.
std::string request_log_text(const traces::RequestLog& log);

} // namespace llmops::report
