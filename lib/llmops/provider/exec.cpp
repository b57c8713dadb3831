#include <llmops/provider/exec.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>

#include <nlohmann/json.hpp>

#include <llmops/provider/wire.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::provider {

using json = nlohmann::json;

namespace {

// Replaces every byte that is not part of valid UTF-8 with '?', so a message built from a
// program's stderr can go into JSON reports.
std::string valid_utf8(std::string text) {
    size_t from = 0;
    while (auto bad = util::find_invalid_utf8(std::string_view(text).substr(from))) {
        text[from + *bad] = '?';
        from += *bad + 1;
    }
    return text;
}

// The last line of `err` with something on it, trimmed, quoted to at most 200 bytes.
std::string last_stderr_line(std::string_view err) {
    const auto lines = util::split(err, '\n');
    for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
        if (auto trimmed = util::trim(*line); !trimmed.empty())
            return valid_utf8(detail::quote_body(trimmed));
    }
    return {};
}

// A request parameter that holds JSON text goes to the program as JSON when it parses.
json json_or_text(const std::string& text) {
    json parsed = util::parse_json_or_discarded(text);
    return parsed.is_discarded() ? json(text) : parsed;
}

json set_params(const Params& p) {
    json params = json::object();
    if (p.temperature)
        params["temperature"] = *p.temperature;
    if (p.top_p)
        params["top_p"] = *p.top_p;
    if (p.max_tokens)
        params["max_tokens"] = *p.max_tokens;
    if (p.seed)
        params["seed"] = *p.seed;
    if (!p.stop.empty())
        params["stop"] = p.stop;
    if (p.response_format_json)
        params["response_format"] = json_or_text(*p.response_format_json);
    if (p.tools_json)
        params["tools"] = json_or_text(*p.tools_json);
    return params;
}

// Plain text loses the one line ending `print` or `echo` added.
std::string strip_one_newline(std::string_view out) {
    if (out.ends_with("\r\n"))
        out.remove_suffix(2);
    else if (out.ends_with('\n'))
        out.remove_suffix(1);
    return std::string(out);
}

// The first of `names` present in `usage` as a non-negative integer (12.0 counts), nothing when
// none is present; fails naming the field when one is present with another type.
Expected<std::optional<int64_t>> count_field(std::string_view id, std::string_view usage_key,
                                             const json& usage,
                                             std::initializer_list<const char*> names) {
    for (const char* name : names) {
        auto it = usage.find(name);
        if (it == usage.end() || it->is_null())
            continue;
        const bool integral =
            it->is_number_integer() || (it->is_number_float() && std::isfinite(it->get<double>()) &&
                                        std::floor(it->get<double>()) == it->get<double>());
        if (!integral || it->get<double>() < 0 || it->get<double>() > 9.0e18) {
            return fail(ErrorCode::provider,
                        "{}: printed a JSON object whose '{}.{}' is not a non-negative integer", id,
                        usage_key, name);
        }
        return it->is_number_integer() ? it->get<int64_t>()
                                       : static_cast<int64_t>(it->get<double>());
    }
    return std::optional<int64_t>();
}

// Reads the token counts of `answer`'s tokenUsage (promptfoo's name) or usage, when it has one
// with an input or output count; otherwise leaves `result.usage` to be estimated.
Expected<bool> read_usage(std::string_view id, const json& answer, CompletionResult& result) {
    const char* key = answer.contains("tokenUsage") ? "tokenUsage" : "usage";
    auto it = answer.find(key);
    if (it == answer.end() || it->is_null())
        return false;
    if (!it->is_object())
        return fail(ErrorCode::provider, "{}: printed a JSON object whose '{}' is not an object",
                    id, key);
    auto input =
        LLMOPS_TRY(count_field(id, key, *it, {"input", "prompt", "prompt_tokens", "input_tokens"}));
    auto output = LLMOPS_TRY(
        count_field(id, key, *it, {"output", "completion", "completion_tokens", "output_tokens"}));
    auto cached = LLMOPS_TRY(count_field(id, key, *it, {"cached_input"}));
    auto reasoning = LLMOPS_TRY(count_field(id, key, *it, {"reasoning", "reasoning_tokens"}));
    auto total = LLMOPS_TRY(count_field(id, key, *it, {"total", "total_tokens"}));
    if (!input.has_value() && !output.has_value())
        return false;
    Usage usage;
    usage.input = input.value_or(0);
    usage.output = output.value_or(0);
    if (total.has_value() && !input.has_value())
        usage.input = std::max<int64_t>(0, *total - usage.output);
    if (total.has_value() && !output.has_value())
        usage.output = std::max<int64_t>(0, *total - usage.input);
    usage.cached_input = cached.value_or(0);
    usage.reasoning = reasoning.value_or(0);
    result.usage = usage;
    return true;
}

// Reads a program's JSON answer (ProviderResponse-like) into `outcome`.
Expected<void> read_answer(std::string_view id, const CompletionRequest& request,
                           const json& answer, CallOutcome& outcome) {
    if (auto error = answer.find("error");
        error != answer.end() && error->is_string() && !error->get<std::string>().empty()) {
        return fail(ErrorCode::provider, "{}: reported an error: {}", id,
                    valid_utf8(detail::quote_body(error->get<std::string>())));
    }
    auto output = answer.find("output");
    if (output == answer.end() || !output->is_string())
        return fail(ErrorCode::provider, "{}: printed a JSON object without a string 'output'", id);
    CompletionResult& result = outcome.result;
    result.output = output->get<std::string>();
    const char* reason_key = answer.contains("finish_reason") ? "finish_reason" : "finishReason";
    result.finish_reason = "stop";
    if (auto reason = answer.find(reason_key); reason != answer.end() && !reason->is_null()) {
        if (!reason->is_string())
            return fail(ErrorCode::provider, "{}: printed a JSON object whose '{}' is not a string",
                        id, reason_key);
        result.finish_reason = reason->get<std::string>();
    }
    if (auto context = answer.find("context"); context != answer.end() && !context->is_null()) {
        // The retrieved context of a RAG app: text, or a list of text chunks.
        if (context->is_string()) {
            result.context = context->get<std::string>();
        } else if (context->is_array() &&
                   std::all_of(context->begin(), context->end(),
                               [](const json& c) { return c.is_string(); })) {
            std::string joined;
            for (const auto& c : *context)
                joined += (joined.empty() ? "" : "\n\n") + c.get<std::string>();
            result.context = std::move(joined);
        } else {
            return fail(ErrorCode::provider,
                        "{}: printed a JSON object whose 'context' is not a string or a list of "
                        "strings",
                        id);
        }
    }
    auto has_usage = LLMOPS_TRY(read_usage(id, answer, result));
    if (!has_usage)
        detail::estimate_usage(request, result);
    if (auto cost = answer.find("cost"); cost != answer.end() && !cost->is_null()) {
        if (!cost->is_number() || !std::isfinite(cost->get<double>()) || cost->get<double>() < 0)
            return fail(ErrorCode::provider,
                        "{}: printed a JSON object whose 'cost' is not a non-negative number", id);
        outcome.cost_usd = cost->get<double>();
    }
    return {};
}

} // namespace

Expected<std::vector<std::string>> parse_exec_argv(std::string_view id) {
    std::string_view command = id;
    if (command.starts_with("exec:"))
        command.remove_prefix(5);
    auto argv = util::split_command_line(command);
    if (!argv)
        return fail(argv.error(), "provider 'exec:{}'", command);
    return argv;
}

std::string exec_request_json(const CompletionRequest& request, const json& vars,
                              const json& config) {
    json messages = json::array();
    std::vector<std::string> contents;
    for (const auto& m : request.messages) {
        messages.push_back({{"role", m.role}, {"content", m.content}});
        contents.push_back(m.content);
    }
    json body = json::object();
    body["prompt"] = util::join(contents, "\n\n");
    body["messages"] = std::move(messages);
    body["model"] = request.model;
    body["params"] = set_params(request.params);
    body["vars"] = vars.is_null() ? json::object() : vars;
    body["config"] = config.is_null() ? json::object() : config;
    // A dataset with a stray Latin-1 byte must not make the call throw.
    return body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Expected<CallOutcome> parse_exec_result(std::string_view id, const CompletionRequest& request,
                                        const util::ProcessResult& process, int64_t timeout_ms) {
    if (process.timed_out || process.cancelled || process.signal != 0 || process.exit_code != 0) {
        std::string message = util::describe_exit(process, timeout_ms);
        if (auto line = last_stderr_line(process.err); !line.empty())
            message += ": " + line;
        return fail(ErrorCode::provider, "{}: {}", id, message);
    }
    if (process.out_truncated)
        return fail(ErrorCode::provider, "{}: printed more than {} bytes", id, process.out.size());
    if (process.out.empty())
        return fail(ErrorCode::provider, "{}: printed nothing", id);
    if (util::find_invalid_utf8(process.out))
        return fail(ErrorCode::provider, "{}: stdout is not valid UTF-8", id);

    CallOutcome outcome;
    outcome.latency_ms = process.elapsed_ms;
    const std::string_view trimmed = util::trim(process.out);
    if (trimmed.starts_with('{')) {
        // Text that merely starts with a brace ("{name} is ...") is still an answer.
        json answer = util::parse_json_or_discarded(trimmed);
        if (!answer.is_discarded() && answer.is_object()) {
            LLMOPS_TRY(read_answer(id, request, answer, outcome));
            return outcome;
        }
    }
    outcome.result.output = strip_one_newline(process.out);
    outcome.result.finish_reason = "stop";
    detail::estimate_usage(request, outcome.result);
    return outcome;
}

} // namespace llmops::provider
