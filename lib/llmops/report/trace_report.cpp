#include <llmops/report/trace_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>
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

} // namespace

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

std::string calls_text(const std::vector<store::CallRecord>& calls) {
    if (calls.empty()) {
        return "no calls\n";
    }
    std::string out = fmt::format("{:<24} {:<24} {:<20} {:>7} {:>7} {:>9} {:>9}  {}\n", "time",
                                  "prompt", "model", "in", "out", "latency", "cost", "output");
    for (const auto& c : calls) {
        const std::string prompt =
            c.prompt.empty() ? "-"
                             : c.prompt + (c.prompt_version.empty() ? "" : "@" + c.prompt_version);
        const std::string latency = c.latency_ms ? fmt::format("{:.0f}ms", *c.latency_ms) : "-";
        const std::string cost = c.cost_usd ? util::format_usd(*c.cost_usd) : "-";
        const std::string tail = c.error ? "error: " + c.error_message : c.output.value_or("");
        out += fmt::format(
            "{:<24} {} {} {:>7} {:>7} {:>9} {:>9}  {}\n", c.time, terminal_cell(prompt, 24),
            terminal_cell(c.model.empty() ? "-" : c.model, 20), count_or_dash(c.input_tokens),
            count_or_dash(c.output_tokens), latency, cost, terminal_cell(tail, 40));
    }
    return out;
}

std::string calls_json(const std::vector<store::CallRecord>& calls) {
    json out = json::array();
    for (const auto& c : calls) {
        out.push_back({{"span_id", c.span_id},
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
                       {"attributes", json_column(c.attributes)}});
    }
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace llmops::report
