#include <llmops/store/project.hpp>

#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <llmops/store/schema.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
namespace fs = std::filesystem;
namespace store = llmops::store;

TEST_SUITE("store") {

    TEST_CASE("store::find_project") {
        TempDir dir;
        const fs::path root = dir / "proj";
        fs::create_directories(root / ".llmops");
        fs::create_directories(root / "prompts/deep/er");
        SUBCASE("walks up from a nested folder to the nearest .llmops") {
            const auto project = store::find_project(root / "prompts/deep/er", std::nullopt);
            REQUIRE(project.has_value());
            CHECK(project->root == root);
            CHECK(project->dir == root / ".llmops");
            CHECK(project->db_path() == root / ".llmops/llmops.db");
            CHECK(project->prompts_dir() == root / "prompts");
        }
        SUBCASE("finds the project from its root, and from inside .llmops") {
            CHECK(store::find_project(root, std::nullopt)->root == root);
            CHECK(store::find_project(root / ".llmops", std::nullopt)->root == root);
        }
        SUBCASE("a nested project wins over the outer one") {
            fs::create_directories(root / "prompts/deep/.llmops");
            CHECK(store::find_project(root / "prompts/deep/er", std::nullopt)->root ==
                  root / "prompts/deep");
        }
        SUBCASE("the override takes a project root or its .llmops folder") {
            const fs::path elsewhere = dir.path();
            for (const fs::path& given :
                 {root, root / ".llmops", fs::path(root.string() + "/"),
                  fs::path((root / ".llmops").string() + "/"), root / "prompts/../.llmops"}) {
                CAPTURE(given);
                const auto project = store::find_project(elsewhere, given);
                REQUIRE(project.has_value());
                CHECK(project->root == root);
            }
        }
        SUBCASE("the override does not walk up") {
            const auto project = store::find_project(root, root / "prompts");
            REQUIRE_FALSE(project.has_value());
            CHECK(project.error().code() == ErrorCode::not_found);
            CHECK(project.error().message() == "no llmops project at '" +
                                                   (root / "prompts").string() +
                                                   "' (run 'llmops init' there)");
        }
        SUBCASE("no project anywhere above is not_found, naming where the search began") {
            fs::create_directories(dir / "lonely/sub");
            const auto project = store::find_project(dir / "lonely/sub", std::nullopt);
            REQUIRE_FALSE(project.has_value());
            CHECK(project.error().code() == ErrorCode::not_found);
            CHECK(project.error().message() == "not in an llmops project (no .llmops/ in '" +
                                                   (dir / "lonely/sub").string() +
                                                   "' or any parent; run 'llmops init')");
        }
        SUBCASE("a file named .llmops is not a project") {
            fs::create_directories(dir / "fake");
            dir.write("fake/.llmops", "");
            CHECK_FALSE(store::find_project(dir / "fake", std::nullopt).has_value());
        }
    }

    TEST_CASE("store::init_project") {
        TempDir dir;
        SUBCASE("creates .llmops with a current store, then says it was already there") {
            const auto first = store::init_project(dir / "proj");
            REQUIRE(first.has_value());
            CHECK(first->second);
            CHECK(first->first.root == dir / "proj");
            CHECK(fs::is_regular_file(dir / "proj/.llmops/llmops.db"));
            const auto second = store::init_project(dir / "proj");
            REQUIRE(second.has_value());
            CHECK_FALSE(second->second);
            CHECK(second->first.dir == dir / "proj/.llmops");
            auto db = store::open_store(second->first);
            REQUIRE(db.has_value());
            CHECK(db->user_version().value() == store::k_schema_version);
        }
        SUBCASE("a file in the way is an io error") {
            dir.write("proj/.llmops", "not a folder");
            const auto made = store::init_project(dir / "proj");
            REQUIRE_FALSE(made.has_value());
            CHECK(made.error().code() == ErrorCode::io);
        }
    }

    TEST_CASE("store::open_store") {
        TempDir dir;
        SUBCASE("a project folder without its store file is not_found") {
            fs::create_directories(dir / ".llmops");
            const auto project = store::find_project(dir.path(), std::nullopt);
            REQUIRE(project.has_value());
            const auto db = store::open_store(*project);
            REQUIRE_FALSE(db.has_value());
            CHECK(db.error().code() == ErrorCode::not_found);
            CHECK(db.error().message() ==
                  "no store at '" + (dir / ".llmops/llmops.db").string() + "' (run 'llmops init')");
        }
        SUBCASE("an old store is migrated on open") {
            const auto made = store::init_project(dir.path());
            REQUIRE_OK(made);
            {
                // Back to schema 3: label history without its hash column.
                auto db = store::open_store(made->first);
                REQUIRE_OK(db->exec("DROP TABLE drift_checks;" // schema 10's
                                    "DROP TABLE label_splits;" // schema 9's
                                    "ALTER TABLE label_history DROP COLUMN split;"
                                    "DROP TABLE calls;"           // schema 8's
                                    "DROP TABLE version_sources;" // schema 7's
                                    "DROP TABLE run_leases;"      // schema 5's
                                    "DROP TRIGGER label_history_append_only_update;"
                                    "ALTER TABLE label_history DROP COLUMN hash;"
                                    "PRAGMA user_version = 3"));
            }
            auto db = store::open_store(made->first);
            REQUIRE_OK(db);
            CHECK(db->user_version().value() == store::k_schema_version);
            CHECK(db->prepare("SELECT hash FROM label_history").has_value());
        }
        SUBCASE("an empty store file (schema version 0) is damaged, and left as it is") {
            fs::create_directories(dir / ".llmops");
            REQUIRE(store::Database::open(dir / ".llmops/llmops.db", store::OpenMode::read_write));
            const auto project = *store::find_project(dir.path(), std::nullopt);
            for (const auto check : {store::StoreCheck::full, store::StoreCheck::version}) {
                const auto db = store::open_store(project, check);
                REQUIRE_FALSE(db.has_value());
                CHECK(db.error().code() == ErrorCode::io);
                CHECK(db.error().message().starts_with(
                    "store '" + (dir / ".llmops/llmops.db").string() +
                    "' is damaged: it is empty or not an llmops store (schema version 0"));
            }
            auto raw =
                store::Database::open(dir / ".llmops/llmops.db", store::OpenMode::read_write);
            CHECK(raw->user_version().value() == 0);
        }
        SUBCASE("a store missing a table is damaged, unless only the version is checked") {
            const auto made = store::init_project(dir.path());
            REQUIRE_OK(made);
            REQUIRE_OK(store::open_store(made->first)->exec("DROP TABLE run_tags"));
            const auto db = store::open_store(made->first);
            REQUIRE_FALSE(db.has_value());
            CHECK(db.error().code() == ErrorCode::io);
            CHECK(db.error().message() == "store '" + (dir / ".llmops/llmops.db").string() +
                                              "' is damaged: table 'run_tags' is missing (run "
                                              "'llmops fsck')");
            CHECK(store::open_store(made->first, store::StoreCheck::version).has_value());
        }
        SUBCASE("StoreAccess::read_only never writes a writable store, nor migrates it") {
            const auto made = store::init_project(dir.path());
            REQUIRE_OK(made);
            auto db = store::open_store(made->first, store::StoreCheck::full,
                                        store::StoreAccess::read_only);
            REQUIRE_OK(db);
            CHECK(db->prepare("SELECT count(*) FROM calls").has_value());
            CHECK_FALSE(db->exec("CREATE TABLE x (y)").has_value());
            REQUIRE_OK(store::open_store(made->first)->exec("PRAGMA user_version = 9"));
            const auto old = store::open_store(made->first, store::StoreCheck::full,
                                               store::StoreAccess::read_only);
            REQUIRE_FALSE(old.has_value());
            CHECK(old.error().message() ==
                  "store '" + (dir / ".llmops/llmops.db").string() +
                      "' needs an upgrade (schema 9 to 11), which a read-only command does not "
                      "make: run 'llmops fsck' once first");
        }
        SUBCASE("a store from a newer llmops is a conflict") {
            const auto made = store::init_project(dir.path());
            REQUIRE(made.has_value());
            {
                auto db = store::open_store(made->first);
                REQUIRE(
                    db->exec(fmt::format("PRAGMA user_version = {}", store::k_schema_version + 1))
                        .has_value());
            }
            const auto db = store::open_store(made->first);
            REQUIRE_FALSE(db.has_value());
            CHECK(db.error().code() == ErrorCode::conflict);
        }
    }

} // TEST_SUITE
