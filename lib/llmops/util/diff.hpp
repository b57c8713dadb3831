#pragma once
// Unified diffs of text, line by line (Debian's header-only dtl library does the LCS).

#include <string>
#include <string_view>

namespace llmops::util {

// Returns the unified diff (3 lines of context) of `before` and `after`, headed by
// `--- before_label` and `+++ after_label`, or "" when they are equal. The format is diff(1)'s,
// so patch and git apply take it: a one-line range is written `-3`, an empty one `-2,0`, and a
// last line without a newline is followed by `\ No newline at end of file`. With `colour`,
// removed lines are red, added lines green and hunk headers cyan.
std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_label, std::string_view after_label, bool colour);

} // namespace llmops::util
