#include <llmops/report/advise_report.hpp>

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/report/diff_format.hpp>
#include <llmops/report/table.hpp>
#include <llmops/util/money.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;

constexpr size_t k_fixed = 2 + 2 + 2 + 7 + 2 + 14 + 2 + 11 + 2 + 8; // all but the label

using diff_format::pct;

// The diff reports' interval, "-" when there is none (a column is never left blank).
std::string interval_text(const std::optional<stats::Interval>& ci) {
    return ci ? diff_format::interval_pct(ci) : "-";
}

std::string cost_text(std::optional<double> usd) {
    return usd ? util::format_usd(*usd) : "unpriced";
}

std::string flags(const online::VariantAdvice& v) {
    std::string out = v.on_front ? "front" : "";
    if (v.qualifies) {
        out += out.empty() ? "ok" : " ok";
    }
    return out;
}

std::string table(const online::Advice& a, size_t width) {
    const size_t label_width = width > k_fixed + 12 ? width - k_fixed : 12;
    std::string out = fmt::format("{:<2}  {:<{}}  {:>7}  {:<14}  {:>11}\n", "#", "VARIANT",
                                  label_width, "PASS", "INTERVAL", "COST/CALL");
    for (const auto& v : a.variants) {
        std::string line =
            fmt::format("{:<2}  {:<{}}  {:>7}  {:<14}  {:>11}  {}", v.index,
                        fit_variant_label(v.label, label_width), label_width, pct(v.pass_rate),
                        interval_text(v.interval), cost_text(v.cost_per_call), flags(v));
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out += line + "\n";
    }
    return out;
}

std::string comparison_line(const online::Advice& a) {
    if (!a.best || !a.chosen || *a.best == *a.chosen || !a.difference) {
        return "";
    }
    const auto& best = a.variants[static_cast<size_t>(*a.best)];
    return fmt::format("  against the best, {} at {}: {:+.1f} pts, p={:.3g}:\n  {}\n", best.index,
                       pct(best.pass_rate), *a.difference * 100, a.p_value.value_or(1.0),
                       a.distinguishable ? "significantly lower, but above the bar"
                                         : "the run cannot tell them apart on its cases");
}

std::string saving_line(const online::Advice& a) {
    if (!a.saving_per_call || (!a.production_cost && *a.chosen == *a.best)) {
        return ""; // the best is the cheapest that qualifies: nothing to save against
    }
    const std::string against = a.production_cost ? "production's" : "the best variant's";
    std::string out = fmt::format(
        "  saving: {} a call against {} {}\n", util::format_usd(*a.saving_per_call), against,
        util::format_usd(a.production_cost.value_or(
            a.variants[static_cast<size_t>(*a.best)].cost_per_call.value_or(0))));
    if (a.monthly_saving) {
        out += fmt::format("  {} a month at {:.0f} calls a month ({})\n",
                           util::format_usd(*a.monthly_saving), *a.monthly_calls, a.traffic_source);
    }
    return out;
}

std::string verdict(const online::Advice& a) {
    if (a.chosen) {
        const auto& c = a.variants[static_cast<size_t>(*a.chosen)];
        return fmt::format("recommendation: {} {}\n  {} {} at {} a call\n", c.index, c.label,
                           pct(c.pass_rate), interval_text(c.interval),
                           cost_text(c.cost_per_call)) +
               comparison_line(a) + saving_line(a);
    }
    std::string out = fmt::format("no variant qualifies: no {:.0f}% interval's lower bound "
                                  "reaches {:.1f}%\n",
                                  a.confidence * 100, a.bar * 100);
    if (a.best) {
        const auto& b = a.variants[static_cast<size_t>(*a.best)];
        if (a.cases_needed) {
            out += fmt::format("  the data cannot tell yet: the best, {} at {} {},\n  would "
                               "need about {} judged cases at that rate (it has {})\n",
                               b.index, pct(b.pass_rate), interval_text(b.interval),
                               *a.cases_needed, b.judged);
        } else {
            out += fmt::format("  the best, {} at {}, is not above the bar\n", b.index,
                               pct(b.pass_rate));
        }
    }
    return out;
}

json optional_json(std::optional<double> v) {
    return v ? json(*v) : json();
}

} // namespace

std::string advise_text(const online::Advice& a, size_t width) {
    std::string out = fmt::format("run {}: the cheapest variant whose pass rate is at least "
                                  "{:.1f}% ({:.0f}% lower bound)\n\n",
                                  a.run_id, a.bar * 100, a.confidence * 100);
    out += table(a, width) + "\n" + verdict(a);
    for (const auto& n : a.notes) {
        out += "note: " + n + "\n";
    }
    return out;
}

std::string advise_json(const online::Advice& a) {
    json variants = json::array();
    for (const auto& v : a.variants) {
        variants.push_back(
            {{"index", v.index},
             {"label", v.label},
             {"judged", v.judged},
             {"passes", v.passes},
             {"pass_rate", optional_json(v.pass_rate)},
             {"interval",
              v.interval ? json::array({v.interval->lower, v.interval->upper}) : json()},
             {"cost_per_call", optional_json(v.cost_per_call)},
             {"on_front", v.on_front},
             {"qualifies", v.qualifies}});
    }
    const auto index_of = [&](std::optional<int> i) {
        return i ? json(a.variants[static_cast<size_t>(*i)].index) : json();
    };
    json out{{"llmops_advise", 1},
             {"run", a.run_id},
             {"min_pass_rate", a.bar},
             {"confidence", a.confidence},
             {"variants", variants},
             {"recommended", index_of(a.chosen)},
             {"best", index_of(a.best)},
             {"difference", optional_json(a.difference)},
             {"p_value", optional_json(a.p_value)},
             {"distinguishable", a.distinguishable},
             {"cases_needed", a.cases_needed ? json(*a.cases_needed) : json()},
             {"prompt", a.prompt},
             {"monthly_calls", optional_json(a.monthly_calls)},
             {"traffic_source", a.traffic_source},
             {"production_cost_per_call", optional_json(a.production_cost)},
             {"saving_per_call", optional_json(a.saving_per_call)},
             {"monthly_saving", optional_json(a.monthly_saving)},
             {"notes", a.notes}};
    return out.dump(2) + "\n";
}

} // namespace llmops::report
