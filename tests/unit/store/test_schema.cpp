#include <llmops/store/schema.hpp>

#include <string>

#include <doctest/doctest.h>

#include <llmops/util/hash.hpp>

#include "support/temp_dir.hpp"
#include "support/expected.hpp"

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
