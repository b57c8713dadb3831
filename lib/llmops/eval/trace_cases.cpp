#include <llmops/eval/trace_cases.hpp>

#include <fmt/format.h>

#include <llmops/eval/suite_detail.hpp>
#include <llmops/store/call_sample.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>

namespace llmops::eval {

using nlohmann::json;

namespace {

const detail::Keys k_trace_keys = {
    {"prompt", "version", "model", "since", "until", "sample", "seed", "stratify"}, {}};

// A string-valued key of the query, if present.
Expected<void> read_text(const json& map, const char* key, std::string_view where,
                         std::string& out) {
    if (!map.contains(key) || map[key].is_null()) {
        return {};
    }
    const json& v = map[key];
    if (v.is_string()) {
        out = v.get<std::string>();
    } else if (v.is_number_integer()) {
        out = std::to_string(v.get<int64_t>()); // `version: 3`, `seed: 1`
    } else {
        return fail(ErrorCode::invalid_input, "{}.{}: expected text, not {}", where, key,
                    detail::type_name(v));
    }
    return {};
}

Expected<int64_t> read_sample(const json& map, std::string_view where) {
    if (!map.contains("sample") || map["sample"].is_null()) {
        return 0;
    }
    const json& v = map["sample"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1) {
        return fail(ErrorCode::invalid_input, "{}.sample: expected a positive whole number, not {}",
                    where, v.dump());
    }
    return v.get<int64_t>();
}

// The call's messages as recorded (a JSON array of {role, content}); what is not such a
// message is left out.
std::vector<provider::ChatMessage> recorded_messages(const std::string& text) {
    std::vector<provider::ChatMessage> out;
    const json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_array()) {
        return out;
    }
    for (const auto& m : parsed) {
        if (m.is_object() && m.contains("content") && m["content"].is_string()) {
            out.push_back({m.value("role", std::string("user")), m["content"].get<std::string>()});
        }
    }
    return out;
}

Expected<provider::CallOutcome> recorded_answer(const store::CallRecord& call) {
    if (call.error) {
        return fail(ErrorCode::provider, "the production call failed: {}",
                    call.error_message.empty() ? "no message recorded" : call.error_message);
    }
    if (!call.output) {
        return fail(ErrorCode::invalid_input, "the trace recorded no output for call {}",
                    call.span_id);
    }
    provider::CallOutcome out;
    out.result.output = *call.output;
    out.result.finish_reason = "stop";
    out.result.usage.input = call.input_tokens.value_or(0);
    out.result.usage.output = call.output_tokens.value_or(0);
    out.result.usage.estimated = !call.input_tokens && !call.output_tokens;
    out.latency_ms = call.latency_ms.value_or(0.0);
    // An unpriced call stays unpriced: the `traces` provider prices nothing itself.
    out.cost_usd = call.cost_usd;
    return out;
}

json call_metadata(const store::CallRecord& call) {
    json m = json::object();
    m["span_id"] = call.span_id;
    m["trace_id"] = call.trace_id;
    m["time"] = store::iso8601_from_unix_ns(call.time_unix_ns);
    m["prompt"] = call.prompt;
    m["prompt_version"] = call.prompt_version;
    m["model"] = call.model;
    if (!call.user_id.empty()) {
        m["user_id"] = call.user_id;
    }
    if (!call.session_id.empty()) {
        m["session_id"] = call.session_id;
    }
    if (call.feedback) {
        m["feedback"] = *call.feedback;
    }
    return m;
}

std::string window_text(std::optional<int64_t> since, std::optional<int64_t> until) {
    return fmt::format("{}..{}", since ? store::iso8601_from_unix_ns(*since) : "",
                       until ? store::iso8601_from_unix_ns(*until) : "");
}

} // namespace

Expected<TraceQuery> parse_trace_query(const json& tests, std::string_view where) {
    TraceQuery q;
    q.where = detail::child(where, "traces");
    LLMOPS_TRY(detail::check_keys(tests, where, detail::Keys{{"traces"}, {}}));
    const json& map = tests["traces"];
    if (!map.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: expected a map (prompt, since, until, sample, seed, ...), not {}", q.where,
                    detail::type_name(map));
    }
    LLMOPS_TRY(detail::check_keys(map, q.where, k_trace_keys));
    LLMOPS_TRY(read_text(map, "prompt", q.where, q.prompt));
    if (q.prompt.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'prompt' is required: the prompt name the calls were made with", q.where);
    }
    LLMOPS_TRY(read_text(map, "version", q.where, q.version));
    LLMOPS_TRY(read_text(map, "model", q.where, q.model));
    LLMOPS_TRY(read_text(map, "since", q.where, q.since));
    LLMOPS_TRY(read_text(map, "until", q.where, q.until));
    LLMOPS_TRY(read_text(map, "seed", q.where, q.seed));
    q.sample = LLMOPS_TRY(read_sample(map, q.where));
    std::string stratify;
    LLMOPS_TRY(read_text(map, "stratify", q.where, stratify));
    if (!stratify.empty() && stratify != "version") {
        return fail(ErrorCode::invalid_input,
                    "{}.stratify: '{}' is not a stratum: the only one is 'version'", q.where,
                    stratify);
    }
    q.stratify = stratify == "version";
    return q;
}

json trace_query_json(const TraceQuery& q) {
    json out{{"prompt", q.prompt},
             {"sample", q.sample},
             {"seed", q.seed},
             {"stratify", q.stratify ? json("version") : json()}};
    out["version"] = q.version.empty() ? json() : json(q.version);
    out["model"] = q.model.empty() ? json() : json(q.model);
    out["since"] = q.since_unix_ns ? json(store::iso8601_from_unix_ns(*q.since_unix_ns)) : json();
    out["until"] = q.until_unix_ns ? json(store::iso8601_from_unix_ns(*q.until_unix_ns)) : json();
    return out;
}

TestCase case_from_call(const store::CallRecord& call, const TestCase& defaults) {
    TestCase c = defaults;
    c.id = call.span_id;
    c.description = fmt::format("{} v{} at {}", call.prompt,
                                call.prompt_version.empty() ? "?" : call.prompt_version,
                                store::iso8601_from_unix_ns(call.time_unix_ns));
    const json vars = json::parse(call.vars, nullptr, false);
    if (vars.is_object()) {
        for (const auto& [k, v] : vars.items()) {
            c.vars[k] = v;
        }
    }
    c.metadata = call_metadata(call);
    c.where = fmt::format("{}: call {}", defaults.where, call.span_id);
    auto recorded = std::make_shared<RecordedCall>(
        RecordedCall{recorded_messages(call.messages), recorded_answer(call)});
    c.recorded = std::move(recorded);
    return c;
}

Expected<void> load_trace_cases(store::Database& db, Suite& suite,
                                std::optional<int64_t> since_unix_ns,
                                std::optional<int64_t> until_unix_ns) {
    TraceQuery& q = *suite.traces;
    q.since_unix_ns = since_unix_ns;
    q.until_unix_ns = until_unix_ns;
    store::CallSample sample;
    sample.filter.prompt = q.prompt;
    sample.filter.version = q.version;
    sample.filter.model = q.model;
    sample.filter.since_unix_ns = since_unix_ns;
    sample.filter.until_unix_ns = until_unix_ns;
    sample.size = q.sample;
    sample.seed = q.seed;
    sample.by_version = q.stratify;
    const auto ids = LLMOPS_TRY(store::sample_calls(db, sample));
    if (ids.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: no imported call of prompt '{}'{} in {}: import traces first (llmops "
                    "traces import FILE)",
                    q.where, q.prompt, q.version.empty() ? "" : " version " + q.version,
                    window_text(since_unix_ns, until_unix_ns));
    }
    TestCase defaults = suite.tests.defaults();
    defaults.where = q.where;
    std::vector<TestCase> cases;
    cases.reserve(ids.size());
    util::Sha256 hash;
    hash.update("traces:");
    for (const auto& id : ids) {
        auto call = LLMOPS_TRY(store::find_call(db, id));
        cases.push_back(case_from_call(call, defaults));
        hash.update(id);
        hash.update("\n");
    }
    suite.dataset_hash = hash.hex_digest();
    suite.tests = CaseSource(std::move(cases));
    return {};
}

} // namespace llmops::eval
