#pragma once
// The one place secrets are scrubbed from text before it can reach an error, a log, the store
// or a report (STYLE.md §3).

#include <string>
#include <string_view>
#include <vector>

namespace llmops::util {

// Returns `text` with every occurrence of each secret in `secrets` replaced by "[redacted]".
// Secrets shorter than 8 characters are still replaced; empty ones are ignored.
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

} // namespace llmops::util
