#pragma once
// `.env` files as dotenv (the npm package promptfoo loads them with) reads them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::util {

// The `NAME=value` lines of the `.env` text `text`, in order: blank lines and `#` comments
// skipped, an optional `export ` prefix, values trimmed, a value in single, double or back
// quotes taken between them (`\n` in double quotes is a newline), an unquoted value cut at ` #`.
// `name` names the file in messages. Fails with `invalid_input` ("name:3: expected NAME=value")
// on a line that is not an assignment.
Expected<std::vector<std::pair<std::string, std::string>>> parse_dotenv(std::string_view text,
                                                                        std::string_view name);

} // namespace llmops::util
