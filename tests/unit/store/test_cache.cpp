#include <llmops/store/cache.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
namespace store = llmops::store;
namespace fs = std::filesystem;

namespace {

store::ResponseCache open_cache(const fs::path& path) {
    auto cache = store::ResponseCache::open(path);
    REQUIRE_OK(cache);
    return std::move(*cache);
}

std::optional<std::string> get(store::ResponseCache& cache, std::string_view key) {
    auto value = cache.get(key);
    REQUIRE_OK(value);
    return *value;
}

void put(store::ResponseCache& cache, std::string_view key, std::string_view value,
         std::string_view provider = "openai") {
    auto ok = cache.put(key, provider, "gpt-4o-mini", value);
    REQUIRE_OK(ok);
}

// A second connection to the cache file, as another process (or someone with sqlite3) has.
store::Database raw(const fs::path& path) {
    auto db = store::Database::open(path, store::OpenMode::read_write);
    REQUIRE_OK(db);
    return std::move(*db);
}

// How many entries are committed to the file (buffered ones are not).
int64_t committed(const fs::path& path) {
    auto db = raw(path);
    auto stmt = db.prepare("SELECT count(*) FROM responses");
    REQUIRE(stmt.has_value());
    REQUIRE(stmt->step().value());
    return stmt->integer(0);
}

// Backdates the entry under `key` to `iso`.
void set_created_at(const fs::path& path, std::string_view key, std::string_view iso) {
    auto db = raw(path);
    auto stmt = db.prepare("UPDATE responses SET created_at = ?1 WHERE key = ?2");
    REQUIRE(stmt.has_value());
    stmt->bind(1, iso).bind(2, key);
    REQUIRE(stmt->run().has_value());
}

// The ISO 8601 UTC time `seconds` ago, as the cache writes it.
std::string ago(int64_t seconds) {
    const auto t = std::chrono::system_clock::now() - std::chrono::seconds(seconds);
    const std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string damaged_message(const fs::path& path, std::string_view detail) {
    return "cache '" + path.string() + "' is damaged (" + std::string(detail) +
           "); it is safe to delete it";
}

} // namespace

TEST_SUITE("store") {

    TEST_CASE("store::ResponseCache get and put") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        auto cache = open_cache(path);
        SUBCASE("a new cache is empty and lives in its own WAL file") {
            CHECK(get(cache, "k1") == std::nullopt);
            CHECK(fs::exists(path));
            CHECK(cache.path() == path);
            auto db = raw(path);
            auto mode = db.prepare("PRAGMA journal_mode");
            REQUIRE(mode->step().value());
            CHECK(mode->text(0) == "wal");
            CHECK(db.user_version().value() == store::k_cache_schema_version);
        }
        SUBCASE("a stored value comes back, byte for byte") {
            const std::string value = "{\"output\":\"h\xC3\xA9llo\\n\",\"nul\":\"a\0b\"}";
            put(cache, "k1", value);
            CHECK(get(cache, "k1") == value);
            CHECK(get(cache, "k2") == std::nullopt);
        }
        SUBCASE("get sees buffered puts before they are committed") {
            put(cache, "k1", "v1");
            CHECK(committed(path) == 0);
            CHECK(get(cache, "k1") == "v1");
        }
        SUBCASE("a put replaces the older value, buffered or committed") {
            put(cache, "k1", "old");
            put(cache, "k1", "buffered");
            CHECK(get(cache, "k1") == "buffered");
            REQUIRE(cache.flush().has_value());
            put(cache, "k1", "new");
            REQUIRE(cache.flush().has_value());
            CHECK(get(cache, "k1") == "new");
            CHECK(committed(path) == 1);
        }
    }

    TEST_CASE("store::ResponseCache batching") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        SUBCASE("puts are committed every k_batch entries") {
            auto cache = open_cache(path);
            for (int i = 0; i < store::ResponseCache::k_batch - 1; ++i) {
                put(cache, fmt::format("k{}", i), "v");
            }
            CHECK(committed(path) == 0);
            put(cache, "last", "v");
            CHECK(committed(path) == store::ResponseCache::k_batch);
            put(cache, "one more", "v");
            CHECK(committed(path) == store::ResponseCache::k_batch);
        }
        SUBCASE("flush commits what is buffered") {
            auto cache = open_cache(path);
            put(cache, "k1", "v1");
            REQUIRE(cache.flush().has_value());
            CHECK(committed(path) == 1);
            CHECK(cache.flush().has_value()); // nothing left: harmless
        }
        SUBCASE("the destructor flushes, so a reopened cache has every entry") {
            {
                auto cache = open_cache(path);
                put(cache, "k1", "v1");
                put(cache, "k2", "v2");
            }
            auto reopened = open_cache(path);
            CHECK(get(reopened, "k1") == "v1");
            CHECK(get(reopened, "k2") == "v2");
        }
        SUBCASE("a moved cache keeps its buffered entries") {
            auto cache = open_cache(path);
            put(cache, "k1", "v1");
            store::ResponseCache moved = std::move(cache);
            CHECK(get(moved, "k1") == "v1");
            REQUIRE(moved.flush().has_value());
            CHECK(committed(path) == 1);
        }
    }

    TEST_CASE("store::ResponseCache shared by two processes") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        auto first = open_cache(path);
        auto second = open_cache(path);
        put(first, "k1", "from first");
        put(second, "k2", "from second"); // buffered in the second: invisible to the first
        REQUIRE(first.flush().has_value());
        CHECK(get(second, "k1") == "from first");
        CHECK(get(first, "k2") == std::nullopt);
        REQUIRE(second.flush().has_value());
        CHECK(get(first, "k2") == "from second");
        SUBCASE("one clears while the other stays open and usable") {
            CHECK(second.clear().value() == 2);
            CHECK(get(first, "k1") == std::nullopt);
            put(first, "k3", "after the clear");
            REQUIRE(first.flush().has_value());
            CHECK(get(second, "k3") == "after the clear");
        }
    }

    TEST_CASE("store::ResponseCache::stats") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        auto cache = open_cache(path);
        SUBCASE("an empty cache") {
            const auto stats = cache.stats().value();
            CHECK(stats.entries == 0);
            CHECK(stats.bytes == 0);
            CHECK(stats.file_bytes > 0);
            CHECK(stats.oldest == std::nullopt);
            CHECK(stats.newest == std::nullopt);
            CHECK(stats.providers.empty());
        }
        SUBCASE("counts entries and bytes per provider, buffered ones included") {
            put(cache, "a", "12345", "openai");
            put(cache, "b", "123", "anthropic");
            put(cache, "c", "1", "openai");
            REQUIRE(cache.flush().has_value());
            set_created_at(path, "a", "2020-01-02T03:04:05.006Z");
            set_created_at(path, "b", "2020-03-01T00:00:00.000Z");
            set_created_at(path, "c", "2019-12-31T23:59:59.999Z");
            put(cache, "d", "1234567", "echo"); // still buffered
            const auto stats = cache.stats().value();
            CHECK(stats.entries == 4);
            CHECK(stats.bytes == 16);
            CHECK(stats.file_bytes >= 4096);
            CHECK(stats.oldest == "2019-12-31T23:59:59.999Z");
            CHECK(stats.newest > "2020-03-01T00:00:00.000Z"); // d, written just now
            REQUIRE(stats.providers.size() == 3);
            CHECK(stats.providers[0].provider == "anthropic");
            CHECK(stats.providers[0].entries == 1);
            CHECK(stats.providers[0].bytes == 3);
            CHECK(stats.providers[1].provider == "echo");
            CHECK(stats.providers[2].provider == "openai");
            CHECK(stats.providers[2].entries == 2);
            CHECK(stats.providers[2].bytes == 6);
        }
    }

    TEST_CASE("store::ResponseCache::clear") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        auto cache = open_cache(path);
        const std::string big(4000, 'x');
        for (int i = 0; i < 300; ++i) {
            put(cache, fmt::format("k{}", i), big);
        }
        REQUIRE(cache.flush().has_value());
        put(cache, "buffered", "v");
        const int64_t size_before = cache.stats().value().file_bytes;
        CHECK(cache.clear().value() == 301);
        CHECK(get(cache, "k1") == std::nullopt);
        CHECK(get(cache, "buffered") == std::nullopt);
        const auto stats = cache.stats().value();
        CHECK(stats.entries == 0);
        CHECK(stats.file_bytes < size_before / 10); // vacuumed
        CHECK(cache.clear().value() == 0);
        put(cache, "again", "v"); // still usable
        CHECK(get(cache, "again") == "v");
    }

    TEST_CASE("store::ResponseCache::prune") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        auto cache = open_cache(path);
        put(cache, "ancient", "v");
        put(cache, "old", "v");
        put(cache, "recent", "v");
        REQUIRE(cache.flush().has_value());
        set_created_at(path, "ancient", ago(90 * 86400));
        set_created_at(path, "old", ago(31 * 86400));
        set_created_at(path, "recent", ago(29 * 86400));
        put(cache, "new", "v"); // buffered, written now
        SUBCASE("removes only entries older than the duration") {
            CHECK(cache.prune(30 * 86400).value() == 2);
            CHECK(get(cache, "ancient") == std::nullopt);
            CHECK(get(cache, "old") == std::nullopt);
            CHECK(get(cache, "recent") == "v");
            CHECK(get(cache, "new") == "v");
            CHECK(committed(path) == 2);
            CHECK(cache.prune(30 * 86400).value() == 0);
        }
        SUBCASE("a longer duration keeps more") {
            CHECK(cache.prune(60 * 86400).value() == 1);
            CHECK(get(cache, "old") == "v");
        }
        SUBCASE("a duration longer than the clock has run removes nothing") {
            CHECK(cache.prune(std::numeric_limits<int64_t>::max()).value() == 0);
            CHECK(committed(path) == 4);
        }
        SUBCASE("zero removes everything written before now") {
            REQUIRE(cache.flush().has_value());
            set_created_at(path, "new", ago(1));
            CHECK(cache.prune(0).value() == 4);
        }
    }

    TEST_CASE("store::ResponseCache::open refuses what it cannot use") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        SUBCASE("random bytes are a damaged cache, safe to delete") {
            std::string noise;
            for (int i = 0; i < 8192; ++i) {
                noise += static_cast<char>((i * 7919 + 13) % 251);
            }
            dir.write("cache.db", noise);
            const auto cache = store::ResponseCache::open(path);
            REQUIRE_FALSE(cache.has_value());
            CHECK(cache.error().code() == ErrorCode::io);
            CHECK(cache.error().message() == damaged_message(path, "not a SQLite database"));
        }
        SUBCASE("a SQLite header over garbage is a damaged cache too") {
            std::string bytes = std::string("SQLite format 3\0", 16) + std::string(8176, '\xff');
            dir.write("cache.db", bytes);
            const auto cache = store::ResponseCache::open(path);
            REQUIRE_FALSE(cache.has_value());
            CHECK(cache.error().code() == ErrorCode::io);
            CHECK(cache.error().message() == damaged_message(path, "file is not a database"));
        }
        SUBCASE("damage found after opening is reported the same way") {
            {
                auto cache = open_cache(path);
                for (int i = 0; i < 100; ++i) {
                    put(cache, fmt::format("{:064x}", i), std::string(1500, 'v'));
                }
            }
            {
                // Pages 3 on (the table's leaves) overwritten; page 1 (the schema) intact.
                std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
                file.seekp(8192);
                const std::string junk(20 * 4096, '\xff');
                file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
            }
            auto cache = open_cache(path);
            const auto value = cache.get(fmt::format("{:064x}", 50));
            REQUIRE_FALSE(value.has_value());
            CHECK(value.error().code() == ErrorCode::io);
            CHECK(value.error().message() ==
                  damaged_message(path, "database disk image is malformed"));
            CHECK(cache.stats().error().message() ==
                  damaged_message(path, "database disk image is malformed"));
        }
        SUBCASE("an empty file becomes a new cache") {
            dir.write("cache.db", "");
            auto cache = open_cache(path);
            CHECK(get(cache, "k") == std::nullopt);
        }
        SUBCASE("a cache written by a newer llmops is refused, untouched") {
            REQUIRE(raw(path).exec("PRAGMA user_version = 99").has_value());
            const auto cache = store::ResponseCache::open(path);
            REQUIRE_FALSE(cache.has_value());
            CHECK(cache.error().code() == ErrorCode::invalid_input);
            CHECK(cache.error().message() ==
                  "cache '" + path.string() +
                      "' has schema version 99, newer than this llmops understands (1); "
                      "upgrade llmops, or delete the cache (it is safe to delete)");
            CHECK_FALSE(raw(path).prepare("SELECT 1 FROM responses").has_value());
        }
        SUBCASE("a missing folder is not created") {
            const auto cache = store::ResponseCache::open(dir / "nowhere/cache.db");
            REQUIRE_FALSE(cache.has_value());
            CHECK(cache.error().code() == ErrorCode::io);
            CHECK_FALSE(fs::exists(dir / "nowhere"));
        }
    }

    TEST_CASE("store::ResponseCache::open_existing") {
        TempDir dir;
        const fs::path path = dir / "cache.db";
        SUBCASE("creates nothing when there is no cache") {
            auto cache = store::ResponseCache::open_existing(path);
            REQUIRE(cache.has_value());
            CHECK_FALSE(cache->has_value());
            CHECK_FALSE(fs::exists(path));
        }
        SUBCASE("opens a cache that exists") {
            {
                auto created = open_cache(path);
                put(created, "k", "v");
            }
            auto cache = store::ResponseCache::open_existing(path);
            REQUIRE(cache.has_value());
            REQUIRE(cache->has_value());
            CHECK(get(**cache, "k") == "v");
        }
    }

    TEST_CASE("store::ResponseCache reads are fast") {
        TempDir dir;
        auto cache = open_cache(dir / "cache.db");
        const std::string value(1500, 'v');
        for (int i = 0; i < 10000; ++i) {
            put(cache, fmt::format("{:064x}", i), value);
        }
        REQUIRE(cache.flush().has_value());
        // CPU time, not wall time: the machines running the tests are often busy. The bound
        // leaves room for sanitizers and still catches a read that rescans the table.
        const std::clock_t start = std::clock();
        int hits = 0;
        for (int i = 0; i < 10000; ++i) {
            auto found = cache.get(fmt::format("{:064x}", i));
            hits += found.has_value() && found->has_value() ? 1 : 0;
        }
        const double ms = 1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
        CHECK(hits == 10000);
        INFO("10,000 gets took ", ms, " ms of CPU");
        CHECK(ms < 1000);
    }

    TEST_CASE("store::parse_duration_seconds") {
        SUBCASE("a number and a unit") {
            CHECK(store::parse_duration_seconds("90s").value() == 90);
            CHECK(store::parse_duration_seconds("45m").value() == 45 * 60);
            CHECK(store::parse_duration_seconds("12h").value() == 12 * 3600);
            CHECK(store::parse_duration_seconds("30d").value() == 30 * 86400);
            CHECK(store::parse_duration_seconds("2w").value() == 14 * 86400);
            CHECK(store::parse_duration_seconds("0s").value() == 0);
        }
        SUBCASE("several, added up") {
            CHECK(store::parse_duration_seconds("1d12h").value() == 36 * 3600);
            CHECK(store::parse_duration_seconds("1w1d1h1m1s").value() == 8 * 86400 + 3600 + 60 + 1);
        }
        SUBCASE("anything else is invalid input quoting the text") {
            const std::string expected =
                "expected a number and a unit, e.g. '30d' (units: s, m, h, d, w)";
            const auto message = [](std::string_view text) {
                const auto r = store::parse_duration_seconds(text);
                REQUIRE_FALSE(r.has_value());
                CHECK(r.error().code() == ErrorCode::invalid_input);
                return r.error().message();
            };
            CHECK(message("") == "invalid duration '': " + expected);
            CHECK(message("30") == "invalid duration '30': " + expected);
            CHECK(message("d") == "invalid duration 'd': " + expected);
            CHECK(message("-5d") == "invalid duration '-5d': " + expected);
            CHECK(message("1d12") == "invalid duration '1d12': " + expected);
            CHECK(message("30D") ==
                  "invalid duration '30D': unknown unit 'D' (units: s, m, h, d, w)");
            CHECK(message("3y") ==
                  "invalid duration '3y': unknown unit 'y' (units: s, m, h, d, w)");
            CHECK(message("30 d") ==
                  "invalid duration '30 d': unknown unit ' ' (units: s, m, h, d, w)");
            CHECK(message("99999999999999999999s") ==
                  "invalid duration '99999999999999999999s': too long");
            CHECK(message("9999999999999999w") == "invalid duration '9999999999999999w': too long");
        }
    }

} // TEST_SUITE
