#include <llmops/report/case_inputs.hpp>

#include <llmops/prompt/definition.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;

// JSON text of `value`, never throwing on invalid UTF-8.
std::string dump_line(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// One variable's value as vars_line shows it. A string past `max` code points is cut before it
// is quoted, so a 50 MB field costs `max` code points, not a copy of itself.
std::string value_text(const json& value, size_t max) {
    if (!value.is_string()) {
        return dump_line(value);
    }
    const auto& text = value.get_ref<const std::string&>();
    size_t dropped = 0;
    std::string head = head_text(text, max, dropped);
    return dump_line(json(util::valid_utf8(head)));
}

// `text` cut to `max` code points, its last one "…" when it was longer.
std::string cut_line(std::string text, size_t max) {
    if (code_point_count(text) <= max) {
        return text;
    }
    size_t dropped = 0;
    return head_text(text, max == 0 ? 0 : max - 1, dropped) + "…";
}

} // namespace

std::string vars_line(const json& vars, size_t max) {
    if (vars.is_null() || (vars.is_object() && vars.empty())) {
        return "";
    }
    if (!vars.is_object()) {
        return cut_line(dump_line(vars), max);
    }
    std::string out;
    for (const auto& [name, value] : vars.items()) {
        if (!out.empty()) {
            out += ", ";
        }
        out += util::valid_utf8(name) + "=" + value_text(value, max);
        if (code_point_count(out) > max) {
            break; // the rest would be cut anyway
        }
    }
    return cut_line(std::move(out), max);
}

std::string rendered_prompt_text(std::string_view stored) {
    const json doc = util::parse_json_or_discarded(stored);
    if (doc.is_discarded() || !doc.is_array()) {
        return util::valid_utf8(stored);
    }
    std::string out;
    for (const auto& m : doc) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            return util::valid_utf8(stored);
        }
        const auto content = m.find("content");
        if (!out.empty()) {
            out += "\n\n";
        }
        out += "[" + util::valid_utf8(m["role"].get<std::string>()) + "]\n";
        if (content != m.end()) {
            out += content->is_string() ? util::valid_utf8(content->get<std::string>())
                                        : dump_line(*content);
        }
    }
    return out;
}

std::string prompt_content_text(std::string_view content) {
    auto def = prompt::definition_from_content("prompt", content);
    if (!def) {
        return util::valid_utf8(content);
    }
    std::string out;
    if (def->template_text) {
        out = *def->template_text;
    }
    for (const auto& m : def->messages) {
        if (!out.empty()) {
            out += "\n\n";
        }
        out += "[" + m.role + "]\n" + m.content;
    }
    if (!out.empty() && out.back() != '\n') {
        out += '\n';
    }
    if (def->config_json != "{}") {
        out += "\n[config] " + def->config_json + "\n";
    }
    return util::valid_utf8(out);
}

} // namespace llmops::report
