// One test case as written (inline, `defaultTest`, or a dataset's row) parsed into a CaseDraft:
// its keys checked, `file://` variables loaded, its assertions and options parsed.

#include <llmops/eval/suite_detail.hpp>

#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/transform.hpp>

#include <fmt/format.h>

#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::eval::detail {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<Refused> k_test_refused = {
    {"provider", "name the providers the case runs on with 'providers: [label]'"},
    {"providerOutput", ""},
    {"assertScoringFunction", "use 'threshold' and assertion weights"},
    {"transform", "a test's transform is written 'options: {transform: ...}'"},
};

const Keys k_test_keys = {{"description", "id", "vars", "assert", "threshold", "metadata",
                           "options", "prompts", "providers"},
                          k_test_refused};
const Keys k_default_keys = {{"vars", "assert", "threshold", "metadata", "options"}, [] {
                                 auto refused = k_test_refused;
                                 refused.push_back({"prompts", "name them in each test"});
                                 refused.push_back({"providers", "name them in each test"});
                                 return refused;
                             }()};

const std::vector<Refused> k_option_refused = {
    {"transformVars", ""},
    {"postprocess", ""},
    {"prefix", "put the text in the prompt"},
    {"suffix", "put the text in the prompt"},
    {"runSerially", ""},
    {"storeOutputAs", ""},
    {"disableConversationVar", ""},
};

const Keys k_test_option_keys = {
    {"disableVarExpansion", "disableDefaultAsserts", "rubricPrompt", "transform"},
    k_option_refused};
const Keys k_default_option_keys = {
    {"provider", "disableVarExpansion", "rubricPrompt", "transform"}, k_option_refused};
// ---- variables ------------------------------------------------------------------------------

// Loads a variable written `file://path` as promptfoo's renderPrompt does
// (src/evaluatorHelpers.ts): a YAML file gives the compact JSON text of its value, any other
// text file (JSON included) its text with leading and trailing white space trimmed. Images and
// scripts are refused.
Expected<json> load_var_file(const std::string& spec, std::string_view where,
                             const fs::path& base_dir) {
    const std::string rel = strip_file_scheme(spec);
    if (has_glob(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': promptfoo's variable globs are not supported; name one file", where,
                    spec);
    }
    if (is_script(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': promptfoo's variables computed by scripts are not supported; "
                    "write the value to a file",
                    where, spec);
    }
    const fs::path path = (base_dir / rel).lexically_normal();
    if (!path_exists(path)) {
        return fail(ErrorCode::not_found, "{}: '{}' does not exist", where, spec);
    }
    auto text = util::read_file(path);
    if (!text) {
        return fail(text.error(), "{}", where);
    }
    if (util::find_invalid_utf8(*text)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}' is not UTF-8 text (images and other binary files are not supported)",
                    where, spec);
    }
    const std::string ext = lower_extension(path);
    if (ext == ".yaml" || ext == ".yml") {
        auto value = util::parse_yaml_ordered(*text, rel); // keys in the file's order
        if (!value) {
            return fail(value.error(), "{}", where);
        }
        return json(value->dump());
    }
    return json(std::string(util::trim(*text)));
}

bool is_file_ref(const json& v) {
    return v.is_string() && v.get_ref<const std::string&>().starts_with("file://");
}

Expected<json> parse_vars(const json& vars, std::string_view where, const fs::path& base_dir) {
    if (!vars.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: 'vars' must be a map, not {}", where,
                    type_name(vars));
    }
    json out = json::object();
    for (const auto& [name, value] : vars.items()) {
        const std::string var_where = child(where, "vars." + name);
        if (name == "assert") {
            return fail(ErrorCode::invalid_input,
                        "{}: 'assert' is inside 'vars'; assertions go beside 'vars', not in it",
                        where);
        }
        if (is_file_ref(value)) {
            out[name] = LLMOPS_TRY(load_var_file(value.get<std::string>(), var_where, base_dir));
        } else if (value.is_array()) {
            json items = json::array();
            for (const auto& item : value) {
                if (is_file_ref(item)) {
                    items.push_back(
                        LLMOPS_TRY(load_var_file(item.get<std::string>(), var_where, base_dir)));
                } else {
                    items.push_back(item);
                }
            }
            out[name] = std::move(items);
        } else {
            out[name] = value;
        }
    }
    return out;
}

// ---- options --------------------------------------------------------------------------------

// promptfoo's `rubricPrompt` as written at `where`: its text, a `file://` path to it, or a list
// of {role, content} messages (kept as their JSON text).
Expected<std::string> read_rubric_prompt(const json& value, std::string_view where,
                                         const fs::path& base_dir) {
    if (value.is_array()) {
        return value.dump();
    }
    if (!value.is_string() || util::trim(value.get<std::string>()).empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: must be the judge prompt's text, a file:// path or a list of messages",
                    where);
    }
    const std::string& text = value.get_ref<const std::string&>();
    if (!text.starts_with("file://")) {
        return text;
    }
    auto loaded = LLMOPS_TRY(load_var_file(text, where, base_dir));
    return loaded.get<std::string>();
}

// An assertion as written with promptfoo's `rubricPrompt` beside its `type`: the prompt moved to
// its `config.prompt` (as judge::apply_rubric_prompt writes it), which parse_assertion reads.
Expected<json> with_rubric_prompt(const json& entry, std::string_view where,
                                  const fs::path& base_dir) {
    if (!entry.is_object() || !entry.contains("rubricPrompt")) {
        return entry;
    }
    json out = entry;
    const std::string text = LLMOPS_TRY(
        read_rubric_prompt(entry["rubricPrompt"], child(where, "rubricPrompt"), base_dir));
    out.erase("rubricPrompt");
    if (!out.contains("config") || !out["config"].is_object()) {
        out["config"] = json::object();
    }
    if (!out["config"].contains("prompt")) {
        out["config"]["prompt"] = std::string(judge::k_written_prompt_prefix) + text;
    }
    return out;
}

Expected<void> parse_options(const json& options, std::string_view where, detail::CaseKind kind,
                             const fs::path& base_dir, detail::CaseDraft& draft) {
    if (!options.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: 'options' must be a map, not {}", where,
                    type_name(options));
    }
    const bool test = kind == detail::CaseKind::test;
    if (test && options.contains("provider")) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'options.provider' is only supported in defaultTest (one judge for "
                    "every case)",
                    where);
    }
    if (!test && options.contains("disableDefaultAsserts")) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'options.disableDefaultAsserts' belongs in a test", where);
    }
    if (auto ok = check_keys(options, where, test ? k_test_option_keys : k_default_option_keys,
                             "options.");
        !ok) {
        return ok;
    }
    for (const auto& [key, value] : options.items()) {
        if (key == "rubricPrompt") {
            draft.rubric_prompt = LLMOPS_TRY(
                read_rubric_prompt(value, child(where, "options.rubricPrompt"), base_dir));
        } else if (key == "provider") {
            draft.judge = value;
            draft.judge_where = child(where, "options.provider");
        } else if (key == "transform") {
            const std::string at = child(where, "options.transform");
            LLMOPS_TRY(validate_transform(value, at, base_dir));
            draft.transform = value.get<std::string>();
        } else if (!value.is_boolean()) {
            return fail(ErrorCode::invalid_input, "{}: 'options.{}' must be true or false", where,
                        key);
        } else if (key == "disableVarExpansion") {
            draft.disable_var_expansion = value.get<bool>();
        } else if (key == "disableDefaultAsserts") {
            draft.disable_default_asserts = value.get<bool>();
        }
    }
    return {};
}

// ---- cases ----------------------------------------------------------------------------------

Expected<std::optional<double>> parse_threshold(const json& v, std::string_view where) {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
        return fail(ErrorCode::invalid_input, "{}: 'threshold' must be a number from 0 to 1",
                    where);
    }
    return v.get<double>();
}

Expected<void> parse_asserts(const json& list, const detail::RawCase& raw, const fs::path& base_dir,
                             std::vector<AssertionSpec>& out) {
    if (!list.is_array()) {
        return fail(ErrorCode::invalid_input, "{}: 'assert' must be a list, not {}", raw.where,
                    type_name(list));
    }
    Problems problems; // each assertion on its own: every problem is reported
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string name =
            i < raw.assert_names.size() ? raw.assert_names[i] : fmt::format("assert[{}]", i);
        const std::string spec_where = child(raw.where, name);
        auto entry = with_rubric_prompt(list[i], spec_where, base_dir);
        auto spec = entry ? parse_assertion(*entry, spec_where, base_dir)
                          : Expected<AssertionSpec>(std::unexpected(entry.error()));
        if (problems.ok(spec)) {
            out.push_back(std::move(*spec));
        }
    }
    return problems.result();
}

// A case's `description` (a string) and `id` (an integer, or a string with more than white
// space) as written in `e`, into `test`.
Expected<void> parse_names(const json& e, std::string_view where, TestCase& test) {
    if (e.contains("description")) {
        if (!e["description"].is_string()) {
            return fail(ErrorCode::invalid_input, "{}: 'description' must be a string, not {}",
                        where, type_name(e["description"]));
        }
        test.description = e["description"].get<std::string>();
    }
    if (e.contains("id")) {
        const json& id = e["id"];
        if (id.is_number_integer()) {
            test.id = id.dump();
        } else if (id.is_string() && !util::trim(id.get<std::string>()).empty()) {
            test.id = id.get<std::string>();
        } else {
            return fail(ErrorCode::invalid_input, "{}: 'id' must be a non-empty string", where);
        }
    }
    return {};
}

// A test's `prompts` or `providers`: a list of labels or ids (`Group:*` and `Group` match
// `Group:...`, as promptfoo matches them).
Expected<std::vector<std::string>> parse_refs(const json& value, std::string_view where) {
    std::vector<std::string> refs;
    if (value.is_string()) {
        refs.push_back(value.get<std::string>());
        return refs;
    }
    if (!value.is_array() || value.empty()) {
        return fail(ErrorCode::invalid_input, "{}: must be a list of labels or ids", where);
    }
    for (const auto& item : value) {
        if (!item.is_string() || item.get<std::string>().empty()) {
            return fail(ErrorCode::invalid_input, "{}: must be a list of labels or ids", where);
        }
        refs.push_back(item.get<std::string>());
    }
    return refs;
}

} // namespace

Expected<CaseDraft> parse_case(const RawCase& raw, const fs::path& base_dir, CaseKind kind) {
    const json& e = raw.entry;
    const std::string_view where = raw.where;
    if (!e.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: a test case must be a map, not {}", where,
                    type_name(e));
    }
    const bool test = kind == CaseKind::test;
    // Each key on its own: every problem of the case is reported.
    Problems problems;
    problems.ok(check_keys(e, where, test ? k_test_keys : k_default_keys, "",
                           test ? "variables go under 'vars'" : ""));
    CaseDraft draft;
    draft.test.where = raw.where;
    problems.ok(parse_names(e, where, draft.test));
    if (e.contains("vars")) {
        auto vars = parse_vars(e["vars"], where, base_dir);
        if (problems.ok(vars)) {
            draft.test.vars = std::move(*vars);
        }
    }
    if (e.contains("assert")) {
        problems.ok(parse_asserts(e["assert"], raw, base_dir, draft.test.asserts));
    }
    if (e.contains("threshold")) {
        auto threshold = parse_threshold(e["threshold"], where);
        if (problems.ok(threshold)) {
            draft.test.threshold = *threshold;
        }
    }
    for (const char* key : {"prompts", "providers"}) {
        if (e.contains(key)) {
            auto refs = parse_refs(e[key], child(where, key));
            if (problems.ok(refs)) {
                auto& only = std::string_view(key) == "prompts" ? draft.test.only_prompts
                                                                : draft.test.only_providers;
                only = std::move(*refs);
            }
        }
    }
    if (e.contains("metadata")) {
        if (e["metadata"].is_object()) {
            draft.test.metadata = e["metadata"];
        } else {
            problems.add(fail(ErrorCode::invalid_input, "{}: 'metadata' must be a map, not {}",
                              where, type_name(e["metadata"])));
        }
    }
    if (e.contains("options")) {
        problems.ok(parse_options(e["options"], where, kind, base_dir, draft));
    }
    LLMOPS_TRY(problems.result());
    if (!draft.rubric_prompt.empty() && kind == CaseKind::test) {
        judge::apply_rubric_prompt(draft.test.asserts, draft.rubric_prompt);
    }
    return draft;
}

} // namespace llmops::eval::detail
