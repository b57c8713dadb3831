#include <llmops/report/price_report.hpp>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace llmops::report {

namespace {

using nlohmann::json;

std::string price_text(const std::optional<double>& price) {
    return price ? fmt::format("{:.3f}", *price) : std::string("-");
}

json prices_object(const provider::TokenPrices& p) {
    return json{{"input", p.input},
                {"output", p.output},
                {"cached_input", p.cached_input ? json(*p.cached_input) : json(nullptr)},
                {"cache_write", p.cache_write ? json(*p.cache_write) : json(nullptr)}};
}

} // namespace

std::string prices_text(const std::vector<const provider::PriceEntry*>& entries) {
    if (entries.empty()) {
        return "no model matches\n";
    }
    size_t width = 5;
    for (const auto* e : entries) {
        width = std::max(width, e->model.size() + (e->prefix ? 1 : 0));
    }
    std::string out =
        fmt::format("{:<10} {:<{}} {:>8} {:>8} {:>8} {:>8}  {:<10}  {}\n", "PROVIDER", "MODEL",
                    width, "INPUT", "CACHED", "WRITE", "OUTPUT", "EFFECTIVE", "LONG CONTEXT");
    for (const auto* e : entries) {
        std::string tier;
        if (e->long_context_above) {
            tier =
                fmt::format(">{}k: {} / {}", *e->long_context_above / 1000,
                            price_text(e->long_context.input), price_text(e->long_context.output));
        }
        const std::string name = e->model + (e->prefix ? "*" : "");
        out += fmt::format("{:<10} {:<{}} {:>8} {:>8} {:>8} {:>8}  {:<10}  {}", e->provider, name,
                           width, price_text(e->prices.input), price_text(e->prices.cached_input),
                           price_text(e->prices.cache_write), price_text(e->prices.output),
                           e->effective, tier);
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        out += '\n';
    }
    out += "USD per million tokens; * matches dated snapshots by prefix; '-' bills at the input "
           "price\n";
    return out;
}

std::string prices_json(const std::vector<const provider::PriceEntry*>& entries) {
    json models = json::array();
    for (const auto* e : entries) {
        json item = prices_object(e->prices);
        item["provider"] = e->provider;
        item["model"] = e->model;
        item["prefix"] = e->prefix;
        item["long_context"] = e->long_context_above
                                   ? json{{"above", *e->long_context_above},
                                          {"prices", prices_object(e->long_context)}}
                                   : json(nullptr);
        item["effective"] = e->effective;
        item["source"] = e->source;
        models.push_back(std::move(item));
    }
    return json{{"unit", "USD per 1M tokens"}, {"models", models}}.dump(2) + "\n";
}

} // namespace llmops::report
