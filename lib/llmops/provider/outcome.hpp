#pragma once
// One finished call, and its JSON form: the value stored in the response cache and in replay
// files (SPEC §5). The JSON form never holds a secret: it is built from the result only.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <llmops/provider/types.hpp>
#include <llmops/util/error.hpp>

namespace llmops::provider {

// One finished call.
struct CallOutcome {
    CompletionResult result;
    double latency_ms = 0;
    std::optional<double> first_byte_ms; // time to first token when streamed (first body byte)
    int attempts = 1;
    std::optional<double> cost_usd; // nothing when the model is unpriced
    bool cached = false;            // answered from the response cache (cost then counts 0 spent)
    bool replayed = false;          // answered from a replay file
};

// Returns `outcome` as JSON: {"output", "finish_reason", "refusal" (null when none),
// "tool_calls" (parsed JSON or null), "usage": {"input", "output", "cached_input",
// "cache_write", "reasoning", "estimated"}, "latency_ms", "first_byte_ms" (null when not
// streamed)}. Cost, attempts and the cached/replayed flags are not part of it: they belong to
// the call that reads it back.
nlohmann::json outcome_to_json(const CallOutcome& outcome);

// Reads what outcome_to_json wrote. Missing (or null) optional fields take their defaults; a
// missing or mistyped `output` or `usage` fails with `invalid_input` naming the field
// ("response.output is missing", "response.output is not a string", "response.usage is not an
// object"), and so does a mistyped optional field ("response.usage.input is not a non-negative
// integer", "response.latency_ms is not a non-negative number", "response.refusal is not a
// string"). A `tool_calls` string is taken as the text itself (outcome_to_json stores text
// that is not JSON that way).
Expected<CallOutcome> outcome_from_json(const nlohmann::json& value);

// Reads a response cache entry (outcome_to_json's text) as a cache hit (`cached` set). Fails
// with `invalid_input` when the entry is not JSON or not an outcome: callers treat that as a
// miss.
Expected<CallOutcome> cached_outcome(std::string_view stored);

} // namespace llmops::provider
