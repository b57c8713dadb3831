#include <llmops/prompt/display.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace llmops::prompt {

namespace {

using nlohmann::json;

bool is_plain_key(const std::string& key) {
    return !key.empty() &&
           std::all_of(key.begin(), key.end(),
                       [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
                                  c == '/';
                       }) &&
           key.front() != '-' && key.front() != '.';
}

// A plain `null` key would read back as a null node, not as the text "null".
std::string key_text(const std::string& key) {
    const bool null_like = key == "null" || key == "Null" || key == "NULL";
    return is_plain_key(key) && !null_like ? key : json(key).dump();
}

// A multi-line string can be a literal block when it has no characters a block would change.
bool fits_literal_block(const std::string& s) {
    if (s.find('\n') == std::string::npos) {
        return false;
    }
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7F) {
            return false;
        }
    }
    // A block takes its indentation from its first non-empty line, so leading tabs or spaces
    // there (even after empty lines) would be lost, as would lines of only spaces; a block of
    // only line breaks reads back as empty text. Quoting is exact.
    const size_t first = s.find_first_not_of('\n');
    if (first == std::string::npos || s[first] == ' ' || s[first] == '\t') {
        return false;
    }
    size_t start = 0;
    while (start <= s.size()) {
        const size_t end = s.find('\n', start);
        const std::string line = s.substr(start, end == std::string::npos ? s.npos : end - start);
        if (!line.empty() && line.find_first_not_of(" \t") == std::string::npos) {
            return false;
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return true;
}

void emit_string(std::string& out, const std::string& s, size_t indent) {
    if (!fits_literal_block(s)) {
        out += json(s).dump(); // a JSON string is a valid YAML double-quoted scalar
        out += '\n';
        return;
    }
    size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') {
        ++trailing;
    }
    out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
    const std::string pad(indent, ' ');
    const std::string body = s.substr(0, s.size() - trailing);
    size_t start = 0;
    while (true) {
        const size_t end = body.find('\n', start);
        const std::string line =
            body.substr(start, end == std::string::npos ? body.npos : end - start);
        out += line.empty() ? "" : pad + line;
        out += '\n';
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    for (size_t i = 1; i < trailing; ++i) {
        out += '\n';
    }
}

void emit_value(std::string& out, const json& value, size_t indent);

// Emits `value` after "key:" or "- ", choosing inline or block form.
void emit_after_colon(std::string& out, const json& value, size_t indent) {
    if ((value.is_object() || value.is_array()) && !value.empty()) {
        out += '\n';
        emit_value(out, value, indent);
    } else if (value.is_string()) {
        out += ' ';
        emit_string(out, value.get<std::string>(), indent);
    } else {
        out += ' ' + value.dump() + '\n';
    }
}

void emit_value(std::string& out, const json& value, size_t indent) {
    const std::string pad(indent, ' ');
    if (value.is_object()) {
        for (const auto& [key, item] : value.items()) {
            out += pad + key_text(key) + ':';
            emit_after_colon(out, item, indent + 2);
        }
    } else if (value.is_array()) {
        for (const auto& item : value) {
            if (item.is_object() && !item.empty()) {
                // "- first: x" then the other keys aligned under it.
                std::string nested;
                emit_value(nested, item, indent + 2);
                out += pad + "- " + nested.substr(indent + 2);
            } else {
                out += pad + '-';
                emit_after_colon(out, item, indent + 2);
            }
        }
    }
}

void emit_field(std::string& out, const std::string& key, const json& value) {
    out += key + ':';
    emit_after_colon(out, value, 2);
}

json variables_json(const PromptDefinition& def) {
    json vars = json::object();
    for (const auto& v : def.variables) {
        json spec = json::object();
        if (v.default_json) {
            spec["default"] = json::parse(*v.default_json);
        }
        if (!v.description.empty()) {
            spec["description"] = v.description;
        }
        vars[v.name] = spec.empty() ? json(nullptr) : spec;
    }
    return vars;
}

// The keys shared by YAML files and Markdown front matter, in a fixed order.
std::string header_fields(const PromptDefinition& def, IncludeName include_name) {
    std::string out;
    if (include_name == IncludeName::yes) {
        emit_field(out, "name", def.name);
    }
    if (!def.description.empty()) {
        emit_field(out, "description", def.description);
    }
    const json config = json::parse(def.config_json);
    if (!config.empty()) {
        emit_field(out, "config", config);
    }
    if (!def.variables.empty()) {
        emit_field(out, "variables", variables_json(def));
    }
    return out;
}

} // namespace

FileFormat format_for_definition(const PromptDefinition& def, FileFormat wanted) {
    // A Markdown body loses leading and trailing newlines; YAML keeps every byte.
    if (def.is_chat() || def.template_text->starts_with('\n') ||
        def.template_text->starts_with('\r') || def.template_text->ends_with('\n') ||
        def.template_text->ends_with('\r')) {
        return FileFormat::yaml;
    }
    return wanted;
}

std::string to_file_text(const PromptDefinition& def, FileFormat format, IncludeName include_name) {
    std::string out = header_fields(def, include_name);
    if (format_for_definition(def, format) == FileFormat::markdown) {
        std::string text;
        // A body starting with '---' would be read as front matter without one before it.
        if (!out.empty() || def.template_text->starts_with("---")) {
            text = "---\n" + out + "---\n";
        }
        return text + *def.template_text + "\n";
    }
    if (def.template_text) {
        emit_field(out, "template", *def.template_text);
    } else {
        // By hand rather than through emit_value, so that `role` comes before `content`.
        out += "messages:\n";
        for (const auto& m : def.messages) {
            out += "  - role: " + m.role + "\n    content:";
            emit_after_colon(out, m.content, 6);
        }
    }
    return out;
}

} // namespace llmops::prompt
