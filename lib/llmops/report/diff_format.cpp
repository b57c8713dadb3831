#include <llmops/report/diff_format.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/compare/compare.hpp>
#include <llmops/report/case_inputs.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/util/money.hpp>

namespace llmops::report::diff_format {

std::string pct(std::optional<double> v) {
    return v ? fmt::format("{:.1f}%", 100 * *v) : "-";
}

std::string signed_pct(std::optional<double> v) {
    return v ? fmt::format("{:+.1f} pts", 100 * *v) : "-";
}

std::string interval_pct(const std::optional<stats::Interval>& i) {
    return i ? fmt::format("[{:.1f}, {:.1f}]", 100 * i->lower, 100 * i->upper) : "";
}

std::string score(std::optional<double> v) {
    return v ? fmt::format("{:.3f}", *v) : "-";
}

std::string signed_score(std::optional<double> v) {
    return v ? fmt::format("{:+.3f}", *v) : "-";
}

std::string interval_score(const std::optional<stats::Interval>& i) {
    return i ? fmt::format("[{:+.3f}, {:+.3f}]", i->lower, i->upper) : "";
}

std::string p_text(std::optional<double> p) {
    if (!p)
        return "";
    return *p < 0.0001 ? "p<0.0001" : fmt::format("p={:.4f}", *p);
}

std::string money(std::optional<double> usd) {
    if (!usd)
        return "-";
    return util::format_usd(*usd);
}

std::string cost(double usd, int64_t unpriced) {
    return util::format_cost(usd, unpriced);
}

std::string ms(std::optional<double> v) {
    if (!v)
        return "-";
    return *v >= 1000 ? fmt::format("{:.2f}s", *v / 1000) : fmt::format("{:.0f}ms", *v);
}

std::string change(std::optional<double> before, std::optional<double> after) {
    if (!before || !after)
        return "";
    if (auto r = stats::relative_change(*before, *after))
        return fmt::format("{:+.1f}%", 100 * *r);
    return "";
}

std::string cut(std::string_view text, size_t max) {
    size_t dropped = 0;
    std::string head = head_text(text, max, dropped);
    return dropped > 0 ? head + fmt::format(" … ({} more characters)", dropped) : head;
}

std::string inputs_line(const nlohmann::json& vars, size_t max) {
    return terminal_line(vars_line(vars, max)); // one rule for every report (case_inputs.hpp)
}

const compare::CaseResult* shown_result(const compare::SideCase* sc) {
    if (sc == nullptr || sc->results.empty())
        return nullptr;
    for (const auto& r : sc->results) {
        if (r.status != "error")
            return &r;
    }
    return &sc->results.front();
}

} // namespace llmops::report::diff_format
