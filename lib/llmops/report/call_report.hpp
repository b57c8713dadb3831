#pragma once
// Output of `llmops ask`: one call as text (the output) or JSON (output, usage, cost, latency).

#include <string>

#include <llmops/provider/provider.hpp>

namespace llmops::report {

// `{"provider", "model", "output", "finish_reason", "refusal", "usage": {"input", "output",
// "cached_input", "cache_write", "reasoning", "estimated"}, "cost_usd" (null when unpriced),
// "latency_ms", "first_token_ms" (null unless streamed), "attempts", "cached"}`.
std::string call_json(const provider::ProviderSpec& spec, const provider::CallOutcome& outcome);

} // namespace llmops::report
