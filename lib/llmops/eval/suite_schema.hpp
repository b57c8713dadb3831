#pragma once
// The JSON Schema of a suite file (`llmops schema suite`): promptfoo's configuration format as
// load_suite reads it, for editors (completion, hover, errors as you type) and CI checks.

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace llmops::eval {

// The suite schema (JSON Schema draft 2020-12). Assertion types are enumerated from the
// assertion table (with their `not-` forms), and each type's threshold and value rules are read
// from that table through parse_assertion, so the schema follows the loader. Never fails.
nlohmann::json suite_schema();

// suite_schema() as text, `$schema` first: indented by two spaces, ending with a newline.
std::string suite_schema_text();

} // namespace llmops::eval
