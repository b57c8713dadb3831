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
    SUBCASE("the text report names the damaged object and exits 1") {
        const auto r = llmops(dir.path(), {"fsck"});
        CHECK(r.exit_code == 1);
        CHECK(r.err == "");
        CHECK(r.out.starts_with("hash-mismatch: " + id + ": content hashes to "));
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
