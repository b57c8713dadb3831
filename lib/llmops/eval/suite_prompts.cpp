// A suite's `prompts` and `providers` (SPEC §7): entries as written, checked; the runner
// resolves prompts against the store and creates the providers.

#include <llmops/eval/suite_detail.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <llmops/store/prompts.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>

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

} // namespace

Expected<std::vector<PromptEntry>> parse_prompts(const json& prompts, std::string_view display,
                                                 const fs::path& base_dir) {
    std::vector<PromptEntry> out;
    const std::string where = child(display, "prompts");
    if (prompts.is_string()) {
        out.push_back(
            LLMOPS_TRY(prompt_from_string(prompts.get<std::string>(), where, base_dir, "")));
    } else if (prompts.is_object()) {
        // promptfoo's legacy form: {path or text: label}.
        for (const auto& [raw, label] : prompts.items()) {
            const std::string entry_where = child(where, raw);
            if (!label.is_string()) {
                return fail(ErrorCode::invalid_input, "{}: the label must be a string, not {}",
                            entry_where, type_name(label));
            }
            out.push_back(LLMOPS_TRY(
                prompt_from_string(raw, entry_where, base_dir, label.get<std::string>())));
        }
    } else if (prompts.is_array()) {
        for (size_t i = 0; i < prompts.size(); ++i) {
            const std::string entry_where = fmt::format("{}[{}]", where, i);
            const json& entry = prompts[i];
            out.push_back(LLMOPS_TRY(
                entry.is_string()
                    ? prompt_from_string(entry.get<std::string>(), entry_where, base_dir, "")
                : entry.is_object() ? prompt_from_map(entry, entry_where, base_dir)
                                    : fail(ErrorCode::invalid_input,
                                           "{}: a prompt must be a string or a map, not {}",
                                           entry_where, type_name(entry))));
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
        auto config = LLMOPS_TRY(provider::parse_provider_config(entry, where, base_dir));
        warnings.insert(warnings.end(), config.warnings.begin(), config.warnings.end());
        out.push_back(std::move(config));
    }
    return out;
}

} // namespace llmops::eval::detail
