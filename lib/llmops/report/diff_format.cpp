#include <llmops/report/diff_format.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
    if (!vars.is_object() || vars.empty() || max == 0)
        return "";
    std::string line;
    for (const auto& [key, value] : vars.items()) {
        // JSON escapes C0 controls; terminal_line below the rest (C1, invalid UTF-8).
        line += fmt::format("{}{}={}", line.empty() ? "" : ", ", key,
                            value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    line = terminal_line(line);
    size_t dropped = 0;
    std::string head = head_text(line, max, dropped);
    if (dropped == 0)
        return head;
    return head_text(line, max - 1, dropped) + "…";
}

} // namespace llmops::report::diff_format
