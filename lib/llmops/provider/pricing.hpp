#pragma once
// Prices and costs (SPEC §6): the price table compiled into the binary, project overrides, and
// the cost of one call's token usage.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::provider {

// Token counts of one call. `input` counts every prompt token, including the `cached_input`
// (read from the provider's prompt cache) and `cache_write` ones; `output` counts every
// generated token, including `reasoning` ones.
struct Usage {
    int64_t input = 0;
    int64_t output = 0;
    int64_t cached_input = 0;
    int64_t cache_write = 0;
    int64_t reasoning = 0;
    bool estimated = false; // the provider reported no usage; these are estimates
};

// USD per million tokens. Cached reads and cache writes fall back to the input price when a
// model has no separate price for them.
struct TokenPrices {
    double input = 0;
    double output = 0;
    std::optional<double> cached_input;
    std::optional<double> cache_write;
};

// One model's prices.
struct PriceEntry {
    std::string provider; // openai, anthropic, google, mistral, deepseek, or a user's name
    std::string model;    // exact name, or a prefix when `prefix`
    bool prefix = false;
    TokenPrices prices;
    std::optional<int64_t> long_context_above; // input size past which `long_context` applies
    TokenPrices long_context;                  // prices the whole request in that tier
    std::string effective;                     // the date these prices took effect
    std::string source;                        // where they were read
};

class PriceTable {
public:
    // The table compiled in from lib/llmops/provider/prices.yaml.
    static const PriceTable& builtin();

    // Parses a price table (`models:` list, the format of prices.yaml). Fails with
    // `invalid_input` naming `origin`, the entry and the field.
    static Expected<PriceTable> parse(std::string_view yaml, std::string_view origin);

    // Adds or replaces entries with those of `overrides` (same provider and model).
    void merge(const PriceTable& overrides);

    // Finds the prices of `model` (exact name first, then the longest matching prefix entry),
    // preferring entries of `provider` when given. Returns nullptr when the model is unpriced.
    const PriceEntry* find(std::string_view model, std::string_view provider = {}) const;

    const std::vector<PriceEntry>& entries() const { return m_entries; }

private:
    std::vector<PriceEntry> m_entries;
};

// Returns the built-in table merged with the overrides in `override_file` (a project's
// `.llmops/prices.yaml`) when that file exists. Fails with `invalid_input` for a malformed
// override file, `io` when it cannot be read.
Expected<PriceTable> load_price_table(const std::optional<std::filesystem::path>& override_file);

// Returns the USD cost of `usage` at `entry`'s prices: cached tokens at the cached price (never
// billed twice), reasoning tokens as output, and the long-context tier for the whole request
// when the input is past its threshold.
double cost_usd(const PriceEntry& entry, const Usage& usage);

} // namespace llmops::provider
