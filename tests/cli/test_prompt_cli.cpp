// `llmops prompt ...` as a user runs it: the new-user walkthrough end to end, the --json shapes
// (a contract with scripts), and the errors a user meets.

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

const std::string k_author = "Test Author <test@example.com>";

const std::string k_greet_v1 = R"(description: Greets a user
messages:
  - role: system
    content: You are a friendly assistant.
  - role: user
    content: Say hello to {{name}}.
config:
  model: gpt-4o-mini
  temperature: 0.2
variables:
  name:
)";

const std::string k_triage = R"(---
description: Triage a ticket
variables:
  tone: calm
---
Classify this ticket in a {{tone}} tone: {{ticket}}
)";

std::string greet_v2() {
    std::string text = k_greet_v1;
    text.replace(text.find("Say hello to"), 12, "Say hi to");
    return text;
}

// Runs llmops in `dir` and requires success with nothing on stderr.
std::string ok(const TempDir& dir, const std::vector<std::string>& args) {
    const auto r = llmops(dir.path(), args);
    INFO("llmops ", args.empty() ? "" : args.front(), " stderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == "");
    return r.out;
}

json ok_json(const TempDir& dir, const std::vector<std::string>& args) {
    return json::parse(ok(dir, args));
}

// Checks a usage error: exit 2, nothing on stdout, exactly one line on stderr.
void check_error(const RunResult& r, const std::string& message, int exit_code = 2) {
    CHECK(r.exit_code == exit_code);
    CHECK(r.out == "");
    CHECK(r.err == "llmops: error: " + message + "\n");
}

// A label event line without its leading "YYYY-MM-DD HH:MM  " time.
std::vector<std::string> without_times(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        const size_t nl = text.find('\n', start);
        const std::string line = text.substr(start, nl - start);
        lines.push_back(line.size() > 18 ? line.substr(18) : line);
        start = nl == std::string::npos ? text.size() : nl + 1;
    }
    return lines;
}

std::string id_of(const TempDir& dir, const std::string& ref) {
    return ok_json(dir, {"prompt", "show", ref, "--json"})["id"].get<std::string>();
}

std::string short_id(const std::string& id) {
    return id.substr(0, 12);
}

// A project with greet@1, greet@2 (production), support/triage@1; the working files match.
struct Store {
    TempDir dir;
    Store() {
        ok(dir, {"init"});
        dir.write("prompts/greet.yaml", k_greet_v1);
        dir.write("prompts/support/triage.md", k_triage);
        ok(dir, {"prompt", "commit", "-m", "first"});
        dir.write("prompts/greet.yaml", greet_v2());
        ok(dir, {"prompt", "commit", "-m", "shorter greeting"});
        ok(dir, {"prompt", "label", "set", "greet@1", "production"});
        ok(dir, {"prompt", "label", "set", "greet@2", "production", "-m", "ship it"});
    }
};

// The fields every version object carries in --json output.
void check_version_fields(const json& v) {
    CHECK(v["name"].is_string());
    CHECK(v["version"].is_number_integer());
    CHECK(v["id"].is_string());
    CHECK(v["id"].get<std::string>().size() == 64);
    CHECK((v["parent"].is_null() || v["parent"].is_string()));
    CHECK(v["message"].is_string());
    CHECK(v["author"] == k_author);
    CHECK(v["created_at"].is_string());
}

// --- the walkthrough, one step per function --------------------------------------------------

void step_status_new(const TempDir& dir) {
    CHECK(ok(dir, {"prompt", "status"}) ==
          "changes not committed (llmops prompt commit -m MSG):\n"
          "  new:       prompts/greet.yaml (greet)\n"
          "  new:       prompts/support/triage.md (support/triage)\n");
}

void step_first_commit(const TempDir& dir) {
    const json status = ok_json(dir, {"prompt", "status", "--json"});
    const std::string greet = status["files"][0]["id"];
    const std::string triage = status["files"][1]["id"];
    CHECK(ok(dir, {"prompt", "commit", "-m", "first"}) ==
          "committed greet@1 " + short_id(greet) + " (prompts/greet.yaml)\n" +
              "committed support/triage@1 " + short_id(triage) +
              " (prompts/support/triage.md)\n2 versions committed, 0 unchanged\n");
    CHECK(ok(dir, {"prompt", "status"}) == "clean: 2 prompt files match their latest versions\n");
    CHECK(ok(dir, {"prompt", "commit", "-m", "again"}) ==
          "nothing to commit: every prompt file matches its latest version\n");
}

void step_edit_and_diff(const TempDir& dir) {
    dir.write("prompts/greet.yaml", greet_v2());
    CHECK(ok(dir, {"prompt", "status"}) == "changes not committed (llmops prompt commit -m MSG):\n"
                                           "  modified:  prompts/greet.yaml (greet, latest @1)\n");
    const std::string diff = ok(dir, {"prompt", "diff", "greet"});
    CHECK(diff.starts_with("--- greet@1 (" + short_id(id_of(dir, "greet@1")) +
                           ")\n+++ prompts/greet.yaml\n@@ "));
    CHECK(diff.find("\n-    content: \"Say hello to {{name}}.\"\n"
                    "+    content: \"Say hi to {{name}}.\"\n") != std::string::npos);
}

void step_second_commit_and_log(const TempDir& dir) {
    const std::string out = ok(dir, {"prompt", "commit", "-m", "shorter greeting"});
    const json log = ok_json(dir, {"prompt", "log", "greet", "--json"});
    REQUIRE(log["versions"].size() == 2);
    const json& v2 = log["versions"][0];
    const json& v1 = log["versions"][1];
    CHECK(out == "committed greet@2 " + short_id(v2["id"]) + " (prompts/greet.yaml)\n");
    CHECK(v2["version"] == 2);
    CHECK(v1["version"] == 1);
    CHECK(v2["parent"] == v1["id"]);
    const auto entry = [](const json& v) {
        return fmt::format("greet@{} {}\nAuthor: {}\nDate:   {}\n\n    {}\n\n",
                           v["version"].get<int>(), short_id(v["id"]), k_author,
                           v["created_at"].get<std::string>(), v["message"].get<std::string>());
    };
    CHECK(ok(dir, {"prompt", "log", "greet"}) == entry(v2) + entry(v1));
}

void step_labels(const TempDir& dir) {
    CHECK(without_times(ok(dir, {"prompt", "label", "set", "greet@1", "production"})) ==
          std::vector<std::string>{"greet:production set to @1  by " + k_author});
    CHECK(
        without_times(
            ok(dir, {"prompt", "label", "set", "greet@2", "production", "-m", "ship it"})) ==
        std::vector<std::string>{"greet:production moved @1 -> @2  by " + k_author + ": ship it"});
    CHECK(ok(dir, {"prompt", "label", "set", "greet@2", "production"}) ==
          "greet:production already at @2\n");
    ok(dir, {"prompt", "label", "set", "greet@1", "production", "-m", "roll back"});
    const std::vector<std::string> moves = {
        "greet:production set to @1  by " + k_author,
        "greet:production moved @1 -> @2  by " + k_author + ": ship it",
        "greet:production moved @2 -> @1  by " + k_author + ": roll back",
    };
    CHECK(without_times(ok(dir, {"prompt", "label", "history"})) == moves);
    CHECK(without_times(ok(dir, {"prompt", "label", "rm", "greet", "production"})) ==
          std::vector<std::string>{"greet:production removed (was @1)  by " + k_author});
    auto with_removal = moves;
    with_removal.push_back("greet:production removed (was @1)  by " + k_author);
    CHECK(without_times(ok(dir, {"prompt", "label", "history", "greet"})) == with_removal);
    CHECK(ok(dir, {"prompt", "label", "history", "support/triage"}) ==
          "no label has been set yet (llmops prompt label set REF LABEL)\n");
}

void step_show(const TempDir& dir) {
    ok(dir, {"prompt", "label", "set", "greet@2", "production"});
    const std::string show = ok(dir, {"prompt", "show", "greet@production"});
    CHECK(show.starts_with("greet@2 (production)\nid:      " + id_of(dir, "greet@2") +
                           "\nparent:  " + id_of(dir, "greet@1") + "\nauthor:  " + k_author +
                           "\ndate:    "));
    CHECK(show.find("\nmessage: shorter greeting\n\n") != std::string::npos);
    CHECK(show.find("content: \"Say hi to {{name}}.\"") != std::string::npos);
    CHECK(ok(dir, {"prompt", "show", "greet@v1"}).starts_with("greet@1\n"));
    CHECK(ok(dir, {"prompt", "show", "greet@" + id_of(dir, "greet@1").substr(0, 8)})
              .starts_with("greet@1\n"));
}

void step_checkout(const TempDir& dir) {
    CHECK(ok(dir, {"prompt", "checkout", "greet@1"}) ==
          "checked out greet@1 to prompts/greet.yaml\n");
    CHECK(dir.read("prompts/greet.yaml").find("Say hello to {{name}}.") != std::string::npos);
    CHECK(ok(dir, {"prompt", "status"}) == "changes not committed (llmops prompt commit -m MSG):\n"
                                           "  modified:  prompts/greet.yaml (greet, latest @2)\n");
    // The checked-out file is version 1 again, byte for byte in content.
    CHECK(ok_json(dir, {"prompt", "status", "--json"})["files"][0]["id"] == id_of(dir, "greet@1"));
}

void step_render(const TempDir& dir) {
    CHECK(ok(dir, {"prompt", "render", "greet", "--var", "name=Ada"}) ==
          "[system]\nYou are a friendly assistant.\n\n[user]\nSay hi to Ada.\n");
    dir.write("vars.json", R"({"name": "Bob"})");
    dir.write("vars.yaml", "name: Cy\n");
    CHECK(ok(dir, {"prompt", "render", "greet", "--vars", "vars.json"})
              .ends_with("Say hi to Bob.\n"));
    CHECK(ok(dir, {"prompt", "render", "greet@1", "--vars", "vars.yaml"})
              .ends_with("Say hello to Cy.\n"));
    CHECK(ok(dir, {"prompt", "render", "greet", "--vars", "vars.yaml", "--var", "name=Di"})
              .ends_with("Say hi to Di.\n"));
    CHECK(ok(dir, {"prompt", "render", "support/triage", "--var", "ticket=T1"}) ==
          "Classify this ticket in a calm tone: T1\n");

    const json rendered = ok_json(
        dir, {"prompt", "render", "greet@production", "--var", "name=Ada", "--format", "json"});
    CHECK(rendered["name"] == "greet");
    CHECK(rendered["version"] == 2);
    CHECK(rendered["id"] == id_of(dir, "greet@2"));
    CHECK(rendered["config"] == json{{"model", "gpt-4o-mini"}, {"temperature", 0.2}});
    CHECK(rendered["messages"] ==
          json::array({{{"role", "system"}, {"content", "You are a friendly assistant."}},
                       {{"role", "user"}, {"content", "Say hi to Ada."}}}));

    const json body = ok_json(dir, {"prompt", "render", "support/triage", "--var", "ticket=T2",
                                    "--var", "tone=urgent", "--format", "openai"});
    CHECK(body == json{{"messages", json::array({{{"role", "user"},
                                                  {"content", "Classify this ticket in a "
                                                              "urgent tone: T2"}}})}});
    const json greet_body =
        ok_json(dir, {"prompt", "render", "greet", "--var", "name=Ada", "--format", "openai"});
    CHECK(greet_body["model"] == "gpt-4o-mini");
    CHECK(greet_body["temperature"] == 0.2);
    CHECK(greet_body["messages"].size() == 2);
}

void step_list_export_fsck(const TempDir& dir) {
    const std::string list = ok(dir, {"prompt", "list"});
    CHECK(list.starts_with("NAME             LATEST  ID            UPDATED           LABELS\n"));
    CHECK(list.find("\ngreet                @2  " + short_id(id_of(dir, "greet")) + "  ") !=
          std::string::npos);
    CHECK(list.find("  production=@2\n") != std::string::npos);
    CHECK(list.find("\nsupport/triage       @1  ") != std::string::npos);

    const auto r = llmops(dir.path(), {"prompt", "export", "--label", "production"});
    CHECK(r.exit_code == 0);
    CHECK(r.err == "llmops: note: 1 prompt without label 'production' left out: support/triage\n");
    const json exported = json::parse(r.out);
    CHECK(exported["format"] == "llmops-export/1");
    CHECK(exported["label"] == "production");
    REQUIRE(exported["prompts"].size() == 1);
    const json& greet = exported["prompts"]["greet"];
    CHECK(greet["version"] == 2);
    CHECK(greet["id"] == id_of(dir, "greet@2"));
    CHECK(greet["messages"][1]["content"] == "Say hi to {{name}}.");
    CHECK(greet["config"]["model"] == "gpt-4o-mini");

    const auto fsck = llmops(dir.path(), {"fsck"});
    CHECK(fsck.exit_code == 0);
    CHECK(fsck.out == "checked 3 objects, 3 versions, 1 label, 5 label events: ok\n");
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::prompt walkthrough") {
        TempDir dir;
        ok(dir, {"init"});
        dir.write("prompts/greet.yaml", k_greet_v1);
        dir.write("prompts/support/triage.md", k_triage);
        step_status_new(dir);
        step_first_commit(dir);
        step_edit_and_diff(dir);
        step_second_commit_and_log(dir);
        step_labels(dir);
        step_show(dir);
        step_checkout(dir);
        step_render(dir);
        step_list_export_fsck(dir);
    }

    TEST_CASE("cli::prompt label weights: split, render --unit, export, fsck") {
        TempDir dir;
        ok(dir, {"init"});
        for (const char* text : {"one", "two", "three"}) {
            dir.write("prompts/support/triage.md",
                      std::string("Triage ") + text + ": {{ticket}}\n");
            ok(dir, {"prompt", "commit", "-m", text});
        }
        ok(dir, {"prompt", "label", "set", "support/triage@2", "production"});
        const auto split = ok(dir, {"prompt", "label", "set", "support/triage@3", "production",
                                    "--weight", "10", "-m", "try v3"});
        CHECK(without_times(split) ==
              std::vector<std::string>{"support/triage:production split @2 90%, @3 10%  by " +
                                       k_author + ": try v3"});
        CHECK(ok(dir, {"prompt", "label", "set", "support/triage@3", "production", "--weight",
                       "10"}) == "support/triage:production already gives @3 that weight\n");
        CHECK(ok(dir, {"prompt", "list"}).find("production=@2 90%, @3 10%") != std::string::npos);
        CHECK(ok(dir, {"prompt", "label", "list"})
                  .starts_with("support/triage:production @2 90%, @3 10%  (since "));
        const json labels = ok_json(dir, {"prompt", "label", "list", "support/triage", "--json"});
        CHECK(labels["labels"][0]["version"] == 2);
        CHECK(labels["labels"][0]["split"][1] ==
              json{{"version", 3}, {"weight", 10}, {"id", id_of(dir, "support/triage@3")}});
        CHECK(ok(dir, {"prompt", "log", "support/triage"}).find("support/triage@3 ") !=
              std::string::npos);
        const json shown = ok_json(dir, {"prompt", "show", "support/triage@3", "--json"});
        CHECK(shown["labels"] == json::array({"production"}));
        CHECK(shown["weights"] == json{{"production", 10}});
        SUBCASE("render --unit follows the documented rule") {
            // bucket("support/triage", "production", "user-17") = 7365 (< 9000: version 2);
            // "u-21" is in bucket 9171 (version 3), by the Python of test_assign.cpp.
            const auto r = llmops(dir.path(), {"prompt", "render", "support/triage@production",
                                               "--unit", "user-17", "--var", "ticket=T"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "Triage two: T\n");
            CHECK(r.err == "llmops: note: unit 'user-17' is in bucket 7365 of "
                           "support/triage@production: version 2 (90% of the traffic)\n");
            const auto j =
                llmops(dir.path(), {"prompt", "render", "support/triage@production", "--unit",
                                    "u-21", "--var", "ticket=T", "--format", "json"});
            const json rendered = json::parse(j.out);
            CHECK(rendered["version"] == 3);
            CHECK(rendered["assignment"]["rule"] == "sha256-mod-10000/v1");
            CHECK(rendered["assignment"]["bucket"] == 9171);
            CHECK(rendered["weights"].size() == 2);
            check_error(llmops(dir.path(), {"prompt", "render", "support/triage@2", "--unit", "u"}),
                        "--unit needs a ref that names a label, such as "
                        "'support/triage@production' (got 'support/triage@2')");
        }
        SUBCASE("export carries the weights and the rule") {
            const json exported = ok_json(dir, {"prompt", "export", "--label", "production"});
            CHECK(exported["assignment"] == "sha256-mod-10000/v1");
            const json& weights = exported["prompts"]["support/triage"]["weights"];
            REQUIRE(weights.size() == 2);
            CHECK(weights[1]["version"] == 3);
            CHECK(weights[1]["weight"] == 10);
            CHECK(weights[1]["content"]["template"] == "Triage three: {{ticket}}");
        }
        SUBCASE("fsck checks the split; a bundle carries it to another store") {
            CHECK(ok(dir, {"fsck"}).ends_with(": ok\n"));
            ok(dir, {"prompt", "bundle", "-o", "b.json"});
            ok(dir, {"init", "other"});
            ok(dir, {"--dir", "other", "prompt", "import", "b.json"});
            CHECK(ok(dir, {"--dir", "other", "prompt", "list"}).find("production=@2 90%, @3 10%") !=
                  std::string::npos);
            CHECK(ok(dir, {"--dir", "other", "fsck"}).ends_with(": ok\n"));
        }
        SUBCASE("bad weights are usage errors") {
            check_error(llmops(dir.path(), {"prompt", "label", "set", "support/triage@1",
                                            "production", "--weight", "95"}),
                        "the other arms of label 'production' of 'support/triage' would take 105% "
                        "and leave nothing to version 2 (the label's own): lower a weight, or "
                        "promote with --weight 100");
            check_error(llmops(dir.path(), {"prompt", "label", "set", "support/triage@1",
                                            "production", "--weight", "-3"}),
                        "weight -3 is not between 0 and 100 (percent)");
        }
        SUBCASE("--weight 100 promotes and ends the split") {
            ok(dir,
               {"prompt", "label", "set", "support/triage@3", "production", "--weight", "100"});
            CHECK(ok(dir, {"prompt", "list"}).find("production=@3\n") != std::string::npos);
        }
    }

    TEST_CASE("cli::prompt --json shapes") {
        Store store;
        const TempDir& dir = store.dir;
        SUBCASE("status") {
            dir.write("prompts/greet.yaml", k_greet_v1);
            dir.write("prompts/new.txt", "A new {{thing}}\n");
            const json status = ok_json(dir, {"prompt", "status", "--json"});
            REQUIRE(status["files"].size() == 3);
            const json& greet = status["files"][0];
            CHECK(greet == json{{"path", "prompts/greet.yaml"},
                                {"name", "greet"},
                                {"state", "modified"},
                                {"id", id_of(dir, "greet@1")},
                                {"latest_version", 2},
                                {"error", nullptr}});
            CHECK(status["files"][1]["state"] == "new");
            CHECK(status["files"][1]["latest_version"].is_null());
            CHECK(status["files"][2]["path"] == "prompts/support/triage.md");
            CHECK(status["files"][2]["state"] == "unchanged");
            CHECK(status["without_file"] == json::array());
        }
        SUBCASE("status of an invalid file and a prompt without a file") {
            fs::remove(dir / "prompts/support/triage.md");
            dir.write("prompts/bad.yaml", "description: no template\n");
            const auto r = llmops(dir.path(), {"prompt", "status", "--json"});
            CHECK(r.exit_code == 2);
            const json status = json::parse(r.out);
            CHECK(status["files"][0] == json{{"path", "prompts/bad.yaml"},
                                             {"name", nullptr},
                                             {"state", "invalid"},
                                             {"id", nullptr},
                                             {"latest_version", nullptr},
                                             {"error", "prompts/bad.yaml: prompt file has no "
                                                       "template (add 'template' or 'messages')"}});
            CHECK(status["without_file"] == json::array({"support/triage"}));
        }
        SUBCASE("log") {
            const json log = ok_json(dir, {"prompt", "log", "--json"});
            REQUIRE(log["versions"].size() == 3);
            for (const auto& v : log["versions"]) {
                check_version_fields(v);
                CHECK(v["labels"].is_array());
            }
            const json greet = ok_json(dir, {"prompt", "log", "greet", "--json"});
            REQUIRE(greet["versions"].size() == 2);
            CHECK(greet["versions"][0]["version"] == 2);
            CHECK(greet["versions"][0]["labels"] == json::array({"production"}));
            CHECK(greet["versions"][0]["message"] == "shorter greeting");
            CHECK(greet["versions"][1]["parent"].is_null());
            CHECK(
                ok_json(dir, {"prompt", "log", "greet", "-n", "1", "--json"})["versions"].size() ==
                1);
        }
        SUBCASE("show") {
            const json show = ok_json(dir, {"prompt", "show", "greet@production", "--json"});
            check_version_fields(show);
            CHECK(show["version"] == 2);
            CHECK(show["labels"] == json::array({"production"}));
            CHECK(show["content"]["description"] == "Greets a user");
            CHECK(show["content"]["config"] ==
                  json{{"model", "gpt-4o-mini"}, {"temperature", 0.2}});
            CHECK(show["content"]["variables"] == json{{"name", json::object()}});
            CHECK(show["content"]["messages"][1] ==
                  json{{"role", "user"}, {"content", "Say hi to {{name}}."}});
            const json triage = ok_json(dir, {"prompt", "show", "support/triage", "--json"});
            CHECK(triage["content"]["template"] ==
                  "Classify this ticket in a {{tone}} tone: {{ticket}}");
            CHECK(triage["content"]["variables"] == json{{"tone", {{"default", "calm"}}}});
        }
        SUBCASE("list") {
            const json list = ok_json(dir, {"prompt", "list", "--json"});
            REQUIRE(list["prompts"].size() == 2);
            const json& greet = list["prompts"][0];
            CHECK(greet["name"] == "greet");
            CHECK(greet["latest_version"] == 2);
            CHECK(greet["latest_id"] == id_of(dir, "greet@2"));
            CHECK(greet["updated_at"].is_string());
            CHECK(greet["labels"] == json{{"production", 2}});
            CHECK(list["prompts"][1]["name"] == "support/triage");
            CHECK(list["prompts"][1]["labels"] == json::object());
        }
        SUBCASE("label history") {
            const json history = ok_json(dir, {"prompt", "label", "history", "--json"});
            REQUIRE(history["events"].size() == 2);
            const json& move = history["events"][1];
            CHECK(move["seq"].get<int>() > history["events"][0]["seq"].get<int>());
            CHECK(move["prompt"] == "greet");
            CHECK(move["label"] == "production");
            CHECK(move["from"] == 1);
            CHECK(move["to"] == 2);
            CHECK(move["author"] == k_author);
            CHECK(move["message"] == "ship it");
            CHECK(move["created_at"].is_string());
            CHECK(history["events"][0]["from"].is_null());
        }
        SUBCASE("diff of two versions") {
            const json diff = ok_json(dir, {"prompt", "diff", "greet@1", "greet@2", "--json"});
            CHECK(diff["from"]["label"] == "greet@1 (" + short_id(id_of(dir, "greet@1")) + ")");
            check_version_fields(diff["from"]["version"]);
            CHECK(diff["to"]["version"]["version"] == 2);
            CHECK(diff["identical"] == false);
            CHECK(diff["diff"].get<std::string>().find("+    content: \"Say hi to {{name}}.\"\n") !=
                  std::string::npos);
        }
        SUBCASE("diff against the working file") {
            const json diff = ok_json(dir, {"prompt", "diff", "greet", "--json"});
            CHECK(diff["to"] == json{{"label", "prompts/greet.yaml"}, {"version", nullptr}});
            CHECK(diff["identical"] == true);
            CHECK(diff["diff"] == "");
        }
        SUBCASE("commit") {
            dir.write("prompts/greet.yaml", k_greet_v1);
            const json commit =
                ok_json(dir, {"prompt", "commit", "prompts", "-m", "back", "--json"});
            REQUIRE(commit["commits"].size() == 2);
            const json& greet = commit["commits"][0];
            check_version_fields(greet);
            CHECK(greet["path"] == "prompts/greet.yaml");
            CHECK(greet["created"] == true);
            CHECK(greet["version"] == 3);
            CHECK(greet["id"] == id_of(dir, "greet@1"));
            CHECK(commit["commits"][1]["created"] == false);
            CHECK(commit["commits"][1]["version"] == 1);
        }
        SUBCASE("export of latest") {
            const auto r = llmops(dir.path(), {"prompt", "export"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            const json exported = json::parse(r.out);
            CHECK(exported["format"] == "llmops-export/1");
            CHECK(exported["label"] == "latest");
            CHECK(exported["prompts"]["support/triage"]["template"] ==
                  "Classify this ticket in a {{tone}} tone: {{ticket}}");
            CHECK(exported["prompts"]["support/triage"]["version"] == 1);
            CHECK(exported["prompts"]["support/triage"]["created_at"].is_string());
        }
        SUBCASE("fsck") {
            const json fsck = ok_json(dir, {"fsck", "--json"});
            CHECK(fsck == json{{"ok", true},
                               {"objects", 3},
                               {"versions", 3},
                               {"labels", 1},
                               {"label_events", 2},
                               {"problems", json::array()}});
        }
    }

    TEST_CASE("cli::prompt file errors") {
        TempDir dir;
        ok(dir, {"init"});
        dir.write("prompts/good.yaml", "template: fine\n");
        const auto check_commit_error = [&](const std::string& file, const std::string& text,
                                            const std::string& message) {
            dir.write(file, text);
            check_error(llmops(dir.path(), {"prompt", "commit", "-m", "x"}), message);
            // Nothing is committed, not even the good file.
            CHECK(ok_json(dir, {"prompt", "list", "--json"})["prompts"] == json::array());
        };
        SUBCASE("malformed YAML names the line and column") {
            check_commit_error("prompts/x.yaml", "description: d\ntemplate: hello\n  bad: indent\n",
                               "prompts/x.yaml:3:6: illegal map value");
        }
        SUBCASE("a duplicate key") {
            check_commit_error("prompts/x.yaml", "template: a\ndescription: d\ntemplate: b\n",
                               "prompts/x.yaml:3:1: duplicate key 'template'");
        }
        SUBCASE("no template") {
            check_commit_error("prompts/x.yaml", "description: d\n",
                               "prompts/x.yaml: prompt file has no template (add 'template' or "
                               "'messages')");
            fs::remove(dir / "prompts/x.yaml");
            check_commit_error("prompts/y.md", "---\ndescription: d\n---\n\n",
                               "prompts/y.md: prompt file has no template (the body is empty)");
        }
        SUBCASE("an invalid name") {
            check_commit_error("prompts/x.yaml", "template: hi\nname: Bad Name\n",
                               "prompts/x.yaml:2:1: invalid prompt name 'Bad Name' (use lowercase "
                               "letters, digits, '.', '_', '-' and '/')");
        }
        SUBCASE("a misspelt key gets a suggestion") {
            check_commit_error("prompts/x.yaml", "description: d\ntemplte: hi\n",
                               "prompts/x.yaml:2:1: unknown key 'templte' in prompt file (did you "
                               "mean 'template'?)");
        }
        SUBCASE("a file that is not UTF-8") {
            check_commit_error("prompts/x.md", "hello \xff world\n",
                               "prompts/x.md:1:7: file is not valid UTF-8");
        }
        SUBCASE("two files declaring one prompt") {
            check_commit_error("prompts/other.yaml", "name: good\ntemplate: again\n",
                               "prompts/other.yaml: prompt 'good' is also declared by "
                               "'prompts/good.yaml'");
        }
        SUBCASE("status shows the invalid file and exits 2") {
            dir.write("prompts/x.yaml", "template: a\ntemplate: b\n");
            const auto r = llmops(dir.path(), {"prompt", "status"});
            CHECK(r.exit_code == 2);
            CHECK(r.out == "changes not committed (llmops prompt commit -m MSG):\n"
                           "  new:       prompts/good.yaml (good)\n"
                           "  invalid:   prompts/x.yaml:2:1: duplicate key 'template'\n");
        }
    }

    TEST_CASE("cli::prompt commit refuses broken templates") {
        TempDir dir;
        ok(dir, {"init"});
        dir.write("prompts/good.yaml", "template: fine\n");
        const auto refused = [&](const std::string& file, const std::string& text,
                                 const std::string& message) {
            dir.write(file, text);
            check_error(llmops(dir.path(), {"prompt", "commit", "-m", "x"}), message);
            CHECK(ok_json(dir, {"prompt", "list", "--json"})["prompts"] == json::array());
            fs::remove(dir / file);
        };
        SUBCASE("unclosed, mismatched and stray sections, at their line and column") {
            refused("prompts/list.md", "---\ndescription: d\n---\nItems:\n{{#items}}- {{name}}\n",
                    "prompts/list.md:5:1: unclosed section '{{#items}}'");
            refused("prompts/inv.md", "{{^empty}}none{{/items}}",
                    "prompts/inv.md:1:15: mismatched section: '{{/items}}' closes '{{^empty}}'");
            refused("prompts/stray.yaml", "template: |\n  Hello\n  {{/x}} there\n",
                    "prompts/stray.yaml:3:3: '{{/x}}' closes no open section");
        }
        SUBCASE("render of a working file and status refuse it too") {
            dir.write("prompts/bad.md", "Hi {{#x}}\n");
            check_error(llmops(dir.path(), {"prompt", "render", "prompts/bad.md"}),
                        "prompts/bad.md:1:4: unclosed section '{{#x}}'");
            const auto r = llmops(dir.path(), {"prompt", "status"});
            CHECK(r.exit_code == 2);
            CHECK(r.out.find("  invalid:   prompts/bad.md:1:4: unclosed section '{{#x}}'\n") !=
                  std::string::npos);
        }
        SUBCASE("valid templates still commit: set delimiters, triple mustaches, comments") {
            dir.write("prompts/delims.md", "{{=<% %>=}}<%#items%>- <%name%>\n<%/items%>");
            dir.write("prompts/raw.md", "{{{html}}} and {{& html}}");
            dir.write("prompts/comment.md", "{{! {{#not-a-section}} }}{{#a}}{{^b}}x{{/b}}{{/a}}");
            const json commits = ok_json(dir, {"prompt", "commit", "-m", "ok", "--json"});
            CHECK(commits["commits"].size() == 4);
            CHECK(ok(dir, {"prompt", "render", "raw", "--var", "html=<b>"}) == "<b> and <b>\n");
        }
    }

    TEST_CASE("cli::prompt ref and render errors") {
        Store store;
        const TempDir& dir = store.dir;
        SUBCASE("an unknown prompt gets a suggestion") {
            check_error(llmops(dir.path(), {"prompt", "show", "gret"}),
                        "unknown prompt 'gret' (did you mean 'greet'?)");
            check_error(llmops(dir.path(), {"prompt", "log", "nothing-like-it"}),
                        "unknown prompt 'nothing-like-it'");
        }
        SUBCASE("an unknown ref lists the candidates") {
            check_error(llmops(dir.path(), {"prompt", "show", "greet@9"}),
                        "unknown ref 'greet@9' (versions 1-2, latest, labels: production)");
            check_error(llmops(dir.path(), {"prompt", "render", "greet@prodution"}),
                        "unknown ref 'greet@prodution' (did you mean 'production'?) (versions 1-2, "
                        "latest, labels: production)");
        }
        SUBCASE("removing a label that is not there") {
            check_error(llmops(dir.path(), {"prompt", "label", "rm", "greet", "staging"}),
                        "prompt 'greet' has no label 'staging' (labels: production)");
        }
        SUBCASE("a reserved or invalid label") {
            check_error(llmops(dir.path(), {"prompt", "label", "set", "greet@1", "latest"}),
                        "label 'latest' is reserved: it always names the newest version");
            check_error(
                llmops(dir.path(), {"prompt", "label", "set", "greet@1", "Prod"}),
                "invalid label 'Prod' (use lowercase letters, digits, '.', '_' and '-', and "
                "not a version number)");
        }
        SUBCASE("a missing variable is named") {
            check_error(llmops(dir.path(), {"prompt", "render", "greet"}),
                        "greet: missing variable 'name'");
        }
        SUBCASE("a bad --var") {
            check_error(llmops(dir.path(), {"prompt", "render", "greet", "--var", "name"}),
                        "invalid --var 'name' (expected name=value)");
        }
        SUBCASE("a partial cycle") {
            dir.write("prompts/a.yaml", "template: \"A {{> b@latest}}\"\n");
            dir.write("prompts/b.yaml", "template: \"B {{> a@latest}}\"\n");
            ok(dir, {"prompt", "commit", "-m", "cycle"});
            check_error(llmops(dir.path(), {"prompt", "render", "a"}),
                        "a: partial cycle: b@latest -> a@latest -> b@latest");
        }
        SUBCASE("checkout refuses to overwrite uncommitted work") {
            dir.write("prompts/greet.yaml", "template: precious\n");
            check_error(llmops(dir.path(), {"prompt", "checkout", "greet@1"}),
                        "'prompts/greet.yaml' holds content that no version of 'greet' has; commit "
                        "it first or use --force to overwrite it");
            CHECK(dir.read("prompts/greet.yaml") == "template: precious\n");
        }
    }

    TEST_CASE("cli::prompt bundle and import") {
        Store there;
        TempDir here;
        ok(here, {"init"});
        ok(there.dir, {"prompt", "bundle", "-o", "team.json"});
        fs::copy_file(there.dir / "team.json", here / "team.json");
        // stdout and the file are the same bytes.
        CHECK(ok(there.dir, {"prompt", "bundle"}) == there.dir.read("team.json"));

        SUBCASE("into an empty store, then again") {
            CHECK(ok(here, {"prompt", "import", "team.json"}) ==
                  "greet: new prompt, 2 versions; production none -> @2\n"
                  "support/triage: new prompt, 1 version\n"
                  "imported 'team.json': 2 prompts changed, 0 unchanged\n");
            CHECK(ok(here, {"prompt", "show", "greet@production", "--json"}) ==
                  ok(there.dir, {"prompt", "show", "greet@production", "--json"}));
            CHECK(ok(here, {"prompt", "label", "history", "--json"}) ==
                  ok(there.dir, {"prompt", "label", "history", "--json"}));
            CHECK(ok(here, {"prompt", "import", "team.json"}) ==
                  "imported 'team.json': 0 prompts changed, 2 unchanged\n");
            ok(here, {"fsck"});
        }
        SUBCASE("a label moved on both sides: exit 1, the conflict named, the rest merged") {
            ok(here, {"prompt", "import", "team.json"});
            here.write("prompts/greet.yaml", "template: mine\n");
            ok(here, {"prompt", "commit", "-m", "mine"});
            ok(here, {"prompt", "label", "set", "greet@3", "production"});
            there.dir.write("prompts/greet.yaml", "template: theirs\n");
            ok(there.dir, {"prompt", "commit", "-m", "theirs"});
            ok(there.dir, {"prompt", "label", "set", "greet@3", "production"});
            ok(there.dir, {"prompt", "label", "set", "greet@1", "staging"});
            ok(there.dir, {"prompt", "bundle", "greet", "-o", (here / "team.json").string()});
            const std::string mine = short_id(id_of(here, "greet@3"));
            const std::string theirs = short_id(id_of(there.dir, "greet@3"));

            const auto dry = llmops(here.path(), {"prompt", "import", "--dry-run", "team.json"});
            CHECK(dry.exit_code == 1);
            CHECK(dry.out.ends_with("(dry run: nothing written)\n"));
            CHECK(ok_json(here, {"prompt", "log", "greet", "--json"})["versions"].size() == 3);

            const auto r = llmops(here.path(), {"prompt", "import", "team.json"});
            CHECK(r.exit_code == 1);
            CHECK(r.err == "");
            CHECK(r.out ==
                  "greet: diverged: the bundle's version 3 added as 4; staging none -> @1\n"
                  "conflict: label 'production' of 'greet' moved on both sides: here @3 (" +
                      mine + "), in the bundle @4 (" + theirs +
                      ")\n"
                      "  to take the bundle's: llmops prompt label set greet@4 production\n"
                      "imported 'team.json': 1 prompt changed, 0 unchanged, 1 label conflict\n");
            CHECK(id_of(here, "greet@production").starts_with(mine));
            const json again =
                json::parse(llmops(here.path(), {"prompt", "import", "team.json", "--json"}).out);
            CHECK(again["conflicts"].size() == 1);
            CHECK(again["conflicts"][0]["here"]["version"] == 3);
            CHECK(again["conflicts"][0]["bundle"]["version"] == 4);
            CHECK(again["prompts"][0]["added"] == json::array());
            // Taking the bundle's side as the message says ends the conflict.
            ok(here, {"prompt", "label", "set", "greet@4", "production"});
            ok(here, {"prompt", "import", "team.json"});
            ok(here, {"fsck"});
        }
        SUBCASE("bad bundles are one-line errors and write nothing") {
            here.write("bad.json", "{\"format\": \"llmops-bundle/1\", \"objects\": {},\n");
            check_error(
                llmops(here.path(), {"prompt", "import", "bad.json"}),
                "bad.json:2:1: not JSON: syntax error while parsing object key - unexpected "
                "end of input; expected string literal");
            here.write("bad.json", "{\"prompts\": []}");
            check_error(llmops(here.path(), {"prompt", "import", "bad.json"}),
                        "bad.json: not an llmops bundle (its 'format' is not 'llmops-bundle/...'; "
                        "write one with `llmops prompt bundle`)");
            check_error(llmops(here.path(), {"prompt", "import", "missing.json"}),
                        "cannot read 'missing.json': No such file or directory");
            check_error(llmops(there.dir.path(), {"prompt", "bundle", "gret"}),
                        "unknown prompt 'gret' (did you mean 'greet'?)");
            CHECK(ok_json(here, {"prompt", "list", "--json"})["prompts"] == json::array());
        }
    }

    // The stat index (.llmops/index) is a cache: a store the user cannot write gives the same
    // status without it, and the index is left as it was (no temporary file either).
    TEST_CASE("cli::prompt status on a read-only store leaves the stat index alone") {
        Store store;
        TempDir& dir = store.dir;
        const std::string clean = "clean: 2 prompt files match their latest versions\n";
        CHECK(ok(dir, {"prompt", "status"}) == clean);
        REQUIRE(fs::exists(dir / ".llmops/index"));
        const std::string index = dir.read(".llmops/index");
        dir.write("prompts/greet.yaml", k_greet_v1); // back to greet@1
        const bool root = ::geteuid() == 0;
        if (!root) {
            ::chmod((dir / ".llmops").c_str(), 0555);
        }
        const auto run = [&](const std::vector<std::string>& args) {
            return root ? llmops_as(unprivileged_uid(), dir.path(), args)
                        : llmops(dir.path(), args);
        };
        const std::string modified = "changes not committed (llmops prompt commit -m MSG):\n"
                                     "  modified:  prompts/greet.yaml (greet, latest @2)\n";
        SUBCASE("with an index") {
            const auto r = run({"prompt", "status"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == modified);
            CHECK(dir.read(".llmops/index") == index);
        }
        SUBCASE("without one") {
            fs::remove(dir / ".llmops/index");
            const auto r = run({"prompt", "status"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == modified);
            CHECK_FALSE(fs::exists(dir / ".llmops/index"));
        }
        if (!root) {
            ::chmod((dir / ".llmops").c_str(), 0755);
        }
        for (const auto& entry : fs::directory_iterator(dir / ".llmops")) {
            CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
        }
        CHECK(ok(dir, {"prompt", "status"}) == modified);
    }

} // TEST_SUITE

} // namespace llmops::test
