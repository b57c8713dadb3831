#pragma once
// File name patterns as promptfoo's loader (node-glob) reads them: `*`, `?`, `[...]` and `{a,b}`
// as the shell reads them, and `**` for any number of folders (none included).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace llmops::util {

// The patterns `pattern` stands for once its `{a,b}` groups are expanded (nested groups too), in
// order; a pattern without a group is itself. An unmatched `{` is a literal character.
std::vector<std::string> expand_braces(std::string_view pattern);

// The regular files (and symbolic links to them) `pattern`, relative to `base` with `/` between
// folders, matches: relative to `base`, sorted, each once. A name starting with `.` matches only
// a pattern part starting with `.` (as in the shell); `**` as a whole part matches zero or more
// folders and does not enter hidden ones. Folders that cannot be read are skipped.
std::vector<std::string> glob_files(const std::filesystem::path& base, std::string_view pattern);

} // namespace llmops::util
