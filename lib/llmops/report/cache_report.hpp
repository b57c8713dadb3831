#pragma once
// Output of `llmops cache stats|clear|prune`: terminal text and stable JSON.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <llmops/store/cache.hpp>

namespace llmops::report {

// The cache at `path`: entries, sizes, oldest and newest entry, and a table per provider (the
// table and the times only when there are entries).
std::string cache_stats_text(const store::CacheStats& stats, const std::filesystem::path& path);

// `{"path", "entries", "bytes", "file_bytes", "oldest", "newest", "providers": [{"provider",
// "entries", "bytes"}]}` (`oldest` and `newest` null when empty).
std::string cache_stats_json(const store::CacheStats& stats, const std::filesystem::path& path);

// "removed 3 cached responses\n".
std::string cache_clear_text(int64_t removed);

// `{"path", "removed"}`.
std::string cache_clear_json(int64_t removed, const std::filesystem::path& path);

// "removed 3 cached responses older than 30d\n" (`older_than` as the user wrote it).
std::string cache_prune_text(int64_t removed, std::string_view older_than);

// `{"path", "removed", "older_than", "older_than_seconds"}`.
std::string cache_prune_json(int64_t removed, std::string_view older_than,
                             int64_t older_than_seconds, const std::filesystem::path& path);

// A byte count for people: "512 B", "1.5 KiB", "3.2 MiB", "1.1 GiB".
std::string human_bytes(int64_t bytes);

} // namespace llmops::report
