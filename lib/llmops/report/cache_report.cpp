#include <llmops/report/cache_report.hpp>

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace llmops::report {

namespace {

using nlohmann::json;

std::string responses(int64_t n) {
    return fmt::format("{} cached response{}", n, n == 1 ? "" : "s");
}

json optional_text(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

} // namespace

std::string human_bytes(int64_t bytes) {
    if (bytes < 1024) {
        return fmt::format("{} B", bytes);
    }
    constexpr std::array<const char*, 4> k_units = {"KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < k_units.size()) {
        value /= 1024.0;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, k_units[unit]);
}

std::string cache_stats_text(const store::CacheStats& stats, const std::filesystem::path& path) {
    std::string out = fmt::format("path     {}\n", path.string());
    out += fmt::format("entries  {}\n", stats.entries);
    out += fmt::format("size     {} of responses, {} on disk\n", human_bytes(stats.bytes),
                       human_bytes(stats.file_bytes));
    if (stats.entries == 0) {
        return out;
    }
    out += fmt::format("oldest   {}\n", stats.oldest.value_or("-"));
    out += fmt::format("newest   {}\n", stats.newest.value_or("-"));
    size_t width = 8; // "PROVIDER"
    for (const auto& p : stats.providers) {
        width = std::max(width, p.provider.size());
    }
    out += fmt::format("\n{:<{}}  {:>8}  {:>10}\n", "PROVIDER", width, "ENTRIES", "SIZE");
    for (const auto& p : stats.providers) {
        out += fmt::format("{:<{}}  {:>8}  {:>10}\n", p.provider, width, p.entries,
                           human_bytes(p.bytes));
    }
    return out;
}

std::string cache_stats_json(const store::CacheStats& stats, const std::filesystem::path& path) {
    json providers = json::array();
    for (const auto& p : stats.providers) {
        providers.push_back(
            json{{"provider", p.provider}, {"entries", p.entries}, {"bytes", p.bytes}});
    }
    const json doc{{"path", path.string()},
                   {"entries", stats.entries},
                   {"bytes", stats.bytes},
                   {"file_bytes", stats.file_bytes},
                   {"oldest", optional_text(stats.oldest)},
                   {"newest", optional_text(stats.newest)},
                   {"providers", providers}};
    return doc.dump(2) + "\n";
}

std::string cache_clear_text(int64_t removed) {
    return fmt::format("removed {}\n", responses(removed));
}

std::string cache_clear_json(int64_t removed, const std::filesystem::path& path) {
    return json{{"path", path.string()}, {"removed", removed}}.dump(2) + "\n";
}

std::string cache_prune_text(int64_t removed, std::string_view older_than) {
    return fmt::format("removed {} older than {}\n", responses(removed), older_than);
}

std::string cache_prune_json(int64_t removed, std::string_view older_than,
                             int64_t older_than_seconds, const std::filesystem::path& path) {
    return json{{"path", path.string()},
                {"removed", removed},
                {"older_than", older_than},
                {"older_than_seconds", older_than_seconds}}
               .dump(2) +
           "\n";
}

} // namespace llmops::report
