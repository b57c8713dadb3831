#include <llmops/store/bundle.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/store/fsck.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using llmops::ErrorCode;
using nlohmann::json;
namespace store = llmops::store;

namespace {

// One store: commits, labels and what a test reads back.
struct Side {
    llmops::test::TestProject project;
    store::PromptStore prompts{*project.db};

    store::VersionInfo commit(const std::string& name, const std::string& text,
                              const std::string& author = "Ada <ada@x>") {
        const std::string content = json{{"template", text}}.dump();
        auto outcomes = prompts.commit(
            {{name, llmops::util::sha256_hex(content), content, "msg " + text, author}});
        REQUIRE_OK(outcomes);
        REQUIRE(outcomes->front().created);
        return outcomes->front().version;
    }

    void label(const std::string& ref, const std::string& label) {
        auto version = prompts.resolve(ref);
        REQUIRE_OK(version);
        REQUIRE_OK(prompts.set_label(*version, label, "Ada", "move " + label));
    }

    store::Bundle bundle(const std::vector<std::string>& names = {}) {
        auto made = store::make_bundle(prompts, names);
        REQUIRE_OK(made);
        // Every bundle a test imports went through its text form, as a user's does.
        auto parsed = store::parse_bundle(store::bundle_json(*made), "b.json");
        REQUIRE_OK(parsed);
        return *parsed;
    }

    store::ImportReport import(const store::Bundle& bundle, bool dry_run = false) {
        auto report = store::import_bundle(*project.db, bundle, dry_run);
        REQUIRE_OK(report);
        return *report;
    }

    std::vector<store::VersionInfo> log(const std::string& name) {
        auto versions = prompts.log(name);
        REQUIRE_OK(versions);
        return *versions;
    }

    std::vector<store::LabelEvent> history() {
        auto events = prompts.label_history(std::nullopt);
        REQUIRE_OK(events);
        return *events;
    }

    int64_t label_at(const std::string& name, const std::string& label) {
        auto version = prompts.resolve(name + "@" + label);
        REQUIRE_OK(version);
        return version->number;
    }

    void check_sound() {
        auto report = store::fsck(*project.db);
        REQUIRE_OK(report);
        for (const auto& p : report->problems) {
            INFO(p.kind, " ", p.subject, ": ", p.message);
        }
        CHECK(report->problems.empty());
    }
};

std::string parse_error(const std::string& text) {
    auto parsed = store::parse_bundle(text, "b.json");
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code() == ErrorCode::invalid_input);
    return parsed.error().message();
}

} // namespace

TEST_CASE("store::bundle round trip into an empty store, twice") {
    Side a;
    a.commit("greet", "Hello {{name}}");
    a.commit("greet", "Hi {{name}}", "Bob <bob@x>");
    a.commit("support/triage", "Classify {{ticket}}");
    a.label("greet@1", "production");
    a.label("greet@2", "production");
    a.label("greet@1", "staging");
    REQUIRE_OK(a.prompts.remove_label("greet", "staging", "Ada", "gone"));

    Side b;
    const auto report = b.import(a.bundle());
    REQUIRE(report.prompts.size() == 2);
    CHECK(report.conflicts.empty());
    CHECK(report.prompts[0].name == "greet");
    CHECK(report.prompts[0].created);
    CHECK_FALSE(report.prompts[0].diverged);
    CHECK(report.prompts[0].added.size() == 2);
    REQUIRE(report.prompts[0].labels.size() == 2);
    CHECK(report.prompts[0].labels[0].label == "production");
    CHECK(report.prompts[0].labels[0].to == 2);
    CHECK(report.prompts[0].labels[1].label == "staging");
    CHECK_FALSE(report.prompts[0].labels[1].to.has_value());

    // The same history, to the author and the millisecond.
    const auto mine = a.log("greet");
    const auto theirs = b.log("greet");
    REQUIRE(theirs.size() == mine.size());
    for (size_t i = 0; i < mine.size(); ++i) {
        CHECK(theirs[i].number == mine[i].number);
        CHECK(theirs[i].id == mine[i].id);
        CHECK(theirs[i].parent_id == mine[i].parent_id);
        CHECK(theirs[i].message == mine[i].message);
        CHECK(theirs[i].author == mine[i].author);
        CHECK(theirs[i].created_at == mine[i].created_at);
    }
    const auto events_a = a.history();
    const auto events_b = b.history();
    REQUIRE(events_b.size() == events_a.size());
    for (size_t i = 0; i < events_a.size(); ++i) {
        CHECK(events_b[i].label == events_a[i].label);
        CHECK(events_b[i].from == events_a[i].from);
        CHECK(events_b[i].to == events_a[i].to);
        CHECK(events_b[i].message == events_a[i].message);
        CHECK(events_b[i].created_at == events_a[i].created_at);
    }
    CHECK(b.label_at("greet", "production") == 2);
    b.check_sound();

    // Idempotent: a second import adds nothing, not even history.
    const auto again = b.import(a.bundle());
    for (const auto& p : again.prompts) {
        CHECK(p.added.empty());
        CHECK(p.labels.empty());
    }
    CHECK(b.history().size() == events_a.size());
    // And the bundle of the copy is the bundle of the original, byte for byte.
    CHECK(store::bundle_json(b.bundle()) == store::bundle_json(a.bundle()));
}

TEST_CASE("store::bundle fast-forward, ahead, diverged and conflicts") {
    Side a;
    Side b;
    a.commit("greet", "one");
    a.commit("greet", "two");
    a.label("greet@2", "production");
    b.import(a.bundle());

    SUBCASE("a fast-forward keeps the bundle's numbers and moves the label") {
        a.commit("greet", "three");
        a.label("greet@3", "production");
        const auto report = b.import(a.bundle());
        REQUIRE(report.prompts.size() == 1);
        CHECK_FALSE(report.prompts[0].diverged);
        REQUIRE(report.prompts[0].added.size() == 1);
        CHECK(report.prompts[0].added[0].bundle_number == 3);
        CHECK(report.prompts[0].added[0].number == 3);
        REQUIRE(report.prompts[0].labels.size() == 1);
        CHECK(report.prompts[0].labels[0].from == 2);
        CHECK(report.prompts[0].labels[0].to == 3);
        CHECK(b.label_at("greet", "production") == 3);
        CHECK(report.conflicts.empty());
        b.check_sound();
    }

    SUBCASE("a bundle this store is ahead of changes nothing") {
        b.commit("greet", "three");
        b.label("greet@3", "production");
        const auto report = b.import(a.bundle());
        CHECK(report.prompts[0].added.empty());
        CHECK(report.prompts[0].labels.empty());
        CHECK(report.conflicts.empty());
        CHECK(b.label_at("greet", "production") == 3);
    }

    SUBCASE("diverged: missing versions go after ours; a label moved on both sides conflicts") {
        b.commit("greet", "three here");
        b.label("greet@3", "production");
        a.commit("greet", "three there");
        a.commit("greet", "two"); // content both sides have: not added twice
        a.label("greet@3", "production");
        a.label("greet@1", "staging"); // moved on their side only
        const auto report = b.import(a.bundle());
        REQUIRE(report.prompts.size() == 1);
        const auto& p = report.prompts[0];
        CHECK(p.diverged);
        REQUIRE(p.added.size() == 1);
        CHECK(p.added[0].bundle_number == 3);
        CHECK(p.added[0].number == 4);
        REQUIRE(p.labels.size() == 1);
        CHECK(p.labels[0].label == "staging");
        CHECK(b.label_at("greet", "staging") == 1);
        REQUIRE(report.conflicts.size() == 1);
        const auto& c = report.conflicts[0];
        CHECK(c.prompt == "greet");
        CHECK(c.label == "production");
        REQUIRE(c.here.has_value());
        REQUIRE(c.bundle.has_value());
        CHECK(c.here->number == 3);
        CHECK(c.bundle->number == 4);
        // Never overwritten.
        CHECK(b.label_at("greet", "production") == 3);
        CHECK(b.log("greet").front().parent_id == b.log("greet")[1].id);
        b.check_sound();

        // Re-importing reports the same conflict and adds nothing.
        const auto again = b.import(a.bundle());
        CHECK(again.prompts[0].added.empty());
        CHECK(again.conflicts.size() == 1);

        // Once both point at the same content, there is nothing left to merge.
        b.label("greet@4", "production");
        CHECK(b.import(a.bundle()).conflicts.empty());
        b.check_sound();
    }

    SUBCASE("a dry run reports the merge and writes nothing") {
        a.commit("greet", "three");
        a.commit("other", "new prompt");
        a.label("greet@3", "production");
        const auto history = b.history().size();
        const auto report = b.import(a.bundle(), true);
        CHECK(report.dry_run);
        CHECK(report.prompts.size() == 2);
        CHECK(report.prompts[0].added.size() == 1);
        CHECK(report.prompts[1].created);
        CHECK(b.log("greet").size() == 2);
        CHECK_FALSE(b.prompts.latest("other")->has_value());
        CHECK(b.history().size() == history);
    }
}

TEST_CASE("store::bundle import chains its events to this store's own history") {
    Side a;
    a.commit("greet", "one");
    a.label("greet@1", "production");
    Side b;
    b.commit("local", "mine");
    b.label("local@1", "production");
    b.label("local@1", "staging");
    b.import(a.bundle());
    const auto events = b.history();
    REQUIRE(events.size() == 3);
    CHECK(events[2].prompt == "greet");
    b.check_sound(); // recomputed here: the bundle carries no hashes
    CHECK(store::bundle_json(a.bundle()).find("hash") == std::string::npos);
    // Moves after the import chain on as usual.
    b.label("greet@1", "staging");
    b.check_sound();
}

TEST_CASE("store::make_bundle refuses a version whose content does not match its hash") {
    Side a;
    const auto v = a.commit("greet", "one");
    REQUIRE_OK(a.project.db->exec("DROP TRIGGER objects_immutable_update; UPDATE objects SET "
                                  "content = '{\"template\":\"evil\"}'"));
    auto made = store::make_bundle(a.prompts, {});
    REQUIRE_FALSE(made.has_value());
    CHECK(made.error().code() == ErrorCode::io);
    CHECK(made.error().message() ==
          "prompt 'greet' version 1 (" + v.id.substr(0, 12) +
              "): stored content does not match its hash (the store was edited outside llmops; "
              "run 'llmops fsck')");
}

TEST_CASE("store::make_bundle selects prompts and names unknown ones") {
    Side a;
    a.commit("greet", "hi");
    a.commit("gret2", "hey");
    CHECK(a.bundle({"greet"}).prompts.size() == 1);
    auto unknown = store::make_bundle(a.prompts, {"greeet"});
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().code() == ErrorCode::not_found);
    CHECK(unknown.error().message().find("greet") != std::string::npos);
}

TEST_CASE("store::parse_bundle refuses damaged bundles, naming the place") {
    Side a;
    a.commit("greet", "one");
    a.commit("greet", "two");
    a.label("greet@1", "production");
    a.label("greet@2", "production");
    const json good = json::parse(store::bundle_json(a.bundle()));
    const std::string v1 = good["prompts"][0]["versions"][0]["id"];
    const auto edited = [&](auto change) {
        json copy = good;
        change(copy);
        return copy.dump(1);
    };

    CHECK(parse_error("{\n  \"format\": \n}").starts_with("b.json:3:1: not JSON"));
    CHECK(parse_error("[]").find("not an llmops bundle") != std::string::npos);
    CHECK(parse_error(edited([](json& j) {
              j["format"] = "llmops-bundle/9";
          })).find("'llmops-bundle/9' is not one this llmops reads") != std::string::npos);
    CHECK(parse_error(edited([&](json& j) { j["objects"][v1] = R"({"template":"tampered"})"; })) ==
          "b.json: objects." + v1 +
              " is not the SHA-256 of its content (the bundle was "
              "edited or damaged)");
    const std::string spaced = R"({ "template": "x" })";
    CHECK(parse_error(edited([&](json& j) {
              j["objects"][llmops::util::sha256_hex(spaced)] = spaced;
          })).find("is not canonical JSON") != std::string::npos);
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["versions"][1]["number"] = 3; })) ==
          "b.json: prompts[0].versions[1].number is 3, expected 2");
    CHECK(parse_error(edited([](json& j) {
              j["prompts"][0]["versions"][1]["parent"] = nullptr;
          })).starts_with("b.json: prompts[0].versions[1].parent is null, expected "));
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["versions"][0].erase("author"); })) ==
          "b.json: prompts[0].versions[0] has no 'author'");
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["versions"][0]["number"] = "1"; })) ==
          "b.json: prompts[0].versions[0].number must be an integer");
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["name"] = "Bad Name"; })) ==
          "b.json: prompts[0].name 'Bad Name' is not a valid prompt name");
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["labels"]["production"] = 1; })) ==
          "b.json: prompts[0].labels.production is not where its history ends");
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["label_history"][1]["from"] = 2; })) ==
          "b.json: prompts[0].label_history[1] starts at version 2, but label 'production' was "
          "at 1");
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["label_history"][1]["to"] = 7; })) ==
          "b.json: prompts[0].label_history[1] points at a version 'greet' does not have");
    CHECK(parse_error(edited([](json& j) { j["prompts"].push_back(j["prompts"][0]); })) ==
          "b.json: prompts[1]: prompt 'greet' appears twice");
    CHECK(parse_error(edited([](json& j) { j["prompts"][0]["versions"] = json::array(); })) ==
          "b.json: prompts[0] ('greet') has no versions");
}

TEST_CASE("store::bundle carries label weights") {
    Side a;
    a.commit("greet", "one");
    a.commit("greet", "two");
    a.commit("greet", "three");
    a.label("greet@2", "production");
    REQUIRE_OK(a.prompts.set_label_weight(a.prompts.resolve("greet@3").value(), "production", 10,
                                          "Ada", "try three"));
    const auto text = store::bundle_json(*store::make_bundle(a.prompts, {}));
    CHECK(text.find(R"("split": {)") != std::string::npos);
    const auto split_of = [](Side& side) {
        auto labels = side.prompts.labels(std::string("greet"));
        REQUIRE_OK(labels);
        std::vector<std::pair<int64_t, int64_t>> out;
        for (const auto& arm : labels->front().split) {
            out.emplace_back(arm.number, arm.weight);
        }
        return out;
    };
    using Arms = std::vector<std::pair<int64_t, int64_t>>;
    SUBCASE("into an empty store, twice: the split and its event arrive once") {
        Side b;
        b.import(a.bundle());
        CHECK(split_of(b) == Arms{{2, 90}, {3, 10}});
        CHECK(b.label_at("greet", "production") == 2);
        b.check_sound();
        const auto again = b.import(a.bundle());
        CHECK(again.prompts.front().labels.empty());
        CHECK(b.history().size() == 2);
    }
    SUBCASE("a later weight change fast-forwards; promoting ends the split") {
        Side b;
        b.import(a.bundle());
        REQUIRE_OK(a.prompts.set_label_weight(a.prompts.resolve("greet@3").value(), "production",
                                              100, "Ada", "ship three"));
        b.import(a.bundle());
        CHECK(split_of(b).empty());
        CHECK(b.label_at("greet", "production") == 3);
        b.check_sound();
    }
    SUBCASE("a bad split is refused, naming the place") {
        auto doc = json::parse(text);
        doc["prompts"][0]["label_history"][1]["split"] = json{{"2", 90}, {"3", 20}};
        CHECK(parse_error(doc.dump()) ==
              "b.json: prompts[0].label_history[1].split must be an object of two or more "
              "versions' weights, 1 to 99 each, summing to 100");
        doc["prompts"][0]["label_history"][1]["split"] = json{{"2", 90}, {"7", 10}};
        CHECK(parse_error(doc.dump()) ==
              "b.json: prompts[0].label_history[1].split names versions 'greet' does not have, "
              "or not the label's own");
    }
}
