#include <llmops/store/database.hpp>

#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
namespace store = llmops::store;

namespace {

store::Database open_db(const TempDir& dir, store::OpenMode mode = store::OpenMode::read_write) {
    auto db = store::Database::open(dir / "test.db", mode);
    REQUIRE_OK(db);
    return std::move(*db);
}

std::string single_text(store::Database& db, std::string_view sql) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.has_value());
    REQUIRE(stmt->step().value());
    return stmt->text(0);
}

int64_t count_rows(store::Database& db) {
    return std::stoll(single_text(db, "SELECT count(*) FROM t"));
}

} // namespace

TEST_SUITE("store") {

    TEST_CASE("store::Database::open") {
        TempDir dir;
        SUBCASE("creates the file, in WAL mode with foreign keys on") {
            auto db = open_db(dir);
            CHECK(std::filesystem::exists(dir / "test.db"));
            CHECK(single_text(db, "PRAGMA journal_mode") == "wal");
            CHECK(single_text(db, "PRAGMA foreign_keys") == "1");
            CHECK(db.path() == dir / "test.db");
        }
        SUBCASE("read-only does not create a missing file") {
            auto db = store::Database::open(dir / "missing.db", store::OpenMode::read_only);
            REQUIRE_FALSE(db.has_value());
            CHECK(db.error().code() == ErrorCode::io);
            CHECK(db.error().message() == "cannot open database '" + (dir / "missing.db").string() +
                                              "': unable to open database file");
            CHECK_FALSE(std::filesystem::exists(dir / "missing.db"));
        }
        SUBCASE("read-only sees commits still in the WAL of an open writer") {
            auto writer = open_db(dir);
            REQUIRE(writer.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)").has_value());
            REQUIRE(std::filesystem::exists(dir / "test.db-wal"));
            auto reader = open_db(dir, store::OpenMode::read_only);
            CHECK(count_rows(reader) == 2);
        }
        SUBCASE("read-only reads a store with no WAL file, whatever its folder is called") {
            std::filesystem::create_directories(dir / "odd %41?x#y");
            const auto path = dir / "odd %41?x#y/test.db";
            {
                auto writer = store::Database::open(path, store::OpenMode::read_write);
                REQUIRE(writer->exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").has_value());
            }
            REQUIRE_FALSE(std::filesystem::exists(path.string() + "-wal"));
            auto reader = store::Database::open(path, store::OpenMode::read_only);
            REQUIRE_OK(reader);
            CHECK(count_rows(*reader) == 1);
        }
        SUBCASE("a read-only connection refuses writes and says why") {
            REQUIRE(open_db(dir).exec("CREATE TABLE t(x)").has_value());
            auto db = open_db(dir, store::OpenMode::read_only);
            const auto ok = db.exec("INSERT INTO t VALUES (1)");
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().message() == "database '" + (dir / "test.db").string() +
                                              "': attempt to write a readonly database (is the "
                                              "directory writable?)");
        }
    }

    TEST_CASE("store::Database::exec and prepare") {
        TempDir dir;
        auto db = open_db(dir);
        REQUIRE(db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)"));
        SUBCASE("bound values come back by column") {
            auto insert = db.prepare("INSERT INTO t(name, n) VALUES (?1, ?2)");
            REQUIRE(insert.has_value());
            REQUIRE(insert->bind(1, "a").bind(2, int64_t{7}).run().has_value());
            CHECK(db.last_insert_rowid() == 1);
            insert->reset();
            REQUIRE(insert->bind(1, std::optional<std::string>()).bind(2, std::nullopt).run());
            auto select = db.prepare("SELECT name, n FROM t ORDER BY id");
            REQUIRE(select.has_value());
            REQUIRE(select->step().value());
            CHECK(select->text(0) == "a");
            CHECK(select->integer(1) == 7);
            CHECK(select->optional_integer(1) == 7);
            REQUIRE(select->step().value());
            CHECK(select->is_null(0));
            CHECK(select->optional_text(0) == std::nullopt);
            CHECK(select->optional_integer(1) == std::nullopt);
            CHECK_FALSE(select->step().value());
        }
        SUBCASE("text with NUL bytes survives") {
            const std::string value("a\0b", 3);
            auto insert = db.prepare("INSERT INTO t(name) VALUES (?1)");
            REQUIRE(insert->bind(1, value).run().has_value());
            CHECK(single_text(db, "SELECT name FROM t") == value);
        }
        SUBCASE("a syntax error is an io error naming the database") {
            const auto stmt = db.prepare("SELEC 1");
            REQUIRE_FALSE(stmt.has_value());
            CHECK(stmt.error().code() == ErrorCode::io);
            CHECK(stmt.error().message() ==
                  "database '" + (dir / "test.db").string() + "': near \"SELEC\": syntax error");
            CHECK_FALSE(db.exec("CREATE TABLE").has_value());
        }
        SUBCASE("a constraint violation is a conflict") {
            REQUIRE(db.exec("INSERT INTO t(name) VALUES ('x')").has_value());
            auto insert = db.prepare("INSERT INTO t(name) VALUES ('x')");
            const auto ok = insert->run();
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().code() == ErrorCode::conflict);
            CHECK(ok.error().message() == "database '" + (dir / "test.db").string() +
                                              "': UNIQUE constraint failed: t.name");
        }
        SUBCASE("user_version reads the pragma") {
            CHECK(db.user_version().value() == 0);
            REQUIRE(db.exec("PRAGMA user_version = 5").has_value());
            CHECK(db.user_version().value() == 5);
        }
    }

    TEST_CASE("store::Transaction") {
        TempDir dir;
        auto db = open_db(dir);
        REQUIRE(db.exec("CREATE TABLE t(x)").has_value());
        SUBCASE("rolls back when not committed") {
            {
                auto tx = store::Transaction::begin(db);
                REQUIRE(tx.has_value());
                REQUIRE(db.exec("INSERT INTO t VALUES (1)").has_value());
                CHECK(count_rows(db) == 1);
            }
            CHECK(count_rows(db) == 0);
        }
        SUBCASE("keeps what was committed") {
            {
                auto tx = store::Transaction::begin(db);
                REQUIRE(db.exec("INSERT INTO t VALUES (1)").has_value());
                REQUIRE(tx->commit().has_value());
            }
            CHECK(count_rows(db) == 1);
            auto other = open_db(dir);
            CHECK(count_rows(other) == 1);
        }
        SUBCASE("a moved transaction rolls back once, from its new owner") {
            auto tx = store::Transaction::begin(db);
            REQUIRE(db.exec("INSERT INTO t VALUES (1)").has_value());
            { store::Transaction moved(std::move(*tx)); }
            CHECK(count_rows(db) == 0);
            REQUIRE(store::Transaction::begin(db).has_value()); // no transaction left open
        }
    }

} // TEST_SUITE
