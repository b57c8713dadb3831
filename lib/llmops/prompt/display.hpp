#pragma once
// Writing a prompt definition back out as a prompt file: what `checkout` writes, `show` prints
// and `diff` compares. Parsing the output gives back the same definition (same version id).

#include <string>

#include <llmops/prompt/definition.hpp>

namespace llmops::prompt {

// Whether the written file carries the prompt's name (needed when the path does not imply it).
enum class IncludeName { no, yes };

// Returns `def` as the text of a prompt file in `format`. Markdown needs a text template; a
// chat prompt is always written as YAML (callers pick the format with `format_for_definition`).
std::string to_file_text(const PromptDefinition& def, FileFormat format, IncludeName include_name);

// Returns `wanted` unless `def` cannot be written in it (a chat prompt as Markdown): YAML then.
FileFormat format_for_definition(const PromptDefinition& def, FileFormat wanted);

} // namespace llmops::prompt
