#pragma once
// File helpers: whole-file reads and atomic writes.

#include <filesystem>
#include <string>
#include <string_view>

#include <llmops/util/error.hpp>

namespace llmops::util {

// Reads the whole file at `path`. Fails with `not_found` when it does not exist, `io` otherwise.
Expected<std::string> read_file(const std::filesystem::path& path);

// Writes `content` to `path` through a temporary file in the same folder and a rename, so a
// reader never sees half a file. Fails with `io`.
Expected<void> write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Returns `path` relative to `base` with forward slashes, or `path` itself when outside `base`.
std::string relative_display(const std::filesystem::path& path, const std::filesystem::path& base);

} // namespace llmops::util
