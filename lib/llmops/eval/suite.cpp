#include <llmops/eval/suite.hpp>
#include <llmops/eval/trace_cases.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/node_worker.hpp>
#include <llmops/eval/suite_detail.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

// The suite format follows promptfoo's configuration reference
// (https://promptfoo.dev/docs/configuration/reference/) and its loaders
// (src/util/testCaseReader.ts, src/prompts/utils.ts). What llmops does not do is refused by name,
// never ignored: a key that silently did nothing would make a suite pass that should not.

namespace llmops::eval {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using detail::check_keys;
using detail::child;
using detail::expand_glob;
using detail::has_glob;
using detail::is_script;
using detail::Keys;
using detail::parse_prompts;
using detail::parse_providers;
using detail::path_exists;
using detail::strip_file_scheme;
using detail::type_name;

const Keys k_evaluate_option_keys = {
    {"maxConcurrency", "repeat"},
    {{"delay", "use --delay MS"},
     {"showProgressBar", "llmops shows progress on a terminal"},
     {"cache", "use --no-cache"},
     {"timeoutMs", "set 'timeout_ms' on the provider"},
     {"maxEvalTimeMs", ""},
     {"generateSuggestions", ""}},
};

// ---- $ref ------------------------------------------------------------------------------------

// The value the JSON pointer `pointer` ("#/assertionTemplates/is-short") names in `root`, or
// nothing.
const json* follow_pointer(const json& root, std::string_view pointer) {
    const json* at = &root;
    std::string_view rest = pointer.substr(1); // after '#'
    while (!rest.empty()) {
        rest.remove_prefix(1); // the '/'
        const size_t slash = rest.find('/');
        const std::string_view written = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
        std::string token; // RFC 6901: "~1" is '/', "~0" is '~'
        for (size_t i = 0; i < written.size(); ++i) {
            if (written[i] == '~' && i + 1 < written.size()) {
                token += written[++i] == '1' ? '/' : '~';
            } else {
                token += written[i];
            }
        }
        if (at->is_object() && at->contains(token)) {
            at = &(*at)[token];
        } else if (at->is_array() && util::is_digits(token) && std::stoul(token) < at->size()) {
            at = &(*at)[std::stoul(token)];
        } else {
            return nullptr;
        }
    }
    return at;
}

// `node` with every `{$ref: "#/..."}` replaced by what it points to in `root` (promptfoo
// dereferences its config so, for `assertionTemplates`); keys written beside `$ref` are kept over
// the target's. `where` is the JSON path of `node`; `depth` bounds references to references.
Expected<json> resolve_refs(const json& node, const json& root, const std::string& where,
                            int depth) {
    if (depth > 512) {
        return fail(ErrorCode::invalid_input, "{}: nested too deep (a '$ref' cycle?)", where);
    }
    if (node.is_array()) {
        json out = json::array();
        for (size_t i = 0; i < node.size(); ++i) {
            out.push_back(
                LLMOPS_TRY(resolve_refs(node[i], root, fmt::format("{}[{}]", where, i), depth)));
        }
        return out;
    }
    if (!node.is_object()) {
        return node;
    }
    json out = json::object();
    if (auto ref = node.find("$ref"); ref != node.end()) {
        const std::string spec = ref->is_string() ? ref->get<std::string>() : "";
        const json* target = spec.starts_with("#/") ? follow_pointer(root, spec) : nullptr;
        if (!spec.starts_with("#/")) {
            return fail(ErrorCode::invalid_input,
                        "{}: '$ref' must point into the suite (\"#/assertionTemplates/name\"); "
                        "references to other files are not supported",
                        where);
        }
        if (target == nullptr) {
            return fail(ErrorCode::invalid_input, "{}: '$ref' '{}' points at nothing", where, spec);
        }
        out = LLMOPS_TRY(resolve_refs(*target, root, where, depth + 1));
        if (!out.is_object()) {
            return out;
        }
    }
    for (const auto& [key, value] : node.items()) {
        if (key != "$ref") {
            out[key] = LLMOPS_TRY(resolve_refs(value, root, child(where, key), depth + 1));
        }
    }
    return out;
}

// ---- the suite ------------------------------------------------------------------------------

// Where the suite's relative paths are shown from (its folder as the user wrote it) and read
// from (its absolute folder).
struct Place {
    std::string display;  // the suite as written: "evals/qa.yaml"
    fs::path display_dir; // "evals"
    fs::path base_dir;    // "/home/me/project/evals"

    std::string show(const std::string& rel) const {
        return (display_dir / rel).lexically_normal().string();
    }
};

// Why a `tests` entry naming a file cannot be read, or nothing.
std::optional<std::string> refused_dataset(std::string_view spec) {
    if (spec.starts_with("huggingface://") || spec.starts_with("https://") ||
        spec.starts_with("http://") || spec.starts_with("langfuse://") ||
        spec.starts_with("az://")) {
        return "promptfoo's remote datasets are not supported; download the file";
    }
    const std::string rel = strip_file_scheme(spec);
    if (is_script(rel)) {
        return "promptfoo's test generators (Python, JavaScript) are not supported; write the "
               "cases to a file (CSV, JSONL, JSON or YAML)";
    }
    return std::nullopt;
}

// A `tests` entry naming a dataset file (or a glob pattern of several): checked now, read when
// the cases are walked.
Expected<std::vector<detail::CasePlan::Segment>>
file_segments(const std::string& spec, std::string_view where, const Place& place) {
    if (const auto why = refused_dataset(spec)) {
        return fail(ErrorCode::invalid_input, "{}: '{}': {}", where, spec, *why);
    }
    const std::string rel = strip_file_scheme(spec);
    std::vector<detail::CasePlan::Segment> segments;
    if (has_glob(rel)) {
        for (const auto& match : expand_glob(place.base_dir, rel)) {
            segments.emplace_back().file = place.show(match);
        }
        if (segments.empty()) {
            return fail(ErrorCode::not_found, "{}: '{}' matches no file", where, spec);
        }
        return segments;
    }
    if (!path_exists(place.base_dir / rel)) {
        return fail(ErrorCode::not_found, "{}: '{}' does not exist", where, spec);
    }
    segments.emplace_back().file = place.show(rel);
    return segments;
}

Expected<std::vector<detail::CasePlan::Segment>> parse_tests(const json& tests,
                                                             const Place& place) {
    const std::string where = child(place.display, "tests");
    std::vector<detail::CasePlan::Segment> segments;
    if (tests.is_string()) {
        return file_segments(tests.get<std::string>(), where, place);
    }
    if (tests.is_object() && tests.contains("path")) {
        return fail(ErrorCode::invalid_input,
                    "{}: promptfoo's test generators (Python, JavaScript) are not supported; "
                    "write the cases to a file (CSV, JSONL, JSON or YAML)",
                    where);
    }
    if (!tests.is_array()) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'tests' must be a list or a file:// path, not {}", place.display,
                    type_name(tests));
    }
    if (tests.empty()) {
        return fail(ErrorCode::invalid_input, "{}: the list is empty", where);
    }
    detail::Problems problems; // each entry is checked on its own: every problem is reported
    for (size_t i = 0; i < tests.size(); ++i) {
        const std::string entry_where = fmt::format("{}[{}]", where, i);
        const json& entry = tests[i];
        if (entry.is_string()) {
            auto files = file_segments(entry.get<std::string>(), entry_where, place);
            if (problems.ok(files)) {
                std::move(files->begin(), files->end(), std::back_inserter(segments));
            }
            continue;
        }
        if (entry.is_object() && entry.contains("path")) {
            problems.add(fail(ErrorCode::invalid_input,
                              "{}: promptfoo's test generators (Python, JavaScript) are not "
                              "supported; write the cases to a file (CSV, JSONL, JSON or YAML)",
                              entry_where));
            continue;
        }
        auto draft =
            detail::parse_case({entry, entry_where, {}}, place.base_dir, detail::CaseKind::test);
        if (!problems.ok(draft)) {
            continue;
        }
        if (segments.empty() || !segments.back().file.empty()) {
            segments.emplace_back();
        }
        segments.back().drafts.push_back(std::move(*draft));
    }
    LLMOPS_TRY(problems.result());
    return segments;
}

// `defaultTest` as `written`: a map, or a file:// path to a YAML or JSON one.
Expected<detail::CaseDraft> parse_default_test(const json& written, const Place& place) {
    json value = written;
    std::string where = child(place.display, "defaultTest");
    if (value.is_string()) {
        const std::string spec = value.get<std::string>();
        const std::string rel = strip_file_scheme(spec);
        if (!spec.starts_with("file://")) {
            return fail(ErrorCode::invalid_input,
                        "{}: a string must be a file:// path to a YAML or JSON map", where);
        }
        if (!path_exists(place.base_dir / rel)) {
            return fail(ErrorCode::not_found, "{}: '{}' does not exist", where, spec);
        }
        const std::string shown = place.show(rel);
        auto text = util::read_file(place.base_dir / rel);
        if (!text) {
            return fail(text.error(), "{}", where);
        }
        value = LLMOPS_TRY(util::parse_yaml(*text, shown));
        where = shown;
    }
    if (!value.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: 'defaultTest' must be a map, not {}",
                    place.display, type_name(value));
    }
    if (value.contains("description") || value.contains("id")) {
        return fail(ErrorCode::invalid_input, "{}: '{}' belongs in a test, not in defaultTest",
                    where, value.contains("description") ? "description" : "id");
    }
    return detail::parse_case({value, where, {}}, place.base_dir, detail::CaseKind::defaults);
}

// `defaultTest` (a map or a file:// path to one) and the suite's own `vars`, `assert` and
// `options`, which apply to every case after defaultTest's.
Expected<detail::CaseDraft> parse_defaults(const json& doc, const Place& place) {
    detail::CaseDraft defaults;
    if (doc.contains("defaultTest")) {
        defaults = LLMOPS_TRY(parse_default_test(doc["defaultTest"], place));
    }
    json own = json::object();
    for (const char* key : {"vars", "assert", "options"}) {
        if (doc.contains(key)) {
            own[key] = doc[key];
        }
    }
    if (own.empty()) {
        return defaults;
    }
    auto suite_level = LLMOPS_TRY(
        detail::parse_case({own, place.display, {}}, place.base_dir, detail::CaseKind::defaults));
    for (const auto& [name, value] : suite_level.test.vars.items()) {
        defaults.test.vars[name] = value;
    }
    std::move(suite_level.test.asserts.begin(), suite_level.test.asserts.end(),
              std::back_inserter(defaults.test.asserts));
    if (!suite_level.judge.is_null()) {
        if (!defaults.judge.is_null()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'options.provider' is set both here and in defaultTest; keep one",
                        place.display);
        }
        defaults.judge = suite_level.judge;
        defaults.judge_where = suite_level.judge_where;
    }
    if (!suite_level.rubric_prompt.empty()) {
        defaults.rubric_prompt = suite_level.rubric_prompt;
    }
    if (suite_level.disable_var_expansion) {
        defaults.disable_var_expansion = suite_level.disable_var_expansion;
    }
    if (suite_level.transform) {
        defaults.transform = suite_level.transform;
    }
    return defaults;
}

// The (type, config.prompt) of every model-graded assertion in `specs`.
void collect_judge_prompts(const std::vector<AssertionSpec>& specs,
                           std::set<std::pair<std::string, std::string>>& out) {
    for (const auto& spec : specs) {
        if (judge::is_model_graded(spec.type)) {
            auto ref = spec.config.find("prompt");
            out.emplace(spec.type, ref != spec.config.end() && ref->is_string()
                                       ? ref->get<std::string>()
                                       : std::string());
        }
        collect_judge_prompts(spec.children, out);
    }
}

// The suite's `judge` map: `samples` and `embedding` into `suite` (`provider` is read with the
// defaults, by parse_judge).
Expected<void> parse_judge_options(const json& j, std::string_view display, Suite& suite) {
    if (!j.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'judge' must be a map (provider, samples), not {}", display, type_name(j));
    }
    for (const auto& [key, value] : j.items()) {
        if (key == "samples") {
            if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
                value.get<int64_t>() > 25) {
                return fail(ErrorCode::invalid_input,
                            "{}: 'judge.samples' must be a whole number from 1 to 25", display);
            }
            suite.judge_samples = static_cast<int>(value.get<int64_t>());
        } else if (key == "embedding") {
            suite.embedding = LLMOPS_TRY(provider::parse_provider_config(
                value, fmt::format("{}: judge.embedding", display), suite.base_dir));
        } else if (key != "provider") {
            return fail(ErrorCode::invalid_input, "{}: unknown key 'judge.{}'{}", display, key,
                        util::did_you_mean(
                            key, std::vector<std::string>{"provider", "samples", "embedding"}));
        }
    }
    return {};
}

// `repeat` (or `evaluateOptions.repeat`) and `evaluateOptions.maxConcurrency` into `suite`.
Expected<void> parse_counts(const json& doc, const json& evaluate, std::string_view display,
                            Suite& suite) {
    if (doc.contains("repeat") && evaluate.contains("repeat")) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'repeat' and 'evaluateOptions.repeat' are both set; keep one", display);
    }
    auto whole = [&](const json& v, std::string_view key) -> Expected<int> {
        if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000000) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a whole number of at least 1",
                        display, key);
        }
        return static_cast<int>(v.get<int64_t>());
    };
    for (const auto& [value, key] :
         {std::pair{doc.value("repeat", json()), "repeat"},
          std::pair{evaluate.value("repeat", json()), "evaluateOptions.repeat"}}) {
        if (!value.is_null()) {
            suite.repeat = LLMOPS_TRY(whole(value, key));
        }
    }
    if (evaluate.contains("maxConcurrency")) {
        suite.max_concurrency =
            LLMOPS_TRY(whole(evaluate["maxConcurrency"], "evaluateOptions.maxConcurrency"));
    }
    return {};
}

// `outputPath`: a path or a list of them, written as `-o` writes them (promptfoo's; `-o` replaces
// it).
Expected<void> parse_output_paths(const json& value, std::string_view display, Suite& suite) {
    const json list = value.is_array() ? value : json::array({value});
    for (const auto& path : list) {
        if (!path.is_string() || path.get_ref<const std::string&>().empty()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'outputPath' must be a file name or a list of them, not {}", display,
                        type_name(path));
        }
        suite.output_paths.push_back(path.get<std::string>());
    }
    return {};
}

Expected<void> parse_threshold(const json& t, std::string_view display, Suite& suite) {
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 1) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'threshold' must be a number from 0 to 1 (the least pass rate)", display);
    }
    suite.threshold = t.get<double>();
    return {};
}

// The suite's run options (description, outputPath, evaluateOptions, repeat, judge, threshold),
// each checked on its own: every problem is reported.
Expected<void> parse_run_options(const json& doc, std::string_view display, Suite& suite) {
    detail::Problems problems;
    if (doc.contains("outputPath")) {
        problems.ok(parse_output_paths(doc["outputPath"], display, suite));
    }
    if (doc.contains("description")) {
        if (doc["description"].is_string()) {
            suite.description = doc["description"].get<std::string>();
        } else {
            problems.add(fail(ErrorCode::invalid_input,
                              "{}: 'description' must be a string, not {}", display,
                              type_name(doc["description"])));
        }
    }
    const json evaluate = doc.value("evaluateOptions", json::object());
    if (!evaluate.is_object()) {
        problems.add(fail(ErrorCode::invalid_input, "{}: 'evaluateOptions' must be a map, not {}",
                          display, type_name(evaluate)));
    } else {
        problems.ok(check_keys(evaluate, display, k_evaluate_option_keys, "evaluateOptions."));
        problems.ok(parse_counts(doc, evaluate, display, suite));
    }
    if (doc.contains("judge") && !doc["judge"].is_null()) {
        problems.ok(parse_judge_options(doc["judge"], display, suite));
    }
    if (doc.contains("threshold")) {
        problems.ok(parse_threshold(doc["threshold"], display, suite));
    }
    return problems.result();
}

// What of a case goes into the dataset hash: ids, variables (file:// values loaded), assertions
// and thresholds, whatever files and formats they were written in. Descriptions and metadata are
// left out: they change no result. The hash is that of the canonical JSON list
// [{"assert": [{"children", "config", "metric", "negate", "threshold", "transform" (when set),
// "type", "value", "weight"}, ...], "id", "threshold", "transform" (when set), "vars"}, ...],
// fed one case at a time and
// written here key by key (sorted, as canonical_json sorts them) rather than built as JSON
// values: building them was most of the time of loading a large dataset. A unit test checks the
// two agree.
void append_json(std::string& out, const json& value) {
    out += util::canonical_json(value);
}

void append_spec(std::string& out, const AssertionSpec& spec) {
    out += R"({"children":[)";
    for (size_t i = 0; i < spec.children.size(); ++i) {
        if (i > 0)
            out += ',';
        append_spec(out, spec.children[i]);
    }
    out += R"(],"config":)";
    append_json(out, spec.config);
    out += R"(,"metric":)";
    append_json(out, json(spec.metric));
    out += R"(,"negate":)";
    out += spec.negate ? "true" : "false";
    out += R"(,"threshold":)";
    append_json(out, spec.threshold ? json(*spec.threshold) : json());
    if (!spec.transform.empty()) { // only when set: the hash of suites without one is unchanged
        out += R"(,"transform":)";
        append_json(out, json(spec.transform));
    }
    out += R"(,"type":)";
    append_json(out, json(spec.type));
    out += R"(,"value":)";
    append_json(out, spec.value);
    out += R"(,"weight":)";
    append_json(out, json(spec.weight));
    out += '}';
}

void append_hashed_case(std::string& out, const TestCase& c) {
    out += R"({"assert":[)";
    for (size_t i = 0; i < c.asserts.size(); ++i) {
        if (i > 0)
            out += ',';
        append_spec(out, c.asserts[i]);
    }
    out += R"(],"id":)";
    append_json(out, json(c.id));
    out += R"(,"threshold":)";
    append_json(out, c.threshold ? json(*c.threshold) : json());
    if (!c.transform.empty()) {
        out += R"(,"transform":)";
        append_json(out, json(c.transform));
    }
    out += R"(,"vars":)";
    append_json(out, c.vars);
    out += '}';
}

// A suite grading production calls: `tests: {traces: ...}` (trace_cases.hpp).
bool takes_traces(const json& doc) {
    return doc.contains("tests") && doc["tests"].is_object() && doc["tests"].contains("traces");
}

// What a suite grading production calls runs when it names no prompt or provider: the calls'
// prompt, shown by name (the recorded messages are what each case sends), and the `traces`
// provider, which answers with what the user got.
void default_trace_variant(const json& doc, Suite& suite) {
    if (!doc.contains("prompts") || doc["prompts"].is_null()) {
        PromptEntry entry;
        entry.kind = PromptEntry::Kind::text;
        entry.value = std::string(k_recorded_prompt);
        entry.label = suite.traces->prompt;
        entry.where = suite.traces->where;
        suite.prompts.push_back(std::move(entry));
    }
    const bool named = (doc.contains("providers") && !doc["providers"].is_null()) ||
                       (doc.contains("targets") && !doc["targets"].is_null());
    if (!named) {
        provider::ProviderConfig traces;
        traces.spec = *provider::parse_provider_id("traces");
        traces.label = "traces";
        suite.providers.push_back(std::move(traces));
    }
}

// The suite's `prompts` and its `providers` (or `targets`), into `suite`: the problems of both.
Expected<void> parse_prompts_and_providers(const json& doc, const Place& place, Suite& suite) {
    detail::Problems problems;
    if (suite.traces) {
        default_trace_variant(doc, suite);
    }
    if (!suite.prompts.empty()) {
        // the calls' prompt, given above
    } else if (!doc.contains("prompts") || doc["prompts"].is_null()) {
        problems.add(fail(ErrorCode::invalid_input, "{}: a suite needs 'prompts'", place.display));
    } else if (auto prompts = parse_prompts(doc["prompts"], place.display, place.base_dir);
               problems.ok(prompts)) {
        suite.prompts = std::move(*prompts);
    }
    if (doc.contains("providers") && doc.contains("targets")) {
        problems.add(fail(ErrorCode::invalid_input,
                          "{}: 'providers' and 'targets' are both set; keep one", place.display));
        return problems.result();
    }
    const char* providers_key = doc.contains("targets") ? "targets" : "providers";
    if (!suite.providers.empty()) {
        // the `traces` provider, given above
    } else if (!doc.contains(providers_key) || doc[providers_key].is_null()) {
        problems.add(
            fail(ErrorCode::invalid_input, "{}: a suite needs 'providers'", place.display));
    } else if (auto providers = parse_providers(doc[providers_key], providers_key, place.display,
                                                place.base_dir, suite.warnings);
               problems.ok(providers)) {
        suite.providers = std::move(*providers);
    }
    return problems.result();
}

// The plan of the suite's cases: `defaults`, then the `tests` entries as segments.
Expected<std::shared_ptr<detail::CasePlan>> plan_cases(const json& doc, const Place& place,
                                                       detail::CaseDraft defaults) {
    auto plan = std::make_shared<detail::CasePlan>();
    plan->base_dir = place.base_dir;
    plan->defaults = std::move(defaults);
    if (takes_traces(doc)) {
        // The cases are production calls, read from the store when the run starts.
    } else if (doc.contains("tests") && !doc["tests"].is_null()) {
        plan->segments = LLMOPS_TRY(parse_tests(doc["tests"], place));
    } else {
        // As promptfoo does: without tests, the prompts run once with the defaults.
        detail::CaseDraft only;
        only.test.where = place.display;
        plan->segments.emplace_back().drafts.push_back(std::move(only));
    }
    return plan;
}

// The judge of the suite: `judge.provider` (or `defaultTest.options.provider`, already in
// `defaults`), its config parsed into `suite.judge`.
Expected<void> parse_judge(const json& doc, const Place& place, detail::CaseDraft& defaults,
                           Suite& suite) {
    if (const json* j = doc.contains("judge") && doc["judge"].contains("provider")
                            ? &doc["judge"]["provider"]
                            : nullptr) {
        if (!defaults.judge.is_null()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'judge.provider' and 'defaultTest.options.provider' are both set; "
                        "keep one",
                        place.display);
        }
        defaults.judge = *j;
        defaults.judge_where = fmt::format("{}: judge.provider", place.display);
    }
    if (!defaults.judge.is_null()) {
        auto judge = LLMOPS_TRY(
            provider::parse_provider_config(defaults.judge, defaults.judge_where, place.base_dir));
        suite.warnings.insert(suite.warnings.end(), judge.warnings.begin(), judge.warnings.end());
        suite.judge = std::move(judge);
    }
    return {};
}

// The validating walk: every case parsed once (errors before any call), ids checked, the
// dataset hashed; nothing kept but the ids. Sets the plan's count and files' hashes, and the
// suite's dataset hash and judge prompts.
Expected<void> validate_cases(detail::CasePlan& plan, Suite& suite) {
    detail::CaseWalk walk(plan, &plan);
    detail::Problems problems; // every case's problem, not the first
    walk.collect(problems);
    util::Sha256 hash;
    hash.update("[");
    bool first = true;
    bool nunjucks = false; // in some case's variables (suite_needs_nunjucks asks)
    std::string piece;
    for (;;) {
        auto next = LLMOPS_TRY(walk.next());
        if (next == nullptr) {
            break;
        }
        if (!first) {
            hash.update(",");
        }
        first = false;
        nunjucks = nunjucks || has_var_nunjucks(next->vars);
        collect_judge_prompts(next->asserts, suite.judge_prompts);
        piece.clear();
        append_hashed_case(piece, *next);
        hash.update(piece);
    }
    hash.update("]");
    LLMOPS_TRY(problems.result());
    suite.dataset_hash = hash.hex_digest();
    plan.count = walk.count();
    plan.vars_nunjucks = nunjucks;
    return {};
}

// The sections of the suite `doc` into `suite`, and the plan of its cases. Every section is read
// even after one failed, so that all the problems are reported at once (the cases are walked
// only when all else is right).
Expected<std::shared_ptr<detail::CasePlan>>
read_sections(const json& doc, const Place& place, const LoadOptions& options, Suite& suite) {
    detail::Problems problems;
    problems.ok(check_keys(doc, place.display, detail::k_suite_keys));
    problems.ok(parse_run_options(doc, place.display, suite));
    if (doc.contains("nunjucksFilters")) {
        auto filters = parse_nunjucks_filters(
            doc["nunjucksFilters"], child(place.display, "nunjucksFilters"), place.base_dir);
        if (problems.ok(filters)) {
            suite.nunjucks_filters = std::move(*filters);
        }
    }
    if (takes_traces(doc)) {
        if (auto query = parse_trace_query(doc["tests"], child(place.display, "tests"));
            problems.ok(query)) {
            suite.traces = std::move(*query);
        }
    }
    problems.ok(parse_prompts_and_providers(doc, place, suite));
    auto defaults = parse_defaults(doc, place);
    if (problems.ok(defaults)) {
        for (const auto& [name, value] : options.vars.items()) {
            defaults->test.vars[name] = value;
        }
        problems.ok(parse_judge(doc, place, *defaults, suite));
    }
    auto plan = plan_cases(doc, place, defaults ? std::move(*defaults) : detail::CaseDraft{});
    if (problems.ok(plan) && problems.empty()) {
        problems.ok(validate_cases(**plan, suite));
    }
    LLMOPS_TRY(problems.result());
    return std::move(*plan);
}

} // namespace

Expected<Suite> load_suite(const fs::path& path, const LoadOptions& options) {
    auto bytes = LLMOPS_TRY(util::read_file(path));
    Place place;
    place.display = path.string();
    place.display_dir = path.parent_path();
    place.base_dir = fs::absolute(path).lexically_normal().parent_path();

    Suite suite;
    suite.path = path;
    suite.base_dir = place.base_dir;
    suite.hash = util::sha256_hex(bytes);

    json doc = LLMOPS_TRY(util::parse_yaml(bytes, place.display));
    if (bytes.find("$ref") != std::string::npos) { // most suites hold none: not copied
        doc = LLMOPS_TRY(resolve_refs(doc, doc, place.display, 0));
    }
    if (doc.is_null()) {
        return fail(ErrorCode::invalid_input, "{}: the suite is empty", place.display);
    }
    if (!doc.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: a suite must be a map (description, prompts, providers, tests, ...), "
                    "not {}",
                    place.display, type_name(doc));
    }
    auto plan = LLMOPS_TRY(read_sections(doc, place, options, suite));
    suite.tests = CaseSource(std::move(plan));
    return suite;
}

} // namespace llmops::eval
