#pragma once
// Who is running llmops: the author recorded with commits and label moves.

#include <optional>
#include <string>

namespace llmops::util {

// Returns the author: `flag` when given, else `LLMOPS_AUTHOR`, else git's user.name and
// user.email ("Name <email>"), else the OS user name, else "unknown".
std::string resolve_author(const std::optional<std::string>& flag);

} // namespace llmops::util
