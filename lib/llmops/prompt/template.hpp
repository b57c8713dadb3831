#pragma once
// Mustache rendering of prompt templates: no HTML escaping, strict missing variables, partials
// loaded from the store (through a caller-supplied loader) with cycle detection.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/util/error.hpp>

namespace llmops::prompt {

// Loads the template text of a partial named by a store ref such as "shared/tone@production";
// its error is passed on to the caller of `render_template` with the ref as context.
using PartialLoader = std::function<Expected<std::string>(std::string_view ref)>;

// Whether a variable tag naming nothing in the data is an error or renders as empty text.
enum class MissingVariables { error, allow };

// How `render_template` treats what the data does not provide.
struct RenderOptions {
    MissingVariables missing = MissingVariables::error;
};

// Renders the Mustache template `tmpl` with `vars` (a JSON object, or null for none), without
// HTML escaping. Strings render as is, numbers as their JSON text, true/false as "true"/"false",
// null as empty text (null is falsy in sections, as are false and [], but counts as present);
// arrays and objects render as empty text in a variable tag. Every partial (`{{> ref}}`) is
// loaded once through `load_partial` before rendering, recursively, even in sections that end
// up not rendered. Fails with `invalid_input` and a message starting with `origin` for a
// variable tag that names nothing (unless `options` allow it; missing section names are
// simply falsy), a partial cycle, a template syntax error or `vars` not an object; a loader
// error keeps its code. Calls only `load_partial`; no other side effects.
Expected<std::string> render_template(std::string_view tmpl, const nlohmann::json& vars,
                                      const PartialLoader& load_partial,
                                      const RenderOptions& options, std::string_view origin);

// Returns the names `tmpl` uses in variable tags ({{x}}, {{{x}}}, {{& x}}; not sections, not
// {{.}}), unique, in order of first use; stops quietly at a syntax error.
std::vector<std::string> variable_names(std::string_view tmpl);

// Returns the partial refs `tmpl` names as {{> ref}}, unique, in order of first use; stops
// quietly at a syntax error.
std::vector<std::string> partial_refs(std::string_view tmpl);

} // namespace llmops::prompt
