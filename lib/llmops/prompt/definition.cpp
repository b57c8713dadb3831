#include <llmops/prompt/definition.hpp>

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include <llmops/prompt/template.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::prompt {

namespace {

using nlohmann::json;

const std::vector<std::string> k_yaml_keys = {"name",     "description", "template",
                                              "messages", "config",      "variables"};
const std::vector<std::string> k_front_matter_keys = {"name", "description", "config", "variables"};
const std::vector<std::string> k_roles = {"system", "developer", "user", "assistant"};

// The text a YAML mapping was parsed from, to point errors at the line of a top-level key.
struct Source {
    std::string_view text;   // the YAML text (a whole file, or the front matter)
    size_t line_offset = 0;  // lines of the file above `text`
    std::string_view origin; // the file, for messages
};

// Returns "origin:line:col" of top-level key `key` in `source` (a key at the start of a line,
// as block mappings write them), or "origin" when it is not found there (a flow mapping).
std::string where_key(const Source& source, std::string_view key) {
    size_t line = 1;
    for (size_t pos = 0; pos <= source.text.size(); ++line) {
        const size_t eol = source.text.find('\n', pos);
        std::string_view rest =
            source.text.substr(pos, eol == std::string_view::npos ? source.text.npos : eol - pos);
        for (const std::string_view quote : {"", "\"", "'"}) {
            std::string_view r = rest;
            if (!r.starts_with(quote) || !r.substr(quote.size()).starts_with(key)) {
                continue;
            }
            r.remove_prefix(quote.size() + key.size());
            if (!r.starts_with(quote)) {
                continue;
            }
            r.remove_prefix(quote.size());
            while (!r.empty() && (r.front() == ' ' || r.front() == '\t')) {
                r.remove_prefix(1);
            }
            if (r.starts_with(':')) {
                return fmt::format("{}:{}:1", source.origin, line + source.line_offset);
            }
        }
        if (eol == std::string_view::npos) {
            break;
        }
        pos = eol + 1;
    }
    return std::string(source.origin);
}

Expected<void> check_keys(const json& doc, const std::vector<std::string>& allowed,
                          const Source& source, std::string_view what) {
    for (const auto& [key, value] : doc.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            if (what == "front matter" && (key == "template" || key == "messages")) {
                return fail(ErrorCode::invalid_input,
                            "{}: '{}' is not allowed in front matter: the body of the file is the "
                            "template",
                            where_key(source, key), key);
            }
            return fail(ErrorCode::invalid_input, "{}: unknown key '{}' in {}{}",
                        where_key(source, key), key, what, util::did_you_mean(key, allowed));
        }
    }
    return {};
}

Expected<std::string> string_field(const json& doc, const char* key, const Source& source) {
    if (!doc.contains(key) || doc[key].is_null()) {
        return std::string();
    }
    if (!doc[key].is_string()) {
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a string", where_key(source, key),
                    key);
    }
    return doc[key].get<std::string>();
}

Expected<Variable> parse_variable(const std::string& name, const json& spec,
                                  std::string_view origin) {
    Variable v{name, std::nullopt, ""};
    if (name.empty()) {
        return fail(ErrorCode::invalid_input, "{}: a variable has an empty name", origin);
    }
    if (spec.is_null()) {
        return v;
    }
    if (!spec.is_object()) {
        v.default_json = util::canonical_json(spec); // `name: value` is a default
        return v;
    }
    for (const auto& [key, value] : spec.items()) {
        if (key == "default") {
            v.default_json = util::canonical_json(value);
        } else if (key == "description") {
            if (!value.is_string()) {
                return fail(ErrorCode::invalid_input,
                            "{}: the description of variable '{}' must be a string", origin, name);
            }
            v.description = value.get<std::string>();
        } else {
            return fail(ErrorCode::invalid_input, "{}: unknown key '{}' in variable '{}'{}", origin,
                        key, name, util::did_you_mean(key, {"default", "description"}));
        }
    }
    return v;
}

Expected<std::vector<Variable>> parse_variables(const json& doc, const Source& source) {
    const std::string_view origin = source.origin;
    std::vector<Variable> out;
    if (!doc.contains("variables") || doc["variables"].is_null()) {
        return out;
    }
    const json& vars = doc["variables"];
    if (vars.is_array()) {
        for (const auto& item : vars) {
            if (item.is_string()) {
                out.push_back(Variable{item.get<std::string>(), std::nullopt, ""});
            } else if (item.is_object() && item.contains("name") && item["name"].is_string()) {
                json rest = item;
                rest.erase("name");
                auto v = LLMOPS_TRY(parse_variable(item["name"].get<std::string>(), rest, origin));
                out.push_back(std::move(v));
            } else {
                return fail(ErrorCode::invalid_input,
                            "{}: each entry of 'variables' must be a name or a mapping with "
                            "'name'",
                            origin);
            }
        }
    } else if (vars.is_object()) {
        for (const auto& [name, spec] : vars.items()) {
            auto v = LLMOPS_TRY(parse_variable(name, spec, origin));
            out.push_back(std::move(v));
        }
    } else {
        return fail(ErrorCode::invalid_input,
                    "{}: 'variables' must be a list of names or a mapping",
                    where_key(source, "variables"));
    }
    std::sort(out.begin(), out.end(),
              [](const Variable& a, const Variable& b) { return a.name < b.name; });
    for (size_t i = 1; i < out.size(); ++i) {
        if (out[i].name == out[i - 1].name) {
            return fail(ErrorCode::invalid_input, "{}: variable '{}' is declared twice", origin,
                        out[i].name);
        }
    }
    return out;
}

Expected<std::vector<Message>> parse_messages(const json& messages, const Source& source) {
    const std::string_view origin = source.origin;
    if (!messages.is_array() || messages.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'messages' must be a non-empty list of {{role, content}}",
                    where_key(source, "messages"));
    }
    std::vector<Message> out;
    for (size_t i = 0; i < messages.size(); ++i) {
        const json& m = messages[i];
        if (!m.is_object() || !m.contains("role") || !m.contains("content") ||
            !m["role"].is_string() || !m["content"].is_string() || m.size() != 2) {
            return fail(ErrorCode::invalid_input,
                        "{}: message {} must have exactly a string 'role' and 'content'", origin,
                        i + 1);
        }
        const std::string role = m["role"].get<std::string>();
        if (std::find(k_roles.begin(), k_roles.end(), role) == k_roles.end()) {
            return fail(ErrorCode::invalid_input, "{}: message {} has unknown role '{}'{}", origin,
                        i + 1, role, util::did_you_mean(role, k_roles));
        }
        out.push_back(Message{role, m["content"].get<std::string>()});
    }
    return out;
}

// Refuses a template with a syntax error: an immutable version must render. `body` is the file's
// own bytes from `offset` on (a Markdown body), so the error's position in the file is exact.
Expected<void> check_body(std::string_view text, size_t offset, std::string_view body,
                          std::string_view origin) {
    if (const auto error = find_template_error(body)) {
        const auto [line, column] = util::line_and_column(text, offset + error->offset);
        return fail(ErrorCode::invalid_input, "{}:{}:{}: {}", origin, line, column, error->message);
    }
    return {};
}

// Refuses a template read from YAML (`what` names it: "'template'", "message 2"). The template
// is a parsed scalar, not the file's bytes (block scalars lose their indentation, quoted ones
// their escapes), so the line of the template holding the error is looked for in the file: found
// exactly once, it gives the exact `file:line:col`; otherwise the position is given within the
// template.
Expected<void> check_yaml_template(std::string_view text, std::string_view tmpl,
                                   std::string_view origin, std::string_view what) {
    const auto error = find_template_error(tmpl);
    if (!error) {
        return {};
    }
    const size_t newline =
        error->offset == 0 ? std::string_view::npos : tmpl.rfind('\n', error->offset - 1);
    const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
    const std::string_view line =
        tmpl.substr(line_start, tmpl.find('\n', error->offset) - line_start);
    const size_t found = text.find(line);
    if (!line.empty() && found != std::string_view::npos &&
        text.find(line, found + 1) == std::string_view::npos) {
        const auto [l, c] = util::line_and_column(text, found + (error->offset - line_start));
        return fail(ErrorCode::invalid_input, "{}:{}:{}: {}", origin, l, c, error->message);
    }
    return fail(ErrorCode::invalid_input, "{}: in {}, {}", origin, what,
                where_in_template(tmpl, *error));
}

// Fills the fields shared by both file formats from a parsed YAML mapping.
Expected<PromptDefinition> common_fields(const json& doc, std::string_view default_name,
                                         const Source& source) {
    const std::string_view origin = source.origin;
    PromptDefinition def;
    auto name = LLMOPS_TRY(string_field(doc, "name", source));
    auto description = LLMOPS_TRY(string_field(doc, "description", source));
    def.name = name.empty() ? std::string(default_name) : name;
    if (!store::is_valid_prompt_name(def.name)) {
        return fail(ErrorCode::invalid_input,
                    "{}: invalid prompt name '{}' (use lowercase letters, digits, '.', '_', '-' "
                    "and '/')",
                    name.empty() ? std::string(origin) : where_key(source, "name"), def.name);
    }
    def.description = description;
    if (doc.contains("config") && !doc["config"].is_null()) {
        if (!doc["config"].is_object()) {
            return fail(ErrorCode::invalid_input, "{}: 'config' must be a mapping",
                        where_key(source, "config"));
        }
        def.config_json = util::canonical_json(doc["config"]);
    }
    auto variables = LLMOPS_TRY(parse_variables(doc, source));
    def.variables = std::move(variables);
    return def;
}

// Strips leading and trailing newlines (not other white space) from a Markdown body.
std::string_view strip_newlines(std::string_view s) {
    while (!s.empty() && (s.front() == '\n' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

Expected<PromptDefinition> parse_markdown(std::string_view text, std::string_view default_name,
                                          std::string_view origin) {
    json front = json::object();
    std::string_view body = text;
    Source source{std::string_view(), 1, origin};
    if (text.starts_with("---\n") || text.starts_with("---\r\n")) {
        const size_t start = text.find('\n') + 1;
        size_t end = std::string_view::npos;
        for (size_t pos = start; pos < text.size();) {
            const size_t eol = text.find('\n', pos);
            const std::string_view line =
                text.substr(pos, eol == std::string_view::npos ? text.npos : eol - pos);
            if (line == "---" || line == "---\r") {
                end = pos;
                body = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
                break;
            }
            if (eol == std::string_view::npos) {
                break;
            }
            pos = eol + 1;
        }
        if (end == std::string_view::npos) {
            return fail(ErrorCode::invalid_input,
                        "{}:1:1: front matter starts with '---' but is never closed", origin);
        }
        source.text = text.substr(start, end - start);
        auto parsed = LLMOPS_TRY(util::parse_yaml(source.text, origin, 1));
        if (!parsed.is_null()) {
            if (!parsed.is_object()) {
                return fail(ErrorCode::invalid_input, "{}:2:1: front matter must be a mapping",
                            origin);
            }
            front = std::move(parsed);
        }
    }
    LLMOPS_TRY(check_keys(front, k_front_matter_keys, source, "front matter"));
    auto def = LLMOPS_TRY(common_fields(front, default_name, source));
    body = strip_newlines(body);
    if (util::trim(body).empty()) {
        return fail(ErrorCode::invalid_input, "{}: prompt file has no template (the body is empty)",
                    origin);
    }
    LLMOPS_TRY(check_body(text, static_cast<size_t>(body.data() - text.data()), body, origin));
    def.template_text = std::string(body);
    return def;
}

Expected<PromptDefinition> parse_yaml_prompt(std::string_view text, std::string_view default_name,
                                             std::string_view origin) {
    auto doc = LLMOPS_TRY(util::parse_yaml(text, origin));
    if (!doc.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}:1:1: a prompt file must be a mapping with 'template' or 'messages'",
                    origin);
    }
    const Source source{text, 0, origin};
    LLMOPS_TRY(check_keys(doc, k_yaml_keys, source, "prompt file"));
    auto def = LLMOPS_TRY(common_fields(doc, default_name, source));
    const bool has_template = doc.contains("template") && !doc["template"].is_null();
    const bool has_messages = doc.contains("messages") && !doc["messages"].is_null();
    if (has_template && has_messages) {
        return fail(ErrorCode::invalid_input, "{}: prompt file has both 'template' and 'messages'",
                    origin);
    }
    if (!has_template && !has_messages) {
        return fail(ErrorCode::invalid_input,
                    "{}: prompt file has no template (add 'template' or 'messages')", origin);
    }
    if (has_template) {
        const json& t = doc["template"];
        if (!t.is_string() || util::trim(t.get<std::string>()).empty()) {
            return fail(ErrorCode::invalid_input, "{}: 'template' must be a non-empty string",
                        where_key(source, "template"));
        }
        def.template_text = t.get<std::string>();
        LLMOPS_TRY(check_yaml_template(text, *def.template_text, origin, "'template'"));
        return def;
    }
    auto messages = LLMOPS_TRY(parse_messages(doc["messages"], source));
    for (size_t i = 0; i < messages.size(); ++i) {
        const std::string what = fmt::format("message {}", i + 1);
        LLMOPS_TRY(check_yaml_template(text, messages[i].content, origin, what));
    }
    def.messages = std::move(messages);
    return def;
}

json content_json(const PromptDefinition& def) {
    json doc = json::object();
    doc["description"] = def.description;
    doc["config"] = json::parse(def.config_json);
    json vars = json::object();
    for (const auto& v : def.variables) {
        json spec = json::object();
        if (v.default_json) {
            spec["default"] = json::parse(*v.default_json);
        }
        if (!v.description.empty()) {
            spec["description"] = v.description;
        }
        vars[v.name] = std::move(spec);
    }
    doc["variables"] = std::move(vars);
    if (def.template_text) {
        doc["template"] = *def.template_text;
    } else {
        json messages = json::array();
        for (const auto& m : def.messages) {
            messages.push_back({{"role", m.role}, {"content", m.content}});
        }
        doc["messages"] = std::move(messages);
    }
    return doc;
}

} // namespace

std::optional<FileFormat> format_for_path(std::string_view path) {
    static constexpr std::array<std::pair<std::string_view, FileFormat>, 5> k_formats = {{
        {".yaml", FileFormat::yaml},
        {".yml", FileFormat::yaml},
        {".md", FileFormat::markdown},
        {".txt", FileFormat::markdown},
        {".prompt", FileFormat::markdown},
    }};
    for (const auto& [ext, format] : k_formats) {
        if (path.ends_with(ext) && path.size() > ext.size()) {
            return format;
        }
    }
    return std::nullopt;
}

Expected<PromptDefinition> parse_prompt_file(std::string_view text, FileFormat format,
                                             std::string_view default_name,
                                             std::string_view origin) {
    if (const auto bad = util::find_invalid_utf8(text)) {
        const auto [line, column] = util::line_and_column(text, *bad);
        return fail(ErrorCode::invalid_input, "{}:{}:{}: file is not valid UTF-8", origin, line,
                    column);
    }
    return format == FileFormat::yaml ? parse_yaml_prompt(text, default_name, origin)
                                      : parse_markdown(text, default_name, origin);
}

std::string canonical_content(const PromptDefinition& def) {
    return util::canonical_json(content_json(def));
}

std::string version_id(const PromptDefinition& def) {
    return util::sha256_hex(canonical_content(def));
}

Expected<PromptDefinition> definition_from_content(std::string_view name,
                                                   std::string_view content) {
    const json doc = util::parse_json_or_discarded(
        content); // depth-limited: stored content may be tampered with
    if (doc.is_discarded() || !doc.is_object()) {
        return fail(ErrorCode::invalid_input, "stored content of '{}' is not a JSON object", name);
    }
    PromptDefinition def;
    def.name = std::string(name);
    try {
        def.description = doc.value("description", "");
        def.config_json = util::canonical_json(doc.value("config", json::object()));
        const json variables = doc.value("variables", json::object());
        for (const auto& [var, spec] : variables.items()) {
            Variable v{var, std::nullopt, spec.value("description", "")};
            if (spec.contains("default")) {
                v.default_json = util::canonical_json(spec["default"]);
            }
            def.variables.push_back(std::move(v));
        }
        if (doc.contains("template")) {
            def.template_text = doc["template"].get<std::string>();
        } else {
            for (const auto& m : doc.at("messages")) {
                def.messages.push_back(
                    Message{m.at("role").get<std::string>(), m.at("content").get<std::string>()});
            }
        }
    } catch (const json::exception& e) {
        return fail(ErrorCode::invalid_input, "stored content of '{}' is malformed: {}", name,
                    e.what());
    }
    return def;
}

} // namespace llmops::prompt
