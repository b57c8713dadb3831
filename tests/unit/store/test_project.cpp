#include <llmops/store/project.hpp>

#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include <llmops/store/schema.hpp>

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
            fs::create_directories(dir / ".llmops");
            REQUIRE(store::Database::open(dir / ".llmops/llmops.db", store::OpenMode::read_write));
            auto db = store::open_store(*store::find_project(dir.path(), std::nullopt));
            REQUIRE(db.has_value());
            CHECK(db->user_version().value() == store::k_schema_version);
        }
        SUBCASE("a store from a newer llmops is a conflict") {
            const auto made = store::init_project(dir.path());
            REQUIRE(made.has_value());
            {
                auto db = store::open_store(made->first);
                REQUIRE(db->exec("PRAGMA user_version = 7").has_value());
            }
            const auto db = store::open_store(made->first);
            REQUIRE_FALSE(db.has_value());
            CHECK(db.error().code() == ErrorCode::conflict);
        }
    }

} // TEST_SUITE
