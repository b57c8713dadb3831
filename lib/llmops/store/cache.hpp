#pragma once
// The response cache (SPEC §5): `.llmops/cache.db`, a SQLite file separate from the store, safe
// to delete and easy to cache in CI. It maps a key (hex SHA-256 computed by the provider layer
// from everything that changes the answer and nothing secret) to a JSON value (the call's
// outcome). Writes are batched: `put` buffers and commits every `k_batch` entries, on `flush`
// and on destruction, so a crash loses at most one batch of cache entries (never a run result:
// those live in the store).
//
// One ResponseCache is used by one thread at a time; several processes may share the file
// (WAL mode and a busy timeout make them wait for each other).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/store/database.hpp>
#include <llmops/store/project.hpp>
#include <llmops/util/error.hpp>

namespace llmops::store {

// Where a project keeps its cache: `.llmops/cache.db`.
std::filesystem::path cache_path(const Project& project);

// The cache schema version this build writes and understands (its own `PRAGMA user_version`,
// independent of the store's).
inline constexpr int64_t k_cache_schema_version = 1;

struct CacheStats {
    int64_t entries = 0;
    int64_t bytes = 0;                 // sum of stored value sizes
    int64_t file_bytes = 0;            // cache.db plus its -wal file on disk
    std::optional<std::string> oldest; // ISO-8601 UTC creation time of the oldest entry
    std::optional<std::string> newest;
    struct PerProvider {
        std::string provider;
        int64_t entries = 0;
        int64_t bytes = 0; // sum of this provider's value sizes
    };
    std::vector<PerProvider> providers; // sorted by provider
};

class ResponseCache {
public:
    static constexpr int k_batch = 256;

    // Opens (creating when missing, with its schema) the cache at `path`, WAL mode, busy
    // timeout. An existing cache that this user cannot write (the file or its folder) is opened
    // read-only: `get` and `stats` work, writes fail with `io`. A cache written by a newer
    // llmops is refused with `invalid_input`; a corrupt file fails with `io` naming it and
    // saying it is safe to delete. The parent folder is never created.
    static Expected<ResponseCache> open(const std::filesystem::path& path);

    // As `open`, but returns nullopt (creating nothing) when there is no file at `path`: for
    // commands that only inspect or shrink a cache.
    static Expected<std::optional<ResponseCache>> open_existing(const std::filesystem::path& path);

    ResponseCache(ResponseCache&&) noexcept;
    ResponseCache& operator=(ResponseCache&&) noexcept; // flushes the cache it replaces
    ~ResponseCache();                                   // flushes, ignoring errors

    // Returns the value stored under `key`, or nullopt. Sees entries still buffered by `put`.
    // Updates nothing (reads stay cheap). Fails with `io`.
    Expected<std::optional<std::string>> get(std::string_view key);

    // Stores `value` under `key` (replacing an older value), with `provider` and `model` kept
    // for `stats` and the current time for `prune`. Buffers; commits when the buffer holds
    // `k_batch` entries. Fails with `io` (the entry then stays buffered for the next flush).
    Expected<void> put(std::string_view key, std::string_view provider, std::string_view model,
                       std::string_view value);

    // Commits buffered puts in one transaction. On failure they stay buffered. Fails with `io`.
    Expected<void> flush();

    // Commits buffered puts, then counts. Fails with `io`.
    Expected<CacheStats> stats();
    // Deletes every entry (buffered ones too); returns how many there were. Vacuums the file.
    // Fails with `io`.
    Expected<int64_t> clear();
    // Deletes entries (buffered ones too) created more than `older_than_seconds` ago; returns
    // how many. Vacuums the file when it deleted any. Fails with `io`.
    Expected<int64_t> prune(int64_t older_than_seconds);

    const std::filesystem::path& path() const;

private:
    struct State;
    explicit ResponseCache(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

// Parses a duration for `--older-than`: a number and a unit, "30d", "12h", "45m", "90s", "2w",
// or several of them ("1d12h"). Fails with `invalid_input` quoting the text.
Expected<int64_t> parse_duration_seconds(std::string_view text);

} // namespace llmops::store
