// Loading the sides of a diff: variants of stored runs (store/runs) and of runs exported as JSON
// (`llmops runs export`), read without throwing.

#include <llmops/compare/compare.hpp>

#include <cstdint>

#include <algorithm>

#include <fmt/format.h>

#include <llmops/store/runs.hpp>
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

// How a run named its cases, from its provenance: by content when it says so (`"case_ids":
// "content"`, written since content-based ids), else by position.
CaseIds case_ids_of(const json& provenance) {
    if (provenance.is_object() && provenance.contains("traces")) {
        return CaseIds::calls;
    }
    return provenance.is_object() && string_or(provenance, "case_ids", "") == "content"
               ? CaseIds::content
               : CaseIds::positional;
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
                const std::string& description, int64_t position, CaseResult r, const json& vars) {
    auto it = index.find(case_id);
    if (it == index.end()) {
        it = index.emplace(case_id, side.cases.size()).first;
        side.cases.push_back({case_id, description, position, {}, vars});
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

// A stored result as a side sees it; fails on assertions not shaped as llmops writes them.
Expected<CaseResult> case_result_of(const store::ResultRecord& r, const std::string& name) {
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
    auto metrics = LLMOPS_TRY(metrics_of(
        r.assertions,
        fmt::format("{}, case '{}', variant {}, repeat {}", name, r.case_id, r.variant, r.repeat),
        "assertions"));
    c.metrics = std::move(metrics);
    c.judge_calls = r.judge_calls;
    c.judge_input_tokens = r.judge_input_tokens;
    c.judge_output_tokens = r.judge_output_tokens;
    c.judge_cost_usd = r.judge_cost_usd;
    return c;
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
        s.case_ids = case_ids_of(run.provenance);
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
            auto c = LLMOPS_TRY(case_result_of(r, name));
            add_result(sides[it->second], indexes[it->second], r.case_id, r.description,
                       r.case_index, std::move(c), r.vars);
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
    s.case_ids = case_ids_of(provenance);
    return s;
}

// One result of an exported run (docs/runs.md, "`.json`: the run export").
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
        const json& vars = *in.object(r, "vars").value;
        if (in.error()) {
            break;
        }
        if (auto it = by_variant.find(static_cast<int>(variant)); it != by_variant.end()) {
            add_result(sides[it->second], indexes[it->second], case_id, description, position,
                       std::move(c), vars);
        }
    }
    if (in.error()) {
        return fail(*in.error());
    }
    return sides;
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

} // namespace llmops::compare
