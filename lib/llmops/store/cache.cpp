#include <llmops/store/cache.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <unordered_map>

#include <sqlite3.h>

#include <fmt/format.h>

#include <llmops/util/time.hpp>

namespace llmops::store {

namespace fs = std::filesystem;

namespace {

// Migration N takes the cache from user_version N-1 to N. Never edit one that has shipped: add
// a new one. The cache is disposable, but a migration still beats throwing away every answer a
// team paid for. `responses` is a rowid table on purpose: answers are often kilobytes, and
// SQLite advises WITHOUT ROWID only for rows well under a twentieth of a page.
constexpr std::array<std::string_view, 1> k_cache_migrations = {
    R"sql(
CREATE TABLE responses (               -- successful provider answers; every row may be deleted
  key TEXT PRIMARY KEY NOT NULL,       -- hex SHA-256 of provider id, model, parameters and rendered messages (never an API key)
  provider TEXT NOT NULL,              -- provider id that answered, e.g. 'openai' (for stats)
  model TEXT NOT NULL,                 -- model that answered, e.g. 'gpt-4o-mini' (for stats)
  value TEXT NOT NULL,                 -- the call's outcome as JSON (provider/outcome.hpp)
  created_at TEXT NOT NULL,            -- ISO 8601 UTC time it was stored, with milliseconds (for prune)
  bytes INTEGER NOT NULL               -- size of `value` in bytes (for stats without reading values)
);
)sql",
};

static_assert(static_cast<int64_t>(k_cache_migrations.size()) == k_cache_schema_version);

// SQLite's default page cache (2 MB) for the cache file, over the store's 16 MB.
constexpr std::string_view k_page_cache_pragma = "PRAGMA cache_size = -2000";

constexpr std::string_view k_sqlite_magic{"SQLite format 3\0", 16};

// Every message that says a cache is broken also says what to do about it.
Error damaged(const fs::path& path, std::string_view detail) {
    return Error(ErrorCode::io, fmt::format("cache '{}' is damaged ({}); it is safe to delete it",
                                            path.string(), detail));
}

// SQLite's own words for a file that is not (or no longer) a database, when `e` carries them.
// Database::open does not keep its connection on failure, so the message is all there is.
std::optional<std::string_view> corrupt_detail(const Error& e) {
    for (const std::string_view words :
         {"file is not a database", "database disk image is malformed"}) {
        if (e.message().find(words) != std::string::npos) {
            return words;
        }
    }
    return std::nullopt;
}

// A non-empty file that does not start with SQLite's header is not a cache. Checked before
// SQLite sees the file, so the message does not depend on which statement first tripped on it.
std::optional<Error> check_header(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt; // unreadable: SQLite says why
    }
    std::array<char, 16> head{};
    in.read(head.data(), head.size());
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0 || std::string_view(head.data(), n) == k_sqlite_magic) {
        return std::nullopt;
    }
    return damaged(path, "not a SQLite database");
}

std::string iso8601(std::chrono::system_clock::time_point t) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int64_t size_on_disk(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(size);
}

} // namespace

fs::path cache_path(const Project& project) {
    return project.dir / "cache.db";
}

struct ResponseCache::State {
    struct Pending {
        std::string provider;
        std::string model;
        std::string value;
        std::string created_at;
    };

    // Declared before the statements, so they are finalized first.
    Database db;
    bool read_only = false;
    std::optional<Statement> select;
    std::optional<Statement> upsert;
    // Puts not committed yet, by key: `get` looks here first.
    std::unordered_map<std::string, Pending> pending;

    explicit State(Database database) : db(std::move(database)) {}

    // Turns a failure on this connection into one that says the file is damaged when it is.
    Error failure(const Error& e) {
        const int code = sqlite3_errcode(db.handle()) & 0xFF;
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
            return damaged(db.path(), sqlite3_errstr(code));
        }
        if (auto detail = corrupt_detail(e)) {
            return damaged(db.path(), *detail);
        }
        return e;
    }

    Expected<void> writable() const {
        if (read_only) {
            return fail(ErrorCode::io,
                        "cannot write to cache '{}': it is read-only (is the directory "
                        "writable?)",
                        db.path().string());
        }
        return {};
    }
};

namespace {

// Brings the cache to `k_cache_schema_version` (or checks it is there, when read-only).
Expected<void> migrate_cache(Database& db, bool read_only) {
    auto version = LLMOPS_TRY(db.user_version());
    if (version > k_cache_schema_version) {
        return fail(ErrorCode::invalid_input,
                    "cache '{}' has schema version {}, newer than this llmops understands ({}); "
                    "upgrade llmops, or delete the cache (it is safe to delete)",
                    db.path().string(), version, k_cache_schema_version);
    }
    if (read_only && version < k_cache_schema_version) {
        return fail(ErrorCode::io, "cache '{}' needs an upgrade (schema {} to {}) but is read-only",
                    db.path().string(), version, k_cache_schema_version);
    }
    for (int64_t v = version; v < k_cache_schema_version; ++v) {
        auto tx = LLMOPS_TRY(Transaction::begin(db));
        // Re-read inside the write lock: another process may have migrated meanwhile.
        auto current = LLMOPS_TRY(db.user_version());
        if (current > v) {
            continue;
        }
        LLMOPS_TRY(db.exec(k_cache_migrations[static_cast<size_t>(v)]));
        LLMOPS_TRY(db.exec(fmt::format("PRAGMA user_version = {}", v + 1)));
        LLMOPS_TRY(tx.commit());
    }
    return {};
}

} // namespace

Expected<ResponseCache> ResponseCache::open(const fs::path& path) {
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    if (exists) {
        if (auto bad = check_header(path)) {
            return fail(*bad);
        }
    }
    // SQLite needs the folder writable too, for its -wal and -shm files.
    fs::path folder = path.parent_path();
    if (folder.empty()) {
        folder = ".";
    }
    const bool read_only =
        exists && (::access(path.c_str(), W_OK) != 0 || ::access(folder.c_str(), W_OK) != 0);
    auto db = Database::open(path, read_only ? OpenMode::read_only : OpenMode::read_write);
    if (!db) {
        const auto detail = corrupt_detail(db.error());
        return fail(detail ? damaged(path, *detail) : db.error());
    }
    auto state = std::make_unique<State>(std::move(*db));
    state->read_only = read_only;
    if (auto ok = migrate_cache(state->db, read_only); !ok) {
        return fail(state->failure(ok.error()));
    }
    // Lookups are by random keys, one page path each: a large page cache buys nothing but
    // memory, which grew with the cache file up to the store's 16 MB (SPEC §13: an eval's memory
    // is flat in its cases). The OS keeps the file's pages anyway.
    if (auto ok = state->db.exec(k_page_cache_pragma); !ok) {
        return fail(state->failure(ok.error()));
    }
    auto select = state->db.prepare("SELECT value FROM responses WHERE key = ?1");
    if (!select) {
        return fail(state->failure(select.error()));
    }
    state->select.emplace(std::move(*select));
    if (!read_only) {
        auto upsert = state->db.prepare(
            "INSERT OR REPLACE INTO responses(key, provider, model, value, created_at, bytes) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        if (!upsert) {
            return fail(state->failure(upsert.error()));
        }
        state->upsert.emplace(std::move(*upsert));
    }
    return ResponseCache(std::move(state));
}

Expected<std::optional<ResponseCache>> ResponseCache::open_existing(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return std::optional<ResponseCache>();
    }
    auto cache = LLMOPS_TRY(open(path));
    return std::optional<ResponseCache>(std::move(cache));
}

ResponseCache::ResponseCache(std::unique_ptr<State> state) : m_state(std::move(state)) {}

ResponseCache::ResponseCache(ResponseCache&&) noexcept = default;

ResponseCache& ResponseCache::operator=(ResponseCache&& other) noexcept {
    if (this != &other) {
        if (m_state) {
            (void)flush();
        }
        m_state = std::move(other.m_state);
    }
    return *this;
}

ResponseCache::~ResponseCache() {
    if (m_state) {
        (void)flush();
    }
}

const fs::path& ResponseCache::path() const {
    return m_state->db.path();
}

Expected<std::optional<std::string>> ResponseCache::get(std::string_view key) {
    State& s = *m_state;
    if (!s.pending.empty()) {
        if (auto it = s.pending.find(std::string(key)); it != s.pending.end()) {
            return it->second.value;
        }
    }
    // A prepared statement and no transaction of our own: one autocommit read, which in WAL
    // mode takes no lock a writer waits for.
    Statement& select = *s.select;
    select.bind(1, key);
    auto row = select.step();
    if (!row) {
        return fail(s.failure(row.error()));
    }
    std::optional<std::string> value;
    if (*row) {
        value = select.text(0);
    }
    select.reset(); // ends the read, so checkpoints are not held back
    return value;
}

Expected<void> ResponseCache::put(std::string_view key, std::string_view provider,
                                  std::string_view model, std::string_view value) {
    State& s = *m_state;
    LLMOPS_TRY(s.writable());
    s.pending.insert_or_assign(std::string(key),
                               State::Pending{std::string(provider), std::string(model),
                                              std::string(value), util::now_iso8601()});
    if (s.pending.size() >= static_cast<size_t>(k_batch)) {
        return flush();
    }
    return {};
}

Expected<void> ResponseCache::flush() {
    State& s = *m_state;
    if (s.pending.empty()) {
        return {};
    }
    LLMOPS_TRY(s.writable());
    auto tx = Transaction::begin(s.db);
    if (!tx) {
        return fail(s.failure(tx.error()));
    }
    Statement& upsert = *s.upsert;
    for (const auto& [key, entry] : s.pending) {
        upsert.bind(1, key)
            .bind(2, entry.provider)
            .bind(3, entry.model)
            .bind(4, entry.value)
            .bind(5, entry.created_at)
            .bind(6, static_cast<int64_t>(entry.value.size()));
        if (auto ok = upsert.run(); !ok) {
            return fail(s.failure(ok.error())); // rolls back; the entries stay buffered
        }
    }
    if (auto ok = tx->commit(); !ok) {
        return fail(s.failure(ok.error()));
    }
    s.pending.clear();
    return {};
}

Expected<CacheStats> ResponseCache::stats() {
    LLMOPS_TRY(flush());
    State& s = *m_state;
    CacheStats stats;
    // One snapshot for both queries, so the totals and the per-provider rows agree.
    auto snapshot = ReadTransaction::begin(s.db);
    if (!snapshot) {
        return fail(s.failure(snapshot.error()));
    }
    auto by_provider = s.db.prepare(
        "SELECT provider, count(*), sum(bytes), min(created_at), max(created_at) FROM responses "
        "GROUP BY provider ORDER BY provider");
    if (!by_provider) {
        return fail(s.failure(by_provider.error()));
    }
    while (true) {
        auto row = by_provider->step();
        if (!row) {
            return fail(s.failure(row.error()));
        }
        if (!*row) {
            break;
        }
        CacheStats::PerProvider p{by_provider->text(0), by_provider->integer(1),
                                  by_provider->integer(2)};
        stats.entries += p.entries;
        stats.bytes += p.bytes;
        const std::string oldest = by_provider->text(3);
        const std::string newest = by_provider->text(4);
        if (!stats.oldest || oldest < *stats.oldest) {
            stats.oldest = oldest;
        }
        if (!stats.newest || newest > *stats.newest) {
            stats.newest = newest;
        }
        stats.providers.push_back(std::move(p));
    }
    snapshot->end();
    stats.file_bytes = size_on_disk(s.db.path()) + size_on_disk(s.db.path().string() + "-wal");
    return stats;
}

namespace {

// Deletes with `sql` (binding `cutoff` when given) in one transaction; returns the count.
Expected<int64_t> delete_where(Database& db, std::string_view sql,
                               const std::optional<std::string>& cutoff) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    auto stmt = LLMOPS_TRY(db.prepare(sql));
    if (cutoff) {
        stmt.bind(1, *cutoff);
    }
    LLMOPS_TRY(stmt.run());
    const int64_t removed = sqlite3_changes64(db.handle());
    LLMOPS_TRY(tx.commit());
    return removed;
}

// Gives the freed pages back to the file system: a cleared cache should not stay large in a
// CI cache archive. The checkpoint moves the vacuumed pages out of the -wal file and truncates
// it; a reader in another process may keep it from finishing, which is harmless.
Expected<void> shrink(Database& db) {
    LLMOPS_TRY(db.exec("VACUUM"));
    return db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

} // namespace

Expected<int64_t> ResponseCache::clear() {
    State& s = *m_state;
    LLMOPS_TRY(s.writable());
    LLMOPS_TRY(flush());
    auto removed = delete_where(s.db, "DELETE FROM responses", std::nullopt);
    if (!removed) {
        return fail(s.failure(removed.error()));
    }
    if (auto ok = shrink(s.db); !ok) {
        return fail(s.failure(ok.error()));
    }
    return *removed;
}

Expected<int64_t> ResponseCache::prune(int64_t older_than_seconds) {
    State& s = *m_state;
    LLMOPS_TRY(s.writable());
    LLMOPS_TRY(flush());
    const auto now = std::chrono::system_clock::now();
    const int64_t since_epoch =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (older_than_seconds < 0 || older_than_seconds > since_epoch) {
        return 0; // nothing was stored before 1970
    }
    const std::string cutoff = iso8601(now - std::chrono::seconds(older_than_seconds));
    auto removed = delete_where(s.db, "DELETE FROM responses WHERE created_at < ?1", cutoff);
    if (!removed) {
        return fail(s.failure(removed.error()));
    }
    if (*removed > 0) {
        if (auto ok = shrink(s.db); !ok) {
            return fail(s.failure(ok.error()));
        }
    }
    return *removed;
}

Expected<int64_t> parse_duration_seconds(std::string_view text) {
    const auto invalid = [&](std::string_view why) {
        return fail(ErrorCode::invalid_input, "invalid duration '{}': {}", text, why);
    };
    constexpr std::string_view k_expected =
        "expected a number and a unit, e.g. '30d' (units: s, m, h, d, w)";
    if (text.empty()) {
        return invalid(k_expected);
    }
    int64_t total = 0;
    size_t i = 0;
    while (i < text.size()) {
        int64_t number = 0;
        const size_t digits_start = i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (__builtin_mul_overflow(number, 10, &number) ||
                __builtin_add_overflow(number, text[i] - '0', &number)) {
                return invalid("too long");
            }
        }
        if (i == digits_start || i == text.size()) {
            return invalid(k_expected);
        }
        int64_t unit = 0;
        switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return invalid(fmt::format("unknown unit '{}' (units: s, m, h, d, w)", text[i]));
        }
        ++i;
        if (__builtin_mul_overflow(number, unit, &number) ||
            __builtin_add_overflow(total, number, &total)) {
            return invalid("too long");
        }
    }
    return total;
}

} // namespace llmops::store
