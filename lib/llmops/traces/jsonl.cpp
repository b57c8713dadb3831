// llmops's plain JSONL form of calls (docs/traces.md), and the redaction every call gets before
// it is stored.

#include <llmops/traces/read.hpp>

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/redact.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 18> k_keys = {
    "time",     "prompt",  "version",      "model",         "provider",   "vars",
    "messages", "output",  "input_tokens", "output_tokens", "latency_ms", "feedback",
    "user",     "session", "span_id",      "trace_id",      "error",      "attributes"};

Expected<void> check_keys(const json& record) {
    for (const auto& [key, value] : record.items()) {
        if (std::find(k_keys.begin(), k_keys.end(), key) == k_keys.end()) {
            return fail(ErrorCode::invalid_input, "unknown key '{}'", key);
        }
    }
    return {};
}

Expected<std::string> optional_string(const json& record, std::string_view key) {
    const auto it = record.find(key);
    if (it == record.end() || it->is_null()) {
        return std::string();
    }
    if (it->is_number_integer() && (key == "version" || key == "user" || key == "session")) {
        return it->dump();
    }
    if (!it->is_string()) {
        return fail(ErrorCode::invalid_input, "'{}' must be a string", key);
    }
    return it->get<std::string>();
}

Expected<std::optional<int64_t>> optional_count(const json& record, std::string_view key) {
    const auto it = record.find(key);
    if (it == record.end() || it->is_null()) {
        return std::optional<int64_t>();
    }
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
        return fail(ErrorCode::invalid_input, "'{}' must be a non-negative integer", key);
    }
    return std::optional<int64_t>(it->get<int64_t>());
}

Expected<std::optional<double>> optional_number(const json& record, std::string_view key) {
    const auto it = record.find(key);
    if (it == record.end() || it->is_null()) {
        return std::optional<double>();
    }
    if (!it->is_number()) {
        return fail(ErrorCode::invalid_input, "'{}' must be a number", key);
    }
    return std::optional<double>(it->get<double>());
}

// The prompt, from `prompt` (`name` or `name@version`) and `version`.
Expected<void> read_prompt(const json& record, store::CallRecord& call) {
    const std::string prompt = LLMOPS_TRY(optional_string(record, "prompt"));
    const std::string version = LLMOPS_TRY(optional_string(record, "version"));
    const size_t at = prompt.find('@');
    call.prompt = prompt.substr(0, at);
    call.prompt_version = at == std::string::npos ? version : prompt.substr(at + 1);
    if (at != std::string::npos && !version.empty() && version != call.prompt_version) {
        return fail(ErrorCode::invalid_input, "'prompt' says version '{}' but 'version' says '{}'",
                    call.prompt_version, version);
    }
    return {};
}

Expected<void> read_time(const json& record, store::CallRecord& call) {
    const auto it = record.find("time");
    if (it == record.end()) {
        return fail(ErrorCode::invalid_input, "no 'time'");
    }
    const auto ns = it->is_string() ? store::parse_iso8601_ns(it->get<std::string>())
                                    : std::optional<int64_t>();
    if (!ns) {
        return fail(ErrorCode::invalid_input,
                    "'time' must be an ISO 8601 time such as '2026-11-23T09:00:00Z'");
    }
    call.time_unix_ns = *ns;
    return {};
}

// `vars` (an object), `messages` (an array) and `output` (a string).
Expected<void> read_content(const json& record, store::CallRecord& call) {
    const auto vars = record.find("vars");
    if (vars != record.end() && !vars->is_null()) {
        if (!vars->is_object()) {
            return fail(ErrorCode::invalid_input, "'vars' must be an object");
        }
        call.vars = vars->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    const auto messages = record.find("messages");
    if (messages != record.end() && !messages->is_null()) {
        if (!messages->is_array()) {
            return fail(ErrorCode::invalid_input, "'messages' must be an array");
        }
        call.messages = messages->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (const auto output = record.find("output"); output != record.end() && !output->is_null()) {
        if (!output->is_string()) {
            return fail(ErrorCode::invalid_input, "'output' must be a string");
        }
        call.output = output->get<std::string>();
    }
    return {};
}

// `error`: true, or a message (a failed call).
Expected<void> read_error(const json& record, store::CallRecord& call) {
    const auto it = record.find("error");
    if (it == record.end() || it->is_null() || *it == false) {
        return {};
    }
    if (!it->is_boolean() && !it->is_string()) {
        return fail(ErrorCode::invalid_input, "'error' must be true or a message");
    }
    call.error = true;
    call.error_message = it->is_string() ? it->get<std::string>() : "";
    return {};
}

bool known_attribute(std::string_view key) {
    return key.starts_with("gen_ai.usage.") || key == "session.id" ||
           key == "gen_ai.conversation.id" || key == "session";
}

// Redacts the values of secret-named members of `value` (at any depth) and collects them.
void redact_members(json& value, std::vector<std::string>& secrets, int depth = 0) {
    if (!value.is_object() || depth > 64) {
        return;
    }
    for (auto& [key, member] : value.items()) {
        const size_t dot = key.rfind('.');
        const std::string_view last = dot == std::string::npos
                                          ? std::string_view(key)
                                          : std::string_view(key).substr(dot + 1);
        if (!known_attribute(key) && util::secret_name(last) && !member.is_null()) {
            if (member.is_string() && !member.get<std::string>().empty()) {
                secrets.push_back(member.get<std::string>());
            }
            member = "[redacted]";
        } else {
            redact_members(member, secrets, depth + 1);
        }
    }
}

} // namespace

Expected<store::CallRecord> read_jsonl_call(const json& record, std::string_view line) {
    if (!record.is_object()) {
        return fail(ErrorCode::invalid_input, "not a JSON object");
    }
    LLMOPS_TRY(check_keys(record));
    store::CallRecord call;
    call.source = "jsonl";
    LLMOPS_TRY(read_time(record, call));
    LLMOPS_TRY(read_prompt(record, call));
    call.model = LLMOPS_TRY(optional_string(record, "model"));
    call.provider = LLMOPS_TRY(optional_string(record, "provider"));
    call.user_id = LLMOPS_TRY(optional_string(record, "user"));
    call.session_id = LLMOPS_TRY(optional_string(record, "session"));
    call.trace_id = LLMOPS_TRY(optional_string(record, "trace_id"));
    call.span_id = LLMOPS_TRY(optional_string(record, "span_id"));
    if (call.span_id.empty()) {
        call.span_id = "jsonl:" + util::sha256_hex(line);
    }
    call.input_tokens = LLMOPS_TRY(optional_count(record, "input_tokens"));
    call.output_tokens = LLMOPS_TRY(optional_count(record, "output_tokens"));
    call.latency_ms = LLMOPS_TRY(optional_number(record, "latency_ms"));
    call.feedback = LLMOPS_TRY(optional_number(record, "feedback"));
    LLMOPS_TRY(read_content(record, call));
    LLMOPS_TRY(read_error(record, call));
    if (const auto it = record.find("attributes");
        it != record.end() && !it->is_null() && !it->is_object()) {
        return fail(ErrorCode::invalid_input, "'attributes' must be an object");
    }
    redact_call(call, record);
    return call;
}

void redact_call(store::CallRecord& call, nlohmann::json attributes) {
    // Most calls have no vars: "{}" is neither parsed nor written again.
    json vars = call.vars == "{}" ? json() : util::parse_json_or_discarded(call.vars);
    redact_call(call, std::move(attributes), std::move(vars));
}

void redact_call(store::CallRecord& call, nlohmann::json attributes, nlohmann::json vars) {
    if (!attributes.is_object()) {
        attributes = json::object();
    }
    std::vector<std::string> secrets;
    redact_members(attributes, secrets);
    redact_members(vars, secrets);
    const util::Redactor redactor(secrets, util::Redactor::Short::kept);
    if (!redactor.empty()) {
        redactor.redact_json(attributes);
        redactor.redact_json(vars);
        call.messages = redactor.redact(call.messages);
        if (call.output) {
            call.output = redactor.redact(*call.output);
        }
    }
    util::sanitize_urls(attributes);
    call.attributes = attributes.dump(-1, ' ', false, json::error_handler_t::replace);
    if (vars.is_object()) {
        call.vars = vars.dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

void redact_call(store::CallRecord& call) {
    redact_call(call, util::parse_json_or_discarded(call.attributes));
}

} // namespace llmops::traces
