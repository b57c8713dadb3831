#pragma once
// A prompt definition: what a prompt file says and what a version stores. Its canonical JSON is
// the version's content and the SHA-256 of that is the version id.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::prompt {

// One chat message; `content` is a Mustache template.
struct Message {
    std::string role; // system, developer, user or assistant
    std::string content;
};

// A declared variable, optionally with a default.
struct Variable {
    std::string name;
    std::optional<std::string> default_json; // the default as JSON text, when declared
    std::string description;
};

// A prompt: either one text template or a list of chat messages, plus model configuration.
struct PromptDefinition {
    std::string name;
    std::string description;
    std::optional<std::string> template_text; // set for text prompts
    std::vector<Message> messages;            // set for chat prompts
    std::string config_json = "{}";           // model configuration, a canonical JSON object
    std::vector<Variable> variables;          // sorted by name

    bool is_chat() const { return !template_text.has_value(); }
};

// The file formats a prompt can be written in.
enum class FileFormat { yaml, markdown };

// Returns the format of a prompt file by its extension (.yaml/.yml, .md/.txt/.prompt), or
// nothing when the extension is not a prompt file's.
std::optional<FileFormat> format_for_path(std::string_view path);

// Parses the text of a prompt file. `default_name` is used when the file sets no `name`;
// `origin` names the file in errors. Fails with `invalid_input`: `origin:line:col: message` for
// malformed YAML, a duplicate key, invalid UTF-8 and a bad top-level key (an unknown key, with a
// did-you-mean; an invalid `name`; a field of the wrong type; the line is left out when the key
// is not at the start of a line, as in a flow mapping); `origin: message` for what has no one
// place: a missing template, both template and messages, an invalid name taken from the path, a
// bad message (named by its number, a bad role with a did-you-mean) or variable (by its name).
// A template with a syntax error (an unclosed or mismatched section, an unclosed tag) is refused
// too: `origin:line:col: message` in a Markdown file; in YAML, where the template is a parsed
// scalar, the same when the template's line is found once in the file, else
// `origin: in 'template', line L, column C: message` (`in message N` for chat messages).
Expected<PromptDefinition> parse_prompt_file(std::string_view text, FileFormat format,
                                             std::string_view default_name,
                                             std::string_view origin);

// Returns the canonical JSON content of `def` (its name is not part of it: two prompts with the
// same text share one object).
std::string canonical_content(const PromptDefinition& def);

// Returns the version id of `def`: the SHA-256 of its canonical content.
std::string version_id(const PromptDefinition& def);

// Rebuilds a definition from stored content. Fails with `invalid_input` when the content is not
// a prompt version's JSON.
Expected<PromptDefinition> definition_from_content(std::string_view name, std::string_view content);

} // namespace llmops::prompt
