#include <llmops/store/fsck.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/store/prompts.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

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
            CHECK(problems[0].message == "content hashes to " + id_of("evil").substr(0, 12) +
                                             " (prompt 'greet' version 1)");
        }
        SUBCASE("content that hashes right but is not canonical JSON is reported") {
            const std::string body = "{ \"template\": \"x\" }";
            const std::string id = llmops::util::sha256_hex(body);
            f.sql("INSERT INTO objects VALUES ('" + id + "', '" + body + "')");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "not-canonical");
            CHECK(problems[0].subject == id);
            CHECK(problems[0].message == "content is not canonical JSON (no version uses it)");
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
            REQUIRE(problems.size() == 2);
            CHECK(problems[0].kind == "label-history");
            CHECK(problems[0].subject == "greet:production");
            CHECK(problems[0].message == "history event 3 starts at @1, but the label was at @2");
            CHECK(problems[1].kind == "history-chain");
            CHECK(problems[1].message ==
                  "history event 3 has no hash: it was inserted outside llmops");
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

    TEST_CASE("store::fsck names the versions of a damaged object") {
        Fixture f;
        // The same content as greet@1, under another prompt: one object, two versions.
        const std::string body = Fixture::content("one");
        REQUIRE_OK(f.prompts.commit({{"alias", llmops::util::sha256_hex(body), body, "m", "Ada"}}));
        f.sql("DROP TRIGGER objects_immutable_update;"
              "UPDATE objects SET content = '{\"template\":\"evil\"}' WHERE id = '" +
              id_of("one") + "'");
        const auto problems = f.problems();
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].message == "content hashes to " + id_of("evil").substr(0, 12) +
                                         " (prompt 'alias' version 1, prompt 'greet' version 1)");
    }

    TEST_CASE("store::fsck checks the label history's hash chain") {
        Fixture f;
        f.label(1); // events 3 and 4: four in all
        f.label(2);
        REQUIRE(f.problems().empty());
        const auto unguard = [&] {
            f.sql("DROP TRIGGER label_history_append_only_update;"
                  "DROP TRIGGER label_history_append_only_delete;");
        };
        SUBCASE("an edited row is named, alone") {
            unguard();
            f.sql("UPDATE label_history SET author = 'Mallory' WHERE id = 2");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "history-chain");
            CHECK(problems[0].subject == "greet:production");
            CHECK(problems[0].message ==
                  "history event 2 does not match its hash: it (or the event before it) was "
                  "edited or inserted outside llmops");
        }
        SUBCASE("an edited row whose hash was recomputed breaks the chain at the next row") {
            unguard();
            std::string first_hash;
            {
                auto first = f.db.prepare("SELECT hash FROM label_history WHERE id = 1");
                REQUIRE_OK(first);
                REQUIRE(first->step().value());
                first_hash = first->text(0);
            }
            auto event = f.prompts.label_history(std::nullopt).value()[1];
            event.message = "rewritten";
            f.sql("UPDATE label_history SET message = 'rewritten', hash = '" +
                  store::label_event_hash(first_hash, event) + "' WHERE id = 2");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].message ==
                  "history event 3 does not match its hash: it (or the event before it) was "
                  "edited or inserted outside llmops");
        }
        SUBCASE("a deleted row in the middle is named by the gap it leaves") {
            unguard();
            f.sql("DELETE FROM label_history WHERE id IN (2, 3)");
            const auto problems = f.problems();
            REQUIRE(problems.size() >= 1);
            const auto chain = std::find_if(problems.begin(), problems.end(), [](const auto& p) {
                return p.kind == "history-chain";
            });
            REQUIRE(chain != problems.end());
            CHECK(chain->subject == "greet:production");
            CHECK(chain->message == "history event 4 follows event 1: events 2-3 were deleted");
        }
        SUBCASE("a deleted first row is named too") {
            unguard();
            f.sql("DELETE FROM label_history WHERE id = 1");
            const auto problems = f.problems();
            const auto chain = std::find_if(problems.begin(), problems.end(), [](const auto& p) {
                return p.kind == "history-chain";
            });
            REQUIRE(chain != problems.end());
            CHECK(chain->message == "history event 2 is the first: event 1 was deleted");
        }
        SUBCASE("a deleted last row is caught by the replay, not the chain") {
            unguard();
            f.sql("DELETE FROM label_history WHERE id = 4");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].kind == "label-history");
            CHECK(problems[0].message == "label is at @2, but its history ends at @1");
        }
        SUBCASE("a row inserted with a made-up hash is named") {
            f.sql("INSERT INTO label_history(prompt_id, label, from_number, to_number, author, "
                  "message, created_at, hash) SELECT prompt_id, 'staging', NULL, 1, 'x', '', 't', "
                  "'" +
                  std::string(64, 'a') + "' FROM labels");
            f.sql("INSERT INTO labels SELECT prompt_id, 'staging', 1, 't' FROM labels");
            const auto problems = f.problems();
            REQUIRE(problems.size() == 1);
            CHECK(problems[0].subject == "greet:staging");
            CHECK(problems[0].message ==
                  "history event 5 does not match its hash: it (or the event before it) was "
                  "edited or inserted outside llmops");
        }
    }

    TEST_CASE("store::fsck reports a missing table") {
        Fixture f;
        f.sql("PRAGMA foreign_keys = OFF; DROP TABLE labels");
        const auto problems = f.problems();
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].kind == "missing-table");
        CHECK(problems[0].subject == "labels");
        CHECK(problems[0].message == "the table is missing");
    }

    TEST_CASE("store::fsck checks label splits") {
        Fixture f;
        f.commit("three");
        const auto v3 = f.prompts.resolve("greet@3").value();
        REQUIRE_OK(f.prompts.set_label_weight(v3, "production", 10, "Ada", "ab"));
        const auto kinds = [&] {
            std::vector<std::string> out;
            for (const auto& p : f.problems()) {
                out.push_back(p.kind + ": " + p.subject + ": " + p.message);
            }
            return out;
        };
        SUBCASE("a split set by llmops is sound, and its history chained") {
            CHECK(f.problems().empty());
        }
        SUBCASE("weights that do not sum to 100, and disagree with the history") {
            f.sql("UPDATE label_splits SET weight = 20 WHERE version_number = 3");
            CHECK(kinds() ==
                  std::vector<std::string>{
                      "label-split: greet:production: weights of 2 arms sum to 110, not 100 over "
                      "two or more arms",
                      R"(label-split: greet:production: label splits {"2":90,"3":20}, but its )"
                      R"(history ends at {"2":90,"3":10})"});
        }
        SUBCASE("a split removed behind llmops's back") {
            f.sql("DELETE FROM label_splits");
            CHECK(kinds() == std::vector<std::string>{
                                 R"(label-split: greet:production: label splits nothing, but its )"
                                 R"(history ends at {"2":90,"3":10})"});
        }
        SUBCASE("an edited split in the history breaks the chain") {
            f.sql("DROP TRIGGER label_history_append_only_update");
            f.sql(R"(UPDATE label_history SET split = '{"2":80,"3":20}' WHERE split IS NOT NULL)");
            const auto found = kinds();
            CHECK(std::any_of(found.begin(), found.end(), [](const std::string& k) {
                return k.starts_with("history-chain: greet:production: history event 3 does not "
                                     "match its hash");
            }));
        }
    }

} // TEST_SUITE
