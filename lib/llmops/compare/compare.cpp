#include <llmops/compare/compare.hpp>

#include <cstdint>

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include <llmops/eval/summary.hpp>
#include <llmops/stats/bootstrap.hpp>
#include <llmops/stats/clustered.hpp>
#include <llmops/stats/distribution.hpp>
#include <llmops/stats/pass_at_k.hpp>
#include <llmops/stats/proportion.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/diff.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/nesting.hpp>

namespace llmops::compare {

namespace {

using nlohmann::json;

// The string member `key` of `object`, or `fallback` when it is absent or not a string. For the
// parts of a run read only for notes (its provenance), which may hold anything.
std::string string_or(const json& object, const char* key, std::string fallback) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// The judge of a run, as one line, from its provenance: "openai:gpt-4o (judge/llm-rubric@2
// ff150344f851, samples 3)"; "" without a judge. Members of unexpected types are left out.
std::string judge_of(const json& provenance) {
    if (!provenance.is_object()) {
        return "";
    }
    auto j = provenance.find("judge");
    if (j == provenance.end() || !j->is_object()) {
        return "";
    }
    std::string prompts;
    if (auto p = j->find("prompts"); p != j->end() && p->is_object()) {
        for (const auto& [key, value] : p->items()) {
            if (!value.is_object()) {
                continue;
            }
            prompts +=
                fmt::format("{}{} {}", prompts.empty() ? "" : ", ", string_or(value, "ref", key),
                            string_or(value, "version_id", "").substr(0, 12));
        }
    }
    const auto config = j->find("config");
    const bool has_config = config != j->end() && config->is_object() && !config->empty();
    const auto samples = j->find("samples");
    return fmt::format(
        "{}{} ({}, samples {})", string_or(*j, "id", "?"), has_config ? " " + config->dump() : "",
        prompts, samples != j->end() && samples->is_number_integer() ? samples->get<int64_t>() : 1);
}

// How a value of another type than expected is named: scalars by their text, which is short.
std::string shown(const json& value) {
    switch (value.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::null: return "null";
    case json::value_t::boolean:
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return value.dump();
    default: return "binary data";
    }
}

// "run.json: 'results[3].reason' must be a string, not null".
std::unexpected<Error> wrong_type(std::string_view source, std::string_view path,
                                  std::string_view wanted, const json& got) {
    return fail(ErrorCode::invalid_input, "{}: '{}' must be {}, not {}", source, path, wanted,
                shown(got));
}

// Named metrics of one result: `metric` -> mean score of the assertions naming it (assert-set
// children included; assertions that errored left out). `assertions` is at `path` in `source`
// (null: none, as a stored result whose column is empty); an entry not shaped as llmops writes it
// is an error naming it.
Expected<void> collect_metrics(const json& assertions, std::string_view source,
                               const std::string& path,
                               std::map<std::string, std::pair<double, int>>& sums,
                               size_t depth = 0) {
    if (assertions.is_null()) {
        return {};
    }
    if (!assertions.is_array()) {
        return wrong_type(source, path, "an array", assertions);
    }
    if (++depth > util::k_max_nesting) {
        return fail(ErrorCode::invalid_input, "{}: '{}': {}", source, path,
                    util::nesting_message());
    }
    for (size_t i = 0; i < assertions.size(); ++i) {
        const json& a = assertions[i];
        const std::string at = fmt::format("{}[{}]", path, i);
        if (!a.is_object()) {
            return wrong_type(source, at, "an object", a);
        }
        const auto metric = a.find("metric");
        const auto error = a.find("error");
        const auto score = a.find("score");
        if (metric != a.end() && !metric->is_string() && !metric->is_null()) {
            return wrong_type(source, at + ".metric", "a string", *metric);
        }
        if (error != a.end() && !error->is_boolean()) {
            return wrong_type(source, at + ".error", "true or false", *error);
        }
        if (score != a.end() && !score->is_number() && !score->is_null()) {
            return wrong_type(source, at + ".score", "a number", *score);
        }
        const bool errored = error != a.end() && error->get<bool>();
        if (metric != a.end() && metric->is_string() &&
            !metric->get_ref<const std::string&>().empty() && !errored && score != a.end() &&
            score->is_number()) {
            auto& [sum, n] = sums[metric->get<std::string>()];
            sum += score->get<double>();
            ++n;
        }
        if (const auto children = a.find("children"); children != a.end()) {
            LLMOPS_TRY(collect_metrics(*children, source, at + ".children", sums, depth));
        }
    }
    return {};
}

Expected<std::map<std::string, double>> metrics_of(const json& assertions, std::string_view source,
                                                   const std::string& path) {
    std::map<std::string, std::pair<double, int>> sums;
    LLMOPS_TRY(collect_metrics(assertions, source, path, sums));
    std::map<std::string, double> out;
    for (const auto& [name, s] : sums) {
        out[name] = s.first / s.second;
    }
    return out;
}

// Adds a result to the side's cases (results arrive grouped by case, in case order).
void add_result(Side& side, std::map<std::string, size_t>& index, const std::string& case_id,
                const std::string& description, int64_t position, CaseResult r) {
    auto it = index.find(case_id);
    if (it == index.end()) {
        it = index.emplace(case_id, side.cases.size()).first;
        side.cases.push_back({case_id, description, position, {}});
    }
    side.cases[it->second].results.push_back(std::move(r));
}

std::string variants_list(const std::vector<std::pair<int, std::string>>& variants) {
    std::vector<std::string> parts;
    for (const auto& [i, label] : variants) {
        parts.push_back(fmt::format("{} '{}'", i, label));
    }
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        out += (i ? ", " : "") + parts[i];
    }
    return out;
}

// Which variant indexes `wanted` (an index or a label) picks among `variants`.
Expected<std::vector<int>> pick_variants(const std::vector<std::pair<int, std::string>>& variants,
                                         const std::optional<std::string>& wanted,
                                         const std::string& name) {
    std::vector<int> out;
    if (!wanted) {
        for (const auto& [i, label] : variants) {
            out.push_back(i);
        }
        return out;
    }
    for (const auto& [i, label] : variants) {
        if (label == *wanted || std::to_string(i) == *wanted) {
            return std::vector<int>{i};
        }
    }
    return fail(ErrorCode::not_found, "{} has no variant '{}' (variants: {})", name, *wanted,
                variants_list(variants));
}

// The content of the prompt with `version_id` from a run's provenance, pretty-printed; "" when
// the provenance does not hold it as llmops writes it.
std::string prompt_content_of(const json& provenance, const std::string& version_id) {
    const auto prompts = provenance.is_object() ? provenance.find("prompts") : provenance.end();
    if (!provenance.is_object() || prompts == provenance.end() || !prompts->is_array()) {
        return "";
    }
    for (const auto& p : *prompts) {
        if (!p.is_object() || string_or(p, "version_id", "") != version_id) {
            continue;
        }
        if (const auto content = p.find("content"); content != p.end() && content->is_object()) {
            return content->dump(2) + "\n";
        }
    }
    return "";
}

Expected<std::vector<Side>> load_stored(store::Database& db, const SideRef& ref) {
    auto id = LLMOPS_TRY(store::resolve_run(db, ref.run));
    auto run = LLMOPS_TRY(store::load_run(db, id));
    const std::string name = fmt::format("run {}", run.id);
    std::vector<std::pair<int, std::string>> labels;
    for (const auto& v : run.variants) {
        labels.emplace_back(v.index, v.label);
    }
    auto picked = LLMOPS_TRY(pick_variants(labels, ref.variant, name));
    std::vector<Side> sides;
    std::map<int, size_t> by_variant;
    std::vector<std::map<std::string, size_t>> indexes;
    for (int i : picked) {
        const auto& v = *std::find_if(run.variants.begin(), run.variants.end(),
                                      [&](const auto& x) { return x.index == i; });
        Side s;
        s.name = name;
        s.run_id = run.id;
        s.variant = v.index;
        s.label = v.label;
        s.prompt_label = v.prompt_label;
        s.prompt_version_id = v.prompt_version_id;
        s.prompt_content = prompt_content_of(run.provenance, v.prompt_version_id);
        s.provider_id = v.provider_id;
        s.provider_config = v.provider_config;
        s.dataset_hash = run.dataset_hash;
        s.suite_path = run.suite_path;
        s.judge = judge_of(run.provenance);
        by_variant[i] = sides.size();
        sides.push_back(std::move(s));
        indexes.emplace_back();
    }
    auto ok =
        store::for_each_result(db, run.id, [&](const store::ResultRecord& r) -> Expected<void> {
            auto it = by_variant.find(r.variant);
            if (it == by_variant.end()) {
                return {};
            }
            CaseResult c;
            c.repeat = r.repeat;
            c.status = r.status;
            c.score = r.score;
            c.reason = r.reason;
            c.output = r.output.value_or("");
            c.answered = r.output.has_value();
            c.input_tokens = r.input_tokens;
            c.output_tokens = r.output_tokens;
            c.cost_usd = r.cost_usd;
            c.latency_ms = r.latency_ms;
            c.cached = r.cached;
            auto metrics = LLMOPS_TRY(metrics_of(r.assertions,
                                                 fmt::format("{}, case '{}', variant {}, repeat {}",
                                                             name, r.case_id, r.variant, r.repeat),
                                                 "assertions"));
            c.metrics = std::move(metrics);
            c.judge_calls = r.judge_calls;
            c.judge_input_tokens = r.judge_input_tokens;
            c.judge_output_tokens = r.judge_output_tokens;
            c.judge_cost_usd = r.judge_cost_usd;
            add_result(sides[it->second], indexes[it->second], r.case_id, r.description,
                       r.case_index, std::move(c));
            return {};
        });
    if (!ok) {
        return fail(ok.error());
    }
    return sides;
}

// ---- exported runs (`llmops runs export`, `eval -o run.json`) --------------------------------

enum class Null { refused, allowed };

// A value inside an exported run and where it is ("results[3].usage"; "" for the document).
struct ExportNode {
    const json* value;
    std::string path;

    std::string at(std::string_view key) const {
        return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
    }
};

// Reads the members of an exported run without throwing. An absent member reads as its default;
// one of another type reads as its default too and records an error naming it ("run.json:
// 'results[3].reason' must be a string, not null"). The first error is kept: check error() once
// the values read are about to be used. Exports are users' files: edited by hand, cut short, or
// written by another version, which may add members (they are ignored) but never retypes them.
class ExportReader {
public:
    explicit ExportReader(std::string_view file) : m_file(file) {}

    const std::optional<Error>& error() const { return m_error; }
    void record(const Error& error) {
        if (!m_error) {
            m_error = error;
        }
    }

    std::string string(const ExportNode& node, const char* key, Null null = Null::refused) {
        const json* v = find(node, key);
        if (v != nullptr && v->is_string()) {
            return v->get<std::string>();
        }
        if (v != nullptr && !(v->is_null() && null == Null::allowed)) {
            wrong(node.at(key), "a string", *v);
        }
        return "";
    }

    // A string member that must be there.
    std::string required_string(const ExportNode& node, const char* key) {
        if (find(node, key) == nullptr) {
            record(Error(ErrorCode::invalid_input,
                         fmt::format("{}: '{}' is missing", m_file, node.at(key))));
        }
        return string(node, key);
    }

    int64_t integer(const ExportNode& node, const char* key) {
        const json* v = find(node, key);
        if (v != nullptr && v->is_number_integer()) {
            return v->get<int64_t>();
        }
        if (v != nullptr) {
            wrong(node.at(key), "an integer", *v);
        }
        return 0;
    }

    std::optional<double> number(const ExportNode& node, const char* key, Null null) {
        const json* v = find(node, key);
        if (v != nullptr && v->is_number()) {
            return v->get<double>();
        }
        if (v != nullptr && !(v->is_null() && null == Null::allowed)) {
            wrong(node.at(key), "a number", *v);
        }
        return std::nullopt;
    }

    bool boolean(const ExportNode& node, const char* key) {
        const json* v = find(node, key);
        if (v != nullptr && v->is_boolean()) {
            return v->get<bool>();
        }
        if (v != nullptr) {
            wrong(node.at(key), "true or false", *v);
        }
        return false;
    }

    // The object member `key`; an empty object when it is absent (or not an object).
    ExportNode object(const ExportNode& node, const char* key) {
        static const json k_empty = json::object();
        const json* v = find(node, key);
        if (v != nullptr && !v->is_object()) {
            wrong(node.at(key), "an object", *v);
        }
        return {v != nullptr && v->is_object() ? v : &k_empty, node.at(key)};
    }

    // The items of the array member `key`, each an object; none when it is absent.
    std::vector<ExportNode> objects(const ExportNode& node, const char* key) {
        const json* v = find(node, key);
        std::vector<ExportNode> out;
        if (v != nullptr && !v->is_array()) {
            wrong(node.at(key), "an array", *v);
        }
        if (v == nullptr || !v->is_array()) {
            return out;
        }
        for (size_t i = 0; i < v->size(); ++i) {
            std::string at = fmt::format("{}[{}]", node.at(key), i);
            if (!(*v)[i].is_object()) {
                wrong(at, "an object", (*v)[i]);
                break;
            }
            out.push_back({&(*v)[i], std::move(at)});
        }
        return out;
    }

private:
    static const json* find(const ExportNode& node, const char* key) {
        const auto it = node.value->find(key);
        return it == node.value->end() ? nullptr : &*it;
    }

    void wrong(const std::string& path, std::string_view wanted, const json& got) {
        record(wrong_type(m_file, path, wanted, got).error());
    }

    std::string_view m_file;
    std::optional<Error> m_error;
};

// A variant of an exported run as a side, with the run's own fields.
Side read_variant(ExportReader& in, const ExportNode& v, const ExportNode& run,
                  const std::string& name) {
    Side s;
    s.name = name;
    s.run_id = in.integer(run, "id");
    s.variant = static_cast<int>(in.integer(v, "index"));
    s.label = in.string(v, "label");
    s.prompt_label = in.string(v, "prompt_label");
    s.prompt_version_id = in.string(v, "prompt_version_id");
    s.provider_id = in.string(v, "provider_id");
    s.provider_config = *in.object(v, "provider_config").value;
    s.dataset_hash = in.string(run, "dataset_hash");
    s.suite_path = in.string(run, "suite_path");
    // The provenance only feeds notes: what is not shaped as llmops writes it is left out.
    const json& provenance = *in.object(run, "provenance").value;
    s.prompt_content = prompt_content_of(provenance, s.prompt_version_id);
    s.judge = judge_of(provenance);
    return s;
}

// One result of an exported run (README, "`.json`: the run export").
CaseResult read_result(ExportReader& in, const ExportNode& r, std::string_view file) {
    CaseResult c;
    c.repeat = static_cast<int>(in.integer(r, "repeat"));
    c.status = in.required_string(r, "status");
    c.score = in.number(r, "score", Null::allowed);
    c.reason = in.string(r, "reason");
    c.output = in.string(r, "output", Null::allowed);
    // llmops writes a failed call's output as null; a file without the member (written by hand)
    // is read likewise: an answer unless the result is an error.
    const auto output = r.value->find("output");
    c.answered = output != r.value->end() ? !output->is_null() : c.status != "error";
    const ExportNode usage = in.object(r, "usage");
    c.input_tokens = in.integer(usage, "input");
    c.output_tokens = in.integer(usage, "output");
    c.cost_usd = in.number(r, "cost_usd", Null::allowed);
    c.latency_ms = in.number(r, "latency_ms", Null::refused).value_or(0.0);
    c.cached = in.boolean(r, "cached");
    if (const auto a = r.value->find("assertions"); a != r.value->end()) {
        auto metrics = metrics_of(*a, file, r.at("assertions"));
        if (!metrics) {
            in.record(metrics.error());
        }
        c.metrics = metrics.value_or(std::map<std::string, double>());
    }
    if (r.value->contains("judge")) {
        const ExportNode judge = in.object(r, "judge");
        c.judge_calls = in.integer(judge, "calls");
        c.judge_input_tokens = in.integer(judge, "input_tokens");
        c.judge_output_tokens = in.integer(judge, "output_tokens");
        c.judge_cost_usd = in.number(judge, "cost_usd", Null::allowed);
    }
    return c;
}

// The sides `ref` picks among the variants of the exported run `doc`.
Expected<std::vector<Side>> export_sides(ExportReader& in, const ExportNode& doc,
                                         const SideRef& ref, const std::string& name) {
    const ExportNode run = in.object(doc, "run");
    std::vector<Side> all;
    std::vector<std::pair<int, std::string>> labels;
    for (const auto& v : in.objects(doc, "variants")) {
        all.push_back(read_variant(in, v, run, name));
        labels.emplace_back(all.back().variant, all.back().label);
    }
    if (in.error()) {
        return fail(*in.error());
    }
    auto picked = LLMOPS_TRY(pick_variants(labels, ref.variant, name));
    std::vector<Side> sides;
    for (int i : picked) {
        for (const auto& s : all) {
            if (s.variant == i) {
                sides.push_back(s);
            }
        }
    }
    return sides;
}

// The document of an exported run: JSON holding `llmops_export`, `variants` and `results`.
Expected<json> read_export_document(const std::filesystem::path& path) {
    auto text = LLMOPS_TRY(util::read_file(path));
    auto doc = LLMOPS_TRY(util::parse_json(text, path.string()));
    const auto is_array = [&](const char* key) {
        const auto it = doc.find(key);
        return it != doc.end() && it->is_array();
    };
    if (!doc.is_object() || !doc.contains("llmops_export") || !is_array("results") ||
        !is_array("variants")) {
        return fail(
            ErrorCode::invalid_input,
            "{}: not a run exported by llmops (write one with 'llmops runs export RUN -o {}')",
            path.string(), path.filename().string());
    }
    return doc;
}

Expected<std::vector<Side>> load_file(const std::filesystem::path& path, const SideRef& ref) {
    const auto doc = LLMOPS_TRY(read_export_document(path));
    const std::string name = path.string();
    ExportReader in(name);
    const ExportNode top{&doc, ""};
    auto sides = LLMOPS_TRY(export_sides(in, top, ref, name));
    std::map<int, size_t> by_variant;
    for (size_t i = 0; i < sides.size(); ++i) {
        by_variant[sides[i].variant] = i;
    }
    std::vector<std::map<std::string, size_t>> indexes(sides.size());
    for (const auto& r : in.objects(top, "results")) {
        std::string case_id = in.required_string(r, "case_id");
        const auto variant = in.integer(r, "variant");
        CaseResult c = read_result(in, r, name);
        std::string description = in.string(r, "description");
        const int64_t position = in.integer(r, "case_index");
        if (in.error()) {
            break;
        }
        if (auto it = by_variant.find(static_cast<int>(variant)); it != by_variant.end()) {
            add_result(sides[it->second], indexes[it->second], case_id, description, position,
                       std::move(c));
        }
    }
    if (in.error()) {
        return fail(*in.error());
    }
    return sides;
}

// Pass fraction of a case's judged results (errors left out); nullopt when all errored.
std::optional<double> pass_fraction(const SideCase& c) {
    int judged = 0;
    int passed = 0;
    for (const auto& r : c.results) {
        if (r.status == "error") {
            continue;
        }
        ++judged;
        passed += r.status == "pass" ? 1 : 0;
    }
    if (judged == 0) {
        return std::nullopt;
    }
    return static_cast<double>(passed) / judged;
}

// The judged results of a case as 0/1, or its scores.
std::vector<double> outcomes(const SideCase& c) {
    std::vector<double> out;
    for (const auto& r : c.results) {
        if (r.status != "error") {
            out.push_back(r.status == "pass" ? 1.0 : 0.0);
        }
    }
    return out;
}

std::optional<double> mean_score(const SideCase& c) {
    double sum = 0;
    int n = 0;
    for (const auto& r : c.results) {
        if (r.status != "error" && r.score) {
            sum += *r.score;
            ++n;
        }
    }
    return n ? std::optional(sum / n) : std::nullopt;
}

std::optional<double> mean_metric(const SideCase& c, const std::string& metric) {
    double sum = 0;
    int n = 0;
    for (const auto& r : c.results) {
        if (auto it = r.metrics.find(metric); it != r.metrics.end() && r.status != "error") {
            sum += it->second;
            ++n;
        }
    }
    return n ? std::optional(sum / n) : std::nullopt;
}

// A result as eval's summaries count it: what VariantSummary::add reads (status, score, tokens,
// cost, latency, cache, the judge's share). The output only says whether the call answered.
store::ResultRecord record_of(const CaseResult& r) {
    store::ResultRecord out;
    out.repeat = r.repeat;
    out.status = r.status;
    out.score = r.score;
    if (r.answered) {
        out.output.emplace();
    }
    out.input_tokens = r.input_tokens;
    out.output_tokens = r.output_tokens;
    out.cost_usd = r.cost_usd;
    out.latency_ms = r.latency_ms;
    out.cached = r.cached;
    out.judge_calls = r.judge_calls;
    out.judge_input_tokens = r.judge_input_tokens;
    out.judge_output_tokens = r.judge_output_tokens;
    out.judge_cost_usd = r.judge_cost_usd;
    return out;
}

// Usage as a view of `totals`, with the cost per case over `priced_cases`.
Usage usage_view(const eval::VariantSummary& totals, int64_t priced_cases) {
    Usage u;
    u.results = totals.results;
    u.errors = totals.errors;
    u.cached = totals.cached;
    u.input_tokens = totals.input_tokens;
    u.output_tokens = totals.output_tokens;
    u.cost_usd = totals.cost_usd;
    u.unpriced = totals.unpriced;
    if (priced_cases > 0) {
        u.cost_per_case = u.cost_usd / static_cast<double>(priced_cases);
    }
    u.latency_p50 = stats::percentile(totals.latencies_ms, 50);
    u.latency_p95 = stats::percentile(totals.latencies_ms, 95);
    u.latency_p99 = stats::percentile(totals.latencies_ms, 99);
    u.judge_calls = totals.judge_calls;
    u.judge_input_tokens = totals.judge_input_tokens;
    u.judge_output_tokens = totals.judge_output_tokens;
    u.judge_cost_usd = totals.judge_cost_usd;
    u.judge_unpriced = totals.judge_unpriced;
    return u;
}

// A side's cost and speed: its results added one by one to eval's accumulator, the one place a
// result is counted (without their assertions: Usage shows no judge noise).
Usage usage_of(const Side& side) {
    eval::VariantSummary totals;
    int64_t priced_cases = 0;
    for (const auto& c : side.cases) {
        bool priced = false;
        for (const auto& r : c.results) {
            totals.add(record_of(r), eval::Answer::called, {});
            priced = priced || (r.answered && r.cost_usd); // add counted its cost
        }
        priced_cases += priced ? 1 : 0;
    }
    return usage_view(totals, priced_cases);
}

// The interval of one side's mean (pass rate or score) at 1 - alpha: Wilson for pass rates
// without repeats, else the clustered standard error with the normal quantile.
std::optional<stats::Interval> mean_interval(const std::vector<std::vector<double>>& per_case,
                                             double alpha) {
    auto m = stats::clustered_mean(per_case);
    auto z = stats::normal_critical_value(1 - alpha);
    if (!m || !z) {
        return std::nullopt;
    }
    return stats::Interval{m->mean - *z * m->standard_error, m->mean + *z * m->standard_error};
}

// The pass rate over every judged repeat of `all` (one outcome list per judged case).
std::optional<double> pass_rate_of(const std::vector<std::vector<double>>& all) {
    double sum = 0;
    size_t n = 0;
    for (const auto& v : all) {
        for (double x : v) {
            sum += x;
            ++n;
        }
    }
    return n ? std::optional(sum / static_cast<double>(n)) : std::nullopt;
}

// Its interval at 1 - alpha: Wilson without repeats, else clustered standard errors by case.
std::optional<stats::Interval> pass_rate_interval(const std::vector<std::vector<double>>& all,
                                                  int repeats, double alpha) {
    if (repeats > 1) {
        return mean_interval(all, alpha);
    }
    size_t k = 0;
    for (const auto& v : all) {
        k += v.empty() ? 0 : static_cast<size_t>(v[0]);
    }
    return stats::wilson_interval(k, all.size(), 1 - alpha);
}

json interval_json(const std::optional<stats::Interval>& i) {
    return i ? json::array({i->lower, i->upper}) : json();
}

json optional_json(const std::optional<double>& v) {
    return v ? json(*v) : json();
}

json usage_json(const Usage& u) {
    return json{{"results", u.results},
                {"errors", u.errors},
                {"cached", u.cached},
                {"input_tokens", u.input_tokens},
                {"output_tokens", u.output_tokens},
                {"cost_usd", u.cost_usd},
                {"unpriced", u.unpriced},
                {"cost_per_case_usd", optional_json(u.cost_per_case)},
                {"latency_p50_ms", optional_json(u.latency_p50)},
                {"latency_p95_ms", optional_json(u.latency_p95)},
                {"latency_p99_ms", optional_json(u.latency_p99)},
                {"judge",
                 {{"calls", u.judge_calls},
                  {"input_tokens", u.judge_input_tokens},
                  {"output_tokens", u.judge_output_tokens},
                  {"cost_usd", u.judge_cost_usd},
                  {"unpriced", u.judge_unpriced}}}};
}

json side_json(const Side& s) {
    return json{{"name", s.name},
                {"run", s.run_id},
                {"variant", s.variant},
                {"label", s.label},
                {"prompt_label", s.prompt_label},
                {"prompt_version_id", s.prompt_version_id},
                {"provider_id", s.provider_id},
                {"dataset_hash", s.dataset_hash},
                {"cases", s.cases.size()}};
}

} // namespace

SideRef parse_side_ref(std::string_view text) {
    SideRef ref;
    // A ':' inside a file path (rare) is kept when the whole text names an existing file.
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::path(text), ec)) {
        ref.run = std::string(text);
        return ref;
    }
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        ref.run = std::string(text);
        return ref;
    }
    ref.run = std::string(text.substr(0, colon));
    ref.variant = std::string(text.substr(colon + 1));
    return ref;
}

Expected<std::vector<Side>> load_sides(store::Database* db, const SideRef& ref) {
    const std::filesystem::path path(ref.run);
    std::error_code ec;
    if (path.extension() == ".json" || std::filesystem::is_regular_file(path, ec)) {
        if (!std::filesystem::exists(path, ec)) {
            return fail(ErrorCode::not_found, "{}: no such file", ref.run);
        }
        return load_file(path, ref);
    }
    if (db == nullptr) {
        return fail(ErrorCode::not_found,
                    "'{}': no llmops project here to read runs from (run 'llmops init', or name "
                    "exported runs: llmops diff baseline.json candidate.json)",
                    ref.run);
    }
    return load_stored(*db, ref);
}

SideSummary summarize_side(const Side& side, double alpha) {
    SideSummary out;
    std::vector<std::vector<double>> all;
    for (const auto& sc : side.cases) {
        out.repeats = std::max(out.repeats, static_cast<int>(sc.results.size()));
        if (pass_fraction(sc)) {
            all.push_back(outcomes(sc));
        }
    }
    out.judged_cases = static_cast<int64_t>(all.size());
    out.pass_rate = pass_rate_of(all);
    out.interval = pass_rate_interval(all, out.repeats, alpha);
    out.usage = usage_of(side);
    return out;
}

std::string_view to_string(CaseChange change) {
    switch (change) {
    case CaseChange::regression: return "regression";
    case CaseChange::fix: return "fix";
    case CaseChange::unchanged_pass: return "unchanged pass";
    case CaseChange::unchanged_fail: return "unchanged fail";
    case CaseChange::errored: return "error";
    case CaseChange::new_case: return "new";
    case CaseChange::missing: return "missing";
    }
    return "?";
}

int64_t Comparison::count(CaseChange change) const {
    return std::count_if(cases.begin(), cases.end(),
                         [&](const CaseDiff& c) { return c.change == change; });
}

const MetricDiff* Comparison::metric(std::string_view name) const {
    for (const auto& m : quality) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

Comparison compare(const Side& baseline, const Side& candidate, const Options& options) {
    Comparison c;
    c.baseline = &baseline;
    c.candidate = &candidate;
    std::map<std::string, const SideCase*> b_cases;
    for (const auto& sc : candidate.cases) {
        b_cases[sc.id] = &sc;
    }
    std::set<std::string> a_ids;
    for (const auto& sc : baseline.cases) {
        a_ids.insert(sc.id);
        c.repeats = std::max(c.repeats, static_cast<int>(sc.results.size()));
    }
    for (const auto& sc : candidate.cases) {
        c.repeats = std::max(c.repeats, static_cast<int>(sc.results.size()));
    }

    // Pair the cases.
    stats::PairedCounts counts;
    std::vector<std::vector<double>> a_outcomes, b_outcomes; // paired, per case
    std::vector<double> a_scores, b_scores;                  // paired per-case mean scores
    std::vector<std::vector<double>> a_all, b_all;           // every judged case of a side
    std::set<std::string> metric_names;
    for (const auto& a : baseline.cases) {
        CaseDiff d;
        d.id = a.id;
        d.description = a.description;
        d.baseline = &a;
        d.baseline_pass = pass_fraction(a);
        if (d.baseline_pass) {
            a_all.push_back(outcomes(a));
        }
        for (const auto& r : a.results) {
            for (const auto& [name, v] : r.metrics)
                metric_names.insert(name);
        }
        auto it = b_cases.find(a.id);
        if (it == b_cases.end()) {
            d.change = CaseChange::missing;
            c.cases.push_back(std::move(d));
            continue;
        }
        d.candidate = it->second;
        d.candidate_pass = pass_fraction(*it->second);
        if (!d.baseline_pass || !d.candidate_pass) {
            d.change = CaseChange::errored;
        } else {
            // A case passes on a side when most of its judged repeats pass (all, without repeats).
            const bool pa = *d.baseline_pass > 0.5;
            const bool pb = *d.candidate_pass > 0.5;
            d.change = pa && pb ? CaseChange::unchanged_pass
                       : pa     ? CaseChange::regression
                       : pb     ? CaseChange::fix
                                : CaseChange::unchanged_fail;
            counts.add(pa, pb);
            a_outcomes.push_back(outcomes(a));
            b_outcomes.push_back(outcomes(*it->second));
            const auto sa = mean_score(a);
            const auto sb = mean_score(*it->second);
            if (sa && sb) {
                a_scores.push_back(*sa);
                b_scores.push_back(*sb);
            }
        }
        c.cases.push_back(std::move(d));
    }
    for (const auto& b : candidate.cases) {
        if (auto p = pass_fraction(b)) {
            b_all.push_back(outcomes(b));
        }
        for (const auto& r : b.results) {
            for (const auto& [name, v] : r.metrics)
                metric_names.insert(name);
        }
        if (!a_ids.contains(b.id)) {
            CaseDiff d;
            d.id = b.id;
            d.description = b.description;
            d.candidate = &b;
            d.candidate_pass = pass_fraction(b);
            d.change = CaseChange::new_case;
            c.cases.push_back(std::move(d));
        }
    }
    c.paired = static_cast<int64_t>(counts.total());
    const double confidence = 1 - options.alpha;

    // Pass rate: each side over all its judged cases; the difference over the paired ones.
    {
        MetricDiff m;
        m.name = "pass rate";
        m.baseline = pass_rate_of(a_all);
        m.candidate = pass_rate_of(b_all);
        m.baseline_interval = pass_rate_interval(a_all, c.repeats, options.alpha);
        m.candidate_interval = pass_rate_interval(b_all, c.repeats, options.alpha);
        if (c.repeats <= 1) {
            if (auto p = stats::compare_paired(counts, confidence)) {
                m.difference = p->difference;
                m.difference_interval = p->interval;
                m.p_value = p->p_value;
                m.verdict = stats::verdict_from_test(p->difference, p->p_value, options.alpha,
                                                     stats::Direction::higher_is_better);
            }
            m.method = "Wilson intervals; paired difference with Tango's interval and McNemar's "
                       "exact test";
        } else {
            auto z = stats::normal_critical_value(confidence);
            if (auto d = stats::clustered_difference(a_outcomes, b_outcomes); d && z) {
                m.difference = d->mean;
                m.difference_interval = stats::Interval{d->mean - *z * d->standard_error,
                                                        d->mean + *z * d->standard_error};
                if (d->standard_error > 0) {
                    m.p_value = stats::normal_two_sided_p(d->mean / d->standard_error);
                }
                m.verdict = stats::verdict_from_interval(*m.difference_interval,
                                                         stats::Direction::higher_is_better);
            }
            if (counts.total() > 0) {
                // McNemar on the per-case majorities, reported next to the clustered test.
                m.method = fmt::format("clustered standard errors by case ({} repeats); McNemar's "
                                       "exact p on per-case majorities = {:.4g}",
                                       c.repeats,
                                       stats::mcnemar_exact_p(counts.regressions, counts.fixes));
            }
        }
        c.quality.push_back(std::move(m));
    }
    // Mean score and named metrics: paired bootstrap of per-case means.
    auto bootstrap_metric = [&](std::string name, const std::vector<double>& a,
                                const std::vector<double>& b, std::optional<double> a_mean,
                                std::optional<double> b_mean) {
        MetricDiff m;
        m.name = std::move(name);
        m.baseline = a_mean;
        m.candidate = b_mean;
        stats::BootstrapOptions bo;
        bo.confidence = confidence;
        bo.seed = options.bootstrap_seed;
        bo.resamples = options.bootstrap_resamples;
        if (auto d = stats::paired_bootstrap(a, b, bo)) {
            m.difference = d->difference;
            m.difference_interval = d->interval;
            m.verdict =
                stats::verdict_from_interval(d->interval, stats::Direction::higher_is_better);
        }
        m.method = fmt::format("paired bootstrap of per-case means ({} resamples, seed {})",
                               bo.resamples, bo.seed);
        c.quality.push_back(std::move(m));
    };
    auto side_mean = [](const Side& s, auto&& per_case) -> std::optional<double> {
        double sum = 0;
        size_t n = 0;
        for (const auto& sc : s.cases) {
            if (auto v = per_case(sc)) {
                sum += *v;
                ++n;
            }
        }
        return n ? std::optional(sum / static_cast<double>(n)) : std::nullopt;
    };
    bootstrap_metric("mean score", a_scores, b_scores, side_mean(baseline, mean_score),
                     side_mean(candidate, mean_score));
    for (const auto& name : metric_names) {
        std::vector<double> a, b;
        for (const auto& d : c.cases) {
            if (d.baseline && d.candidate) {
                auto va = mean_metric(*d.baseline, name);
                auto vb = mean_metric(*d.candidate, name);
                if (va && vb) {
                    a.push_back(*va);
                    b.push_back(*vb);
                }
            }
        }
        auto per_case = [&](const SideCase& sc) { return mean_metric(sc, name); };
        bootstrap_metric("metric: " + name, a, b, side_mean(baseline, per_case),
                         side_mean(candidate, per_case));
    }

    c.baseline_usage = usage_of(baseline);
    c.candidate_usage = usage_of(candidate);

    if (c.repeats > 1) {
        auto flaky = [&](const Side& s, std::optional<double>& at_k, std::optional<double>& hat_k) {
            std::vector<stats::CaseCounts> all;
            int64_t n = 0;
            size_t k = static_cast<size_t>(c.repeats);
            for (const auto& sc : s.cases) {
                stats::CaseCounts cc;
                for (const auto& r : sc.results) {
                    if (r.status != "error") {
                        ++cc.samples;
                        cc.passes += r.status == "pass" ? 1 : 0;
                    }
                }
                n += stats::is_flaky(cc) ? 1 : 0;
                if (cc.samples > 0) {
                    k = std::min(k, cc.samples);
                    all.push_back(cc);
                }
            }
            at_k = stats::mean_pass_at_k(all, k);
            hat_k = stats::mean_pass_hat_k(all, k);
            return n;
        };
        c.baseline_flaky = flaky(baseline, c.baseline_pass_at_k, c.baseline_pass_hat_k);
        c.candidate_flaky = flaky(candidate, c.candidate_pass_at_k, c.candidate_pass_hat_k);
    }

    if (!baseline.dataset_hash.empty() && !candidate.dataset_hash.empty() &&
        baseline.dataset_hash != candidate.dataset_hash) {
        c.notes.push_back(
            fmt::format("the datasets differ: {} case(s) are compared, {} new, {} missing",
                        c.paired, c.count(CaseChange::new_case), c.count(CaseChange::missing)));
    }
    if (baseline.prompt_version_id != candidate.prompt_version_id &&
        !baseline.prompt_content.empty() && !candidate.prompt_content.empty()) {
        c.prompt_diff = util::unified_diff(baseline.prompt_content, candidate.prompt_content,
                                           baseline.prompt_label, candidate.prompt_label, false);
    }
    if (baseline.prompt_version_id != candidate.prompt_version_id) {
        c.notes.push_back(
            fmt::format("the prompt changed: {} ({}) -> {} ({})", baseline.prompt_label,
                        baseline.prompt_version_id.substr(0, 12), candidate.prompt_label,
                        candidate.prompt_version_id.substr(0, 12)));
    }
    if (baseline.provider_id != candidate.provider_id) {
        c.notes.push_back(fmt::format("the provider changed: {} -> {}", baseline.provider_id,
                                      candidate.provider_id));
    } else if (baseline.provider_config != candidate.provider_config) {
        c.notes.push_back(fmt::format("the provider's settings changed: {} -> {}",
                                      baseline.provider_config.dump(),
                                      candidate.provider_config.dump()));
    }
    if (baseline.judge != candidate.judge) {
        c.notes.push_back(fmt::format("the judge changed: {} -> {}",
                                      baseline.judge.empty() ? "none" : baseline.judge,
                                      candidate.judge.empty() ? "none" : candidate.judge));
    }
    if (c.paired == 0) {
        c.notes.push_back("no case was judged on both sides: nothing to compare");
    }
    return c;
}

std::vector<std::string> check_gates(const Comparison& c, const Gates& gates) {
    std::vector<std::string> failures;
    if (gates.fail_on_regression) {
        for (const auto& m : c.quality) {
            if (m.verdict == stats::Verdict::worse) {
                failures.push_back(fmt::format("{} is significantly worse: {:+.4g} ({})", m.name,
                                               m.difference.value_or(0), m.method));
            }
        }
    }
    if (gates.min_pass_rate) {
        const auto* m = c.metric("pass rate");
        if (m == nullptr || !m->candidate || *m->candidate + 1e-12 < *gates.min_pass_rate) {
            failures.push_back(fmt::format(
                "pass rate {} is below the {:.1f}% required",
                m && m->candidate ? fmt::format("{:.1f}%", 100 * *m->candidate) : "unknown",
                100 * *gates.min_pass_rate));
        }
    }
    if (gates.max_cost_increase && c.baseline_usage.cost_per_case &&
        c.candidate_usage.cost_per_case) {
        if (auto change = stats::relative_change(*c.baseline_usage.cost_per_case,
                                                 *c.candidate_usage.cost_per_case);
            change && *change * 100 > *gates.max_cost_increase + 1e-9) {
            failures.push_back(
                fmt::format("cost per case rose {:.1f}%, more than the {:.1f}% allowed",
                            *change * 100, *gates.max_cost_increase));
        }
    }
    if (gates.max_latency_increase && c.baseline_usage.latency_p50 &&
        c.candidate_usage.latency_p50) {
        if (auto change = stats::relative_change(*c.baseline_usage.latency_p50,
                                                 *c.candidate_usage.latency_p50);
            change && *change * 100 > *gates.max_latency_increase + 1e-9) {
            failures.push_back(
                fmt::format("median latency rose {:.1f}%, more than the {:.1f}% allowed",
                            *change * 100, *gates.max_latency_increase));
        }
    }
    return failures;
}

json to_json(const Comparison& c, const Options& options) {
    json quality = json::array();
    for (const auto& m : c.quality) {
        quality.push_back({{"name", m.name},
                           {"baseline", optional_json(m.baseline)},
                           {"candidate", optional_json(m.candidate)},
                           {"baseline_interval", interval_json(m.baseline_interval)},
                           {"candidate_interval", interval_json(m.candidate_interval)},
                           {"difference", optional_json(m.difference)},
                           {"difference_interval", interval_json(m.difference_interval)},
                           {"p_value", optional_json(m.p_value)},
                           {"method", m.method},
                           {"verdict", std::string(stats::to_string(m.verdict))}});
    }
    json cases = json::array();
    for (const auto& d : c.cases) {
        auto first = [](const SideCase* sc) -> json {
            if (sc == nullptr || sc->results.empty())
                return nullptr;
            const auto& r = sc->results.front();
            return json{{"status", r.status},
                        {"score", optional_json(r.score)},
                        {"reason", r.reason},
                        {"output", r.output}};
        };
        cases.push_back({{"id", d.id},
                         {"description", d.description},
                         {"change", std::string(to_string(d.change))},
                         {"baseline_pass", optional_json(d.baseline_pass)},
                         {"candidate_pass", optional_json(d.candidate_pass)},
                         {"baseline", first(d.baseline)},
                         {"candidate", first(d.candidate)}});
    }
    json counts = json::object();
    for (auto change : {CaseChange::regression, CaseChange::fix, CaseChange::unchanged_pass,
                        CaseChange::unchanged_fail, CaseChange::errored, CaseChange::new_case,
                        CaseChange::missing}) {
        std::string key(to_string(change));
        std::replace(key.begin(), key.end(), ' ', '_');
        counts[key] = c.count(change);
    }
    json out{{"llmops_diff", 1},
             {"alpha", options.alpha},
             {"baseline", side_json(*c.baseline)},
             {"candidate", side_json(*c.candidate)},
             {"repeats", c.repeats},
             {"paired_cases", c.paired},
             {"counts", counts},
             {"quality", quality},
             {"usage",
              {{"baseline", usage_json(c.baseline_usage)},
               {"candidate", usage_json(c.candidate_usage)}}},
             {"notes", c.notes},
             {"prompt_diff", c.prompt_diff.empty() ? json() : json(c.prompt_diff)},
             {"cases", cases}};
    if (c.repeats > 1) {
        out["repeat_stats"] = {{"k", c.repeats},
                               {"baseline_flaky", c.baseline_flaky},
                               {"candidate_flaky", c.candidate_flaky},
                               {"baseline_pass_at_k", optional_json(c.baseline_pass_at_k)},
                               {"candidate_pass_at_k", optional_json(c.candidate_pass_at_k)},
                               {"baseline_pass_hat_k", optional_json(c.baseline_pass_hat_k)},
                               {"candidate_pass_hat_k", optional_json(c.candidate_pass_hat_k)}};
    }
    return out;
}

} // namespace llmops::compare
