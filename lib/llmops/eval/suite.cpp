#include <llmops/eval/suite.hpp>

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
using detail::has_glob;
using detail::is_script;
using detail::Keys;
using detail::parse_prompts;
using detail::parse_providers;
using detail::path_exists;
using detail::strip_file_scheme;
using detail::type_name;

const Keys k_suite_keys = {
    {"description", "prompts", "providers", "targets", "tests", "defaultTest", "vars", "assert",
     "options", "repeat", "threshold", "evaluateOptions", "judge", "nunjucksFilters"},
    {{"tags", ""},
     {"metadata", ""},
     {"scenarios", ""},
     {"outputPath", "use -o FILE"},
     {"sharing", ""},
     {"env", "set the variables in the environment"},
     {"derivedMetrics", ""},
     {"extensions", ""},
     {"redteam", ""},
     {"writeLatestResults", ""},
     {"commandLineOptions", "pass the options on the command line"},
     {"tracing", ""}},
};

const Keys k_evaluate_option_keys = {
    {"maxConcurrency", "repeat"},
    {{"delay", "set 'rpm' on the provider"},
     {"showProgressBar", "llmops shows progress on a terminal"},
     {"cache", "use --no-cache"},
     {"timeoutMs", "set 'timeout_ms' on the provider"},
     {"maxEvalTimeMs", ""},
     {"generateSuggestions", ""}},
};

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
        return "remote datasets are not supported; download the file";
    }
    const std::string rel = strip_file_scheme(spec);
    if (has_glob(rel)) {
        return "glob patterns are not supported; list the files";
    }
    if (is_script(rel)) {
        return "test generators (Python, JavaScript) are not supported";
    }
    return std::nullopt;
}

// A `tests` entry naming a dataset file: checked now, read when the cases are walked.
Expected<detail::CasePlan::Segment> file_segment(const std::string& spec, std::string_view where,
                                                 const Place& place) {
    if (const auto why = refused_dataset(spec)) {
        return fail(ErrorCode::invalid_input, "{}: '{}': {}", where, spec, *why);
    }
    const std::string rel = strip_file_scheme(spec);
    if (!path_exists(place.base_dir / rel)) {
        return fail(ErrorCode::not_found, "{}: '{}' does not exist", where, spec);
    }
    detail::CasePlan::Segment segment;
    segment.file = place.show(rel);
    return segment;
}

Expected<std::vector<detail::CasePlan::Segment>> parse_tests(const json& tests,
                                                             const Place& place) {
    const std::string where = child(place.display, "tests");
    std::vector<detail::CasePlan::Segment> segments;
    if (tests.is_string()) {
        segments.push_back(LLMOPS_TRY(file_segment(tests.get<std::string>(), where, place)));
        return segments;
    }
    if (tests.is_object() && tests.contains("path")) {
        return fail(ErrorCode::invalid_input,
                    "{}: test generators (Python, JavaScript) are not supported", where);
    }
    if (!tests.is_array()) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'tests' must be a list or a file:// path, not {}", place.display,
                    type_name(tests));
    }
    if (tests.empty()) {
        return fail(ErrorCode::invalid_input, "{}: the list is empty", where);
    }
    for (size_t i = 0; i < tests.size(); ++i) {
        const std::string entry_where = fmt::format("{}[{}]", where, i);
        const json& entry = tests[i];
        if (entry.is_string()) {
            segments.push_back(
                LLMOPS_TRY(file_segment(entry.get<std::string>(), entry_where, place)));
            continue;
        }
        if (entry.is_object() && entry.contains("path")) {
            return fail(ErrorCode::invalid_input,
                        "{}: test generators (Python, JavaScript) are not supported", entry_where);
        }
        auto draft = LLMOPS_TRY(
            detail::parse_case({entry, entry_where, {}}, place.base_dir, detail::CaseKind::test));
        if (segments.empty() || !segments.back().file.empty()) {
            segments.emplace_back();
        }
        segments.back().drafts.push_back(std::move(draft));
    }
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
    if (suite_level.disable_var_expansion) {
        defaults.disable_var_expansion = suite_level.disable_var_expansion;
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

Expected<void> parse_run_options(const json& doc, std::string_view display, Suite& suite) {
    if (doc.contains("description")) {
        if (!doc["description"].is_string()) {
            return fail(ErrorCode::invalid_input, "{}: 'description' must be a string, not {}",
                        display, type_name(doc["description"]));
        }
        suite.description = doc["description"].get<std::string>();
    }
    json evaluate = doc.value("evaluateOptions", json::object());
    if (!evaluate.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: 'evaluateOptions' must be a map, not {}",
                    display, type_name(evaluate));
    }
    LLMOPS_TRY(check_keys(evaluate, display, k_evaluate_option_keys, "evaluateOptions."));
    LLMOPS_TRY(parse_counts(doc, evaluate, display, suite));
    if (doc.contains("judge") && !doc["judge"].is_null()) {
        LLMOPS_TRY(parse_judge_options(doc["judge"], display, suite));
    }
    if (doc.contains("threshold")) {
        const json& t = doc["threshold"];
        if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 1) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'threshold' must be a number from 0 to 1 (the least pass rate)",
                        display);
        }
        suite.threshold = t.get<double>();
    }
    return {};
}

// What of a case goes into the dataset hash: ids, variables (file:// values loaded), assertions
// and thresholds, whatever files and formats they were written in. Descriptions and metadata are
// left out: they change no result. The hash is that of the canonical JSON list
// [{"assert": [{"children", "config", "metric", "negate", "threshold", "type", "value",
// "weight"}, ...], "id", "threshold", "vars"}, ...], fed one case at a time and
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
    out += R"(,"vars":)";
    append_json(out, c.vars);
    out += '}';
}

// The suite's `prompts` and its `providers` (or `targets`), into `suite`.
Expected<void> parse_prompts_and_providers(const json& doc, const Place& place, Suite& suite) {
    if (!doc.contains("prompts") || doc["prompts"].is_null()) {
        return fail(ErrorCode::invalid_input, "{}: a suite needs 'prompts'", place.display);
    }
    suite.prompts = LLMOPS_TRY(parse_prompts(doc["prompts"], place.display, place.base_dir));

    if (doc.contains("providers") && doc.contains("targets")) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'providers' and 'targets' are both set; keep one", place.display);
    }
    const char* providers_key = doc.contains("targets") ? "targets" : "providers";
    if (!doc.contains(providers_key) || doc[providers_key].is_null()) {
        return fail(ErrorCode::invalid_input, "{}: a suite needs 'providers'", place.display);
    }
    suite.providers = LLMOPS_TRY(parse_providers(doc[providers_key], providers_key, place.display,
                                                 place.base_dir, suite.warnings));
    return {};
}

// The plan of the suite's cases: `defaults`, then the `tests` entries as segments.
Expected<std::shared_ptr<detail::CasePlan>> plan_cases(const json& doc, const Place& place,
                                                       detail::CaseDraft defaults) {
    auto plan = std::make_shared<detail::CasePlan>();
    plan->base_dir = place.base_dir;
    plan->defaults = std::move(defaults);
    if (doc.contains("tests") && !doc["tests"].is_null()) {
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
    util::Sha256 hash;
    hash.update("[");
    bool first = true;
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
        collect_judge_prompts(next->asserts, suite.judge_prompts);
        piece.clear();
        append_hashed_case(piece, *next);
        hash.update(piece);
    }
    hash.update("]");
    suite.dataset_hash = hash.hex_digest();
    plan.count = walk.count();
    return {};
}

} // namespace

Expected<Suite> load_suite(const fs::path& path) {
    auto bytes = LLMOPS_TRY(util::read_file(path));
    Place place;
    place.display = path.string();
    place.display_dir = path.parent_path();
    place.base_dir = fs::absolute(path).lexically_normal().parent_path();

    Suite suite;
    suite.path = path;
    suite.base_dir = place.base_dir;
    suite.hash = util::sha256_hex(bytes);

    const json doc = LLMOPS_TRY(util::parse_yaml(bytes, place.display));
    if (doc.is_null()) {
        return fail(ErrorCode::invalid_input, "{}: the suite is empty", place.display);
    }
    if (!doc.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: a suite must be a map (description, prompts, providers, tests, ...), "
                    "not {}",
                    place.display, type_name(doc));
    }
    LLMOPS_TRY(check_keys(doc, place.display, k_suite_keys));
    LLMOPS_TRY(parse_run_options(doc, place.display, suite));
    if (doc.contains("nunjucksFilters")) {
        suite.nunjucks_filters = LLMOPS_TRY(parse_nunjucks_filters(
            doc["nunjucksFilters"], child(place.display, "nunjucksFilters"), place.base_dir));
    }

    LLMOPS_TRY(parse_prompts_and_providers(doc, place, suite));

    auto defaults = LLMOPS_TRY(parse_defaults(doc, place));
    LLMOPS_TRY(parse_judge(doc, place, defaults, suite));

    auto plan = LLMOPS_TRY(plan_cases(doc, place, std::move(defaults)));
    LLMOPS_TRY(validate_cases(*plan, suite));
    suite.tests = CaseSource(std::move(plan));
    return suite;
}

} // namespace llmops::eval
