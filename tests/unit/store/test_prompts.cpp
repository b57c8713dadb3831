#include <llmops/store/prompts.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/store/schema.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
namespace store = llmops::store;

namespace {

// A migrated store in a temporary directory.
struct Fixture {
    TempDir dir;
    store::Database db = open();
    store::PromptStore prompts{db};

    store::Database open() {
        auto opened = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
        REQUIRE(opened.has_value());
        REQUIRE(store::migrate(*opened).has_value());
        return std::move(*opened);
    }

    static store::CommitRequest request(std::string name, std::string text) {
        std::string content = R"({"template":")" + text + R"("})";
        std::string id = llmops::util::sha256_hex(content);
        return {std::move(name), std::move(id), std::move(content), "msg " + text, "Ada <ada@x>"};
    }

    store::CommitOutcome commit(std::string name, std::string text) {
        auto outcomes = prompts.commit({request(std::move(name), std::move(text))});
        REQUIRE_OK(outcomes);
        REQUIRE(outcomes->size() == 1);
        return outcomes->front();
    }

    store::VersionInfo resolve(std::string_view ref) {
        auto version = prompts.resolve(ref);
        REQUIRE_OK(version);
        return *version;
    }

    std::string resolve_error(std::string_view ref, ErrorCode code = ErrorCode::not_found) {
        auto version = prompts.resolve(ref);
        REQUIRE_FALSE(version.has_value());
        CHECK(version.error().code() == code);
        return version.error().message();
    }

    void label(std::string_view ref, std::string_view name) {
        auto event = prompts.set_label(resolve(ref), name, "Ada", "");
        REQUIRE_OK(event);
    }
};

std::string id_of(std::string_view text) {
    return llmops::util::sha256_hex(R"({"template":")" + std::string(text) + R"("})");
}

} // namespace

TEST_SUITE("store") {

    TEST_CASE("store::PromptStore::commit") {
        Fixture f;
        SUBCASE("versions are numbered 1, 2, 3, each with its parent") {
            const auto v1 = f.commit("greet", "one");
            const auto v2 = f.commit("greet", "two");
            const auto v3 = f.commit("greet", "three");
            CHECK((v1.created && v2.created && v3.created));
            CHECK(v1.version.number == 1);
            CHECK(v2.version.number == 2);
            CHECK(v3.version.number == 3);
            CHECK(v1.version.parent_id == std::nullopt);
            CHECK(v2.version.parent_id == id_of("one"));
            CHECK(v3.version.parent_id == id_of("two"));
            CHECK(v3.version.id == id_of("three"));
            CHECK(v3.version.message == "msg three");
            CHECK(v3.version.author == "Ada <ada@x>");
            CHECK(f.commit("other", "one").version.number == 1); // numbering is per prompt
        }
        SUBCASE("committing the latest content again is a no-op") {
            f.commit("greet", "one");
            const auto v2 = f.commit("greet", "two");
            const auto again = f.commit("greet", "two");
            CHECK_FALSE(again.created);
            CHECK(again.version.number == 2);
            CHECK(again.version.id == v2.version.id);
            CHECK(again.version.created_at == v2.version.created_at);
            CHECK(f.prompts.log(std::string("greet"))->size() == 2);
        }
        SUBCASE("committing older content makes a new version of the same object") {
            f.commit("greet", "one");
            f.commit("greet", "two");
            const auto back = f.commit("greet", "one");
            CHECK(back.created);
            CHECK(back.version.number == 3);
            CHECK(back.version.id == id_of("one"));
            CHECK(back.version.parent_id == id_of("two"));
            CHECK(f.prompts.content(back.version).value() == R"({"template":"one"})");
        }
        SUBCASE("a batch commits in order, the same prompt twice included") {
            const auto outcomes =
                f.prompts.commit({Fixture::request("a", "1"), Fixture::request("b", "1"),
                                  Fixture::request("a", "2")});
            REQUIRE(outcomes.has_value());
            REQUIRE(outcomes->size() == 3);
            CHECK((*outcomes)[2].version.number == 2);
            CHECK((*outcomes)[2].version.parent_id == id_of("1"));
        }
    }

    TEST_CASE("store::PromptStore::commit refusals") {
        Fixture f;
        SUBCASE("invalid prompt names are rejected, and nothing of the batch is written") {
            for (const std::string& name : std::vector<std::string>{
                     "Support/triage", "", "a//b", "/a", "a/", "..", "a/../b", "a/./b", "has space",
                     "caf\xC3\xA9", "a@b", std::string(201, 'a')}) {
                CAPTURE(name);
                const auto done =
                    f.prompts.commit({Fixture::request("fine", "x"), Fixture::request(name, "x")});
                REQUIRE_FALSE(done.has_value());
                CHECK(done.error().code() == ErrorCode::invalid_input);
                CHECK(done.error().message() ==
                      "invalid prompt name '" + name +
                          "' (use lowercase letters, digits, '.', '_', '-' and '/')");
            }
            CHECK(f.prompts.names()->empty());
        }
        SUBCASE("an id that is not the hash of the content is rejected") {
            auto bad = Fixture::request("greet", "x");
            bad.id = id_of("y");
            const auto done = f.prompts.commit({bad});
            REQUIRE_FALSE(done.has_value());
            CHECK(done.error().code() == ErrorCode::invalid_input);
            CHECK(done.error().message() ==
                  "version id '" + id_of("y") +
                      "' of prompt 'greet' is not the SHA-256 of its content");
            CHECK(f.prompts.names()->empty());
        }
    }

    TEST_CASE("store::is_valid_prompt_name and store::is_valid_label") {
        CHECK(store::is_valid_prompt_name("support/triage"));
        CHECK(store::is_valid_prompt_name("a.b_c-d/0/.hidden"));
        CHECK(store::is_valid_prompt_name(std::string(200, 'a')));
        CHECK_FALSE(store::is_valid_prompt_name("..."));
        CHECK(store::is_valid_label("production"));
        CHECK(store::is_valid_label("v1.2-rc_1"));
        CHECK(store::is_valid_label("v"));
        for (const std::string& label :
             std::vector<std::string>{"latest", "3", "v3", "007", "123456789012345678901234",
                                      "Prod", "", "a/b", "x y", std::string(101, 'a')}) {
            CAPTURE(label);
            CHECK_FALSE(store::is_valid_label(label));
        }
    }

    TEST_CASE("store::split_ref") {
        using Parts = std::pair<std::string, std::string>;
        CHECK(store::split_ref("greet") == Parts{"greet", ""});
        CHECK(store::split_ref("a/b@v2") == Parts{"a/b", "v2"});
        CHECK(store::split_ref("a@b@c") == Parts{"a@b", "c"});
        CHECK(store::split_ref("greet@") == Parts{"greet", ""});
    }

    TEST_CASE("store::PromptStore::resolve") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("greet", "two");
        f.commit("greet", "three");
        f.label("greet@2", "production");
        f.label("greet@1", "staging");
        SUBCASE("a bare name and @latest are the newest version") {
            CHECK(f.resolve("greet").number == 3);
            CHECK(f.resolve("greet@latest").number == 3);
        }
        SUBCASE("a number, with or without v") {
            CHECK(f.resolve("greet@2").id == id_of("two"));
            CHECK(f.resolve("greet@v2").id == id_of("two"));
            CHECK(f.resolve("greet@v01").number == 1);
        }
        SUBCASE("a hash prefix of six or more characters, or the whole id") {
            const std::string id = id_of("two");
            CHECK(f.resolve("greet@" + id.substr(0, 6)).number == 2);
            CHECK(f.resolve("greet@" + id.substr(0, 10)).number == 2);
            CHECK(f.resolve("greet@" + id).number == 2);
        }
        SUBCASE("a label") {
            CHECK(f.resolve("greet@production").number == 2);
            CHECK(f.resolve("greet@staging").id == id_of("one"));
        }
        SUBCASE("content committed twice resolves by hash to its newest number") {
            f.commit("greet", "one");
            CHECK(f.resolve("greet@" + id_of("one").substr(0, 8)).number == 4);
        }
    }

    TEST_CASE("store::PromptStore::resolve errors") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("greet", "two");
        f.commit("greet", "three");
        f.label("greet@2", "production");
        f.label("greet@1", "staging");
        SUBCASE("an unknown version lists the versions and labels") {
            CHECK(f.resolve_error("greet@9") ==
                  "unknown ref 'greet@9' (versions 1-3, latest, labels: production, staging)");
            CHECK(f.resolve_error("greet@v9") ==
                  "unknown ref 'greet@v9' (versions 1-3, latest, labels: production, staging)");
            CHECK(f.resolve_error("greet@0") ==
                  "unknown ref 'greet@0' (versions 1-3, latest, labels: production, staging)");
        }
        SUBCASE("an unknown label gets a did-you-mean") {
            CHECK(
                f.resolve_error("greet@prodution") ==
                "unknown ref 'greet@prodution' (did you mean 'production'?) (versions 1-3, latest, "
                "labels: production, staging)");
        }
        SUBCASE("a prefix shorter than six characters is not a hash") {
            const std::string prefix = id_of("two").substr(0, 5);
            CHECK(f.resolve_error("greet@" + prefix) ==
                  "unknown ref 'greet@" + prefix +
                      "' (versions 1-3, latest, labels: production, staging)");
        }
        SUBCASE("a prompt with one version and no labels says so") {
            f.commit("solo", "x");
            CHECK(f.resolve_error("solo@2") == "unknown ref 'solo@2' (version 1, latest)");
        }
        SUBCASE("an unknown prompt gets a did-you-mean") {
            CHECK(f.resolve_error("gret@2") == "unknown prompt 'gret' (did you mean 'greet'?)");
            CHECK(f.resolve_error("farewell") == "unknown prompt 'farewell'");
        }
        SUBCASE("a ref without a name or without a version is invalid") {
            CHECK(f.resolve_error("@3", ErrorCode::invalid_input) ==
                  "invalid ref '@3': no prompt name before '@'");
            CHECK(f.resolve_error("greet@", ErrorCode::invalid_input) ==
                  "invalid ref 'greet@': nothing after '@'");
        }
    }

    TEST_CASE("store::PromptStore::resolve ambiguous hash prefixes") {
        // Two real ids sharing six hex digits would take millions of hashes to find, so the
        // versions are written by hand with made-up ids (fsck would call them corrupt; resolve does
        // not care).
        Fixture f;
        f.commit("greet", "one");
        const std::string a = "abcdef" + std::string(58, '0');
        const std::string b = "abcdef" + std::string(58, '1');
        REQUIRE(f.db.exec("INSERT INTO objects VALUES ('" + a + "', '{}'), ('" + b +
                          "', '{}');"
                          "INSERT INTO versions SELECT prompt_id, 2, '" +
                          a +
                          "', object_id, 'm', "
                          "'x', 't' FROM versions WHERE number = 1;"
                          "INSERT INTO versions SELECT prompt_id, 3, '" +
                          b + "', '" + a +
                          "', 'm', "
                          "'x', 't' FROM versions WHERE number = 1;"));
        SUBCASE("an ambiguous prefix lists the candidates, newest first") {
            CHECK(f.resolve_error("greet@abcdef", ErrorCode::conflict) ==
                  "ambiguous ref 'greet@abcdef' matches 2: @3 abcdef111111, @2 abcdef000000");
        }
        SUBCASE("one more character settles it") {
            CHECK(f.resolve("greet@abcdef0").number == 2);
            CHECK(f.resolve("greet@abcdef1").number == 3);
        }
        SUBCASE("a label of the same spelling wins over the hash prefix") {
            f.label("greet@1", "abcdef");
            CHECK(f.resolve("greet@abcdef").number == 1);
        }
    }

    TEST_CASE("store::PromptStore::set_label") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("greet", "two");
        SUBCASE("setting a label records its creation") {
            const auto event =
                f.prompts.set_label(f.resolve("greet@1"), "production", "Ada", "ship");
            REQUIRE(event.has_value());
            REQUIRE(event->has_value());
            CHECK((*event)->prompt == "greet");
            CHECK((*event)->label == "production");
            CHECK((*event)->from == std::nullopt);
            CHECK((*event)->to == 1);
            CHECK((*event)->author == "Ada");
            CHECK((*event)->message == "ship");
        }
        SUBCASE("moving a label records where it came from") {
            f.label("greet@1", "production");
            const auto event = f.prompts.set_label(f.resolve("greet@2"), "production", "Bo", "");
            REQUIRE(event.has_value());
            REQUIRE(event->has_value());
            CHECK((*event)->from == 1);
            CHECK((*event)->to == 2);
            CHECK(f.resolve("greet@production").number == 2);
        }
        SUBCASE("setting a label to where it already points is a no-op") {
            f.label("greet@2", "production");
            const auto event = f.prompts.set_label(f.resolve("greet@2"), "production", "Bo", "");
            REQUIRE(event.has_value());
            CHECK_FALSE(event->has_value());
            CHECK(f.prompts.label_history(std::nullopt)->size() == 1);
        }
        SUBCASE("latest is reserved") {
            const auto event = f.prompts.set_label(f.resolve("greet@1"), "latest", "Ada", "");
            REQUIRE_FALSE(event.has_value());
            CHECK(event.error().code() == ErrorCode::invalid_input);
            CHECK(event.error().message() ==
                  "label 'latest' is reserved: it always names the newest version");
        }
        SUBCASE("version-shaped and malformed labels are refused") {
            for (const std::string& label : std::vector<std::string>{"3", "v3", "Prod", "a b"}) {
                CAPTURE(label);
                const auto event = f.prompts.set_label(f.resolve("greet@1"), label, "Ada", "");
                REQUIRE_FALSE(event.has_value());
                CHECK(event.error().code() == ErrorCode::invalid_input);
                CHECK(event.error().message() ==
                      "invalid label '" + label +
                          "' (use lowercase letters, digits, '.', '_' and '-', and not a version "
                          "number)");
            }
            CHECK(f.prompts.labels(std::nullopt)->empty());
        }
    }

    TEST_CASE("store::PromptStore::remove_label") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("greet", "two");
        SUBCASE("removal deletes the label and is kept in the history") {
            f.label("greet@2", "production");
            const auto event = f.prompts.remove_label("greet", "production", "Ada", "rollback");
            REQUIRE(event.has_value());
            CHECK(event->from == 2);
            CHECK(event->to == std::nullopt);
            CHECK(event->message == "rollback");
            CHECK(f.prompts.labels(std::string("greet"))->empty());
            const auto history = f.prompts.label_history(std::string("greet"));
            REQUIRE(history->size() == 2);
            CHECK(history->back().seq == event->seq);
            CHECK(history->back().to == std::nullopt);
            CHECK(f.resolve_error("greet@production") == "unknown ref 'greet@production' (versions "
                                                         "1-2, latest)");
        }
        SUBCASE("removing a missing label lists the labels there are") {
            f.label("greet@1", "production");
            f.label("greet@2", "staging");
            const auto event = f.prompts.remove_label("greet", "prodution", "Ada", "");
            REQUIRE_FALSE(event.has_value());
            CHECK(event.error().code() == ErrorCode::not_found);
            CHECK(event.error().message() ==
                  "prompt 'greet' has no label 'prodution' (did you mean "
                  "'production'?) (labels: production, staging)");
        }
        SUBCASE("a prompt without labels says so") {
            const auto event = f.prompts.remove_label("greet", "production", "Ada", "");
            REQUIRE_FALSE(event.has_value());
            CHECK(event.error().message() ==
                  "prompt 'greet' has no label 'production' (it has no labels)");
        }
        SUBCASE("an unknown prompt is not_found") {
            const auto event = f.prompts.remove_label("greeet", "production", "Ada", "");
            REQUIRE_FALSE(event.has_value());
            CHECK(event.error().message() == "unknown prompt 'greeet' (did you mean 'greet'?)");
        }
    }

    TEST_CASE("store::PromptStore::label_history") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("greet", "two");
        f.commit("other", "one");
        f.label("greet@1", "production");
        f.label("other@1", "production");
        f.label("greet@2", "production");
        REQUIRE(f.prompts.remove_label("greet", "production", "Ada", "").has_value());
        SUBCASE("one prompt's events, oldest first") {
            const auto history = f.prompts.label_history(std::string("greet"));
            REQUIRE(history.has_value());
            REQUIRE(history->size() == 3);
            using Move = std::pair<std::optional<int64_t>, std::optional<int64_t>>;
            CHECK(Move{(*history)[0].from, (*history)[0].to} == Move{std::nullopt, 1});
            CHECK(Move{(*history)[1].from, (*history)[1].to} == Move{1, 2});
            CHECK(Move{(*history)[2].from, (*history)[2].to} == Move{2, std::nullopt});
            CHECK((*history)[0].seq < (*history)[1].seq);
            CHECK((*history)[1].seq < (*history)[2].seq);
        }
        SUBCASE("every prompt's events, interleaved in the order they happened") {
            const auto history = f.prompts.label_history(std::nullopt);
            REQUIRE(history->size() == 4);
            CHECK((*history)[1].prompt == "other");
            CHECK((*history)[2].prompt == "greet");
        }
        SUBCASE("an unknown prompt is not_found") {
            CHECK(f.prompts.label_history(std::string("nope")).error().code() ==
                  ErrorCode::not_found);
        }
    }

    TEST_CASE("store::PromptStore::list, log, labels and names") {
        Fixture f;
        f.commit("b/second", "one");
        f.commit("a/first", "one");
        f.commit("a/first", "two");
        f.label("a/first@1", "staging");
        f.label("a/first@2", "production");
        SUBCASE("list gives each prompt with its newest version and labels, by name") {
            const auto list = f.prompts.list();
            REQUIRE(list.has_value());
            REQUIRE(list->size() == 2);
            CHECK((*list)[0].name == "a/first");
            CHECK((*list)[0].versions == 2);
            CHECK((*list)[0].latest_id == id_of("two"));
            using Labels = std::vector<std::pair<std::string, int64_t>>;
            CHECK((*list)[0].labels == Labels{{"production", 2}, {"staging", 1}});
            CHECK((*list)[1].name == "b/second");
            CHECK((*list)[1].labels.empty());
        }
        SUBCASE("log of one prompt is newest first") {
            const auto log = f.prompts.log(std::string("a/first"));
            REQUIRE(log.has_value());
            REQUIRE(log->size() == 2);
            CHECK((*log)[0].number == 2);
            CHECK((*log)[1].number == 1);
            CHECK((*log)[1].message == "msg one");
        }
        SUBCASE("log of everything holds every version") {
            const auto log = f.prompts.log(std::nullopt);
            REQUIRE(log.has_value());
            CHECK(log->size() == 3);
        }
        SUBCASE("log of an unknown prompt gets a did-you-mean") {
            const auto log = f.prompts.log(std::string("a/frist"));
            REQUIRE_FALSE(log.has_value());
            CHECK(log.error().message() == "unknown prompt 'a/frist' (did you mean 'a/first'?)");
        }
        SUBCASE("labels of one prompt, by label, with their version ids") {
            const auto labels = f.prompts.labels(std::string("a/first"));
            REQUIRE(labels->size() == 2);
            CHECK((*labels)[0].label == "production");
            CHECK((*labels)[0].id == id_of("two"));
            CHECK((*labels)[1].label == "staging");
            CHECK((*labels)[1].number == 1);
        }
        SUBCASE("names are sorted; latest of an unknown prompt is nothing") {
            CHECK(f.prompts.names().value() == std::vector<std::string>{"a/first", "b/second"});
            CHECK(f.prompts.latest("zzz").value() == std::nullopt);
            CHECK(f.prompts.latest("a/first").value()->number == 2);
        }
        SUBCASE("content of a missing object is not_found") {
            store::VersionInfo missing = f.resolve("a/first@1");
            missing.id = "deadbeef";
            const auto content = f.prompts.content(missing);
            REQUIRE_FALSE(content.has_value());
            CHECK(content.error().code() == ErrorCode::not_found);
            CHECK(content.error().message() == "missing object 'deadbeef'");
        }
    }

    TEST_CASE("store::PromptStore::content checks the hash") {
        Fixture f;
        f.commit("support/triage", "one");
        f.commit("support/triage", "two");
        const auto v2 = f.resolve("support/triage@2");
        SUBCASE("content that hashes to its id is served") {
            CHECK(f.prompts.content(v2).value() == R"({"template":"two"})");
        }
        SUBCASE("content edited behind llmops's back is refused, naming prompt and version") {
            REQUIRE_OK(f.db.exec("DROP TRIGGER objects_immutable_update; UPDATE objects SET "
                                 "content = '{\"template\":\"evil\"}' WHERE id = '" +
                                 id_of("two") + "'"));
            const auto content = f.prompts.content(v2);
            REQUIRE_FALSE(content.has_value());
            CHECK(content.error().code() == ErrorCode::io);
            CHECK(content.error().message() ==
                  "prompt 'support/triage' version 2 (" + id_of("two").substr(0, 12) +
                      "): stored content does not match its hash (the store was edited outside "
                      "llmops; run 'llmops fsck')");
            CHECK(f.prompts.content(f.resolve("support/triage@1")).has_value());
        }
    }

    TEST_CASE("store::label_event_hash") {
        const store::LabelEvent event{7, "greet", "prod", 1,
                                      2, "Ada",   "why",  "2026-01-02T03:04:05Z"};
        SUBCASE("is the SHA-256 of the canonical JSON of the row and the previous hash") {
            CHECK(store::label_event_hash("abc", event) ==
                  llmops::util::sha256_hex(
                      R"(["abc","greet","prod",1,2,"Ada","why","2026-01-02T03:04:05Z"])"));
            store::LabelEvent removal = event;
            removal.from = std::nullopt;
            removal.to = std::nullopt;
            CHECK(store::label_event_hash("", removal) ==
                  llmops::util::sha256_hex(
                      R"(["","greet","prod",null,null,"Ada","why","2026-01-02T03:04:05Z"])"));
        }
        SUBCASE("the row id is not part of it; every field and the previous hash are") {
            store::LabelEvent other = event;
            other.seq = 8;
            CHECK(store::label_event_hash("abc", other) == store::label_event_hash("abc", event));
            other.message = "why not";
            CHECK(store::label_event_hash("abc", other) != store::label_event_hash("abc", event));
            CHECK(store::label_event_hash("abd", event) != store::label_event_hash("abc", event));
        }
    }

    TEST_CASE("store::PromptStore label history is chained") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("other", "one");
        f.label("greet@1", "production");
        f.label("other@1", "production");
        REQUIRE(f.prompts.remove_label("greet", "production", "Bob", "gone").has_value());
        auto rows = f.db.prepare("SELECT hash FROM label_history ORDER BY id");
        REQUIRE_OK(rows);
        const auto history = f.prompts.label_history(std::nullopt).value();
        REQUIRE(history.size() == 3);
        std::string previous;
        for (const auto& event : history) {
            REQUIRE(rows->step().value());
            CAPTURE(event.seq);
            CHECK(rows->text(0) == store::label_event_hash(previous, event));
            previous = rows->text(0);
        }
    }

    TEST_CASE("store::PromptStore::list on a damaged store") {
        Fixture f;
        f.commit("greet", "one");
        const std::string prefix = "store '" + (f.dir / "llmops.db").string() + "' is damaged: ";
        SUBCASE("a prompt whose versions were deleted is not left out") {
            REQUIRE_OK(
                f.db.exec("PRAGMA foreign_keys = OFF; DROP TRIGGER versions_immutable_delete; "
                          "DELETE FROM versions"));
            const auto list = f.prompts.list();
            REQUIRE_FALSE(list.has_value());
            CHECK(list.error().code() == ErrorCode::io);
            CHECK(list.error().message() ==
                  prefix + "prompt 'greet' has no versions (run 'llmops fsck')");
        }
        SUBCASE("versions without their prompts are not an empty store") {
            REQUIRE_OK(f.db.exec("PRAGMA foreign_keys = OFF; DELETE FROM prompts"));
            const auto list = f.prompts.list();
            REQUIRE_FALSE(list.has_value());
            CHECK(list.error().code() == ErrorCode::io);
            CHECK(list.error().message() ==
                  prefix + "it holds versions but no prompts (run 'llmops fsck')");
        }
        SUBCASE("an empty store is an empty list") {
            Fixture empty;
            CHECK(empty.prompts.list().value().empty());
        }
    }

    TEST_CASE("store::PromptStore worktree cache") {
        Fixture f;
        using Entry = std::optional<std::pair<std::string, std::string>>;
        CHECK(f.prompts.cached_parse("k1").value() == std::nullopt);
        REQUIRE(f.prompts.remember_parse("k1", "greet", "id1").has_value());
        CHECK(f.prompts.cached_parse("k1").value() == Entry({"greet", "id1"}));
        REQUIRE(f.prompts.remember_parse("k1", "greet", "id2").has_value());
        CHECK(f.prompts.cached_parse("k1").value() == Entry({"greet", "id2"}));
        CHECK(f.prompts.cached_parse("k2").value() == std::nullopt);
    }

    TEST_CASE("store::PromptStore::set_label_weight") {
        Fixture f;
        f.commit("greet", "one");
        f.commit("greet", "two");
        f.commit("greet", "three");
        f.label("greet@2", "production");
        const auto weigh = [&](std::string_view ref, int64_t weight) {
            return f.prompts.set_label_weight(f.resolve(ref), "production", weight, "Ada", "ab");
        };
        const auto split = [&] {
            const auto labels = f.prompts.labels(std::string("greet")).value();
            std::vector<std::pair<int64_t, int64_t>> out;
            for (const auto& arm : labels.front().split) {
                out.emplace_back(arm.number, arm.weight);
            }
            return out;
        };
        using Arms = std::vector<std::pair<int64_t, int64_t>>;
        SUBCASE("a weight splits the label: its own version takes the rest") {
            const auto event = weigh("greet@3", 10);
            REQUIRE_OK(event);
            REQUIRE(event->has_value());
            CHECK((*event)->from == 2);
            CHECK((*event)->to == 2);
            CHECK((*event)->split == std::vector<store::LabelArm>{{2, 90}, {3, 10}});
            CHECK(split() == Arms{{2, 90}, {3, 10}});
            CHECK(f.resolve("greet@production").number == 2); // refs name the control
            CHECK(f.prompts.labels(std::string("greet"))->front().split[1].id == id_of("three"));
        }
        SUBCASE("the same weight again changes nothing") {
            REQUIRE_OK(weigh("greet@3", 10));
            CHECK(weigh("greet@3", 10).value() == std::nullopt);
        }
        SUBCASE("a weight on the control sets the one other arm") {
            REQUIRE_OK(weigh("greet@3", 10));
            REQUIRE_OK(weigh("greet@2", 60));
            CHECK(split() == Arms{{2, 60}, {3, 40}});
        }
        SUBCASE("three arms; 0 removes one; the last removal ends the split") {
            REQUIRE_OK(weigh("greet@3", 10));
            REQUIRE_OK(weigh("greet@1", 20));
            CHECK(split() == Arms{{1, 20}, {2, 70}, {3, 10}});
            REQUIRE_OK(weigh("greet@1", 0));
            CHECK(split() == Arms{{2, 90}, {3, 10}});
            REQUIRE_OK(weigh("greet@3", 0));
            CHECK(split().empty());
            CHECK(f.resolve("greet@production").number == 2);
        }
        SUBCASE("0 on the control hands the label to the other arm; 100 promotes") {
            REQUIRE_OK(weigh("greet@3", 10));
            REQUIRE_OK(weigh("greet@2", 0));
            CHECK(split().empty());
            CHECK(f.resolve("greet@production").number == 3);
            REQUIRE_OK(weigh("greet@1", 50));
            REQUIRE_OK(weigh("greet@1", 100));
            CHECK(split().empty());
            CHECK(f.resolve("greet@production").number == 1);
        }
        SUBCASE("a plain set ends the split, even to the same version") {
            REQUIRE_OK(weigh("greet@3", 10));
            const auto event = f.prompts.set_label(f.resolve("greet@2"), "production", "Ada", "");
            REQUIRE(event->has_value());
            CHECK((*event)->split.empty());
            CHECK(split().empty());
        }
        SUBCASE("refusals") {
            const auto refused = [&](std::string_view ref, int64_t weight) {
                const auto done = weigh(ref, weight);
                REQUIRE_FALSE(done.has_value());
                CHECK(done.error().code() == ErrorCode::invalid_input);
                return done.error().message();
            };
            CHECK(refused("greet@3", 101) == "weight 101 is not between 0 and 100 (percent)");
            CHECK(refused("greet@3", 0) == "version 3 is not an arm of label 'production' of "
                                           "'greet'");
            CHECK(refused("greet@2", 30) ==
                  "label 'production' of 'greet' sends all its traffic to version 2: give another "
                  "version a weight (the label's own version takes the rest)");
            REQUIRE_OK(weigh("greet@3", 60));
            CHECK(refused("greet@1", 40) ==
                  "the other arms of label 'production' of 'greet' would take 100% and leave "
                  "nothing to version 2 (the label's own): lower a weight, or promote with "
                  "--weight 100");
            const auto missing =
                f.prompts.set_label_weight(f.resolve("greet@3"), "staging", 10, "Ada", "");
            REQUIRE_FALSE(missing.has_value());
            CHECK(missing.error().message() ==
                  "label 'staging' of 'greet' does not exist: point it at a version first "
                  "(llmops prompt label set greet@N staging), then give another version a "
                  "weight");
        }
        SUBCASE("removing the label removes its split") {
            REQUIRE_OK(weigh("greet@3", 10));
            REQUIRE_OK(f.prompts.remove_label("greet", "production", "Ada", ""));
            auto rows = f.db.prepare("SELECT count(*) FROM label_splits");
            REQUIRE(rows->step().value());
            CHECK(rows->integer(0) == 0);
        }
    }

    TEST_CASE("store::split_json, parse_split and the hash of a split event") {
        const std::vector<store::LabelArm> arms{{2, 90}, {10, 10}};
        CHECK(store::split_json(arms) == R"({"10":10,"2":90})");
        CHECK(store::parse_split(R"({"10":10,"2":90})") == arms);
        for (const auto* bad : {R"({"2":100})", R"({"2":50,"3":40})", R"({"2":50,"v3":50})",
                                R"({"02":50,"3":50})", R"({"2":0,"3":100})", "[]", "{"}) {
            CAPTURE(bad);
            CHECK_FALSE(store::parse_split(bad));
        }
        store::LabelEvent event{7, "greet", "prod", 2, 2, "Ada", "ab", "2026-01-02T03:04:05Z"};
        const std::string plain = store::label_event_hash("abc", event);
        event.split = arms;
        // The split is appended as text, so rows without one hash as they always did.
        CHECK(store::label_event_hash("abc", event) ==
              llmops::util::sha256_hex(R"(["abc","greet","prod",2,2,"Ada","ab",)"
                                       R"("2026-01-02T03:04:05Z","{\"10\":10,\"2\":90}"])"));
        CHECK(store::label_event_hash("abc", event) != plain);
    }

} // TEST_SUITE
