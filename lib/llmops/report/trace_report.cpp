#include <llmops/report/trace_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>
#include <llmops/report/table.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/money.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;

std::string count_or_dash(const std::optional<int64_t>& n) {
    return n ? std::to_string(*n) : "-";
}

json optional_json(const auto& value) {
    return value ? json(*value) : json();
}

// A stored JSON column as a value (the store wrote it, so it parses; a damaged one is a string).
json json_column(const std::string& text) {
    json value = util::parse_json_or_discarded(text);
    return value.is_discarded() ? json(text) : value;
}

std::string ms_or_dash(const std::optional<double>& ms) {
    return ms ? fmt::format("{:.0f}ms", *ms) : "-";
}

// The numbers of a stats row (k_stats_numbers wide, with their leading space).
constexpr size_t k_stats_numbers = 68;
std::string stats_numbers(const traces::CallGroup& g) {
    const std::string cost =
        g.calls == g.unpriced ? "-" : util::format_cost(g.cost_usd, g.unpriced);
    return fmt::format(" {:>6} {:>5.1f}% {:>8} {:>7} {:>11} {:>7} {:>7} {:>8}", g.calls,
                       100.0 * g.error_rate(), g.input_tokens, g.output_tokens, cost,
                       ms_or_dash(g.latency_p50_ms), ms_or_dash(g.latency_p95_ms),
                       g.feedback_mean ? fmt::format("{:.2f}", *g.feedback_mean) : "-");
}

// A row: the label padded to `label_width` then the numbers, or (label_width 0: a narrow
// terminal) the label on its own line and the numbers indented below it.
std::string stats_row(const traces::CallGroup& g, const std::string& label, size_t label_width) {
    if (label_width == 0) {
        return terminal_line(label) + "\n " + stats_numbers(g) + "\n";
    }
    return terminal_cell(label, label_width) + stats_numbers(g) + "\n";
}

json group_json(const traces::CallGroup& g) {
    return {{"prompt", g.prompt},
            {"version", g.version},
            {"model", g.model},
            {"calls", g.calls},
            {"errors", g.errors},
            {"error_rate", g.error_rate()},
            {"input_tokens", g.input_tokens},
            {"output_tokens", g.output_tokens},
            {"cost_usd", g.calls == g.unpriced ? json() : json(g.cost_usd)},
            {"unpriced", g.unpriced},
            {"latency_p50_ms", optional_json(g.latency_p50_ms)},
            {"latency_p95_ms", optional_json(g.latency_p95_ms)},
            {"feedback_mean", optional_json(g.feedback_mean)},
            {"feedback_count", g.feedback_count}};
}

json call_object(const store::CallRecord& c) {
    return {{"span_id", c.span_id},
            {"trace_id", c.trace_id},
            {"time", c.time},
            {"time_unix_ns", c.time_unix_ns},
            {"prompt", c.prompt},
            {"version", c.prompt_version},
            {"model", c.model},
            {"provider", c.provider},
            {"operation", c.operation},
            {"vars", json_column(c.vars)},
            {"messages", json_column(c.messages)},
            {"output", optional_json(c.output)},
            {"input_tokens", optional_json(c.input_tokens)},
            {"output_tokens", optional_json(c.output_tokens)},
            {"latency_ms", optional_json(c.latency_ms)},
            {"cost_usd", optional_json(c.cost_usd)},
            {"error", c.error},
            {"error_message", c.error_message},
            {"user", c.user_id},
            {"session", c.session_id},
            {"feedback", optional_json(c.feedback)},
            {"source", c.source},
            {"attributes", json_column(c.attributes)}};
}

std::string rtrim(std::string s) {
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
}

// A usage group's label: its keys' values in `keys`' order, prompt@version together.
std::string usage_label(const traces::CallGroup& g, const std::vector<traces::UsageKey>& keys) {
    std::string label;
    const auto add = [&label](const std::string& part) {
        label += (label.empty() ? "" : " ") + (part.empty() ? std::string("-") : part);
    };
    for (const auto key : keys) {
        switch (key) {
        case traces::UsageKey::prompt:
            add(g.prompt.empty() || g.version.empty() ? g.prompt : g.prompt + "@" + g.version);
            break;
        case traces::UsageKey::version: break; // with the prompt
        case traces::UsageKey::model: add(g.model); break;
        case traces::UsageKey::day: add(g.day); break;
        }
    }
    return label;
}

// The numeric columns of `usage`, in order; a narrow terminal drops p95, p50, then tokens.
const std::vector<TableColumn>& usage_columns() {
    static const std::vector<TableColumn> columns = {
        {"calls", 7, 0}, {"errors", 6, 4}, {"in", 9, 3}, {"out", 8, 3},
        {"cost", 11, 0}, {"p50", 7, 2},    {"p95", 7, 1}};
    return columns;
}

std::vector<std::string> usage_cells(const traces::CallGroup& g) {
    return {std::to_string(g.calls),
            fmt::format("{:.1f}%", 100.0 * g.error_rate()),
            std::to_string(g.input_tokens),
            std::to_string(g.output_tokens),
            util::format_cost(g.cost_usd, g.unpriced),
            ms_or_dash(g.latency_p50_ms),
            ms_or_dash(g.latency_p95_ms)};
}

// The numbers of a row: each kept cell right-aligned in its column, two spaces before each.
std::string usage_numbers(const std::vector<std::string>& cells, const std::vector<bool>& kept) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
        if (kept[i]) {
            out += fmt::format("  {:>{}}", cells[i], usage_columns()[i].width);
        }
    }
    return out;
}

json usage_group_json(const traces::CallGroup& g, const std::vector<traces::UsageKey>& keys) {
    json out = json::object();
    for (const auto key : keys) {
        const std::string& value = key == traces::UsageKey::prompt    ? g.prompt
                                   : key == traces::UsageKey::version ? g.version
                                   : key == traces::UsageKey::model   ? g.model
                                                                      : g.day;
        out[std::string(traces::usage_key_name(key))] = value;
    }
    json numbers = group_json(g);
    for (const char* key : {"calls", "errors", "error_rate", "input_tokens", "output_tokens",
                            "cost_usd", "unpriced", "latency_p50_ms", "latency_p95_ms"}) {
        out[key] = numbers[key];
    }
    if (!util::cost_known(g.cost_usd, g.unpriced)) {
        out["cost_usd"] = nullptr;
    }
    return out;
}

} // namespace

std::string usage_text(const traces::UsageStats& usage, size_t width) {
    if (usage.total.calls == 0) {
        return "no calls\n";
    }
    std::vector<std::string> labels;
    std::string header;
    for (const auto key : usage.keys) {
        header += key == traces::UsageKey::version
                      ? "@version"
                      : (header.empty() ? "" : " ") + std::string(traces::usage_key_name(key));
    }
    size_t longest = std::max<size_t>(header.size(), 5);
    for (const auto& g : usage.groups) {
        labels.push_back(terminal_line(usage_label(g, usage.keys)));
        longest = std::max(longest, labels.back().size());
    }
    std::vector<bool> kept(usage_columns().size(), true);
    size_t numbers_width = 0;
    for (const auto& c : usage_columns()) {
        numbers_width += c.width + 2;
    }
    const bool one_line = longest + numbers_width <= width;
    size_t unused = 0;
    if (!one_line) {
        kept = fit_columns(usage_columns(), width, 0, 0, 0, unused);
    }
    std::vector<std::string> headers;
    for (const auto& c : usage_columns()) {
        headers.push_back(c.header);
    }
    const auto row = [&](const std::string& label, const std::vector<std::string>& cells) {
        return one_line
                   ? fmt::format("{:<{}}", label, longest) + usage_numbers(cells, kept) + "\n"
                   : rtrim(terminal_cell(label, width)) + "\n" + usage_numbers(cells, kept) + "\n";
    };
    std::string out = row(header, headers);
    for (size_t i = 0; i < usage.groups.size(); ++i) {
        out += row(labels[i], usage_cells(usage.groups[i]));
    }
    return out + row("total", usage_cells(usage.total));
}

std::string usage_json(const traces::UsageStats& usage) {
    json by = json::array();
    for (const auto key : usage.keys) {
        by.push_back(std::string(traces::usage_key_name(key)));
    }
    json groups = json::array();
    for (const auto& g : usage.groups) {
        groups.push_back(usage_group_json(g, usage.keys));
    }
    const json out = {{"by", by}, {"groups", groups}, {"total", usage_group_json(usage.total, {})}};
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string call_stats_text(const traces::CallStats& stats, size_t width) {
    if (stats.total.calls == 0) {
        return "no calls\n";
    }
    std::vector<std::string> labels;
    size_t longest = 20;
    for (const auto& g : stats.groups) {
        const std::string prompt =
            g.prompt.empty() ? "-" : g.prompt + (g.version.empty() ? "" : "@" + g.version);
        labels.push_back(prompt + " " + (g.model.empty() ? "-" : g.model));
        longest = std::max(longest, labels.back().size());
    }
    // One line a group when its label fits beside the numbers, else two (label, then numbers).
    const size_t label_width = std::min<size_t>(longest, 40) + k_stats_numbers <= width
                                   ? std::min<size_t>(longest, 40)
                                   : 0;
    const std::string numbers =
        fmt::format(" {:>6} {:>6} {:>8} {:>7} {:>11} {:>7} {:>7} {:>8}", "calls", "errors", "in",
                    "out", "cost", "p50", "p95", "feedback");
    std::string out =
        label_width == 0
            ? "prompt@version model\n " + numbers + "\n"
            : fmt::format("{:<{}}", "prompt@version model", label_width) + numbers + "\n";
    for (size_t i = 0; i < stats.groups.size(); ++i) {
        out += stats_row(stats.groups[i], labels[i], label_width);
    }
    out += stats_row(stats.total, "total", label_width);
    return out;
}

std::string call_stats_json(const traces::CallStats& stats) {
    json groups = json::array();
    for (const auto& g : stats.groups) {
        groups.push_back(group_json(g));
    }
    const json out = {{"groups", groups}, {"total", group_json(stats.total)}};
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string import_summary_text(const traces::ImportSummary& summary, const std::string& file) {
    return fmt::format("imported {} call{} ({} already there, {} skipped: not LLM calls, {} bad) "
                       "from {}\n",
                       summary.imported, summary.imported == 1 ? "" : "s", summary.duplicates,
                       summary.skipped, summary.bad, terminal_line(file));
}

std::string import_problems_text(const traces::ImportSummary& summary) {
    std::string out;
    for (const auto& problem : summary.problems) {
        out += fmt::format("llmops: warning: {}\n", terminal_line(problem));
    }
    const auto shown = static_cast<int64_t>(summary.problems.size());
    if (summary.bad > shown) {
        out += fmt::format("llmops: warning: ... and {} more bad line{} or span{}\n",
                           summary.bad - shown, summary.bad - shown == 1 ? "" : "s",
                           summary.bad - shown == 1 ? "" : "s");
    }
    return out;
}

std::string calls_text(const std::vector<store::CallRecord>& calls, size_t width) {
    if (calls.empty()) {
        return "no calls\n";
    }
    // Two lines a call: when, what and which model; then the numbers and the answer, as wide as
    // the terminal allows.
    const size_t numbers = 38; // "  " + in, out, latency, cost + two spaces
    const size_t answer = width > numbers + 10 ? width - numbers : 10;
    std::string out = fmt::format("{:<20} {}\n  {:>7} {:>7} {:>9} {:>9}  {}\n", "time",
                                  "prompt@version model", "in", "out", "latency", "cost", "output");
    for (const auto& c : calls) {
        const std::string prompt =
            c.prompt.empty() ? "-"
                             : c.prompt + (c.prompt_version.empty() ? "" : "@" + c.prompt_version);
        std::string time = c.time;
        if (time.ends_with(".000Z")) {
            time.replace(time.size() - 5, 5, "Z");
        }
        const std::string latency = c.latency_ms ? fmt::format("{:.0f}ms", *c.latency_ms) : "-";
        const std::string cost = c.cost_usd ? util::format_usd(*c.cost_usd) : "-";
        const std::string tail = c.error ? "error: " + c.error_message : c.output.value_or("");
        // Each line trimmed on its own: the padded cells leave no trailing spaces.
        const std::string what = prompt + " " + (c.model.empty() ? "-" : c.model);
        std::string first =
            fmt::format("{:<20} {}", time, terminal_cell(what, width > 22 ? width - 21 : 1));
        std::string second =
            fmt::format("  {:>7} {:>7} {:>9} {:>9}  {}", count_or_dash(c.input_tokens),
                        count_or_dash(c.output_tokens), latency, cost, terminal_cell(tail, answer));
        for (std::string* line : {&first, &second}) {
            line->erase(line->find_last_not_of(' ') + 1);
        }
        out += first + "\n" + second + "\n";
    }
    return out;
}

std::string calls_json(const std::vector<store::CallRecord>& calls) {
    json out = json::array();
    for (const auto& c : calls) {
        out.push_back(call_object(c));
    }
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string call_text(const store::CallRecord& c) {
    std::string out;
    const auto field = [&out](std::string_view name, const std::string& value) {
        if (!value.empty()) {
            out += fmt::format("{:<14}{}\n", std::string(name) + ":", terminal_line(value));
        }
    };
    field("span", c.span_id);
    field("trace", c.trace_id);
    field("time", c.time);
    field("prompt", c.prompt + (c.prompt_version.empty() ? "" : "@" + c.prompt_version));
    field("model", c.model);
    field("provider", c.provider);
    field("tokens", c.input_tokens || c.output_tokens ? count_or_dash(c.input_tokens) + " in, " +
                                                            count_or_dash(c.output_tokens) + " out"
                                                      : "");
    field("latency", c.latency_ms ? fmt::format("{:.0f}ms", *c.latency_ms) : "");
    field("cost", c.cost_usd ? util::format_usd(*c.cost_usd) : "");
    field("error", c.error ? (c.error_message.empty() ? "yes" : c.error_message) : "");
    field("user", c.user_id);
    field("session", c.session_id);
    field("feedback", c.feedback ? fmt::format("{}", *c.feedback) : "");
    field("vars", c.vars == "{}" ? "" : c.vars);
    field("source", c.source);
    const json messages = json_column(c.messages);
    for (const auto& m : messages.is_array() ? messages : json::array()) {
        // Messages are the user's JSON: no throwing accessor (value() throws on a wrong type).
        const json role = m.is_object() && m.contains("role") ? m["role"] : json("?");
        const json content = m.is_object() && m.contains("content") ? m["content"] : json();
        const auto text = [](const json& v) {
            return v.is_string() ? v.get<std::string>()
                                 : v.dump(-1, ' ', false, json::error_handler_t::replace);
        };
        out += fmt::format("\n[{}]\n{}\n", terminal_line(text(role)), terminal_text(text(content)));
    }
    if (c.output) {
        out += fmt::format("\n[output]\n{}\n", terminal_text(*c.output));
    }
    return out;
}

std::string call_json(const store::CallRecord& c) {
    return call_object(c).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string listening_text(const std::string& host, int port) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return fmt::format("listening on http://{}{}{}:{}\n", ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                       port);
}

std::string request_log_text(const traces::RequestLog& log) {
    const auto& r = log.response;
    std::string line =
        fmt::format("{} {} {}", terminal_line(log.method), terminal_line(log.path), r.status);
    if (r.status == 200) {
        line += fmt::format(": {} new, {} already there, {} skipped, {} rejected", r.imported,
                            r.duplicates, r.skipped, r.rejected);
    }
    if (!r.message.empty()) {
        line += ": " + terminal_line(r.message);
    }
    return line + "\n";
}

} // namespace llmops::report
