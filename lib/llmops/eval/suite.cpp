#include <llmops/eval/suite.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include <llmops/eval/judge/judge.hpp>
#include <llmops/store/prompts.hpp>
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

// A promptfoo key llmops refuses, with a hint at what to do instead (may be empty).
struct Refused {
    std::string_view key;
    std::string_view hint;
};

// The keys a map may hold: ours, and promptfoo's that we refuse.
struct Keys {
    std::vector<std::string> supported;
    std::vector<Refused> refused;
};

const Keys k_suite_keys = {
    {"description", "prompts", "providers", "targets", "tests", "defaultTest", "vars", "assert",
     "options", "repeat", "threshold", "evaluateOptions", "judge"},
    {{"tags", ""},
     {"metadata", ""},
     {"scenarios", ""},
     {"outputPath", "use -o FILE"},
     {"sharing", ""},
     {"nunjucksFilters", "llmops templates are Mustache"},
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

const std::vector<Refused> k_test_refused = {
    {"provider", ""},
    {"providers", ""},
    {"prompts", ""},
    {"providerOutput", ""},
    {"assertScoringFunction", "use 'threshold' and assertion weights"},
    {"transform", ""},
};

const Keys k_test_keys = {
    {"description", "id", "vars", "assert", "threshold", "metadata", "options"}, k_test_refused};
const Keys k_default_keys = {{"vars", "assert", "threshold", "metadata", "options"},
                             k_test_refused};

const std::vector<Refused> k_option_refused = {
    {"transform", ""},
    {"transformVars", ""},
    {"postprocess", ""},
    {"prefix", "put the text in the prompt"},
    {"suffix", "put the text in the prompt"},
    {"rubricPrompt", "judge prompts live in prompts/judge/"},
    {"runSerially", ""},
    {"storeOutputAs", ""},
    {"disableConversationVar", ""},
};

const Keys k_test_option_keys = {{"disableVarExpansion", "disableDefaultAsserts"},
                                 k_option_refused};
const Keys k_default_option_keys = {{"provider", "disableVarExpansion"}, k_option_refused};

const Keys k_prompt_keys = {
    {"id", "raw", "label"},
    {{"config", "put parameters in the prompt file's config or the provider's"}, {"function", ""}}};

// How a JSON value's type is named in messages.
std::string_view type_name(const json& v) {
    switch (v.type()) {
    case json::value_t::object: return "a map";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "true/false";
    case json::value_t::null: return "empty";
    default: return "a number";
    }
}

// "qa.yaml" + "tests[0]" -> "qa.yaml: tests[0]"; "qa.yaml: tests[0]" + "vars" ->
// "qa.yaml: tests[0].vars"; "cases.csv:5" + "__expected" -> "cases.csv:5: __expected".
std::string child(std::string_view where, std::string_view key) {
    if (where.find(": ") != std::string_view::npos) {
        return fmt::format("{}.{}", where, key);
    }
    return fmt::format("{}: {}", where, key);
}

// Checks every key of `map` against `keys`; `prefix` ("options.") is how nested keys are named.
// `hint` is added to an unknown key without a likely correction.
Expected<void> check_keys(const json& map, std::string_view where, const Keys& keys,
                          std::string_view prefix = "", std::string_view hint = "") {
    for (const auto& [key, value] : map.items()) {
        if (std::find(keys.supported.begin(), keys.supported.end(), key) != keys.supported.end()) {
            continue;
        }
        const auto refused = std::find_if(keys.refused.begin(), keys.refused.end(),
                                          [&](const Refused& r) { return r.key == key; });
        if (refused != keys.refused.end()) {
            return fail(ErrorCode::invalid_input,
                        "{}: '{}{}' is a promptfoo key llmops does not support{}", where, prefix,
                        key, refused->hint.empty() ? "" : fmt::format(" ({})", refused->hint));
        }
        const auto match = util::closest_match(key, keys.supported);
        return fail(ErrorCode::invalid_input, "{}: unknown key '{}{}'{}", where, prefix, key,
                    match          ? fmt::format(" (did you mean '{}{}'?)", prefix, *match)
                    : hint.empty() ? std::string()
                                   : fmt::format(" ({})", hint));
    }
    return {};
}

bool has_glob(std::string_view path) {
    return path.find_first_of("*?[{") != std::string_view::npos;
}

std::string lower_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// A Python or JavaScript file, possibly with promptfoo's `:function` suffix.
bool is_script(std::string_view path) {
    std::string_view file = path;
    const size_t colon = file.rfind(':');
    if (colon != std::string_view::npos && file.find('/', colon) == std::string_view::npos) {
        file = file.substr(0, colon);
    }
    static constexpr std::string_view k_scripts[] = {".py",  ".js",  ".ts",  ".mjs", ".cjs",
                                                     ".mts", ".cts", ".jsx", ".tsx"};
    return std::any_of(std::begin(k_scripts), std::end(k_scripts),
                       [&](std::string_view ext) { return file.ends_with(ext); });
}

bool path_exists(const fs::path& path) {
    std::error_code ec;
    return fs::exists(path, ec);
}

std::string strip_file_scheme(std::string_view spec) {
    return std::string(spec.starts_with("file://") ? spec.substr(7) : spec);
}

// ---- variables ------------------------------------------------------------------------------

// Loads a variable written `file://path`: JSON and YAML files give their value, other files
// their text (promptfoo's "Loading media files" table, minus images and scripts).
Expected<json> load_var_file(const std::string& spec, std::string_view where,
                             const fs::path& base_dir) {
    const std::string rel = strip_file_scheme(spec);
    if (has_glob(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': glob patterns are not supported; name one file", where, spec);
    }
    if (is_script(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': variables computed by scripts are not supported", where, spec);
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
    if (ext == ".json") {
        auto value = util::parse_json(*text, rel);
        if (!value) {
            return fail(value.error(), "{}", where);
        }
        return std::move(*value);
    }
    if (ext == ".yaml" || ext == ".yml") {
        auto value = util::parse_yaml(*text, rel);
        if (!value) {
            return fail(value.error(), "{}", where);
        }
        return std::move(*value);
    }
    return json(std::move(*text));
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
            auto loaded = load_var_file(value.get<std::string>(), var_where, base_dir);
            if (!loaded) {
                return fail(loaded.error());
            }
            out[name] = std::move(*loaded);
        } else if (value.is_array()) {
            json items = json::array();
            for (const auto& item : value) {
                if (is_file_ref(item)) {
                    auto loaded = load_var_file(item.get<std::string>(), var_where, base_dir);
                    if (!loaded) {
                        return fail(loaded.error());
                    }
                    items.push_back(std::move(*loaded));
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

Expected<void> parse_options(const json& options, std::string_view where, detail::CaseKind kind,
                             detail::CaseDraft& draft) {
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
        if (key == "provider") {
            draft.judge = value;
            draft.judge_where = child(where, "options.provider");
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
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string name =
            i < raw.assert_names.size() ? raw.assert_names[i] : fmt::format("assert[{}]", i);
        auto spec = parse_assertion(list[i], child(raw.where, name), base_dir);
        if (!spec) {
            return fail(spec.error());
        }
        out.push_back(std::move(*spec));
    }
    return {};
}

// A variable's value in a case id: one line, at most 40 characters.
std::string id_value(const json& v) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    if (text.size() > 40) {
        size_t cut = 37;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
            --cut; // never split a UTF-8 sequence
        }
        text = text.substr(0, cut) + "...";
    }
    return text;
}

// One combination of a case's list variables.
struct Combination {
    json vars;
    std::string suffix; // "[language=French, tone=formal]", empty without expansion
};

constexpr size_t k_max_expansion = 10000;

// promptfoo's generateVarCombinations: a variable holding a list whose first item is a string
// gives one case per item; other lists (of maps, of numbers) are passed whole.
Expected<std::vector<Combination>> expand(const json& vars, bool disabled, std::string_view where) {
    std::vector<Combination> combos{{vars, ""}};
    if (disabled) {
        return combos;
    }
    std::vector<std::string> expanded;
    for (const auto& [name, value] : vars.items()) {
        if (!value.is_array() || value.empty() || !value.front().is_string()) {
            continue;
        }
        if (combos.size() * value.size() > k_max_expansion) {
            return fail(ErrorCode::invalid_input,
                        "{}: the list variables expand to more than {} cases (set "
                        "'options.disableVarExpansion: true' to pass lists whole)",
                        where, k_max_expansion);
        }
        std::vector<Combination> next;
        for (const auto& c : combos) {
            for (const auto& item : value) {
                Combination n = c;
                n.vars[name] = item;
                next.push_back(std::move(n));
            }
        }
        combos = std::move(next);
        expanded.push_back(name);
    }
    if (combos.size() > 1) {
        for (auto& c : combos) {
            std::vector<std::string> parts;
            for (const auto& name : expanded) {
                parts.push_back(name + "=" + id_value(c.vars[name]));
            }
            c.suffix = "[" + util::join(parts, ", ") + "]";
        }
    }
    return combos;
}

// ---- prompts --------------------------------------------------------------------------------

// A string that names a prompt in the store: `name`, `name@3`, `name@v3`, `name@<hash>`,
// `name@<label>`.
bool looks_like_ref(std::string_view s) {
    const size_t at = s.find('@');
    if (!store::is_valid_prompt_name(s.substr(0, at))) {
        return false;
    }
    if (at == std::string_view::npos) {
        return true;
    }
    const std::string_view version = s.substr(at + 1);
    return !version.empty() && std::all_of(version.begin(), version.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

// Extensions of the prompt files the runner reads: prompt files (.yaml, .yml, .md, .prompt),
// raw text (.txt) and chat messages (.json).
bool is_prompt_file_name(std::string_view s) {
    static constexpr std::string_view k_exts[] = {".txt", ".md",     ".yaml",
                                                  ".yml", ".prompt", ".json"};
    return std::any_of(std::begin(k_exts), std::end(k_exts), [&](std::string_view ext) {
        return s.size() > ext.size() && s.ends_with(ext);
    });
}

Expected<PromptEntry> prompt_file(const std::string& written, std::string_view where,
                                  const fs::path& base_dir, std::string label) {
    const std::string rel = strip_file_scheme(written);
    if (has_glob(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': glob patterns are not supported; list the files", where, written);
    }
    if (is_script(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': prompt functions (Python, JavaScript) are not supported", where,
                    written);
    }
    const std::string ext = lower_extension(rel);
    if (ext == ".j2" || ext == ".jinja" || ext == ".jinja2" || ext == ".njk") {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': Jinja and Nunjucks templates are not supported (llmops templates "
                    "are Mustache)",
                    where, written);
    }
    if (ext == ".jsonl" || ext == ".csv" || ext == ".prompty" || ext == ".xlsx") {
        return fail(ErrorCode::invalid_input, "{}: '{}': '{}' prompt files are not supported",
                    where, written, ext);
    }
    const fs::path path = (base_dir / rel).lexically_normal();
    if (!path_exists(path)) {
        return fail(ErrorCode::not_found, "{}: '{}' does not exist", where, written);
    }
    if (ext == ".txt") {
        // promptfoo splits a .txt file into several prompts at lines of `---`; llmops reads one
        // prompt per file, so such a file would silently become one odd prompt.
        auto text = util::read_file(path);
        if (!text) {
            return fail(text.error(), "{}", where);
        }
        for (const auto& line : util::split(*text, '\n')) {
            if (util::trim(line) == "---") {
                return fail(ErrorCode::invalid_input,
                            "{}: '{}' holds several prompts separated by '---'; llmops reads one "
                            "prompt per file, so split it into files",
                            where, written);
            }
        }
    }
    return PromptEntry{PromptEntry::Kind::file, path.string(), std::move(label),
                       std::string(where)};
}

// A prompt written as a string: `file://path`, a store ref, a path without `file://` (as
// promptfoo reads them), or inline text.
Expected<PromptEntry> prompt_from_string(const std::string& s, std::string_view where,
                                         const fs::path& base_dir, std::string label) {
    if (s.starts_with("file://")) {
        return prompt_file(s, where, base_dir, std::move(label));
    }
    const bool one_word = s.find_first_of(" \t\r\n{}") == std::string::npos;
    if (one_word && s.find('@') == std::string::npos && is_prompt_file_name(s)) {
        return prompt_file(s, where, base_dir, std::move(label));
    }
    if (one_word && looks_like_ref(s)) {
        return PromptEntry{PromptEntry::Kind::store_ref, s, std::move(label), std::string(where)};
    }
    if (util::trim(s).empty()) {
        return fail(ErrorCode::invalid_input, "{}: the prompt is empty", where);
    }
    return PromptEntry{PromptEntry::Kind::text, s, std::move(label), std::string(where)};
}

Expected<PromptEntry> prompt_from_map(const json& entry, std::string_view where,
                                      const fs::path& base_dir) {
    if (auto ok = check_keys(entry, where, k_prompt_keys); !ok) {
        return fail(ok.error());
    }
    for (const char* key : {"id", "raw", "label"}) {
        if (entry.contains(key) && !entry[key].is_string()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a string, not {}", where, key,
                        type_name(entry[key]));
        }
    }
    std::string label = entry.value("label", "");
    if (entry.contains("raw")) {
        // `raw` is the prompt itself (or a file); `id` then only names it.
        const std::string raw = entry["raw"].get<std::string>();
        if (label.empty()) {
            label = entry.value("id", "");
        }
        if (raw.starts_with("file://")) {
            return prompt_file(raw, where, base_dir, std::move(label));
        }
        if (util::trim(raw).empty()) {
            return fail(ErrorCode::invalid_input, "{}: the prompt is empty", where);
        }
        return PromptEntry{PromptEntry::Kind::text, raw, std::move(label), std::string(where)};
    }
    if (!entry.contains("id")) {
        return fail(ErrorCode::invalid_input,
                    "{}: a prompt needs 'raw' (its text) or 'id' (a "
                    "file:// path or a prompt in the store)",
                    where);
    }
    return prompt_from_string(entry["id"].get<std::string>(), where, base_dir, std::move(label));
}

Expected<std::vector<PromptEntry>> parse_prompts(const json& prompts, std::string_view display,
                                                 const fs::path& base_dir) {
    std::vector<PromptEntry> out;
    const std::string where = child(display, "prompts");
    if (prompts.is_string()) {
        auto p = prompt_from_string(prompts.get<std::string>(), where, base_dir, "");
        if (!p) {
            return fail(p.error());
        }
        out.push_back(std::move(*p));
    } else if (prompts.is_object()) {
        // promptfoo's legacy form: {path or text: label}.
        for (const auto& [raw, label] : prompts.items()) {
            const std::string entry_where = child(where, raw);
            if (!label.is_string()) {
                return fail(ErrorCode::invalid_input, "{}: the label must be a string, not {}",
                            entry_where, type_name(label));
            }
            auto p = prompt_from_string(raw, entry_where, base_dir, label.get<std::string>());
            if (!p) {
                return fail(p.error());
            }
            out.push_back(std::move(*p));
        }
    } else if (prompts.is_array()) {
        for (size_t i = 0; i < prompts.size(); ++i) {
            const std::string entry_where = fmt::format("{}[{}]", where, i);
            const json& entry = prompts[i];
            Expected<PromptEntry> p =
                entry.is_string()
                    ? prompt_from_string(entry.get<std::string>(), entry_where, base_dir, "")
                : entry.is_object() ? prompt_from_map(entry, entry_where, base_dir)
                                    : fail(ErrorCode::invalid_input,
                                           "{}: a prompt must be a string or a map, not {}",
                                           entry_where, type_name(entry));
            if (!p) {
                return fail(p.error());
            }
            out.push_back(std::move(*p));
        }
    } else {
        return fail(ErrorCode::invalid_input, "{}: 'prompts' must be a list or a string, not {}",
                    display, type_name(prompts));
    }
    if (out.empty()) {
        return fail(ErrorCode::invalid_input, "{}: 'prompts' is empty", display);
    }
    return out;
}

// ---- providers ------------------------------------------------------------------------------

Expected<std::vector<provider::ProviderConfig>>
parse_providers(const json& providers, std::string_view key, std::string_view display,
                const fs::path& base_dir, std::vector<std::string>& warnings) {
    const bool single = providers.is_string();
    if (!single && !providers.is_array()) {
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a list or a string, not {}",
                    display, key, type_name(providers));
    }
    const json list = single ? json::array({providers}) : providers;
    if (list.empty()) {
        return fail(ErrorCode::invalid_input, "{}: '{}' is empty", display, key);
    }
    std::vector<provider::ProviderConfig> out;
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where =
            single ? child(display, key) : child(display, fmt::format("{}[{}]", key, i));
        json entry = list[i];
        if (entry.is_string() && entry.get<std::string>().starts_with("file://")) {
            return fail(ErrorCode::invalid_input,
                        "{}: '{}': providers loaded from files are not supported (use exec: or "
                        "http)",
                        where, entry.get<std::string>());
        }
        // promptfoo also writes an entry as {<id>: {config...}}.
        if (entry.is_object() && entry.size() == 1 && !entry.contains("id") &&
            !entry.contains("label") && !entry.contains("config") &&
            entry.begin().value().is_object() && !entry.begin().value().contains("id")) {
            json reshaped = entry.begin().value();
            reshaped["id"] = entry.begin().key();
            entry = std::move(reshaped);
        }
        auto config = provider::parse_provider_config(entry, where, base_dir);
        if (!config) {
            return fail(config.error());
        }
        warnings.insert(warnings.end(), config->warnings.begin(), config->warnings.end());
        out.push_back(std::move(*config));
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

Expected<std::vector<detail::CasePlan::Segment>> parse_tests(const json& tests, const Place& place) {
    const std::string where = child(place.display, "tests");
    std::vector<detail::CasePlan::Segment> segments;
    if (tests.is_string()) {
        auto segment = file_segment(tests.get<std::string>(), where, place);
        if (!segment) {
            return fail(segment.error());
        }
        segments.push_back(std::move(*segment));
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
            auto segment = file_segment(entry.get<std::string>(), entry_where, place);
            if (!segment) {
                return fail(segment.error());
            }
            segments.push_back(std::move(*segment));
            continue;
        }
        if (entry.is_object() && entry.contains("path")) {
            return fail(ErrorCode::invalid_input,
                        "{}: test generators (Python, JavaScript) are not supported", entry_where);
        }
        auto draft =
            detail::parse_case({entry, entry_where, {}}, place.base_dir, detail::CaseKind::test);
        if (!draft) {
            return fail(draft.error());
        }
        if (segments.empty() || !segments.back().file.empty()) {
            segments.emplace_back();
        }
        segments.back().drafts.push_back(std::move(*draft));
    }
    return segments;
}

// `defaultTest` (a map or a file:// path to one) and the suite's own `vars`, `assert` and
// `options`, which apply to every case after defaultTest's.
Expected<detail::CaseDraft> parse_defaults(const json& doc, const Place& place) {
    detail::CaseDraft defaults;
    if (doc.contains("defaultTest")) {
        json value = doc["defaultTest"];
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
            auto parsed = util::parse_yaml(*text, shown);
            if (!parsed) {
                return fail(parsed.error());
            }
            value = std::move(*parsed);
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
        auto parsed =
            detail::parse_case({value, where, {}}, place.base_dir, detail::CaseKind::defaults);
        if (!parsed) {
            return fail(parsed.error());
        }
        defaults = std::move(*parsed);
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
    auto suite_level =
        detail::parse_case({own, place.display, {}}, place.base_dir, detail::CaseKind::defaults);
    if (!suite_level) {
        return fail(suite_level.error());
    }
    for (const auto& [name, value] : suite_level->test.vars.items()) {
        defaults.test.vars[name] = value;
    }
    std::move(suite_level->test.asserts.begin(), suite_level->test.asserts.end(),
              std::back_inserter(defaults.test.asserts));
    if (!suite_level->judge.is_null()) {
        if (!defaults.judge.is_null()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'options.provider' is set both here and in defaultTest; keep one",
                        place.display);
        }
        defaults.judge = suite_level->judge;
        defaults.judge_where = suite_level->judge_where;
    }
    if (suite_level->disable_var_expansion) {
        defaults.disable_var_expansion = suite_level->disable_var_expansion;
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
    if (auto ok = check_keys(evaluate, display, k_evaluate_option_keys, "evaluateOptions."); !ok) {
        return ok;
    }
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
            auto n = whole(value, key);
            if (!n) {
                return fail(n.error());
            }
            suite.repeat = *n;
        }
    }
    if (evaluate.contains("maxConcurrency")) {
        auto n = whole(evaluate["maxConcurrency"], "evaluateOptions.maxConcurrency");
        if (!n) {
            return fail(n.error());
        }
        suite.max_concurrency = *n;
    }
    if (doc.contains("judge") && !doc["judge"].is_null()) {
        const json& j = doc["judge"];
        if (!j.is_object()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'judge' must be a map (provider, samples), not {}", display,
                        type_name(j));
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
                auto config = provider::parse_provider_config(
                    value, fmt::format("{}: judge.embedding", display), suite.base_dir);
                if (!config) {
                    return fail(config.error());
                }
                suite.embedding = std::move(*config);
            } else if (key != "provider") {
                return fail(ErrorCode::invalid_input, "{}: unknown key 'judge.{}'{}", display, key,
                            util::did_you_mean(key, std::vector<std::string>{"provider", "samples", "embedding"}));
            }
        }
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
void append_json(std::string& out, const json& value) { out += util::canonical_json(value); }

void append_spec(std::string& out, const AssertionSpec& spec) {
    out += R"({"children":[)";
    for (size_t i = 0; i < spec.children.size(); ++i) {
        if (i > 0) out += ',';
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
        if (i > 0) out += ',';
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

} // namespace

namespace detail {

Expected<CaseDraft> parse_case(const RawCase& raw, const fs::path& base_dir, CaseKind kind) {
    const json& e = raw.entry;
    const std::string_view where = raw.where;
    if (!e.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: a test case must be a map, not {}", where,
                    type_name(e));
    }
    const bool test = kind == CaseKind::test;
    if (auto ok = check_keys(e, where, test ? k_test_keys : k_default_keys, "",
                             test ? "variables go under 'vars'" : "");
        !ok) {
        return fail(ok.error());
    }
    CaseDraft draft;
    draft.test.where = raw.where;
    if (e.contains("description")) {
        if (!e["description"].is_string()) {
            return fail(ErrorCode::invalid_input, "{}: 'description' must be a string, not {}",
                        where, type_name(e["description"]));
        }
        draft.test.description = e["description"].get<std::string>();
    }
    if (e.contains("id")) {
        const json& id = e["id"];
        if (id.is_number_integer()) {
            draft.test.id = id.dump();
        } else if (id.is_string() && !util::trim(id.get<std::string>()).empty()) {
            draft.test.id = id.get<std::string>();
        } else {
            return fail(ErrorCode::invalid_input, "{}: 'id' must be a non-empty string", where);
        }
    }
    if (e.contains("vars")) {
        auto vars = parse_vars(e["vars"], where, base_dir);
        if (!vars) {
            return fail(vars.error());
        }
        draft.test.vars = std::move(*vars);
    }
    if (e.contains("assert")) {
        if (auto ok = parse_asserts(e["assert"], raw, base_dir, draft.test.asserts); !ok) {
            return fail(ok.error());
        }
    }
    if (e.contains("threshold")) {
        auto t = parse_threshold(e["threshold"], where);
        if (!t) {
            return fail(t.error());
        }
        draft.test.threshold = *t;
    }
    if (e.contains("metadata")) {
        if (!e["metadata"].is_object()) {
            return fail(ErrorCode::invalid_input, "{}: 'metadata' must be a map, not {}", where,
                        type_name(e["metadata"]));
        }
        draft.test.metadata = e["metadata"];
    }
    if (e.contains("options")) {
        if (auto ok = parse_options(e["options"], where, kind, draft); !ok) {
            return fail(ok.error());
        }
    }
    return draft;
}

Expected<void> CaseFinalizer::add(const CaseDraft& draft, std::deque<TestCase>& out) {
    const CaseDraft& defaults = m_defaults;
    json vars = defaults.test.vars;
    for (const auto& [name, value] : draft.test.vars.items()) {
        vars[name] = value;
    }
    const bool no_expansion =
        draft.disable_var_expansion.value_or(defaults.disable_var_expansion.value_or(false));
    auto combos = expand(vars, no_expansion, draft.test.where);
    if (!combos) {
        return fail(combos.error());
    }
    const std::string& base = draft.test.id.empty() ? draft.test.description : draft.test.id;
    for (auto& combo : *combos) {
        TestCase c;
        c.description = draft.test.description;
        c.vars = std::move(combo.vars);
        if (!draft.disable_default_asserts) {
            c.asserts = defaults.test.asserts;
        }
        c.asserts.insert(c.asserts.end(), draft.test.asserts.begin(), draft.test.asserts.end());
        c.threshold = draft.test.threshold ? draft.test.threshold : defaults.test.threshold;
        c.metadata = defaults.test.metadata;
        for (const auto& [key, value] : draft.test.metadata.items()) {
            c.metadata[key] = value;
        }
        c.where = draft.test.where;
        c.position = m_count;
        if (base.empty()) {
            c.id = fmt::format("case-{}", m_count + 1);
        } else {
            c.id = combo.suffix.empty() ? base : base + " " + combo.suffix;
        }
        if (m_check_duplicates) {
            if (const auto [it, inserted] = m_seen.emplace(c.id, c.where); !inserted) {
                return fail(ErrorCode::invalid_input,
                            "{}: duplicate case id '{}' (also {}); give each case its own 'id'",
                            c.where, c.id, it->second);
            }
        }
        ++m_count;
        out.push_back(std::move(c));
    }
    return {};
}

Expected<std::vector<TestCase>> finalize_cases(const std::vector<CaseDraft>& drafts,
                                               const CaseDraft& defaults) {
    CaseFinalizer finalizer(defaults, true);
    std::deque<TestCase> cases;
    for (const auto& draft : drafts) {
        if (auto ok = finalizer.add(draft, cases); !ok) {
            return fail(ok.error());
        }
    }
    return std::vector<TestCase>(std::make_move_iterator(cases.begin()),
                                 std::make_move_iterator(cases.end()));
}

// One walk over a plan's cases.
class CaseWalk {
  public:
    // `validating`: the walk that loads a suite (duplicate ids checked, file hashes recorded in
    // `plan` instead of compared).
    CaseWalk(const CasePlan& plan, CasePlan* validating)
        : m_plan(plan), m_validating(validating),
          m_finalizer(plan.defaults, validating != nullptr) {}

    Expected<const TestCase*> next() {
        if (!m_plan.held.empty() || (m_plan.segments.empty() && m_plan.count == 0)) {
            if (m_held >= m_plan.held.size()) {
                return nullptr;
            }
            return &m_plan.held[m_held++];
        }
        while (m_pending.empty()) {
            if (m_segment >= m_plan.segments.size()) {
                return nullptr;
            }
            const CasePlan::Segment& segment = m_plan.segments[m_segment];
            if (segment.file.empty()) {
                if (m_draft >= segment.drafts.size()) {
                    ++m_segment;
                    m_draft = 0;
                    continue;
                }
                if (auto ok = m_finalizer.add(segment.drafts[m_draft++], m_pending); !ok) {
                    return fail(ok.error());
                }
                continue;
            }
            if (!m_reader) {
                std::string hash;
                auto reader = open_dataset(segment.file, &hash);
                if (!reader) {
                    return fail(reader.error());
                }
                if (m_validating) {
                    m_validating->segments[m_segment].file_hash = hash;
                } else if (hash != segment.file_hash) {
                    return fail(ErrorCode::conflict,
                                "{}: the file changed since the suite was loaded",
                                segment.file.string());
                }
                m_reader = std::move(*reader);
                m_raw_count = 0;
            }
            RawCase raw;
            auto more = m_reader->next(raw);
            if (!more) {
                return fail(more.error());
            }
            if (!*more) {
                if (m_raw_count == 0) {
                    return fail(ErrorCode::invalid_input, "{}: the dataset is empty",
                                segment.file.string());
                }
                m_reader.reset();
                ++m_segment;
                continue;
            }
            ++m_raw_count;
            auto draft = parse_case(raw, m_plan.base_dir, CaseKind::test);
            if (!draft) {
                return fail(draft.error());
            }
            if (auto ok = m_finalizer.add(*draft, m_pending); !ok) {
                return fail(ok.error());
            }
        }
        m_current = std::move(m_pending.front());
        m_pending.pop_front();
        return &m_current;
    }

    int64_t count() const { return m_finalizer.count(); }

  private:
    const CasePlan& m_plan;
    CasePlan* m_validating;
    CaseFinalizer m_finalizer;
    size_t m_held = 0;
    size_t m_segment = 0;
    size_t m_draft = 0;
    std::unique_ptr<RawCaseReader> m_reader;
    int64_t m_raw_count = 0;
    std::deque<TestCase> m_pending;
    TestCase m_current;
};

} // namespace detail

Expected<Suite> load_suite(const fs::path& path) {
    auto bytes = util::read_file(path);
    if (!bytes) {
        return fail(bytes.error());
    }
    Place place;
    place.display = path.string();
    place.display_dir = path.parent_path();
    place.base_dir = fs::absolute(path).lexically_normal().parent_path();

    Suite suite;
    suite.path = path;
    suite.base_dir = place.base_dir;
    suite.hash = util::sha256_hex(*bytes);

    auto parsed = util::parse_yaml(*bytes, place.display);
    if (!parsed) {
        return fail(parsed.error());
    }
    const json& doc = *parsed;
    if (doc.is_null()) {
        return fail(ErrorCode::invalid_input, "{}: the suite is empty", place.display);
    }
    if (!doc.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: a suite must be a map (description, prompts, providers, tests, ...), "
                    "not {}",
                    place.display, type_name(doc));
    }
    if (auto ok = check_keys(doc, place.display, k_suite_keys); !ok) {
        return fail(ok.error());
    }
    if (auto ok = parse_run_options(doc, place.display, suite); !ok) {
        return fail(ok.error());
    }

    if (!doc.contains("prompts") || doc["prompts"].is_null()) {
        return fail(ErrorCode::invalid_input, "{}: a suite needs 'prompts'", place.display);
    }
    auto prompts = parse_prompts(doc["prompts"], place.display, place.base_dir);
    if (!prompts) {
        return fail(prompts.error());
    }
    suite.prompts = std::move(*prompts);

    if (doc.contains("providers") && doc.contains("targets")) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'providers' and 'targets' are both set; keep one", place.display);
    }
    const char* providers_key = doc.contains("targets") ? "targets" : "providers";
    if (!doc.contains(providers_key) || doc[providers_key].is_null()) {
        return fail(ErrorCode::invalid_input, "{}: a suite needs 'providers'", place.display);
    }
    auto providers = parse_providers(doc[providers_key], providers_key, place.display,
                                     place.base_dir, suite.warnings);
    if (!providers) {
        return fail(providers.error());
    }
    suite.providers = std::move(*providers);

    auto defaults = parse_defaults(doc, place);
    if (!defaults) {
        return fail(defaults.error());
    }
    if (const json* j = doc.contains("judge") && doc["judge"].contains("provider")
                            ? &doc["judge"]["provider"]
                            : nullptr) {
        if (!defaults->judge.is_null()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'judge.provider' and 'defaultTest.options.provider' are both set; "
                        "keep one",
                        place.display);
        }
        defaults->judge = *j;
        defaults->judge_where = fmt::format("{}: judge.provider", place.display);
    }
    if (!defaults->judge.is_null()) {
        auto judge =
            provider::parse_provider_config(defaults->judge, defaults->judge_where, place.base_dir);
        if (!judge) {
            return fail(judge.error());
        }
        suite.warnings.insert(suite.warnings.end(), judge->warnings.begin(), judge->warnings.end());
        suite.judge = std::move(*judge);
    }

    auto plan = std::make_shared<detail::CasePlan>();
    plan->base_dir = place.base_dir;
    plan->defaults = std::move(*defaults);
    if (doc.contains("tests") && !doc["tests"].is_null()) {
        auto segments = parse_tests(doc["tests"], place);
        if (!segments) {
            return fail(segments.error());
        }
        plan->segments = std::move(*segments);
    } else {
        // As promptfoo does: without tests, the prompts run once with the defaults.
        detail::CaseDraft only;
        only.test.where = place.display;
        plan->segments.emplace_back().drafts.push_back(std::move(only));
    }
    // The validating walk: every case parsed once (errors before any call), ids checked, the
    // dataset hashed; nothing kept but the ids.
    {
        detail::CaseWalk walk(*plan, plan.get());
        util::Sha256 hash;
        hash.update("[");
        bool first = true;
        std::string piece;
        for (;;) {
            auto next = walk.next();
            if (!next) {
                return fail(next.error());
            }
            if (*next == nullptr) {
                break;
            }
            if (!first) {
                hash.update(",");
            }
            first = false;
            collect_judge_prompts((*next)->asserts, suite.judge_prompts);
            piece.clear();
            append_hashed_case(piece, **next);
            hash.update(piece);
        }
        hash.update("]");
        suite.dataset_hash = hash.hex_digest();
        plan->count = walk.count();
    }
    suite.tests = CaseSource(std::move(plan));
    return suite;
}

// ---- CaseSource ---------------------------------------------------------------------------------

CaseSource::CaseSource() : m_plan(std::make_shared<detail::CasePlan>()) {}

const TestCase& CaseSource::defaults() const { return m_plan->defaults.test; }

CaseSource::CaseSource(std::vector<TestCase> cases) {
    auto plan = std::make_shared<detail::CasePlan>();
    for (size_t i = 0; i < cases.size(); ++i) {
        cases[i].position = static_cast<int64_t>(i);
    }
    plan->count = static_cast<int64_t>(cases.size());
    plan->held = std::move(cases);
    m_plan = std::move(plan);
}

CaseSource::CaseSource(std::shared_ptr<const detail::CasePlan> plan) : m_plan(std::move(plan)) {}
CaseSource::~CaseSource() = default;
CaseSource::CaseSource(const CaseSource&) = default;
CaseSource& CaseSource::operator=(const CaseSource&) = default;
CaseSource::CaseSource(CaseSource&&) noexcept = default;
CaseSource& CaseSource::operator=(CaseSource&&) noexcept = default;

int64_t CaseSource::size() const { return m_plan->count; }

std::vector<std::filesystem::path> CaseSource::files() const {
    std::vector<std::filesystem::path> out;
    for (const auto& segment : m_plan->segments) {
        if (!segment.file.empty()) {
            out.push_back(segment.file);
        }
    }
    return out;
}

CaseSource::Cursor::Cursor() = default;
CaseSource::Cursor::Cursor(Cursor&&) noexcept = default;
CaseSource::Cursor& CaseSource::Cursor::operator=(Cursor&&) noexcept = default;
CaseSource::Cursor::~Cursor() = default;

Expected<const TestCase*> CaseSource::Cursor::next() { return m_walk->next(); }

CaseSource::Cursor CaseSource::cursor() const {
    Cursor c;
    c.m_walk = std::make_unique<detail::CaseWalk>(*m_plan, nullptr);
    return c;
}

Expected<void> CaseSource::for_each(const std::function<bool(const TestCase&)>& visit) const {
    auto c = cursor();
    for (;;) {
        auto next = c.next();
        if (!next) {
            return fail(next.error());
        }
        if (*next == nullptr || !visit(**next)) {
            return {};
        }
    }
}

Expected<std::vector<TestCase>> CaseSource::to_vector() const {
    std::vector<TestCase> out;
    auto ok = for_each([&](const TestCase& c) {
        out.push_back(c);
        return true;
    });
    if (!ok) {
        return fail(ok.error());
    }
    return out;
}

} // namespace llmops::eval
