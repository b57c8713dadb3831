#include <llmops/store/schema.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/store/prompts.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
namespace store = llmops::store;

namespace {

store::Database migrated(const TempDir& dir) {
    auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
    REQUIRE(db.has_value());
    REQUIRE(store::migrate(*db).has_value());
    return std::move(*db);
}

// Runs `sql` as a statement and returns its error message (it must fail).
std::string refused(store::Database& db, std::string_view sql) {
    auto stmt = db.prepare(sql);
    REQUIRE_OK(stmt);
    const auto ok = stmt->run();
    REQUIRE_FALSE(ok.has_value());
    CHECK(ok.error().code() == ErrorCode::conflict);
    return ok.error().message();
}

// One prompt with one version and one label, its history recorded, written by hand.
void seed(store::Database& db) {
    const std::string id = llmops::util::sha256_hex("{}");
    REQUIRE(db.exec("INSERT INTO objects VALUES ('" + id +
                    "', '{}');"
                    "INSERT INTO prompts(id, name, created_at) VALUES (1, 'p', 't');"
                    "INSERT INTO versions VALUES (1, 1, '" +
                    id +
                    "', NULL, 'm', 'a', 't');"
                    "INSERT INTO labels VALUES (1, 'prod', 1, 't');"
                    "INSERT INTO label_history(prompt_id, label, from_number, to_number, author, "
                    "message, created_at) VALUES (1, 'prod', NULL, 1, 'a', '', 't');"));
}

} // namespace

TEST_SUITE("store") {

    TEST_CASE("store::migrate") {
        TempDir dir;
        SUBCASE("brings a new database to the current schema version") {
            auto db = migrated(dir);
            CHECK(db.user_version().value() == store::k_schema_version);
            CHECK(store::check_version(db).value() == store::k_schema_version);
            CHECK(db.prepare("SELECT id, content FROM objects").has_value());
            CHECK(db.prepare("SELECT key, name, object_id FROM worktree_cache").has_value());
        }
        SUBCASE("running it again is harmless and keeps the data") {
            auto db = migrated(dir);
            seed(db);
            REQUIRE(store::migrate(db).has_value());
            CHECK(db.user_version().value() == store::k_schema_version);
            auto count = db.prepare("SELECT count(*) FROM versions");
            REQUIRE(count->step().value());
            CHECK(count->integer(0) == 1);
        }
        SUBCASE("a store written by a newer llmops is refused, untouched") {
            auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
            REQUIRE(db->exec("PRAGMA user_version = 99").has_value());
            const std::string expected = "store '" + (dir / "llmops.db").string() +
                                         "' has schema version 99, newer than this llmops "
                                         "understands (" +
                                         std::to_string(store::k_schema_version) +
                                         "); upgrade llmops";
            const auto ok = store::migrate(*db);
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().code() == ErrorCode::conflict);
            CHECK(ok.error().message() == expected);
            CHECK(store::check_version(*db).error().message() == expected);
            CHECK_FALSE(db->prepare("SELECT 1 FROM objects").has_value());
        }
        SUBCASE("check_version reports an older store as it is") {
            auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
            CHECK(store::check_version(*db).value() == 0);
        }
    }

    TEST_CASE("store::migrate to 4 seals the label history") {
        TempDir dir;
        auto db = migrated(dir);
        seed(db);
        REQUIRE_OK(db.exec("INSERT INTO label_history(prompt_id, label, from_number, to_number, "
                           "author, message, created_at) VALUES (1, 'prod', 1, NULL, 'b', 'x', "
                           "'u');"));
        // Back to version 3 as it was: no hash column (SQLite 3.35+ drops columns).
        REQUIRE_OK(db.exec("DROP TABLE drift_checks;" // schema 10's
                           "DROP TABLE label_splits;" // schema 9's
                           "ALTER TABLE label_history DROP COLUMN split;"
                           "DROP TABLE calls;"           // schema 8's
                           "DROP TABLE version_sources;" // schema 7's
                           "DROP TABLE run_leases;"      // schema 5's
                           "DROP TRIGGER label_history_append_only_update;"
                           "ALTER TABLE label_history DROP COLUMN hash;"
                           "CREATE TRIGGER label_history_append_only_update BEFORE UPDATE ON "
                           "label_history BEGIN SELECT RAISE(ABORT, 'label history is "
                           "append-only'); END;"
                           "PRAGMA user_version = 3;"));
        REQUIRE_OK(store::migrate(db));
        CHECK(db.user_version().value() == store::k_schema_version);
        SUBCASE("existing rows are chained in id order") {
            const store::LabelEvent first{1, "p", "prod", std::nullopt, 1, "a", "", "t"};
            const store::LabelEvent second{2, "p", "prod", 1, std::nullopt, "b", "x", "u"};
            const std::string h1 = store::label_event_hash("", first);
            auto rows = db.prepare("SELECT hash FROM label_history ORDER BY id");
            REQUIRE_OK(rows);
            REQUIRE(rows->step().value());
            CHECK(rows->text(0) == h1);
            REQUIRE(rows->step().value());
            CHECK(rows->text(0) == store::label_event_hash(h1, second));
        }
        SUBCASE("the history is append-only again") {
            CHECK(refused(db, "UPDATE label_history SET hash = ''") ==
                  "database '" + (dir / "llmops.db").string() + "': label history is append-only");
        }
    }

    TEST_CASE("store::migrate to 6 makes results a rowid table and keeps its rows") {
        TempDir dir;
        auto db = migrated(dir);
        // Back to version 5 as it was: results keyed WITHOUT ROWID by its primary key.
        std::string sql;
        {
            auto stmt = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'results'");
            REQUIRE_OK(stmt);
            REQUIRE(stmt->step().value());
            sql = stmt->text(0);
        }
        const std::string key = "UNIQUE (run_id, variant, case_id, repeat)";
        REQUIRE(sql.find(key) != std::string::npos);
        sql.replace(sql.find(key), key.size(), "PRIMARY KEY (run_id, variant, case_id, repeat)");
        sql += " WITHOUT ROWID";
        REQUIRE_OK(db.exec("DROP TABLE results; DROP TABLE version_sources; DROP TABLE calls;"
                           "DROP TABLE label_splits; ALTER TABLE label_history DROP COLUMN split;"
                           "DROP TABLE drift_checks;"));
        REQUIRE_OK(db.exec(sql));
        REQUIRE_OK(db.exec(
            "INSERT INTO runs(id, suite_path, suite_hash, dataset_hash, description, provenance, "
            "status, started_at) VALUES (1, 's', 'h', 'd', '', '{}', 'complete', 't');"
            "INSERT INTO results(run_id, variant, case_id, repeat, case_index, status, score, "
            "reason, output, assertions, vars, prompt, description, input_tokens, output_tokens, "
            "cached_input_tokens, reasoning_tokens, tokens_estimated, cost_usd, latency_ms, "
            "first_token_ms, cached, finish_reason, created_at, judge_calls, judge_cost_usd) "
            "VALUES (1, 0, 'c1', 0, 0, 'pass', 1.0, '', 'out', '[]', '{\"q\":1}', '[]', 'd', 3, "
            "4, 0, 0, 0, 0.5, 12.0, NULL, 0, 'stop', 't', 2, NULL);"
            "PRAGMA user_version = 5;"));
        REQUIRE_OK(store::migrate(db));
        CHECK(db.user_version().value() == store::k_schema_version);
        auto shape = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'results'");
        REQUIRE_OK(shape);
        REQUIRE(shape->step().value());
        CHECK(shape->text(0).find("WITHOUT ROWID") == std::string::npos);
        auto row = db.prepare("SELECT rowid, case_id, output, vars, cost_usd, judge_calls, "
                              "judge_cost_usd IS NULL FROM results");
        REQUIRE_OK(row);
        REQUIRE(row->step().value());
        CHECK(row->integer(0) == 1);
        CHECK(row->text(1) == "c1");
        CHECK(row->text(2) == "out");
        CHECK(row->text(3) == "{\"q\":1}");
        CHECK(row->real(4) == 0.5);
        CHECK(row->integer(5) == 2);
        CHECK(row->integer(6) == 1);
        CHECK_FALSE(row->step().value());
        SUBCASE("the key is still unique") {
            const auto dup = db.exec("INSERT INTO results SELECT * FROM results");
            REQUIRE_FALSE(dup.has_value());
            CHECK(dup.error().message().find("UNIQUE") != std::string::npos);
        }
    }

    TEST_CASE("store::check_not_empty and check_tables") {
        TempDir dir;
        const std::string path = (dir / "llmops.db").string();
        SUBCASE("a store of schema version 0 is refused: migrate would make an empty store of it") {
            auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
            REQUIRE_OK(db);
            const auto ok = store::check_not_empty(*db);
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().code() == ErrorCode::io);
            CHECK(ok.error().message() ==
                  "store '" + path +
                      "' is damaged: it is empty or not an llmops store (schema version 0; was it "
                      "truncated?); restore it from a backup, or move it away and run 'llmops "
                      "init'");
        }
        SUBCASE("a migrated store passes both") {
            auto db = migrated(dir);
            CHECK(store::check_not_empty(db).has_value());
            CHECK(store::check_tables(db).has_value());
            CHECK(store::missing_tables(db).value().empty());
        }
        SUBCASE("a missing table is named") {
            auto db = migrated(dir);
            REQUIRE_OK(db.exec("DROP TABLE run_tags; DROP TABLE worktree_cache"));
            CHECK(store::missing_tables(db).value() ==
                  std::vector<std::string>{"worktree_cache", "run_tags"});
            // The newer migrations' tables count too.
            REQUIRE_OK(db.exec("DROP TABLE calls; DROP TABLE label_splits"));
            CHECK(store::missing_tables(db).value() ==
                  std::vector<std::string>{"worktree_cache", "run_tags", "calls", "label_splits"});
            REQUIRE_OK(db.exec("CREATE TABLE calls (x); CREATE TABLE label_splits (x)"));
            const auto ok = store::check_tables(db);
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().code() == ErrorCode::io);
            CHECK(ok.error().message() == "store '" + path +
                                              "' is damaged: tables 'worktree_cache', 'run_tags' "
                                              "are missing (run 'llmops fsck')");
        }
    }

    TEST_CASE("store::schema triggers") {
        TempDir dir;
        auto db = migrated(dir);
        seed(db);
        const std::string prefix = "database '" + (dir / "llmops.db").string() + "': ";
        SUBCASE("objects cannot be changed or deleted") {
            CHECK(refused(db, "UPDATE objects SET content = '{\"a\":1}'") ==
                  prefix + "prompt versions are immutable");
            CHECK(refused(db, "DELETE FROM objects") == prefix + "prompt versions are immutable");
        }
        SUBCASE("versions cannot be changed or deleted") {
            CHECK(refused(db, "UPDATE versions SET message = 'rewritten'") ==
                  prefix + "prompt versions are immutable");
            CHECK(refused(db, "DELETE FROM versions") == prefix + "prompt versions are immutable");
        }
        SUBCASE("the label history is append-only") {
            CHECK(refused(db, "UPDATE label_history SET to_number = NULL") ==
                  prefix + "label history is append-only");
            CHECK(refused(db, "DELETE FROM label_history") ==
                  prefix + "label history is append-only");
        }
        SUBCASE("labels themselves move freely") {
            CHECK(db.exec("UPDATE labels SET updated_at = 'later'").has_value());
            CHECK(db.exec("DELETE FROM labels").has_value());
        }
        SUBCASE("a label cannot point at a version that does not exist") {
            CHECK(refused(db, "UPDATE labels SET version_number = 2") ==
                  prefix + "FOREIGN KEY constraint failed");
        }
    }

} // TEST_SUITE
