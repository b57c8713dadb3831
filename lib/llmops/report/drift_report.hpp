#pragma once
// `llmops drift`'s output: a terminal table that fits 80 columns, stable JSON and Markdown
// (docs/drift.md documents the JSON fields).

#include <string>

#include <llmops/online/drift.hpp>

namespace llmops::report {

// The windows, then a row per statistic (feature, statistic, reference, current, value, p,
// threshold, ALARM/ok/n-a), then the alarms or "no drift past the thresholds". Fits 80 columns
// with the default thresholds.
std::string drift_text(const online::DriftReport& report);

// `{"prompt", "version", "model", "reference": window, "current": window, "thresholds",
// "alarm", "alarms", "rows": [row]}`, window `{"since", "until", "calls"}` (ISO 8601 or null),
// row `{"feature", "statistic", "summary", "reference", "current", "value", "p_value",
// "interval", "threshold", "status", "note"}`; numbers null when not available, `status` "ok",
// "alarm" or "unavailable".
std::string drift_json(const online::DriftReport& report);

// The report's `rows` array as drift_json writes it, compact (one line): what the store keeps of
// a drift check (`drift_checks.statistics`).
std::string drift_rows_json(const online::DriftReport& report);

// The report as Markdown (a heading, the windows, a table), for a CI summary or an issue.
std::string drift_markdown(const online::DriftReport& report);

} // namespace llmops::report
