#pragma once
// Mustache rendering of prompt templates: no HTML escaping, strict missing variables, partials
// loaded from the store (through a caller-supplied loader) with cycle detection.

#include <functional>
#include <optional>
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
// simply falsy), a partial cycle, a template syntax error (`origin: line L, column C: ...`, as
// `find_template_error` finds it, also in a partial) or `vars` not an object; a loader
// error keeps its code. Calls only `load_partial`; no other side effects.
Expected<std::string> render_template(std::string_view tmpl, const nlohmann::json& vars,
                                      const PartialLoader& load_partial,
                                      const RenderOptions& options, std::string_view origin);

// A syntax error in a template: where it is (a byte offset into the template) and what it is.
struct TemplateError {
    size_t offset = 0;
    std::string message; // e.g. "unclosed section '{{#items}}'", lowercase, no position
};

// Checks the syntax of `tmpl` as kainjow parses it (set-delimiter tags, triple mustaches,
// comments and partials included): every tag closed, every set-delimiter tag valid, and every
// section (`{{#x}}`, `{{^x}}`) closed by `{{/x}}` of the same name, properly nested. Returns the
// first error (an unclosed section is reported at its opening tag, a mismatched or stray closing
// tag where it is), or nothing when the template is valid. No side effects.
std::optional<TemplateError> find_template_error(std::string_view tmpl);

// "line L, column C: message" for `error` in `tmpl` (1-based; columns count bytes), for
// messages about a template that is not a file of its own.
std::string where_in_template(std::string_view tmpl, const TemplateError& error);

// Returns the names `tmpl` uses in variable tags ({{x}}, {{{x}}}, {{& x}}; not sections, not
// {{.}}), unique, in order of first use; stops quietly at a syntax error.
std::vector<std::string> variable_names(std::string_view tmpl);

// Returns the partial refs `tmpl` names as {{> ref}}, unique, in order of first use; stops
// quietly at a syntax error.
std::vector<std::string> partial_refs(std::string_view tmpl);

} // namespace llmops::prompt
