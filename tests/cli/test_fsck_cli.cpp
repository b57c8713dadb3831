// `llmops fsck`, and stores that are damaged or newer than this build.

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <llmops/store/schema.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

// Runs `sql` on the project's store directly, as someone editing it by hand would.
void run_sql(const TempDir& dir, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / ".llmops/llmops.db").c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO("sqlite: ", error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

// A project with two committed prompts; returns the version id of `greet`.
std::string make_store(const TempDir& dir) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
    dir.write("prompts/greet.yaml", "template: hello {{name}}\n");
    dir.write("prompts/bye.md", "Goodbye, {{name}}\n");
    REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "first"}).exit_code == 0);
    const auto show = llmops(dir.path(), {"prompt", "show", "greet", "--json"});
    REQUIRE(show.exit_code == 0);
    return json::parse(show.out)["id"].get<std::string>();
}

std::string real(const fs::path& dir) {
    return fs::canonical(dir).string();
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::fsck") {
        TempDir dir;
        SUBCASE("an empty store is sound") {
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
            const auto r = llmops(dir.path(), {"fsck"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "checked 0 objects, 0 versions, 0 labels, 0 label events: ok\n");
            CHECK(r.err == "");
        }
        SUBCASE("a store in use is sound") {
            make_store(dir);
            REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "greet@1", "prod"}).exit_code ==
                    0);
            const auto r = llmops(dir.path(), {"fsck"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "checked 2 objects, 2 versions, 1 label, 1 label event: ok\n");
        }
    }

    TEST_CASE("cli::fsck finds content changed by hand") {
        TempDir dir;
        const std::string id = make_store(dir);
        // The schema forbids this; someone determined drops the guard first.
        run_sql(dir,
                "DROP TRIGGER objects_immutable_update; UPDATE objects SET content = "
                "'{\"config\":{},\"description\":\"\",\"template\":\"tampered\",\"variables\":{}"
                "}' WHERE id = '" +
                    id + "';");
        SUBCASE("the text report names the damaged object, its prompt and version, and exits 1") {
            const auto r = llmops(dir.path(), {"fsck"});
            CHECK(r.exit_code == 1);
            CHECK(r.err == "");
            CHECK(r.out.starts_with("hash-mismatch: " + id + ": content hashes to "));
            CHECK(r.out.find(" (prompt 'greet' version 1)\n") != std::string::npos);
            CHECK(r.out.ends_with("\nchecked 2 objects, 2 versions, 0 labels, 0 label events: 1 "
                                  "problem\n"));
        }
        SUBCASE("the JSON report says ok is false") {
            const auto r = llmops(dir.path(), {"fsck", "--json"});
            CHECK(r.exit_code == 1);
            const json report = json::parse(r.out);
            CHECK(report["ok"] == false);
            REQUIRE(report["problems"].size() == 1);
            CHECK(report["problems"][0]["kind"] == "hash-mismatch");
            CHECK(report["problems"][0]["subject"] == id);
            CHECK(report["problems"][0]["message"].get<std::string>().starts_with(
                "content hashes to "));
        }
    }

    TEST_CASE("cli::reads refuse content changed by hand") {
        TempDir dir;
        const std::string id = make_store(dir);
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "greet@1", "prod"}).exit_code == 0);
        run_sql(dir,
                "DROP TRIGGER objects_immutable_update; UPDATE objects SET content = "
                "'{\"config\":{},\"description\":\"\",\"template\":\"tampered\",\"variables\":{}"
                "}' WHERE id = '" +
                    id + "';");
        const std::string message =
            "llmops: error: prompt 'greet' version 1 (" + id.substr(0, 12) +
            "): stored content does not match its hash (the store was edited "
            "outside llmops; run 'llmops fsck')\n";
        for (const auto& args :
             std::vector<std::vector<std::string>>{{"prompt", "show", "greet"},
                                                   {"prompt", "show", "greet@prod", "--json"},
                                                   {"prompt", "render", "greet", "--var", "name=x"},
                                                   {"prompt", "checkout", "greet", "-o", "-"},
                                                   {"prompt", "diff", "greet@1", "bye"},
                                                   {"prompt", "export"},
                                                   {"prompt", "export", "--label", "prod"},
                                                   {"prompt", "bundle"}}) {
            CAPTURE(args[1]);
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 3);
            CHECK(r.out == "");
            CHECK(r.err == message);
        }
        SUBCASE("a partial whose content was changed is refused too") {
            dir.write("prompts/outer.md", "Outer: {{> greet}}\n");
            REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "outer"}).exit_code == 0);
            const auto r = llmops(dir.path(), {"prompt", "render", "outer", "--var", "name=x"});
            CHECK(r.exit_code == 3);
            CHECK(r.err == "llmops: error: outer: partial 'greet': " + message.substr(15));
        }
        SUBCASE("versions that were not touched are still served") {
            const auto r = llmops(dir.path(), {"prompt", "render", "bye", "--var", "name=x"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "Goodbye, x\n");
        }
    }

    TEST_CASE("cli::fsck finds an edited, deleted or inserted label history row") {
        TempDir dir;
        make_store(dir);
        for (const char* label : {"prod", "staging"}) {
            REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "greet@1", label}).exit_code ==
                    0);
        }
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "bye@1", "prod"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"fsck"}).exit_code == 0);
        run_sql(dir, "DROP TRIGGER label_history_append_only_update;"
                     "DROP TRIGGER label_history_append_only_delete;");
        SUBCASE("an edited row: who moved the label was rewritten") {
            run_sql(dir, "UPDATE label_history SET author = 'someone else' WHERE id = 1;");
            const auto r = llmops(dir.path(), {"fsck"});
            CHECK(r.exit_code == 1);
            CHECK(r.out ==
                  "history-chain: greet:prod: history event 1 does not match its hash: it (or "
                  "the event before it) was edited or inserted outside llmops\n"
                  "checked 2 objects, 2 versions, 3 labels, 3 label events: 1 problem\n");
        }
        SUBCASE("a deleted row in the middle") {
            run_sql(dir, "DELETE FROM label_history WHERE id = 2; DELETE FROM labels WHERE name = "
                         "'staging';");
            const auto r = llmops(dir.path(), {"fsck", "--json"});
            CHECK(r.exit_code == 1);
            const json report = json::parse(r.out);
            REQUIRE(report["problems"].size() == 1);
            CHECK(report["problems"][0]["kind"] == "history-chain");
            CHECK(report["problems"][0]["subject"] == "bye:prod");
            CHECK(report["problems"][0]["message"] ==
                  "history event 3 follows event 1: event 2 was deleted");
        }
        SUBCASE("a row inserted by hand") {
            // A removal of greet:prod that llmops never recorded, with the label removed to match.
            run_sql(dir,
                    "INSERT INTO label_history(prompt_id, label, from_number, to_number, author, "
                    "message, created_at) SELECT id, 'prod', 1, NULL, 'x', '', 't' FROM prompts "
                    "WHERE name = 'greet'; DELETE FROM labels WHERE name = 'prod' AND prompt_id "
                    "= (SELECT id FROM prompts WHERE name = 'greet');");
            const auto r = llmops(dir.path(), {"fsck", "--json"});
            CHECK(r.exit_code == 1);
            const json report = json::parse(r.out);
            REQUIRE(report["problems"].size() == 1);
            CHECK(report["problems"][0]["kind"] == "history-chain");
            CHECK(report["problems"][0]["message"] ==
                  "history event 4 has no hash: it was inserted outside llmops");
        }
    }

    TEST_CASE("cli::a damaged store is reported, not read as empty") {
        TempDir dir;
        make_store(dir);
        const fs::path db = dir / ".llmops/llmops.db";
        const std::string path = real(dir.path()) + "/.llmops/llmops.db";
        const auto check_damaged = [&](const std::vector<std::string>& args,
                                       const std::string& message) {
            CAPTURE(args.back());
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 3);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: " + message + "\n");
        };
        SUBCASE("an empty (truncated to nothing) store file") {
            fs::resize_file(db, 0);
            const std::string message =
                "store '" + path +
                "' is damaged: it is empty or not an llmops store (schema version 0; was it "
                "truncated?); restore it from a backup, or move it away and run 'llmops init'";
            for (const auto& args :
                 std::vector<std::vector<std::string>>{{"prompt", "list"},
                                                       {"prompt", "log"},
                                                       {"prompt", "commit", "-m", "x"},
                                                       {"fsck"}}) {
                check_damaged(args, message);
            }
            // Not quietly turned into a new, empty store by the commands above.
            check_damaged({"prompt", "list"}, message);
        }
        SUBCASE("a store file cut in half") {
            fs::resize_file(db, fs::file_size(db) / 2);
            const auto r = llmops(dir.path(), {"prompt", "list"});
            CHECK(r.exit_code == 3);
            CHECK(r.out == "");
            CHECK(r.err.starts_with("llmops: error: "));
            CHECK(r.err.find("(the store is damaged") != std::string::npos);
        }
        SUBCASE("a store file overwritten with garbage") {
            dir.write(".llmops/llmops.db", std::string(8192, 'x'));
            const auto r = llmops(dir.path(), {"prompt", "list"});
            CHECK(r.exit_code == 3);
            CHECK(r.err == "llmops: error: database '" + path +
                               "': file is not a database (the store is damaged, or this is not an "
                               "llmops store)\n");
        }
        SUBCASE("a missing table: read commands refuse, fsck reports it") {
            run_sql(dir, "PRAGMA foreign_keys = OFF; DROP TABLE versions;");
            const std::string message =
                "store '" + path + "' is damaged: table 'versions' is missing (run 'llmops fsck')";
            check_damaged({"prompt", "list"}, message);
            check_damaged({"prompt", "show", "greet"}, message);
            const auto r = llmops(dir.path(), {"fsck"});
            CHECK(r.exit_code == 1);
            CHECK(r.out.starts_with("missing-table: versions: the table is missing\n"));
        }
        SUBCASE("prompt rows deleted: the versions are still there") {
            run_sql(dir, "DELETE FROM prompts;");
            check_damaged({"prompt", "list"},
                          "store '" + path +
                              "' is damaged: it holds versions but no prompts (run 'llmops fsck')");
        }
    }

    TEST_CASE("cli::fsck finds a label whose history disagrees") {
        TempDir dir;
        make_store(dir);
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "greet@1", "prod"}).exit_code == 0);
        // Point the label somewhere its history never took it.
        dir.write("prompts/greet.yaml", "template: hello again\n");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "second"}).exit_code == 0);
        run_sql(dir, "UPDATE labels SET version_number = 2;");
        const auto r = llmops(dir.path(), {"fsck", "--json"});
        CHECK(r.exit_code == 1);
        const json report = json::parse(r.out);
        CHECK(report["ok"] == false);
        REQUIRE(report["problems"].size() >= 1);
        CHECK(report["problems"][0]["subject"] == "greet:prod");
    }

    TEST_CASE("cli::a store newer than this build") {
        TempDir dir;
        make_store(dir);
        run_sql(dir, "PRAGMA user_version = 99;");
        const std::string message = "llmops: error: store '" + real(dir.path()) +
                                    "/.llmops/llmops.db' has schema version 99, newer than this "
                                    "llmops understands (" +
                                    std::to_string(llmops::store::k_schema_version) +
                                    "); upgrade llmops\n";
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"prompt", "log"}, {"prompt", "commit", "-m", "x"}, {"fsck"}, {"init"}}) {
            CAPTURE(args.front());
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == message);
        }
    }

} // TEST_SUITE

} // namespace llmops::test
