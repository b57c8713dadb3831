#pragma once
// Cases taken from production traces (SPEC §14, docs/online-evals.md): a suite's
// `tests: {traces: {prompt: support/triage, since: 24h, sample: 500, seed: 1}}` grades the
// answers users got. Each sampled call becomes a case: its id is the call's span id, its vars the
// call's, and its answer the recorded one, which the `traces` provider gives back, so no model
// is called; a suite that names real providers instead replays the production inputs on them.

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/database.hpp>

namespace llmops::eval {

// The text of the prompt a suite grading production calls runs when it names none: each case
// sends its recorded messages instead (Matrix::request).
inline constexpr std::string_view k_recorded_prompt =
    "(the recorded prompt of each production call)";

// Reads the `traces` map of `tests` (`where` names `tests`). Fails with `invalid_input` naming
// the key: unknown keys, a missing prompt, a sample that is not a positive integer, a stratify
// other than `version`.
Expected<TraceQuery> parse_trace_query(const nlohmann::json& tests, std::string_view where);

// The query as a run's provenance keeps it (`traces`): prompt, version, model, the resolved
// window (`since`, `until`: ISO 8601 or null), sample, seed, stratify.
nlohmann::json trace_query_json(const TraceQuery& q);

// The recorded call `call` as a case built on `defaults` (the suite's defaultTest, vars and
// assert): id the span id, vars the defaults' under the call's, metadata the call's facts.
TestCase case_from_call(const store::CallRecord& call, const TestCase& defaults);

// Fills `suite.tests` with the calls `suite.traces` selects in [since, until) (resolved by the
// caller, which knows the time), oldest first, and sets the dataset hash (of the span ids).
// Calls that failed or recorded no output have no answer to grade: they are not cases (`traces
// stats` counts them).
// Fails with `invalid_input` when no call matches (naming the prompt and the window), `io`.
Expected<void> load_trace_cases(store::Database& db, Suite& suite,
                                std::optional<int64_t> since_unix_ns,
                                std::optional<int64_t> until_unix_ns);

} // namespace llmops::eval
