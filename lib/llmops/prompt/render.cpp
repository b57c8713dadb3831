#include <llmops/prompt/render.hpp>

#include <nlohmann/json.hpp>

#include <llmops/util/strings.hpp>

namespace llmops::prompt {

using nlohmann::json;

Expected<RenderedPrompt> render_prompt(const PromptDefinition& def, const json& vars,
                                       const PartialLoader& load_partial,
                                       const RenderOptions& options) {
    // Checked here because the defaults below always make the template's context an object.
    if (!vars.is_null() && !vars.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: variables must be a JSON object, not {}",
                    def.name, vars.type_name());
    }
    json context = json::object();
    std::vector<std::string> missing;
    for (const auto& v : def.variables) {
        if (v.default_json) {
            context[v.name] = json::parse(*v.default_json);
        } else if (!vars.contains(v.name)) {
            missing.push_back("'" + v.name + "'");
        }
    }
    if (!missing.empty() && options.missing == MissingVariables::error) {
        return fail(ErrorCode::invalid_input, "{}: missing variable{} {}", def.name,
                    missing.size() == 1 ? "" : "s", util::join(missing, ", "));
    }
    for (const auto& [key, value] : vars.items()) {
        context[key] = value;
    }
    RenderedPrompt out;
    if (def.template_text) {
        auto text = LLMOPS_TRY(
            render_template(*def.template_text, context, load_partial, options, def.name));
        out.text = std::move(text);
        return out;
    }
    for (size_t i = 0; i < def.messages.size(); ++i) {
        const auto& m = def.messages[i];
        auto text = LLMOPS_TRY(render_template(m.content, context, load_partial, options,
                                               fmt::format("{} (message {})", def.name, i + 1)));
        out.messages.push_back(Message{m.role, std::move(text)});
    }
    return out;
}

Expected<void> check_templates(const PromptDefinition& def, std::string_view origin) {
    if (def.template_text) {
        if (const auto error = find_template_error(*def.template_text)) {
            return fail(ErrorCode::invalid_input, "{}: {}", origin,
                        where_in_template(*def.template_text, *error));
        }
    }
    for (size_t i = 0; i < def.messages.size(); ++i) {
        if (const auto error = find_template_error(def.messages[i].content)) {
            return fail(ErrorCode::invalid_input, "{} (message {}): {}", origin, i + 1,
                        where_in_template(def.messages[i].content, *error));
        }
    }
    return {};
}

PartialLoader store_partial_loader(store::PromptStore& store) {
    return [&store](std::string_view ref) -> Expected<std::string> {
        auto version = LLMOPS_TRY(store.resolve(ref));
        auto content = LLMOPS_TRY(store.content(version));
        auto def = LLMOPS_TRY(definition_from_content(version.name, content));
        if (!def.template_text) {
            return fail(ErrorCode::invalid_input,
                        "'{}' is a chat prompt; only text prompts can be partials", ref);
        }
        return *def.template_text;
    };
}

} // namespace llmops::prompt
