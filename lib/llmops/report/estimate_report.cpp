#include <llmops/report/estimate_report.hpp>

#include <fmt/format.h>

#include <llmops/util/money.hpp>

namespace llmops::report {

namespace {

// "$0.0123" below a dollar, "$12.34" above.
std::string usd_text(double usd) {
    return util::format_usd(usd, {.zero = util::UsdZero::decimals});
}

} // namespace

std::string estimate_text(const eval::RunEstimate& e, const std::string& suite_display) {
    std::string out =
        fmt::format("estimate for {} ({} calls; nothing was called)\n", suite_display, e.calls());
    out += fmt::format("{:<36}  {:>6}  {:>6}  {:>10}  {:>10}  {:>10}  {}\n", "VARIANT", "CALLS",
                       "CACHED", "INPUT TOK", "OUTPUT TOK", "COST", "OUTPUT TOKENS FROM");
    for (const auto& v : e.variants) {
        std::string label = v.label.size() > 36 ? v.label.substr(0, 33) + "..." : v.label;
        const std::string cost = v.local      ? "$0 (local)"
                                 : v.cost_usd ? usd_text(*v.cost_usd)
                                              : "unpriced";
        out += fmt::format("{:<36}  {:>6}  {:>6}  {:>10}  {:>10}  {:>10}  {}\n", label, v.calls,
                           v.cached, v.input_tokens, v.output_tokens, cost, v.output_basis);
        if (v.not_rendered > 0) {
            out += fmt::format(
                "  {} call(s) not counted: the prompt cannot be rendered for their case\n",
                v.not_rendered);
        }
    }
    if (const auto& j = e.judge) {
        std::string label = "judge: " + (j->provider.empty() ? j->embedder : j->provider);
        if (!j->provider.empty() && !j->embedder.empty()) {
            label += " + " + j->embedder;
        }
        label = label.size() > 36 ? label.substr(0, 33) + "..." : label;
        const std::string cost = j->local      ? "$0 (local)"
                                 : j->cost_usd ? usd_text(*j->cost_usd)
                                               : "unpriced";
        out += fmt::format("{:<36}  {:>6}  {:>6}  {:>10}  {:>10}  {:>10}  {}\n", label, j->calls,
                           j->cached, j->input_tokens, j->output_tokens, cost, j->output_basis);
    }
    out += fmt::format("total: {} (estimate: input tokens counted as ceil(characters / 4)){}\n",
                       usd_text(e.priced_cost_usd()),
                       e.has_unpriced() ? "; unpriced models are not included (llmops prices list)"
                                        : "");
    return out;
}

} // namespace llmops::report
