#include <llmops/provider/pricing.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::provider {

// Defined in the prices_data.cpp that CMake generates from prices.yaml.
extern const char* const k_builtin_prices_yaml;

namespace {

using nlohmann::json;

const std::vector<std::string> k_entry_keys = {
    "provider",     "model",       "prefix",       "input",     "output",
    "cached_input", "cache_write", "long_context", "effective", "source"};
const std::vector<std::string> k_tier_keys = {"above", "input", "output", "cached_input",
                                              "cache_write"};

Expected<double> price_field(const json& node, const char* key, std::string_view where,
                             bool required) {
    if (!node.contains(key)) {
        if (required) {
            return fail(ErrorCode::invalid_input, "{}: missing '{}'", where, key);
        }
        return -1.0;
    }
    if (!node[key].is_number() || node[key].get<double>() < 0) {
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a non-negative number", where, key);
    }
    return node[key].get<double>();
}

Expected<TokenPrices> parse_prices(const json& node, std::string_view where) {
    TokenPrices p;
    p.input = LLMOPS_TRY(price_field(node, "input", where, true));
    p.output = LLMOPS_TRY(price_field(node, "output", where, true));
    auto cached = LLMOPS_TRY(price_field(node, "cached_input", where, false));
    auto write = LLMOPS_TRY(price_field(node, "cache_write", where, false));
    if (cached >= 0) {
        p.cached_input = cached;
    }
    if (write >= 0) {
        p.cache_write = write;
    }
    return p;
}

Expected<void> check_keys(const json& node, const std::vector<std::string>& allowed,
                          std::string_view where) {
    for (const auto& [key, value] : node.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            return fail(ErrorCode::invalid_input, "{}: unknown key '{}'{}", where, key,
                        util::did_you_mean(key, allowed));
        }
    }
    return {};
}

Expected<PriceEntry> parse_entry(const json& node, std::string_view where) {
    if (!node.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: must be a mapping", where);
    }
    LLMOPS_TRY(check_keys(node, k_entry_keys, where));
    PriceEntry e;
    if (!node.contains("model") || !node["model"].is_string()) {
        return fail(ErrorCode::invalid_input, "{}: missing 'model'", where);
    }
    e.model = node["model"].get<std::string>();
    e.provider = node.value("provider", "");
    e.prefix = node.value("prefix", false);
    e.effective = node.contains("effective") ? node["effective"].dump() : "";
    if (node.contains("effective") && node["effective"].is_string()) {
        e.effective = node["effective"].get<std::string>();
    }
    e.source = node.value("source", "");
    auto prices = LLMOPS_TRY(parse_prices(node, where));
    e.prices = prices;
    if (node.contains("long_context")) {
        const json& tier = node["long_context"];
        const std::string tier_where = std::string(where) + " long_context";
        if (!tier.is_object() || !tier.contains("above") || !tier["above"].is_number_integer()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'long_context' needs an integer 'above' and prices", where);
        }
        LLMOPS_TRY(check_keys(tier, k_tier_keys, tier_where));
        auto tier_prices = LLMOPS_TRY(parse_prices(tier, tier_where));
        e.long_context_above = tier["above"].get<int64_t>();
        e.long_context = tier_prices;
    }
    return e;
}

} // namespace

const PriceTable& PriceTable::builtin() {
    // Parsed once; the data is compiled in, so a failure is a bug caught by the tests.
    static const PriceTable table = [] {
        auto parsed = parse(k_builtin_prices_yaml, "prices.yaml (built in)");
        if (!parsed) {
            throw std::logic_error(parsed.error().message());
        }
        return std::move(*parsed);
    }();
    return table;
}

Expected<PriceTable> PriceTable::parse(std::string_view yaml, std::string_view origin) {
    auto doc = LLMOPS_TRY(util::parse_yaml(yaml, origin));
    if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_array()) {
        return fail(ErrorCode::invalid_input, "{}: expected a 'models' list", origin);
    }
    PriceTable table;
    const json& models = doc["models"];
    for (size_t i = 0; i < models.size(); ++i) {
        const std::string where = fmt::format("{}: models[{}]", origin, i);
        auto entry = LLMOPS_TRY(parse_entry(models[i], where));
        table.m_entries.push_back(std::move(entry));
    }
    return table;
}

void PriceTable::merge(const PriceTable& overrides) {
    for (const auto& o : overrides.m_entries) {
        auto same = std::find_if(m_entries.begin(), m_entries.end(), [&](const PriceEntry& e) {
            return e.model == o.model && e.provider == o.provider;
        });
        if (same != m_entries.end()) {
            *same = o;
        } else {
            m_entries.push_back(o);
        }
    }
}

const PriceEntry* PriceTable::find(std::string_view model, std::string_view provider) const {
    const PriceEntry* best = nullptr;
    int best_rank = -1;
    for (const auto& e : m_entries) {
        const bool exact = e.model == model;
        const bool by_prefix = e.prefix && model.starts_with(e.model);
        if (!exact && !by_prefix) {
            continue;
        }
        // Exact beats prefix, a longer prefix beats a shorter one, the named provider wins ties.
        const int rank = (exact ? 1 << 20 : static_cast<int>(e.model.size()) << 1) +
                         (!provider.empty() && e.provider == provider ? 1 : 0);
        if (rank > best_rank) {
            best = &e;
            best_rank = rank;
        }
    }
    return best;
}

Expected<PriceTable> load_price_table(const std::optional<std::filesystem::path>& override_file) {
    PriceTable table = PriceTable::builtin();
    if (!override_file) {
        return table;
    }
    auto text = util::read_file(*override_file);
    if (!text) {
        if (text.error().code() == ErrorCode::not_found) {
            return table;
        }
        return fail(text.error());
    }
    auto overrides = LLMOPS_TRY(PriceTable::parse(*text, override_file->string()));
    table.merge(overrides);
    return table;
}

double cost_usd(const PriceEntry& entry, const Usage& usage) {
    const bool long_context = entry.long_context_above && usage.input > *entry.long_context_above;
    const TokenPrices& p = long_context ? entry.long_context : entry.prices;
    const int64_t cached = std::min(usage.cached_input, usage.input);
    const int64_t written = std::min(usage.cache_write, usage.input - cached);
    const int64_t fresh = usage.input - cached - written;
    const double total = static_cast<double>(fresh) * p.input +
                         static_cast<double>(cached) * p.cached_input.value_or(p.input) +
                         static_cast<double>(written) * p.cache_write.value_or(p.input) +
                         static_cast<double>(usage.output) * p.output;
    return total / 1'000'000.0;
}

} // namespace llmops::provider
