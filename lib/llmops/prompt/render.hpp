#pragma once
// Rendering a prompt definition: variables (with declared defaults) into its template or chat
// messages, partials from the store.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/prompt/definition.hpp>
#include <llmops/prompt/template.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::prompt {

// A rendered prompt: text for a text prompt, messages for a chat prompt.
struct RenderedPrompt {
    std::optional<std::string> text;
    std::vector<Message> messages;
};

// Renders `def` with `vars` (a JSON object, or null for none) over the declared defaults. A
// declared variable with no default and no value, or a variable the template uses and nobody
// set, is an error naming it (unless `options` allow missing variables); so is `vars` of another
// type. Errors start with the prompt's name (and "(message N)" for a chat message). Fails with
// `invalid_input`, or a partial loader's error code.
Expected<RenderedPrompt> render_prompt(const PromptDefinition& def, const nlohmann::json& vars,
                                       const PartialLoader& load_partial,
                                       const RenderOptions& options);

// Checks every template of `def` (its text, or each chat message) with `find_template_error`,
// for templates that come from no prompt file (a suite's inline prompt), which
// `parse_prompt_file` has not checked. Fails with `invalid_input`:
// `origin: line L, column C: message`, or `origin (message N): line L, column C: message`.
Expected<void> check_templates(const PromptDefinition& def, std::string_view origin);

// A partial loader that resolves refs in `store`; a partial must be a text prompt. The loader
// keeps a reference to `store`.
PartialLoader store_partial_loader(store::PromptStore& store);

} // namespace llmops::prompt
