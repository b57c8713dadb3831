// A suite's `prompts` and `providers` (SPEC §7): entries as written, checked; the runner
// resolves prompts against the store and creates the providers.

#include <llmops/eval/suite_detail.hpp>

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include <fmt/format.h>

#include <llmops/eval/assertions/regex.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval {

std::vector<std::string> split_text_prompts(std::string_view text) {
    const char* custom = std::getenv("PROMPTFOO_PROMPT_SEPARATOR");
    const std::string_view separator = custom != nullptr && custom[0] != '\0' ? custom : "---";
    std::vector<std::string> out;
    std::string part;
    const auto flush = [&] {
        std::string trimmed(util::trim(part));
        if (!trimmed.empty()) {
            out.push_back(std::move(trimmed));
        }
        part.clear();
    };
    size_t at = 0;
    while (at <= text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(at, end - at);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (util::trim(line) == separator) {
            flush();
        } else {
            part.append(line);
            part += '\n';
        }
        at = end + 1;
    }
    flush();
    return out;
}

} // namespace llmops::eval

namespace llmops::eval::detail {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const Keys k_prompt_keys = {
    {"id", "raw", "label"},
    {{"config", "put parameters in the prompt file's config or the provider's"}, {"function", ""}}};

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
    if (is_script(rel)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': promptfoo's prompt functions (Python, JavaScript) are not "
                    "supported; write the prompt in a file",
                    where, written);
    }
    const std::string ext = lower_extension(rel);
    if (ext == ".jinja" || ext == ".jinja2") {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': Jinja templates are not supported (name Nunjucks files .njk or "
                    ".j2)",
                    where, written);
    }
    if (ext == ".jsonl" || ext == ".csv" || ext == ".prompty" || ext == ".xlsx") {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}': promptfoo's '{}' prompt files are not supported; use .txt, .md, "
                    ".json or .yaml",
                    where, written, ext);
    }
    const fs::path path = (base_dir / rel).lexically_normal();
    if (!path_exists(path)) {
        return fail(ErrorCode::not_found, "{}: '{}' does not exist", where, written);
    }
    return PromptEntry{PromptEntry::Kind::file, path.string(), std::move(label),
                       std::string(where)};
}

// The entries of a prompt file: one, or one per prompt of a `.txt` file that holds several
// between `---` lines (labelled as promptfoo labels them: "path: text", after the given label).
Expected<std::vector<PromptEntry>> prompt_files(const std::string& written, std::string_view where,
                                                const fs::path& base_dir, std::string label) {
    if (const std::string rel = strip_file_scheme(written); has_glob(rel) && !is_script(rel)) {
        // A glob: the files it matches, sorted, each as if listed.
        const auto matches = expand_glob(base_dir, rel);
        if (matches.empty()) {
            return fail(ErrorCode::not_found, "{}: '{}' matches no file", where, written);
        }
        std::vector<PromptEntry> out;
        for (const auto& match : matches) {
            auto entries = LLMOPS_TRY(prompt_files("file://" + match, where, base_dir, label));
            std::move(entries.begin(), entries.end(), std::back_inserter(out));
        }
        return out;
    }
    auto entry = LLMOPS_TRY(prompt_file(written, where, base_dir, label));
    if (lower_extension(entry.value) != ".txt") {
        return std::vector<PromptEntry>{std::move(entry)};
    }
    auto text = util::read_file(entry.value);
    if (!text) {
        return fail(text.error(), "{}", where);
    }
    const auto parts = split_text_prompts(*text);
    if (parts.empty()) {
        return fail(ErrorCode::invalid_input, "{}: '{}' holds no prompt", where, written);
    }
    if (parts.size() == 1) {
        return std::vector<PromptEntry>{std::move(entry)};
    }
    std::vector<PromptEntry> out;
    const std::string shown = strip_file_scheme(written);
    for (size_t i = 0; i < parts.size(); ++i) {
        PromptEntry e = entry;
        e.part = static_cast<int>(i);
        e.where = fmt::format("{} (prompt {} of {})", where, i + 1, parts.size());
        e.label = (label.empty() ? "" : label + ": ") + shown + ": " + parts[i];
        out.push_back(std::move(e));
    }
    return out;
}

// A prompt written as a string: `file://path`, a store ref, a path without `file://` (as
// promptfoo reads them), or inline text.
using Entries = std::vector<PromptEntry>;

Expected<Entries> prompt_from_string(const std::string& s, std::string_view where,
                                     const fs::path& base_dir, std::string label) {
    if (s.starts_with("file://")) {
        return prompt_files(s, where, base_dir, std::move(label));
    }
    const bool one_word = s.find_first_of(" \t\r\n{}") == std::string::npos;
    if (one_word && s.find('@') == std::string::npos && is_prompt_file_name(s)) {
        return prompt_files(s, where, base_dir, std::move(label));
    }
    if (one_word && looks_like_ref(s)) {
        return Entries{{PromptEntry::Kind::store_ref, s, std::move(label), std::string(where)}};
    }
    if (util::trim(s).empty()) {
        return fail(ErrorCode::invalid_input, "{}: the prompt is empty", where);
    }
    return Entries{{PromptEntry::Kind::text, s, std::move(label), std::string(where)}};
}

Expected<Entries> prompt_from_map_entries(const json& entry, std::string_view where,
                                          const fs::path& base_dir) {
    LLMOPS_TRY(check_keys(entry, where, k_prompt_keys));
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
            return prompt_files(raw, where, base_dir, std::move(label));
        }
        if (util::trim(raw).empty()) {
            return fail(ErrorCode::invalid_input, "{}: the prompt is empty", where);
        }
        return Entries{{PromptEntry::Kind::text, raw, std::move(label), std::string(where)}};
    }
    if (!entry.contains("id")) {
        return fail(ErrorCode::invalid_input,
                    "{}: a prompt needs 'raw' (its text) or 'id' (a "
                    "file:// path or a prompt in the store)",
                    where);
    }
    return prompt_from_string(entry["id"].get<std::string>(), where, base_dir, std::move(label));
}

// A prompt map, its entries carrying the map's `id` (what a test's `prompts:` may name).
Expected<Entries> prompt_from_map(const json& entry, std::string_view where,
                                  const fs::path& base_dir) {
    auto entries = LLMOPS_TRY(prompt_from_map_entries(entry, where, base_dir));
    if (entry.contains("id") && entry["id"].is_string()) {
        for (auto& e : entries) {
            e.id = entry["id"].get<std::string>();
        }
    }
    return entries;
}

} // namespace

Expected<std::vector<PromptEntry>> parse_prompts(const json& prompts, std::string_view display,
                                                 const fs::path& base_dir) {
    std::vector<PromptEntry> out;
    const std::string where = child(display, "prompts");
    if (prompts.is_string()) {
        out = LLMOPS_TRY(prompt_from_string(prompts.get<std::string>(), where, base_dir, ""));
    } else if (prompts.is_object()) {
        // promptfoo's legacy form: {path or text: label}.
        for (const auto& [raw, label] : prompts.items()) {
            const std::string entry_where = child(where, raw);
            if (!label.is_string()) {
                return fail(ErrorCode::invalid_input, "{}: the label must be a string, not {}",
                            entry_where, type_name(label));
            }
            for (auto& e : LLMOPS_TRY(
                     prompt_from_string(raw, entry_where, base_dir, label.get<std::string>()))) {
                out.push_back(std::move(e));
            }
        }
    } else if (prompts.is_array()) {
        Problems problems; // each entry on its own: every problem is reported
        for (size_t i = 0; i < prompts.size(); ++i) {
            const std::string entry_where = fmt::format("{}[{}]", where, i);
            const json& entry = prompts[i];
            auto entries =
                entry.is_string()
                    ? prompt_from_string(entry.get<std::string>(), entry_where, base_dir, "")
                : entry.is_object() ? prompt_from_map(entry, entry_where, base_dir)
                                    : fail(ErrorCode::invalid_input,
                                           "{}: a prompt must be a string or a map, not {}",
                                           entry_where, type_name(entry));
            if (problems.ok(entries)) {
                std::move(entries->begin(), entries->end(), std::back_inserter(out));
            }
        }
        LLMOPS_TRY(problems.result());
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
    Problems problems; // each entry on its own: every problem is reported
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where =
            single ? child(display, key) : child(display, fmt::format("{}[{}]", key, i));
        json entry = list[i];
        if (entry.is_string() && entry.get<std::string>().starts_with("file://")) {
            problems.add(
                fail(ErrorCode::invalid_input,
                     "{}: '{}': promptfoo's providers loaded from files are not supported (use "
                     "exec: or http)",
                     where, entry.get<std::string>()));
            continue;
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
        if (problems.ok(config)) {
            warnings.insert(warnings.end(), config->warnings.begin(), config->warnings.end());
            out.push_back(std::move(*config));
        }
    }
    LLMOPS_TRY(problems.result());
    return out;
}

} // namespace llmops::eval::detail

// ---- --filter-prompts, --filter-providers -----------------------------------------------------

namespace llmops::eval {

namespace {

// Keeps the items of `items` for which one of `names(item)` matches `pattern`.
template <typename T, typename Names>
Expected<void> keep_matching(std::vector<T>& items, const std::optional<std::string>& pattern,
                             std::string_view option, std::string_view noun, Names names) {
    if (!pattern) {
        return {};
    }
    auto regex = detail::Regex::compile(*pattern);
    if (!regex) {
        return fail(ErrorCode::invalid_input, "{} '{}': {}", option, *pattern,
                    regex.error().message());
    }
    std::vector<T> kept;
    std::vector<std::string> all;
    for (auto& item : items) {
        const std::vector<std::string> item_names = names(item);
        all.push_back(item_names.front());
        if (std::any_of(item_names.begin(), item_names.end(),
                        [&](const std::string& n) { return !n.empty() && regex->search(n); })) {
            kept.push_back(std::move(item));
        }
    }
    if (kept.empty()) {
        return fail(ErrorCode::invalid_input, "{} '{}' matches no {} (the suite's: {})", option,
                    *pattern, noun, util::join(all, ", "));
    }
    items = std::move(kept);
    return {};
}

} // namespace

Expected<void> filter_suite(Suite& suite, const std::optional<std::string>& prompts,
                            const std::optional<std::string>& providers) {
    LLMOPS_TRY(keep_matching(
        suite.prompts, prompts, "--filter-prompts", "prompt", [](const PromptEntry& p) {
            return std::vector<std::string>{p.label.empty() ? p.value : p.label, p.value};
        }));
    LLMOPS_TRY(keep_matching(
        suite.providers, providers, "--filter-providers", "provider",
        [](const provider::ProviderConfig& p) {
            return std::vector<std::string>{p.label.empty() ? p.spec.id : p.label, p.spec.id};
        }));
    return {};
}

} // namespace llmops::eval
