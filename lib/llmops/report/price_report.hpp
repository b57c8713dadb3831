#pragma once
// Output of `llmops prices list`: the price table as terminal text and as JSON.

#include <string>
#include <vector>

#include <llmops/provider/pricing.hpp>

namespace llmops::report {

// One row per entry, in the order given. Prices are USD per million tokens; "-" where a model
// has no separate cached or cache-write price (the input price applies).
std::string prices_text(const std::vector<const provider::PriceEntry*>& entries);

// `{"unit": "USD per 1M tokens", "models": [{"provider", "model", "prefix", "input", "output",
// "cached_input", "cache_write", "long_context", "effective", "source"}]}`.
std::string prices_json(const std::vector<const provider::PriceEntry*>& entries);

} // namespace llmops::report
