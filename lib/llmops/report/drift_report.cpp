#include <llmops/report/drift_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>
#include <llmops/store/calls.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;

// A number in at most 8 characters, "-" when absent.
std::string number(const std::optional<double>& x) {
    return x ? fmt::format("{:.4g}", *x) : "-";
}

std::string p_text(const std::optional<double>& p) {
    return p ? fmt::format("{:.2g}", *p) : "-";
}

std::string statistic_name(const std::string& statistic) {
    return statistic == "embedding" ? "emb" : statistic == "difference" ? "diff" : statistic;
}

std::vector<std::string> alarms(const online::DriftReport& report) {
    std::vector<std::string> out;
    for (const auto& row : report.rows)
        if (row.status == online::DriftStatus::alarm)
            out.push_back(fmt::format("{} ({})", row.feature, row.statistic));
    return out;
}

std::string window_line(std::string_view name, const online::TimeWindow& window,
                        std::size_t calls) {
    return fmt::format("{:<11}{}  {} call{}\n", name, online::to_string(window), calls,
                       calls == 1 ? "" : "s");
}

std::string filters(const online::DriftReport& report) {
    std::string out = report.prompt;
    if (!report.version.empty())
        out += " version " + report.version;
    if (!report.model.empty())
        out += " model " + report.model;
    return out;
}

json optional_number(const std::optional<double>& x) {
    return x ? json(*x) : json(nullptr);
}

json window_json(const online::TimeWindow& window, std::size_t calls) {
    const auto bound = [](const std::optional<int64_t>& ns) {
        return ns ? json(store::iso8601_from_unix_ns(*ns)) : json(nullptr);
    };
    return {{"since", bound(window.since_unix_ns)},
            {"until", bound(window.until_unix_ns)},
            {"calls", calls}};
}

json row_json(const online::DriftRow& row) {
    static const char* const k_status[] = {"ok", "alarm", "unavailable"};
    json interval = nullptr;
    if (row.interval)
        interval = json::array({row.interval->lower, row.interval->upper});
    return {{"feature", row.feature},
            {"statistic", row.statistic},
            {"summary", row.summary},
            {"reference", optional_number(row.reference)},
            {"current", optional_number(row.current)},
            {"value", optional_number(row.value)},
            {"p_value", optional_number(row.p_value)},
            {"interval", interval},
            {"threshold", row.threshold},
            {"status", k_status[static_cast<int>(row.status)]},
            {"note", row.note}};
}

json thresholds_json(const online::DriftThresholds& t) {
    return {{"max_psi", t.max_psi},
            {"ks_alpha", t.ks_alpha},
            {"max_js", t.max_js},
            {"embedding_alpha", t.embedding_alpha},
            {"max_refusal_increase", t.max_refusal_increase},
            {"max_pass_rate_drop", t.max_pass_rate_drop},
            {"alpha", t.alpha}};
}

std::string verdict_line(const online::DriftReport& report) {
    const auto names = alarms(report);
    if (names.empty())
        return "no drift past the thresholds\n";
    std::string out = fmt::format("{} alarm{}:\n", names.size(), names.size() == 1 ? "" : "s");
    for (const auto& name : names)
        out += "  " + name + "\n";
    return out;
}

} // namespace

std::string drift_text(const online::DriftReport& report) {
    std::string out = fmt::format("{:<11}{}\n", "prompt:", terminal_line(filters(report)));
    out += window_line("reference:", report.reference, report.reference_calls);
    out += window_line("current:", report.current, report.current_calls);
    out += "\n";
    // 16 + 4 + 8 + 8 + 8 + 8 + 14 + 5 code points and 7 gaps: 78 columns.
    const auto line = [](std::string_view a, std::string_view b, std::string_view c,
                         std::string_view d, std::string_view e, std::string_view f,
                         std::string_view g, std::string_view h) {
        std::string text =
            fmt::format("{:<16} {:<4} {:>8} {:>8} {:>8} {:>8} {:<14} {}", a, b, c, d, e, f, g, h);
        text.erase(text.find_last_not_of(' ') + 1);
        return text + "\n";
    };
    out += line("feature", "stat", "ref", "current", "value", "p", "threshold", "");
    for (const auto& row : report.rows) {
        const std::string status(online::to_string(row.status));
        if (row.status == online::DriftStatus::unavailable) {
            out += fmt::format("{:<16} {:<4} {:<51} {}\n", row.feature,
                               statistic_name(row.statistic), row.note, status);
            continue;
        }
        out += line(row.feature, statistic_name(row.statistic), number(row.reference),
                    number(row.current), number(row.value), p_text(row.p_value), row.threshold,
                    status);
    }
    out += "\n" + verdict_line(report);
    return out;
}

std::string drift_json(const online::DriftReport& report) {
    json rows = json::array();
    for (const auto& row : report.rows)
        rows.push_back(row_json(row));
    json out = {{"prompt", report.prompt},
                {"version", report.version},
                {"model", report.model},
                {"reference", window_json(report.reference, report.reference_calls)},
                {"current", window_json(report.current, report.current_calls)},
                {"thresholds", thresholds_json(report.thresholds)},
                {"alarm", report.alarm()},
                {"alarms", alarms(report)},
                {"rows", rows}};
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string drift_rows_json(const online::DriftReport& report) {
    json rows = json::array();
    for (const auto& row : report.rows)
        rows.push_back(row_json(row));
    return rows.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string drift_markdown(const online::DriftReport& report) {
    std::string out = fmt::format("## Drift of {}\n\n", markdown_text(filters(report)));
    out += fmt::format("- reference: `{}`, {} calls\n- current: `{}`, {} calls\n\n",
                       online::to_string(report.reference), report.reference_calls,
                       online::to_string(report.current), report.current_calls);
    out += "| feature | statistic | reference | current | value | p | threshold | status |\n";
    out += "|---|---|---:|---:|---:|---:|---|---|\n";
    for (const auto& row : report.rows) {
        const bool na = row.status == online::DriftStatus::unavailable;
        out += fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n", row.feature, row.statistic,
            number(row.reference), number(row.current),
            na ? markdown_text(row.note) : number(row.value), p_text(row.p_value),
            markdown_text(row.threshold),
            row.status == online::DriftStatus::alarm ? "**ALARM**" : online::to_string(row.status));
    }
    out += "\n" + verdict_line(report);
    return out;
}

} // namespace llmops::report
