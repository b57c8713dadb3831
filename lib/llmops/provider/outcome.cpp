#include <llmops/provider/outcome.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace llmops::provider {

using nlohmann::json;

namespace {

json optional_number(const std::optional<double>& value) {
    return value ? json(*value) : json(nullptr);
}

// Reads `object[key]` as a token count: missing or null is 0; anything but a non-negative
// integer is an error naming `where.key`.
Expected<int64_t> read_count(const json& object, const char* key, std::string_view where) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return 0;
    if (it->is_number_unsigned())
        return static_cast<int64_t>(it->get<uint64_t>());
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
        return fail(ErrorCode::invalid_input, "{}.{} is not a non-negative integer", where, key);
    }
    return it->get<int64_t>();
}

Expected<Usage> read_usage(const json& value) {
    auto it = value.find("usage");
    if (it == value.end())
        return fail(ErrorCode::invalid_input, "response.usage is missing");
    if (!it->is_object())
        return fail(ErrorCode::invalid_input, "response.usage is not an object");
    Usage usage;
    struct Field {
        const char* key;
        int64_t Usage::*member;
    };
    static constexpr Field k_fields[] = {{"input", &Usage::input},
                                         {"output", &Usage::output},
                                         {"cached_input", &Usage::cached_input},
                                         {"cache_write", &Usage::cache_write},
                                         {"reasoning", &Usage::reasoning}};
    for (const auto& field : k_fields) {
        auto count = LLMOPS_TRY(read_count(*it, field.key, "response.usage"));
        usage.*field.member = count;
    }
    if (auto e = it->find("estimated"); e != it->end() && !e->is_null()) {
        if (!e->is_boolean())
            return fail(ErrorCode::invalid_input, "response.usage.estimated is not a boolean");
        usage.estimated = e->get<bool>();
    }
    return usage;
}

// Reads an optional string member: missing or null gives nothing.
Expected<std::optional<std::string>> read_optional_string(const json& value, const char* key) {
    auto it = value.find(key);
    if (it == value.end() || it->is_null())
        return std::optional<std::string>();
    if (!it->is_string())
        return fail(ErrorCode::invalid_input, "response.{} is not a string", key);
    return std::optional<std::string>(it->get<std::string>());
}

// Reads an optional number of milliseconds: missing or null gives nothing.
Expected<std::optional<double>> read_optional_ms(const json& value, const char* key) {
    auto it = value.find(key);
    if (it == value.end() || it->is_null())
        return std::optional<double>();
    if (!it->is_number() || it->get<double>() < 0)
        return fail(ErrorCode::invalid_input, "response.{} is not a non-negative number", key);
    return std::optional<double>(it->get<double>());
}

} // namespace

json outcome_to_json(const CallOutcome& outcome) {
    const CompletionResult& r = outcome.result;
    json tool_calls = nullptr;
    if (r.tool_calls_json) {
        // Stored parsed so a recording reads naturally; text that is not JSON (never produced
        // by the wire formats) is kept as a JSON string rather than lost.
        tool_calls = json::parse(*r.tool_calls_json, nullptr, false);
        if (tool_calls.is_discarded())
            tool_calls = *r.tool_calls_json;
    }
    const Usage& u = r.usage;
    json out = {
        {"output", r.output},
        {"finish_reason", r.finish_reason},
        {"refusal", r.refusal ? json(*r.refusal) : json(nullptr)},
        {"tool_calls", std::move(tool_calls)},
        {"usage",
         {{"input", u.input},
          {"output", u.output},
          {"cached_input", u.cached_input},
          {"cache_write", u.cache_write},
          {"reasoning", u.reasoning},
          {"estimated", u.estimated}}},
        {"latency_ms", outcome.latency_ms},
        {"first_byte_ms", optional_number(outcome.first_byte_ms)},
    };
    if (r.context) {
        out["context"] = *r.context;
    }
    if (!r.embeddings.empty()) {
        out["embeddings"] = r.embeddings;
    }
    if (r.logprobs_json) {
        auto parsed = json::parse(*r.logprobs_json, nullptr, false);
        if (!parsed.is_discarded()) {
            out["logprobs"] = std::move(parsed);
        }
    }
    return out;
}

Expected<CallOutcome> outcome_from_json(const json& value) {
    if (!value.is_object())
        return fail(ErrorCode::invalid_input, "response is not an object");
    CallOutcome outcome;
    CompletionResult& r = outcome.result;

    auto output = value.find("output");
    if (output == value.end())
        return fail(ErrorCode::invalid_input, "response.output is missing");
    if (!output->is_string())
        return fail(ErrorCode::invalid_input, "response.output is not a string");
    r.output = output->get<std::string>();

    auto usage = LLMOPS_TRY(read_usage(value));
    r.usage = usage;

    auto finish = LLMOPS_TRY(read_optional_string(value, "finish_reason"));
    r.finish_reason = finish.value_or("");

    r.refusal = LLMOPS_TRY(read_optional_string(value, "refusal"));

    if (auto calls = value.find("tool_calls"); calls != value.end() && !calls->is_null()) {
        // A string is text that was not JSON when written (see outcome_to_json).
        r.tool_calls_json = calls->is_string() ? calls->get<std::string>() : calls->dump();
    }

    r.context = LLMOPS_TRY(read_optional_string(value, "context"));

    if (auto vectors = value.find("embeddings"); vectors != value.end() && !vectors->is_null()) {
        const bool ok =
            vectors->is_array() && std::all_of(vectors->begin(), vectors->end(), [](const json& v) {
                return v.is_array() &&
                       std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number(); });
            });
        if (!ok)
            return fail(ErrorCode::invalid_input, "response.embeddings is not a list of vectors");
        r.embeddings = vectors->get<std::vector<std::vector<double>>>();
    }
    if (auto logprobs = value.find("logprobs"); logprobs != value.end() && logprobs->is_array()) {
        r.logprobs_json = logprobs->dump();
    }

    auto latency = LLMOPS_TRY(read_optional_ms(value, "latency_ms"));
    outcome.latency_ms = latency.value_or(0.0);

    auto first_byte = LLMOPS_TRY(read_optional_ms(value, "first_byte_ms"));
    outcome.first_byte_ms = first_byte;
    return outcome;
}

Expected<CallOutcome> cached_outcome(std::string_view stored) {
    const json value = json::parse(stored, nullptr, false);
    if (value.is_discarded() || !value.is_object()) {
        return fail(ErrorCode::invalid_input, "unreadable cache entry");
    }
    auto outcome = outcome_from_json(value);
    if (outcome) {
        outcome->cached = true;
    }
    return outcome;
}

} // namespace llmops::provider
