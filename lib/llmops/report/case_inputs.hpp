#pragma once
// What a case was given, as every report shows it: its variables on one line
// (`question="What is 2+2?", lang="fr"`) and its prompts as readable text. One helper for every
// format: each caller escapes the result for its own (terminal_line, markdown_text, html_text,
// csv_text, or the HTML page's textContent).

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace llmops::report {

// `vars` (a case's variables, a JSON object) on one line: `name=value` joined by ", " in key
// order, strings quoted as JSON writes them (a newline reads `\n`, a control character
// `\u001b`), other values as JSON. A line longer than `max` code points is cut to `max`, its last
// one "…"; "" when there is no variable (an empty object, null). Invalid UTF-8 becomes U+FFFD.
std::string vars_line(const nlohmann::json& vars, size_t max);

// A stored rendered prompt (the messages as JSON text, `[{"role": ..., "content": ...}]`) as
// text: each message as a `[role]` line and its content, messages apart by a blank line; the
// stored text itself when it is not such JSON.
std::string rendered_prompt_text(std::string_view stored);

// A prompt version's content (its canonical JSON, prompt::canonical_content) as text a line diff
// can show: the template, or each message as `[role]` and its content, then the model
// configuration when it has one; the content itself when it is not a prompt version's JSON.
std::string prompt_content_text(std::string_view content);

} // namespace llmops::report
