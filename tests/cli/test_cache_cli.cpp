// `llmops cache stats|clear|prune`: the response cache as a user sees it.

#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/cache_report.hpp>
#include <llmops/store/cache.hpp>

#include "support/expected.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

std::string real(const fs::path& dir) {
    return fs::canonical(dir).string();
}

std::string cache_file(const TempDir& dir) {
    return real(dir.path()) + "/.llmops/cache.db";
}

// An initialised project whose cache holds three answers: two from openai (one of them 40 days
// old), one from anthropic (10 days old).
void make_cache(const TempDir& dir) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
    const fs::path path = dir / ".llmops/cache.db";
    {
        auto cache = store::ResponseCache::open(path);
        REQUIRE_OK(cache);
        REQUIRE(cache->put("k-old", "openai", "gpt-4o-mini", std::string(1000, 'a')).has_value());
        REQUIRE(cache->put("k-new", "openai", "gpt-4o", "{}").has_value());
        REQUIRE(cache->put("k-mid", "anthropic", "claude", std::string(2048, 'b')).has_value());
    }
    auto db = store::Database::open(path, store::OpenMode::read_write);
    REQUIRE(db.has_value());
    REQUIRE(db->exec("UPDATE responses SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
                     "'-40 days') WHERE key = 'k-old';"
                     "UPDATE responses SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
                     "'-10 days') WHERE key = 'k-mid';")
                .has_value());
}

json run_json(const TempDir& dir, const std::vector<std::string>& args) {
    const auto r = llmops(dir.path(), args);
    INFO("stderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == "");
    return json::parse(r.out);
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::cache outside a project") {
        TempDir dir;
        const std::string message = "llmops: error: not in an llmops project (no .llmops/ in '" +
                                    real(dir.path()) + "' or any parent; run 'llmops init')\n";
        for (const auto& args :
             std::vector<std::vector<std::string>>{{"cache", "stats"},
                                                   {"cache", "clear"},
                                                   {"cache", "prune", "--older-than", "30d"}}) {
            CAPTURE(args[1]);
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == message);
        }
        CHECK_FALSE(fs::exists(dir / ".llmops"));
    }

    TEST_CASE("cli::cache in a project without a cache yet") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        SUBCASE("stats shows an empty cache") {
            const auto r = llmops(dir.path(), {"cache", "stats"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == "path     " + cache_file(dir) +
                               "\nentries  0\nsize     0 B of responses, 0 B on disk\n");
            const auto doc = run_json(dir, {"cache", "stats", "--json"});
            CHECK(doc == json{{"path", cache_file(dir)},
                              {"entries", 0},
                              {"bytes", 0},
                              {"file_bytes", 0},
                              {"oldest", nullptr},
                              {"newest", nullptr},
                              {"providers", json::array()}});
        }
        SUBCASE("clear and prune remove nothing") {
            CHECK(llmops(dir.path(), {"cache", "clear"}).out == "removed 0 cached responses\n");
            CHECK(llmops(dir.path(), {"cache", "prune", "--older-than", "1d"}).out ==
                  "removed 0 cached responses older than 1d\n");
        }
        CHECK_FALSE(fs::exists(dir / ".llmops/cache.db"));
    }

    TEST_CASE("cli::cache stats") {
        TempDir dir;
        make_cache(dir);
        const auto doc = run_json(dir, {"cache", "stats", "--json"});
        SUBCASE("--json") {
            CHECK(doc["path"] == cache_file(dir));
            CHECK(doc["entries"] == 3);
            CHECK(doc["bytes"] == 3050);
            CHECK(doc["file_bytes"].get<int64_t>() >= 4096);
            CHECK(doc["oldest"].get<std::string>() < doc["newest"].get<std::string>());
            CHECK(doc["providers"] == json::parse(R"([{"provider": "anthropic", "entries": 1,
            "bytes": 2048}, {"provider": "openai", "entries": 2, "bytes": 1002}])"));
        }
        SUBCASE("text") {
            const auto r = llmops(dir.path(), {"cache", "stats"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "path     " + cache_file(dir) +
                               "\n"
                               "entries  3\n"
                               "size     3.0 KiB of responses, " +
                               report::human_bytes(doc["file_bytes"].get<int64_t>()) +
                               " on disk\n"
                               "oldest   " +
                               doc["oldest"].get<std::string>() +
                               "\n"
                               "newest   " +
                               doc["newest"].get<std::string>() +
                               "\n"
                               "\n"
                               "PROVIDER    ENTRIES        SIZE\n"
                               "anthropic         1     2.0 KiB\n"
                               "openai            2      1002 B\n");
        }
    }

    TEST_CASE("cli::cache clear") {
        TempDir dir;
        make_cache(dir);
        SUBCASE("text") {
            const auto r = llmops(dir.path(), {"cache", "clear"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == "removed 3 cached responses\n");
        }
        SUBCASE("--json") {
            CHECK(run_json(dir, {"cache", "clear", "--json"}) ==
                  json{{"path", cache_file(dir)}, {"removed", 3}});
        }
        CHECK(run_json(dir, {"cache", "stats", "--json"})["entries"] == 0);
    }

    TEST_CASE("cli::cache prune") {
        TempDir dir;
        make_cache(dir);
        SUBCASE("text") {
            const auto r = llmops(dir.path(), {"cache", "prune", "--older-than", "30d"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == "removed 1 cached response older than 30d\n");
            const auto stats = run_json(dir, {"cache", "stats", "--json"});
            CHECK(stats["entries"] == 2);
            CHECK(stats["bytes"] == 2050);
        }
        SUBCASE("--json") {
            CHECK(run_json(dir, {"cache", "prune", "--older-than", "1w", "--json"}) ==
                  json{{"path", cache_file(dir)},
                       {"removed", 2},
                       {"older_than", "1w"},
                       {"older_than_seconds", 604800}});
            CHECK(run_json(dir, {"cache", "stats", "--json"})["entries"] == 1);
        }
        SUBCASE("a bad duration is a usage error") {
            const auto r = llmops(dir.path(), {"cache", "prune", "--older-than", "30x"});
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(
                r.err ==
                "llmops: error: invalid duration '30x': unknown unit 'x' (units: s, m, h, d, w)\n");
            CHECK(run_json(dir, {"cache", "stats", "--json"})["entries"] == 3);
        }
        SUBCASE("the duration is required") {
            const auto r = llmops(dir.path(), {"cache", "prune"});
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err.find("--older-than is required") != std::string::npos);
        }
    }

    TEST_CASE("cli::cache needs a command") {
        TempDir dir;
        const auto r = llmops(dir.path(), {"cache"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: 'llmops cache' needs a command: stats, clear, prune (see "
                       "'llmops cache --help')\n");
    }

    TEST_CASE("cli::cache with a damaged cache file") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        dir.write(".llmops/cache.db", std::string(5000, '\x07'));
        const std::string message =
            "llmops: error: cache '" + cache_file(dir) +
            "' is damaged (not a SQLite database); it is safe to delete it\n";
        for (const auto& args :
             std::vector<std::vector<std::string>>{{"cache", "stats"},
                                                   {"cache", "clear"},
                                                   {"cache", "prune", "--older-than", "1d"}}) {
            CAPTURE(args[1]);
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 3);
            CHECK(r.out == "");
            CHECK(r.err == message);
        }
        // Deleting it, as the message says, is all it takes.
        fs::remove(dir / ".llmops/cache.db");
        CHECK(llmops(dir.path(), {"cache", "stats"}).exit_code == 0);
    }

    TEST_CASE("cli::cache in a read-only project") {
        TempDir dir;
        make_cache(dir);
        // Root may write anywhere, so the binary runs as an unprivileged user; anyone else takes
        // away their own write permission.
        const bool root = ::geteuid() == 0;
        const auto run = [&](const std::vector<std::string>& args) -> RunResult {
            return root ? llmops_as(unprivileged_uid(), dir.path(), args)
                        : llmops(dir.path(), args);
        };
        if (!root) {
            ::chmod((dir / ".llmops").c_str(), 0555);
        }
        const auto stats = run({"cache", "stats"});
        const auto clear = run({"cache", "clear"});
        if (!root) {
            ::chmod((dir / ".llmops").c_str(), 0755);
        }
        CHECK(stats.exit_code == 0);
        CHECK(stats.err == "");
        CHECK(stats.out.find("entries  3\n") != std::string::npos);
        CHECK(clear.exit_code == 3);
        CHECK(clear.out == "");
        CHECK(clear.err == "llmops: error: cannot write to cache '" + cache_file(dir) +
                               "': it is read-only (is the directory writable?)\n");
    }

} // TEST_SUITE

} // namespace llmops::test
