#include <llmops/report/ab_report.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/report/diff_format.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/util/hash.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;
namespace df = diff_format;

std::string arm_name(const online::ArmResult& arm) {
    return fmt::format("@{}{}", arm.version, arm.control ? " (control)" : "");
}

// `text` with each line longer than `width` code points broken at spaces; a continuation is
// indented two more than its line. A word longer than the width stays whole.
std::string fit_lines(std::string_view text, size_t width) {
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
        const size_t nl = text.find('\n', start);
        const size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view rest = text.substr(start, end - start);
        const size_t lead = std::min(rest.find_first_not_of(' '), rest.size());
        const size_t indent = lead + 2;
        size_t room = width;
        size_t floor = lead; // never cut inside the leading blanks
        while (code_point_count(rest) > room && room > indent) {
            const size_t cut = rest.rfind(' ', room);
            if (cut == std::string_view::npos || cut <= floor) {
                break;
            }
            out += std::string(rest.substr(0, cut)) + "\n" + std::string(indent, ' ');
            rest.remove_prefix(cut + 1);
            room = width - indent;
            floor = 0;
        }
        out += std::string(rest);
        if (nl != std::string_view::npos) {
            out += "\n";
        }
        start = end + 1;
    }
    return out;
}

std::string window_text(const online::TimeWindow& window) {
    if (!window.since_unix_ns && !window.until_unix_ns) {
        return "all time";
    }
    return online::to_string(window);
}

// One row of the arms table: a metric's label and its value per arm.
struct MetricRow {
    std::string label;
    std::string (*value)(const online::ArmResult&);
};

std::string error_rate(const online::ArmResult& a) {
    if (a.calls == 0) {
        return "-";
    }
    return fmt::format("{} ({})", df::pct(static_cast<double>(a.errors) / a.calls), a.errors);
}

std::string pass_rate(const online::ArmResult& a) {
    return a.pass_rate
               ? fmt::format("{} {}", df::pct(a.pass_rate), df::interval_pct(a.pass_interval))
               : std::string("-");
}

std::string feedback(const online::ArmResult& a) {
    return a.feedback_mean ? fmt::format("{} (n {})", df::score(a.feedback_mean), a.feedback_n)
                           : std::string("-");
}

std::string latency(const online::ArmResult& a) {
    return a.latency_p50_ms
               ? fmt::format("{} / {}", df::ms(a.latency_p50_ms), df::ms(a.latency_p95_ms))
               : std::string("-");
}

const MetricRow k_rows[] = {
    {"weight", [](const online::ArmResult& a) { return fmt::format("{}%", a.weight); }},
    {"calls", [](const online::ArmResult& a) { return fmt::format("{}", a.calls); }},
    {"errors", error_rate},
    {"online-eval pass", pass_rate},
    {"  evaluated (n)",
     [](const online::ArmResult& a) { return fmt::format("{}", a.eval_pass + a.eval_fail); }},
    {"mean feedback", feedback},
    {"cost per call", [](const online::ArmResult& a) { return df::money(a.cost_per_call); }},
    {"latency p50 / p95", latency},
};

constexpr size_t k_label_width = 18;
constexpr size_t k_arm_width = 22;

std::string arms_table(const std::vector<online::ArmResult>& arms, size_t width) {
    const size_t per_line = std::max<size_t>(
        1, (std::max(width, k_label_width + k_arm_width) - k_label_width) / k_arm_width);
    std::string out;
    for (size_t first = 0; first < arms.size(); first += per_line) {
        const size_t last = std::min(arms.size(), first + per_line);
        const auto line = [&](const std::string& label, auto cell) {
            std::string text = terminal_cell(label, k_label_width);
            for (size_t i = first; i < last; ++i) {
                text += terminal_cell(cell(arms[i]), k_arm_width);
            }
            text.erase(text.find_last_not_of(' ') + 1);
            return text + "\n";
        };
        out += first == 0 ? "" : "\n"; // a blank line between blocks of arms
        out += line("", [](const online::ArmResult& a) { return arm_name(a); });
        for (const auto& row : k_rows) {
            out += line(row.label, row.value);
        }
    }
    return out;
}

// "+10.2 pts [8.1, 12.3]" for rates, "+0.125 [-0.250, +0.500]" for feedback.
std::string difference_text(const online::ArmComparison& c) {
    if (c.metric == online::AbMetric::feedback) {
        return fmt::format("{} {}", df::signed_score(c.difference), df::interval_score(c.interval));
    }
    return fmt::format("{} {}", df::signed_pct(c.difference), df::interval_pct(c.interval));
}

std::string verdict_text(const online::ArmComparison& c) {
    return std::string(stats::to_string(c.verdict));
}

std::string srm_line(const online::AbReport& r) {
    if (!r.srm) {
        return "sample ratio: no calls in the window\n";
    }
    return fmt::format("sample ratio: {} (chi-square {:.2f}, {}; mismatch below p={})\n",
                       r.srm_failed ? "MISMATCH" : "ok", r.srm->statistic,
                       df::p_text(r.srm->p_value), r.srm_alpha);
}

std::string comparison_lines(const online::ArmComparison& c, double alpha) {
    std::string out = fmt::format("@{} vs @{} on {}: {}\n", c.treatment, c.control,
                                  online::to_string(c.metric), difference_text(c));
    out += fmt::format("  {} ({}), {} at alpha {}\n", df::p_text(c.p_value), c.test,
                       verdict_text(c), alpha);
    if (c.error_verdict) {
        out += fmt::format("  error rate: {}\n", stats::to_string(*c.error_verdict));
    }
    if (c.needed_per_arm) {
        out += fmt::format("  sample for this difference at 80% power: {} per arm\n",
                           *c.needed_per_arm);
    }
    return out;
}

std::string recommendation_text(const online::AbReport& r) {
    std::string what(online::to_string(r.recommendation));
    if (r.recommended_version) {
        what += fmt::format(" (to @{})", *r.recommended_version);
    }
    return what;
}

json interval_json(const std::optional<stats::Interval>& i) {
    return i ? json::array({i->lower, i->upper}) : json(nullptr);
}

template <typename T>
json maybe(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

json arm_json(const online::ArmResult& a) {
    return json{
        {"version", a.version},
        {"id", a.id},
        {"weight", a.weight},
        {"control", a.control},
        {"calls", a.calls},
        {"errors", a.errors},
        {"error_rate", a.calls > 0 ? json(static_cast<double>(a.errors) / a.calls) : json(nullptr)},
        {"online_eval",
         {{"pass", a.eval_pass},
          {"fail", a.eval_fail},
          {"error", a.eval_error},
          {"pass_rate", maybe(a.pass_rate)},
          {"interval", interval_json(a.pass_interval)}}},
        {"feedback", {{"n", a.feedback_n}, {"mean", maybe(a.feedback_mean)}}},
        {"cost_per_call_usd", maybe(a.cost_per_call)},
        {"latency_ms", {{"p50", maybe(a.latency_p50_ms)}, {"p95", maybe(a.latency_p95_ms)}}}};
}

json comparison_json(const online::ArmComparison& c) {
    return json{{"control", c.control},
                {"treatment", c.treatment},
                {"metric", online::json_name(c.metric)},
                {"control_value", c.control_value},
                {"treatment_value", c.treatment_value},
                {"difference", c.difference},
                {"interval", interval_json(c.interval)},
                {"p_value", c.p_value},
                {"test", c.test},
                {"verdict", stats::to_string(c.verdict)},
                {"error_rate_verdict",
                 c.error_verdict ? json(stats::to_string(*c.error_verdict)) : json(nullptr)},
                {"needed_per_arm", maybe(c.needed_per_arm)}};
}

json window_json(const online::TimeWindow& w) {
    const auto end = [](const std::optional<int64_t>& ns) {
        return ns ? json(store::iso8601_from_unix_ns(*ns)) : json(nullptr);
    };
    return json{{"since", end(w.since_unix_ns)}, {"until", end(w.until_unix_ns)}};
}

} // namespace

std::string ab_text(const online::AbReport& r, size_t width) {
    std::string out = fmt::format("A/B test of {}@{}\nwindow: {}\n", terminal_line(r.prompt),
                                  terminal_line(r.label), window_text(r.window));
    if (r.srm_failed) {
        out += "\nWARNING: sample ratio mismatch: the arms' calls do not match their weights.\n"
               "The split is broken (assignment, logging or a filter), so no promote or roll\n"
               "back verdict is given. Find the cause before reading the numbers below.\n\n";
    }
    out += srm_line(r);
    if (r.other_calls > 0) {
        out += fmt::format("note: {} call{} of other versions left out\n", r.other_calls,
                           r.other_calls == 1 ? "" : "s");
    }
    out += "\n" + arms_table(r.arms, width) + "\n";
    for (const auto& c : r.comparisons) {
        out += comparison_lines(c, r.alpha);
    }
    out += fmt::format("recommendation: {}\n  {}\n", recommendation_text(r), r.reason);
    return fit_lines(out, width);
}

std::string ab_json(const online::AbReport& r) {
    json arms = json::array();
    for (const auto& a : r.arms) {
        arms.push_back(arm_json(a));
    }
    json comparisons = json::array();
    for (const auto& c : r.comparisons) {
        comparisons.push_back(comparison_json(c));
    }
    json srm = r.srm ? json{{"chi_square", r.srm->statistic},
                            {"dof", r.srm->dof},
                            {"p_value", r.srm->p_value},
                            {"mismatch", r.srm_failed}}
                     : json(nullptr);
    return json{{"format", "llmops-ab/1"},
                {"prompt", r.prompt},
                {"label", r.label},
                {"window", window_json(r.window)},
                {"alpha", r.alpha},
                {"srm_alpha", r.srm_alpha},
                {"arms", std::move(arms)},
                {"other_calls", r.other_calls},
                {"srm", std::move(srm)},
                {"metric", r.metric ? json(online::json_name(*r.metric)) : json(nullptr)},
                {"comparisons", std::move(comparisons)},
                {"recommendation", online::json_name(r.recommendation)},
                {"recommended_version", maybe(r.recommended_version)},
                {"reason", r.reason}}
               .dump(2) +
           "\n";
}

std::string ab_markdown(const online::AbReport& r) {
    std::string out =
        fmt::format("## A/B test of `{}@{}`\n\n", markdown_text(r.prompt), markdown_text(r.label));
    out += fmt::format("**Recommendation: {}**: {}\n\n", recommendation_text(r),
                       markdown_text(r.reason));
    if (r.srm_failed) {
        out += "> **Warning: sample ratio mismatch.** The arms' calls do not match their weights: "
               "the split is broken, and no verdict is given.\n\n";
    }
    out += "Window: " + window_text(r.window) + "  \n" + markdown_text(srm_line(r)) + "\n\n";
    out += "| metric |";
    for (const auto& a : r.arms) {
        out += " " + arm_name(a) + " |";
    }
    out += "\n|---|";
    for (size_t i = 0; i < r.arms.size(); ++i) {
        out += "---|";
    }
    out += "\n";
    for (const auto& row : k_rows) {
        out += "| " + markdown_text(row.label) + " |";
        for (const auto& a : r.arms) {
            out += " " + markdown_text(row.value(a)) + " |";
        }
        out += "\n";
    }
    out += "\n";
    if (!r.comparisons.empty()) {
        out += "| treatment vs control | metric | difference | p-value | test | verdict | error "
               "rate | sample per arm |\n|---|---|---|---|---|---|---|---|\n";
    }
    for (const auto& c : r.comparisons) {
        out += fmt::format("| `@{}` vs `@{}` | {} | {} | {} | {} | {} | {} | {} |\n", c.treatment,
                           c.control, online::to_string(c.metric), difference_text(c),
                           df::p_text(c.p_value), c.test, verdict_text(c),
                           c.error_verdict ? stats::to_string(*c.error_verdict) : "-",
                           c.needed_per_arm ? std::to_string(*c.needed_per_arm) : "-");
    }
    return out;
}

std::string ab_html(const online::AbReport& r) {
    static const std::string k_style =
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
        "text-align:right}th:first-child,td:first-child{text-align:left}"
        ".warning{background:#fee;border:1px solid #c00;padding:.6em}";
    const std::string hash = util::base64_encode(util::sha256_digest(k_style));
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
    out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
           "'sha256-" +
           hash + "'\">\n";
    out += "<title>A/B test of " + html_text(r.prompt) + "@" + html_text(r.label) + "</title>\n";
    out += "<style>" + k_style + "</style></head><body>\n";
    out += "<h1>A/B test of " + html_text(r.prompt) + "@" + html_text(r.label) + "</h1>\n";
    out += "<p><strong>Recommendation: " + html_text(recommendation_text(r)) +
           "</strong>: " + html_text(r.reason) + "</p>\n";
    if (r.srm_failed) {
        out += "<p class=\"warning\">Sample ratio mismatch: the arms' calls do not match their "
               "weights. The split is broken, and no verdict is given.</p>\n";
    }
    std::string srm = srm_line(r);
    srm.pop_back(); // its newline
    out += "<p>Window: " + html_text(window_text(r.window)) + "<br>" + html_text(srm) +
           "</p>\n<table><tr><th>metric</th>";
    for (const auto& a : r.arms) {
        out += "<th>" + html_text(arm_name(a)) + "</th>";
    }
    out += "</tr>\n";
    for (const auto& row : k_rows) {
        out += "<tr><td>" + html_text(row.label) + "</td>";
        for (const auto& a : r.arms) {
            out += "<td>" + html_text(row.value(a)) + "</td>";
        }
        out += "</tr>\n";
    }
    out += "</table>\n";
    for (const auto& c : r.comparisons) {
        out += "<pre>" + html_text(comparison_lines(c, r.alpha)) + "</pre>\n";
    }
    return out + "</body></html>\n";
}

} // namespace llmops::report
