#include <llmops/store/fsck.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/store/prompts.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/hash.hpp>

#include "support/temp_dir.hpp"
#include "support/expected.hpp"

using llmops::test::TempDir;
namespace store = llmops::store;

namespace {

// A store with one prompt of two versions and a label that moved once.
struct Fixture {
    TempDir dir;
    store::Database db = open();
    store::PromptStore prompts{db};

    Fixture() {
        commit("one");
        commit("two");
        label(1);
        label(2);
    }

    store::Database open() {
        auto opened = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
        REQUIRE(opened.has_value());
        REQUIRE(store::migrate(*opened).has_value());
        return std::move(*opened);
    }

    static std::string content(std::string_view text) {
        return R"({"template":")" + std::string(text) + R"("})";
    }

    void commit(std::string_view text) {
        const std::string body = content(text);
        const auto done =
            prompts.commit({{"greet", llmops::util::sha256_hex(body), body, "m", "Ada"}});
        REQUIRE_OK(done);
    }

    void label(int64_t number) {
        auto version = prompts.resolve("greet@" + std::to_string(number));
        REQUIRE(version.has_value());
        REQUIRE(prompts.set_label(*version, "production", "Ada", "").has_value());
    }

    void sql(const std::string& text) { REQUIRE(db.exec(text).has_value()); }

    std::vector<store::FsckProblem> problems() {
        auto report = store::fsck(db);
        REQUIRE_OK(report);
        return report->problems;
    }
};

std::string id_of(std::string_view text) {
    return llmops::util::sha256_hex(R"({"template":")" + std::string(text) + R"("})");
}

} // namespace

TEST_SUITE("store") {

    TEST_CASE("store::fsck") {
        Fixture f;
        SUBCASE("a clean store has no problems, and says what it checked") {
            const auto report = store::fsck(f.db);
            REQUIRE(report.has_value());
            CHECK(report->problems.empty());
            CHECK(report->objects == 2);
            CHECK(report->versions == 2);
            CHECK(report->labels == 1);
            CHECK(report->label_events == 2);
        }
        SUBCASE("an object whose content was edited no longer hashes to its id") {
            f.sql("DROP TRIGGER objects_immutable_update;"
                  "UPDATE objects SET content = '{\"template\":\"evil\"}' WHERE id = '" +
                  id_of("one") + "'");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "hash-mismatch");
            CHECK(problems[0].subject == id_of("one"));
            CHECK(problems[0].message == "content hashes to " + id_of("evil").substr(0, 12));
        }
        SUBCASE("content that hashes right but is not canonical JSON is reported") {
            const std::string body = "{ \"template\": \"x\" }";
            const std::string id = llmops::util::sha256_hex(body);
            f.sql("INSERT INTO objects VALUES ('" + id + "', '" + body + "')");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "not-canonical");
            CHECK(problems[0].subject == id);
            CHECK(problems[0].message == "content is not canonical JSON");
        }
        SUBCASE("a label that disagrees with the end of its history is reported") {
            f.sql("UPDATE labels SET version_number = 1");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "label-history");
            CHECK(problems[0].subject == "greet:production");
            CHECK(problems[0].message == "label is at @1, but its history ends at @2");
        }
        SUBCASE("a label without any history is reported") {
            f.sql("INSERT INTO labels SELECT prompt_id, 'sneaky', 1, 't' FROM labels");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "label-history");
            CHECK(problems[0].subject == "greet:sneaky");
            CHECK(problems[0].message == "label has no history");
        }
        SUBCASE("a history event that does not start where the label was is reported") {
            f.sql("INSERT INTO label_history(prompt_id, label, from_number, to_number, author, "
                  "message, created_at) SELECT prompt_id, 'production', 1, 2, 'x', '', 't' FROM "
                  "labels");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "label-history");
            CHECK(problems[0].subject == "greet:production");
            CHECK(problems[0].message == "history event 3 starts at @1, but the label was at @2");
        }
        SUBCASE("a gap in the version numbers is reported") {
            f.sql("INSERT INTO versions SELECT prompt_id, 4, object_id, object_id, 'm', 'x', 't' "
                  "FROM versions WHERE number = 2");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "version-gap");
            CHECK(problems[0].subject == "greet@4");
            CHECK(problems[0].message == "expected version 3 after 2");
        }
        SUBCASE("a wrong parent is reported") {
            f.sql("INSERT INTO versions SELECT prompt_id, 3, object_id, parent_id, 'm', 'x', 't' "
                  "FROM versions WHERE number = 1");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "bad-parent");
            CHECK(problems[0].subject == "greet@3");
            CHECK(problems[0].message == "parent is none, expected " + id_of("two"));
        }
        SUBCASE("a version whose object is missing is reported, with the foreign key") {
            f.sql("PRAGMA foreign_keys = OFF;"
                  "DROP TRIGGER objects_immutable_delete;"
                  "DELETE FROM objects WHERE id = '" +
                  id_of("two") + "'");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 2);
            CHECK(problems[0].kind == "foreign-key");
            CHECK(problems[0].subject == "versions");
            CHECK(problems[0].message == "references a missing row of objects");
            CHECK(problems[1].kind == "missing-object");
            CHECK(problems[1].subject == "greet@2");
            CHECK(problems[1].message == "object " + id_of("two") + " is missing");
        }
    }

} // TEST_SUITE
