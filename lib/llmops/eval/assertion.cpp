#include <llmops/eval/assertion.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include <llmops/eval/assertions/checks.hpp>
#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/transform.hpp>
#include <llmops/prompt/template.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval {

namespace {

using json = nlohmann::json;
using detail::Verdict;

// How a type reads `threshold`.
enum class ThresholdUse {
    none,     // pass/fail: a threshold would mean nothing, so it is refused
    optional, // a score or a limit with a default
    required, // a limit without a sensible default (latency, cost)
};

// Whether `{{variables}}` in the type's string values are rendered before it runs.
enum class Render { no, yes };

struct TypeEntry {
    std::string_view name;
    detail::Validator validate; // nullptr: the type takes no value
    detail::Checker check;      // nullptr: assert-set, run here
    ThresholdUse threshold;
    std::string_view threshold_unit; // for "needs a 'threshold' (milliseconds)"
    Render render;
};

using T = ThresholdUse;

// The one table of assertion types, sorted by name.
constexpr TypeEntry k_types[] = {
    {"answer-relevance", detail::validate_judged, detail::check_judged, T::optional, "",
     Render::no},
    {"assert-set", nullptr, nullptr, T::optional, "", Render::no},
    {"bleu", detail::validate_bleu, detail::check_bleu, T::optional, "", Render::yes},
    {"contains", detail::validate_substring, detail::check_contains, T::none, "", Render::yes},
    {"contains-all", detail::validate_substring_list, detail::check_contains_all, T::none, "",
     Render::yes},
    {"contains-any", detail::validate_substring_list, detail::check_contains_any, T::none, "",
     Render::yes},
    {"contains-json", detail::validate_json_schema_value, detail::check_contains_json, T::none, "",
     Render::no},
    {"context-faithfulness", detail::validate_judged, detail::check_judged, T::optional, "",
     Render::no},
    {"context-recall", detail::validate_judged, detail::check_judged, T::optional, "", Render::no},
    {"context-relevance", detail::validate_judged, detail::check_judged, T::optional, "",
     Render::no},
    {"cost", nullptr, detail::check_cost, T::required, "USD", Render::no},
    {"equals", detail::validate_equals, detail::check_equals, T::none, "", Render::yes},
    {"exec", detail::validate_exec, detail::check_exec, T::optional, "", Render::yes},
    {"factuality", detail::validate_judged, detail::check_judged, T::optional, "", Render::no},
    {"g-eval", detail::validate_judged, detail::check_judged, T::optional, "", Render::no},
    {"icontains", detail::validate_substring, detail::check_icontains, T::none, "", Render::yes},
    {"icontains-all", detail::validate_substring_list, detail::check_icontains_all, T::none, "",
     Render::yes},
    {"icontains-any", detail::validate_substring_list, detail::check_icontains_any, T::none, "",
     Render::yes},
    {"is-json", detail::validate_json_schema_value, detail::check_is_json, T::none, "", Render::no},
    {"is-refusal", nullptr, detail::check_is_refusal, T::none, "", Render::no},
    {"javascript", detail::validate_javascript, detail::check_javascript, T::optional, "",
     Render::no},
    {"latency", nullptr, detail::check_latency, T::required, "milliseconds", Render::no},
    {"levenshtein", detail::validate_levenshtein, detail::check_levenshtein, T::optional, "",
     Render::yes},
    {"llm-rubric", detail::validate_judged, detail::check_judged, T::optional, "", Render::no},
    {"model-graded-closedqa", detail::validate_judged, detail::check_judged, T::none, "",
     Render::no},
    {"model-graded-factuality", detail::validate_judged, detail::check_judged, T::optional, "",
     Render::no},
    {"no-pii", detail::validate_no_pii, detail::check_no_pii, T::none, "", Render::no},
    {"no-secrets", nullptr, detail::check_no_secrets, T::none, "", Render::no},
    {"not-contains-canary", detail::validate_canary, detail::check_not_contains_canary, T::none, "",
     Render::yes},
    {"python", detail::validate_python, detail::check_python, T::optional, "", Render::no},
    {"regex", detail::validate_regex, detail::check_regex, T::none, "", Render::yes},
    {"rouge-n", detail::validate_rouge_n, detail::check_rouge_n, T::optional, "", Render::yes},
    {"select-best", detail::validate_judged, detail::check_judged, T::none, "", Render::no},
    {"similar", detail::validate_judged, detail::check_judged, T::optional, "", Render::no},
    {"starts-with", detail::validate_substring, detail::check_starts_with, T::none, "",
     Render::yes},
};

constexpr std::string_view k_keys[] = {"type",   "value",  "threshold", "weight",
                                       "metric", "config", "assert",    "transform"};

const TypeEntry* find_type(std::string_view name) {
    for (const auto& entry : k_types) {
        if (entry.name == name)
            return &entry;
    }
    return nullptr;
}

std::string written_type(const AssertionSpec& spec) {
    return spec.negate ? "not-" + spec.type : spec.type;
}

// ---- reading ------------------------------------------------------------------------------

Expected<void> check_keys(const json& entry, std::string_view where) {
    std::vector<std::string> known(std::begin(k_keys), std::end(k_keys));
    for (const auto& [key, value] : entry.items()) {
        if (std::find(known.begin(), known.end(), key) != known.end())
            continue;
        if (key == "$ref") // the suite's own $refs are resolved before its assertions are read
            return fail(ErrorCode::invalid_input,
                        "{}: '$ref' in a dataset file points into that file, which holds no "
                        "assertionTemplates (promptfoo fails on it too); write the assertion out "
                        "or put it in the suite's defaultTest",
                        where);
        return fail(ErrorCode::invalid_input, "{}: unknown key '{}' in an assertion{}", where, key,
                    util::did_you_mean(key, known));
    }
    return {};
}

// An assertion's `transform`, checked: not on an assert-set, nor on a model-graded type (its
// judge is asked before the assertions run, about the output as the case has it).
Expected<std::string> read_transform(const json& value, const TypeEntry& type,
                                     std::string_view where,
                                     const std::filesystem::path& base_dir) {
    if (type.name == "assert-set")
        return fail(ErrorCode::invalid_input,
                    "{}: 'transform' is not supported on an assert-set; put it on its assertions",
                    where);
    if (judge::is_model_graded(type.name))
        return fail(ErrorCode::invalid_input,
                    "{}: 'transform' is not supported on model-graded assertions ('{}'); use the "
                    "test's 'options.transform'",
                    where, type.name);
    LLMOPS_TRY(validate_transform(value, where, base_dir));
    return value.get<std::string>();
}

// Finds the type named `type` (with or without `not-`), or says plainly why there is none.
Expected<const TypeEntry*> resolve_type(const std::string& type, std::string_view where,
                                        AssertionSpec& spec) {
    if (const auto* entry = find_type(type)) {
        spec.type = type;
        return entry;
    }
    const std::string base = type.starts_with("not-") ? type.substr(4) : type;
    if (const auto* entry = find_type(base); entry && type != base) {
        spec.type = base;
        spec.negate = true;
        return entry;
    }
    std::vector<std::string> candidates;
    for (const auto& entry : k_types) {
        candidates.emplace_back(entry.name);
        candidates.push_back("not-" + std::string(entry.name));
    }
    return fail(ErrorCode::invalid_input, "{}: unknown assertion type '{}'{}", where, type,
                util::did_you_mean(type, candidates));
}

Expected<std::optional<double>> read_number(const json& entry, const char* key,
                                            std::string_view where) {
    auto it = entry.find(key);
    if (it == entry.end() || it->is_null())
        return std::optional<double>();
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a number of at least 0", where,
                    key);
    return std::optional<double>(it->get<double>());
}

// Reads threshold, weight, metric and config, the keys every type shares.
Expected<void> read_common(const json& entry, const TypeEntry& type, std::string_view where,
                           AssertionSpec& spec) {
    spec.threshold = LLMOPS_TRY(read_number(entry, "threshold", where));
    if (type.threshold == ThresholdUse::none)
        spec.threshold.reset(); // it passes or fails: promptfoo ignores a threshold there too
    if (!spec.threshold && type.threshold == ThresholdUse::required)
        return fail(ErrorCode::invalid_input, "{}: '{}' needs a 'threshold' ({})", where,
                    written_type(spec), type.threshold_unit);
    auto weight = LLMOPS_TRY(read_number(entry, "weight", where));
    spec.weight = weight.value_or(1.0);
    if (auto metric = entry.find("metric"); metric != entry.end() && !metric->is_null()) {
        if (!metric->is_string())
            return fail(ErrorCode::invalid_input, "{}: 'metric' must be a string", where);
        spec.metric = metric->get<std::string>();
    }
    if (auto config = entry.find("config"); config != entry.end() && !config->is_null()) {
        if (!config->is_object())
            return fail(ErrorCode::invalid_input, "{}: 'config' must be a map", where);
        spec.config = *config;
    }
    return {};
}

Expected<void> read_set(const json& entry, std::string_view where,
                        const std::filesystem::path& base_dir, AssertionSpec& spec) {
    if (spec.negate)
        return fail(ErrorCode::invalid_input, "{}: 'assert-set' cannot be negated", where);
    if (!spec.value.is_null())
        return fail(ErrorCode::invalid_input,
                    "{}: 'assert-set' takes no 'value' (its assertions go under 'assert')", where);
    auto children = entry.find("assert");
    if (children == entry.end() || !children->is_array() || children->empty())
        return fail(ErrorCode::invalid_input,
                    "{}: 'assert-set' needs 'assert': a list of assertions", where);
    for (size_t i = 0; i < children->size(); ++i) {
        spec.children.push_back(LLMOPS_TRY(
            parse_assertion((*children)[i], fmt::format("{}.assert[{}]", where, i), base_dir)));
    }
    return {};
}

// ---- running ------------------------------------------------------------------------------
} // namespace

Expected<json> detail::render_value(const json& value, const json* vars) {
    static const json no_vars = json::object();
    const json& data = vars && vars->is_object() ? *vars : no_vars;
    const auto no_partials = [](std::string_view) -> Expected<std::string> {
        return fail(ErrorCode::invalid_input, "partials cannot be used in assertion values");
    };
    const auto render = [&](const json& item) -> Expected<json> {
        if (!item.is_string() || item.get_ref<const std::string&>().find("{{") == std::string::npos)
            return item;
        const auto& text = item.get_ref<const std::string&>();
        auto rendered = LLMOPS_TRY(prompt::render_template(
            text, data, no_partials, prompt::RenderOptions{}, detail::quote(text, 60)));
        return json(std::move(rendered));
    };
    if (!value.is_array())
        return render(value);
    json out = json::array();
    for (const auto& item : value) {
        out.push_back(LLMOPS_TRY(render(item)));
    }
    return out;
}

namespace {

// The verdict of several results together: a case's, or an assert-set's.
struct Combined {
    bool pass = true;
    bool error = false;
    double score = 1;
    std::string reason;
};

std::string labelled(const AssertionResult& result) {
    return result.type + ": " + result.reason;
}

Combined combine(const std::vector<AssertionResult>& results, std::optional<double> threshold) {
    Combined combined;
    double total = 0;
    double weighted = 0;
    const AssertionResult* first_error = nullptr;
    const AssertionResult* first_failure = nullptr;
    for (const auto& result : results) {
        if (result.error && !first_error)
            first_error = &result;
        if (result.weight <= 0)
            continue; // informational: reported, never counted
        total += result.weight;
        weighted += result.weight * (result.error ? 0 : result.score);
        if (!result.pass && !result.error && !first_failure)
            first_failure = &result;
    }
    combined.score = total > 0 ? weighted / total : 1;
    if (first_error) {
        combined.pass = false;
        combined.error = true;
        combined.reason = labelled(*first_error);
    } else if (threshold) {
        // A hair of tolerance so that 2/3 reaches a threshold written as 0.6666666666666666.
        combined.pass = combined.score + 1e-9 >= *threshold;
        combined.reason =
            fmt::format("weighted score {:.2f} {} the threshold {}", combined.score,
                        combined.pass ? "reaches" : "is below", detail::format_number(*threshold));
        if (!combined.pass && first_failure)
            combined.reason += "; first failure: " + labelled(*first_failure);
    } else if (first_failure) {
        combined.pass = false;
        combined.reason = labelled(*first_failure);
    } else {
        combined.reason = results.empty() ? "no assertions" : "all assertions passed";
    }
    return combined;
}

AssertionResult run_set(const AssertionSpec& spec, const AssertionContext& context) {
    AssertionResult result;
    result.type = spec.type;
    result.metric = spec.metric;
    result.weight = spec.weight;
    for (const auto& child : spec.children)
        result.children.push_back(run_assertion(child, context));
    const Combined combined = combine(result.children, spec.threshold);
    result.pass = combined.pass;
    result.error = combined.error;
    result.score = combined.error ? 0 : combined.score;
    result.reason = combined.reason;
    return result;
}

void collect_named_scores(const std::vector<AssertionResult>& results,
                          std::map<std::string, std::pair<double, double>>& sums) {
    for (const auto& result : results) {
        if (!result.metric.empty() && !result.error) {
            const double weight = result.weight > 0 ? result.weight : 1;
            auto& [weighted, total] = sums[result.metric];
            weighted += weight * result.score;
            total += weight;
        }
        collect_named_scores(result.children, sums);
    }
}

} // namespace

namespace {

// promptfoo's `g-eval` with a list of criteria: each graded on its own, passing when their mean
// score reaches the threshold (0.7 by default): an assert-set of one g-eval per criterion.
bool is_g_eval_list(const json& entry) {
    const auto value = entry.find("value");
    return entry.value("type", json()) == "g-eval" && value != entry.end() && value->is_array() &&
           !value->empty();
}

Expected<AssertionSpec> parse_g_eval_list(const json& entry, std::string_view where,
                                          const std::filesystem::path& base_dir) {
    json set = {{"type", "assert-set"}, {"assert", json::array()}};
    set["threshold"] = entry.contains("threshold") ? entry["threshold"] : json(0.7);
    for (const char* key : {"weight", "metric"}) {
        if (entry.contains(key))
            set[key] = entry[key];
    }
    for (const auto& criterion : entry["value"]) {
        json child = entry;
        child.erase("weight");
        child.erase("metric");
        child["value"] = criterion;
        set["assert"].push_back(std::move(child));
    }
    return parse_assertion(set, where, base_dir);
}

} // namespace

Expected<AssertionSpec> parse_assertion(const nlohmann::json& entry, std::string_view where,
                                        const std::filesystem::path& base_dir) {
    if (!entry.is_object())
        return fail(ErrorCode::invalid_input, "{}: an assertion must be a map with a 'type'",
                    where);
    LLMOPS_TRY(check_keys(entry, where));
    if (is_g_eval_list(entry))
        return parse_g_eval_list(entry, where, base_dir);
    auto type_field = entry.find("type");
    if (type_field == entry.end() || type_field->is_null())
        return fail(ErrorCode::invalid_input, "{}: an assertion needs a 'type'", where);
    if (!type_field->is_string())
        return fail(ErrorCode::invalid_input, "{}: 'type' must be a string", where);
    AssertionSpec spec;
    spec.where = std::string(where);
    auto type = LLMOPS_TRY(resolve_type(type_field->get<std::string>(), where, spec));
    const TypeEntry& entry_type = *type;
    if (auto value = entry.find("value"); value != entry.end())
        spec.value = *value;
    LLMOPS_TRY(read_common(entry, entry_type, where, spec));
    if (entry.contains("assert") && entry_type.name != "assert-set")
        return fail(ErrorCode::invalid_input, "{}: 'assert' belongs to 'assert-set' only", where);
    if (auto transform = entry.find("transform"); transform != entry.end())
        spec.transform = LLMOPS_TRY(read_transform(*transform, entry_type, where, base_dir));
    if (entry_type.name == "assert-set") {
        LLMOPS_TRY(read_set(entry, where, base_dir, spec));
        return spec;
    }
    if (!entry_type.validate) {
        if (!spec.value.is_null())
            return fail(ErrorCode::invalid_input, "{}: '{}' takes no 'value'", where,
                        written_type(spec));
        return spec;
    }
    if (auto valid = entry_type.validate(spec, base_dir); !valid)
        return fail(ErrorCode::invalid_input, "{}: {}", where, valid.error().message());
    return spec;
}

namespace {

// `context` with the output `spec.transform` made of it, kept in `output`; promptfoo's context
// for an assertion's transform: {vars, prompt: {label: the rendered prompt}}.
Expected<AssertionContext> transform_for(const AssertionSpec& spec, const AssertionContext& context,
                                         TransformedOutput& output) {
    const json vars = context.vars && context.vars->is_object() ? *context.vars : json::object();
    const json arguments = {{"vars", vars}, {"prompt", {{"label", std::string(context.prompt)}}}};
    output = LLMOPS_TRY(run_transform(spec.transform, arguments, context));
    AssertionContext out = context;
    out.output = output.text;
    out.output_json = output.json;
    return out;
}

} // namespace

AssertionResult run_assertion(const AssertionSpec& spec, const AssertionContext& context) {
    if (spec.type == "assert-set")
        return run_set(spec, context);
    AssertionResult result;
    result.type = written_type(spec);
    result.metric = spec.metric;
    result.weight = spec.weight;
    const TypeEntry* type = find_type(spec.type);
    if (!type || !type->check) {
        result.error = true;
        result.reason = fmt::format("unknown assertion type '{}'", spec.type);
        return result;
    }
    std::optional<AssertionContext> transformed;
    TransformedOutput output;
    if (!spec.transform.empty()) {
        auto done = transform_for(spec, context, output);
        if (!done) {
            result.error = true;
            result.reason = "transform: " + done.error().message();
            return result;
        }
        transformed = *done;
    }
    const AssertionContext& seen = transformed ? *transformed : context;
    json value = spec.value;
    if (type->render == Render::yes) {
        auto rendered = detail::render_value(spec.value, context.vars);
        if (!rendered) {
            result.error = true;
            result.reason = "cannot render the value " + rendered.error().message();
            return result;
        }
        value = std::move(*rendered);
    }
    Verdict verdict = type->check(spec, value, seen);
    result.reason = verdict.reason;
    result.judge = std::move(verdict.details);
    if (verdict.error) {
        result.error = true;
    } else if (verdict.stands) {
        result.pass = verdict.pass;
        result.score = verdict.score;
    } else if (verdict.skipped || !spec.negate) {
        result.pass = verdict.pass || verdict.skipped;
        result.score = verdict.skipped ? 1 : verdict.score;
    } else {
        result.pass = !verdict.pass;
        result.score = 1 - verdict.score;
    }
    return result;
}

CaseVerdict run_assertions(const std::vector<AssertionSpec>& specs, const AssertionContext& context,
                           std::optional<double> threshold) {
    CaseVerdict verdict;
    for (const auto& spec : specs)
        verdict.results.push_back(run_assertion(spec, context));
    const Combined combined = combine(verdict.results, threshold);
    verdict.pass = combined.pass;
    verdict.error = combined.error;
    verdict.score = combined.score;
    verdict.reason = combined.reason;
    std::map<std::string, std::pair<double, double>> sums;
    collect_named_scores(verdict.results, sums);
    for (const auto& [metric, sum] : sums)
        verdict.named_scores[metric] = sum.second > 0 ? sum.first / sum.second : 0;
    return verdict;
}

std::vector<std::string> assertion_type_names() {
    std::vector<std::string> names;
    for (const auto& entry : k_types)
        names.emplace_back(entry.name);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace llmops::eval
