#include <llmops/report/call_report.hpp>

#include <nlohmann/json.hpp>

namespace llmops::report {

std::string call_json(const provider::ProviderSpec& spec, const provider::CallOutcome& outcome) {
    using nlohmann::json;
    const auto& r = outcome.result;
    const auto& u = r.usage;
    json doc{
        {"provider", spec.id},
        {"model", spec.model},
        {"output", r.output},
        {"finish_reason", r.finish_reason},
        {"refusal", r.refusal ? json(*r.refusal) : json(nullptr)},
        {"usage",
         {{"input", u.input},
          {"output", u.output},
          {"cached_input", u.cached_input},
          {"cache_write", u.cache_write},
          {"reasoning", u.reasoning},
          {"estimated", u.estimated}}},
        {"cost_usd", outcome.cost_usd ? json(*outcome.cost_usd) : json(nullptr)},
        {"latency_ms", outcome.latency_ms},
        {"first_token_ms", outcome.first_byte_ms ? json(*outcome.first_byte_ms) : json(nullptr)},
        {"attempts", outcome.attempts},
        {"cached", outcome.cached},
    };
    return doc.dump(2) + "\n";
}

} // namespace llmops::report
