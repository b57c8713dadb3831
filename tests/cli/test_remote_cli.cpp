// `llmops remote`, `push` and `pull` against a real PostgreSQL started by the test
// (tests/support/pg_server.hpp): two clones of a project sharing history through one database.
// Each TEST_CASE is its own process under ctest, so the cases are few and use SUBCASEs: one
// server start per case.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <csignal>
#include <sys/wait.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>

#include "support/pg_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

const std::map<std::string, std::string> k_env = {{"PGPASSWORD", PgServer::k_password}};

RunResult run(const TempDir& dir, const std::vector<std::string>& args) {
    return llmops(dir.path(), args, k_env);
}

std::string ok(const TempDir& dir, const std::vector<std::string>& args) {
    const auto r = run(dir, args);
    INFO("llmops ", args.empty() ? "" : args.front(), " stderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == "");
    return r.out;
}

// A clone: a project with remote `origin` at `url`.
struct Clone {
    TempDir dir;
    explicit Clone(const std::string& url) {
        ok(dir, {"init"});
        ok(dir, {"remote", "add", "origin", url});
    }
    void commit(const std::string& name, const std::string& text) {
        dir.write("prompts/" + name + ".yaml", "template: \"" + text + "\"\n");
        ok(dir, {"prompt", "commit", "-m", text});
    }
};

// What two stores must agree on after a sync: every prompt's versions, labels and history (each
// prompt's events in order; how the prompts' histories interleave is each store's own `seq`).
json shared_state(const TempDir& dir) {
    json state = json::parse(ok(dir, {"prompt", "export"}));
    const json history = json::parse(ok(dir, {"prompt", "label", "history", "--json"}));
    json by_prompt = json::object();
    for (json event : history["events"]) {
        event.erase("seq");
        by_prompt[event["prompt"].get<std::string>()].push_back(std::move(event));
    }
    state["history"] = std::move(by_prompt);
    return state;
}

// A bundle of `count` prompts of one version each, for pushes that take a while.
std::string big_bundle(int count) {
    json objects = json::object();
    json prompts = json::array();
    for (int i = 0; i < count; ++i) {
        const std::string content = json{{"template", "Prompt number " + std::to_string(i)}}.dump();
        const std::string id = util::sha256_hex(content);
        objects[id] = content;
        prompts.push_back({{"name", "bulk/p" + std::to_string(i)},
                           {"versions",
                            {{{"number", 1},
                              {"id", id},
                              {"parent", nullptr},
                              {"message", "bulk"},
                              {"author", "Bulk <b@example.com>"},
                              {"created_at", "2026-12-01T00:00:00.000Z"}}}},
                           {"labels", json::object()},
                           {"label_history", json::array()}});
    }
    return json{{"format", "llmops-bundle/1"}, {"objects", objects}, {"prompts", prompts}}.dump();
}

// Whether a session of llmops is running `statement_start` on the server.
bool llmops_running(PgServer& server, const std::string& db, const std::string& statement_start) {
    return server.sql(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                          "'llmops' AND state = 'active' AND query LIKE '" +
                              statement_start + "%'") != "0\n";
}

// Waits until `running` holds while process `pid` runs: true then; false when the process ended
// first, its exit code in `exit_code` (128+N for signal N).
bool caught_running(pid_t pid, const std::function<bool()>& running, int& exit_code) {
    bool caught = false;
    wait_until([&] {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return true;
        }
        caught = running();
        return caught;
    });
    return caught;
}

} // namespace

TEST_CASE("cli::remote a push killed mid-batch, a pull cut by the server's stop: repeated, whole") {
    PgServer& server = PgServer::shared();
    const std::string url = server.create_database();
    const std::string db = url.substr(url.rfind('/') + 1);
    constexpr int k_prompts = 6000;
    Clone a(url);
    a.dir.write("bulk.json", big_bundle(k_prompts));
    ok(a.dir, {"prompt", "import", "bulk.json"});
    ok(a.dir, {"remote", "init", "origin"});

    const pid_t push = spawn_llmops(a.dir.path(), {"push"}, k_env);
    // Killed while it inserts: the transaction dies with its connection.
    int pushed = -1;
    const bool caught = caught_running(
        push, [&] { return llmops_running(server, db, "INSERT INTO llmops."); }, pushed);
    if (caught) {
        ::kill(push, SIGKILL);
        // Killed, or done in the instant between the sight and the signal.
        const int killed = wait_for(push);
        CHECK((killed == 128 + SIGKILL || killed == 0));
    } else {
        MESSAGE("the push finished before it was seen inserting (exit ", pushed, ")");
    }
    CHECK(wait_until([&] { return !llmops_running(server, db, ""); }));
    const std::string after_kill = server.sql(db, "SELECT count(*) FROM llmops.versions");
    CHECK((after_kill == "0\n" || after_kill == std::to_string(k_prompts) + "\n"));
    CHECK(ok(a.dir, {"push"}).ends_with("unchanged\n"));
    CHECK(server.sql(db, "SELECT count(*) FROM llmops.versions") ==
          std::to_string(k_prompts) + "\n");
    CHECK(ok(a.dir, {"push"}) ==
          "pushed to 'origin': 0 prompts changed, " + std::to_string(k_prompts) + " unchanged\n");

    // The server stops while a clone pulls: the pull fails (exit 3) and writes nothing here.
    Clone b(url);
    const fs::path out = b.dir / "pull.out";
    const fs::path err = b.dir / "pull.err";
    const pid_t pull = spawn_llmops_logged(b.dir.path(), {"pull"}, out, err, k_env);
    int pulled = -1;
    if (caught_running(
            pull, [&] { return llmops_running(server, db, "SELECT"); }, pulled)) {
        server.stop();
        pulled = wait_for(pull);
        server.start();
    }
    // Whenever the server went, the prompts arrived whole or not at all (they are one
    // transaction here; a stop after it, while runs were asked for, fails the pull after them).
    const auto listed = json::parse(ok(b.dir, {"prompt", "list", "--json"}))["prompts"].size();
    CHECK((listed == 0 || listed == k_prompts));
    if (pulled == 0) {
        MESSAGE("the pull finished before the server stopped");
        CHECK(listed == k_prompts);
    } else {
        CHECK(pulled == 3);
        CHECK(b.dir.read("pull.err").find("llmops: error: ") == 0);
    }
    ok(b.dir, {"pull"});
    CHECK(json::parse(ok(b.dir, {"prompt", "list", "--json"}))["prompts"].size() == k_prompts);
    ok(b.dir, {"fsck"});
}

TEST_CASE("cli::remote add, list, rm: URLs without passwords") {
    TempDir dir;
    ok(dir, {"init"});
    const auto with_password =
        run(dir, {"remote", "add", "origin", "postgresql://ci:hunter2-secret@db.example/llmops"});
    CHECK(with_password.exit_code == 2);
    CHECK(with_password.err.find("holds a password, which llmops never stores") !=
          std::string::npos);
    CHECK(with_password.err.find("hunter2") == std::string::npos);
    const auto in_query =
        run(dir, {"remote", "add", "origin", "postgresql://ci@db/llmops?password=hunter2"});
    CHECK(in_query.exit_code == 2);
    CHECK(in_query.err.find("hunter2") == std::string::npos);
    CHECK(run(dir, {"remote", "add", "origin", "mysql://db/x"}).exit_code == 2);
    CHECK(run(dir, {"remote", "add", "Origin!", "postgresql://db/x"}).exit_code == 2);
    CHECK(!fs::exists(dir / ".llmops/remotes.yaml"));

    ok(dir, {"remote", "add", "origin", "postgresql://ci@db.example:5432/llmops"});
    ok(dir, {"remote", "add", "backup", "postgresql://ci@b.example/llmops?password_env=PG_PW"});
    CHECK(ok(dir, {"remote", "list"}) ==
          "backup\tpostgresql://ci@b.example/llmops?password_env=PG_PW\n"
          "origin\tpostgresql://ci@db.example:5432/llmops\n");
    const auto taken = run(dir, {"remote", "add", "origin", "postgresql://x@y/z"});
    CHECK(taken.exit_code == 2);
    CHECK(taken.err.find("already exists") != std::string::npos);
    ok(dir, {"remote", "rm", "backup"});
    CHECK(json::parse(ok(dir, {"remote", "list", "--json"})).size() == 1);
    const auto unknown = run(dir, {"push", "nowhere"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err == "llmops: error: no remote 'nowhere' (remotes: origin)\n");
    // A remote that names a variable for its password needs it set.
    ok(dir, {"remote", "add", "vault", "postgresql://ci@127.0.0.1:1/llmops?password_env=PG_PW"});
    const auto unset = llmops(dir.path(), {"push", "vault"});
    CHECK(unset.exit_code == 2);
    CHECK(unset.err.find("takes its password from $PG_PW, which is not set") != std::string::npos);
}

TEST_CASE("cli::remote push and pull: two clones share history through PostgreSQL") {
    PgServer& server = PgServer::shared();
    const std::string url = server.create_database();
    Clone a(url);
    a.commit("greet", "Hello {{name}}");
    a.commit("greet", "Hi {{name}}");
    a.commit("support/triage", "Classify {{ticket}}");
    ok(a.dir, {"prompt", "label", "set", "greet@1", "production"});
    ok(a.dir, {"prompt", "label", "set", "greet@2", "production", "-m", "ship"});
    ok(a.dir, {"prompt", "label", "set", "greet@1", "canary"});
    ok(a.dir, {"prompt", "label", "set", "greet@2", "canary", "--weight", "10"});

    const auto before_init = run(a.dir, {"push"});
    CHECK(before_init.exit_code == 2);
    CHECK(before_init.err.find("has no llmops schema: create it with `llmops remote init`") !=
          std::string::npos);
    CHECK(ok(a.dir, {"remote", "init", "origin"}).ends_with("llmops schema 2 created\n"));
    CHECK(ok(a.dir, {"remote", "init", "origin"}).ends_with("already holds llmops schema 2\n"));
    CHECK(ok(a.dir, {"push"}) ==
          "greet: new prompt, 2 versions; production none -> @2; canary none -> @1\n"
          "support/triage: new prompt, 1 version\n"
          "pushed to 'origin': 2 prompts changed, 0 unchanged\n");
    CHECK(ok(a.dir, {"push"}) == "pushed to 'origin': 0 prompts changed, 2 unchanged\n");

    Clone b(url);
    CHECK(ok(b.dir, {"pull"}).ends_with("pulled from 'origin': 2 prompts changed, 0 unchanged\n"));
    CHECK(shared_state(b.dir) == shared_state(a.dir));
    ok(a.dir, {"fsck"});
    ok(b.dir, {"fsck"});
    // The password travelled in the environment only.
    CHECK(b.dir.read(".llmops/remotes.yaml").find(PgServer::k_password) == std::string::npos);

    SUBCASE("render --remote reads one prompt and the partials it uses") {
        a.commit("wrap", "[{{> greet@production}}]");
        ok(a.dir, {"push"});
        CHECK(ok(b.dir, {"prompt", "render", "wrap", "--remote", "origin", "--var", "name=Ada"}) ==
              "[Hi Ada]\n");
        CHECK(ok(b.dir, {"prompt", "render", "greet@production", "--remote", "origin", "--var",
                         "name=Bo"}) == "Hi Bo\n");
        const auto missing = run(b.dir, {"prompt", "render", "nothing", "--remote", "origin"});
        CHECK(missing.exit_code == 2);
    }
    SUBCASE("a move on one side fast-forwards the other") {
        b.commit("greet", "Hey {{name}}");
        ok(b.dir, {"prompt", "label", "set", "greet@3", "production"});
        CHECK(ok(b.dir, {"push"}) == "greet: added version 3; production @2 -> @3\n"
                                     "pushed to 'origin': 1 prompt changed, 1 unchanged\n");
        CHECK(ok(a.dir, {"pull"}) == "greet: added version 3; production @2 -> @3\n"
                                     "pulled from 'origin': 1 prompt changed, 1 unchanged\n");
        CHECK(shared_state(b.dir) == shared_state(a.dir));
        CHECK(server.sql(url.substr(url.rfind('/') + 1),
                         "SELECT version FROM llmops.current_prompts WHERE name = 'greet' "
                         "AND label = 'production'") == "3\n");
    }
    SUBCASE("a label moved on both sides is a named conflict, on push and on pull") {
        a.commit("greet", "From A");
        ok(a.dir, {"prompt", "label", "set", "greet@3", "production"});
        ok(a.dir, {"push"});
        b.commit("greet", "From B");
        ok(b.dir, {"prompt", "label", "set", "greet@3", "production"});
        const auto push = run(b.dir, {"push"});
        CHECK(push.exit_code == 1);
        CHECK(push.out.find("conflict: label 'production' of 'greet' moved on both sides: on "
                            "'origin' @3") != std::string::npos);
        CHECK(push.out.find("pull first (llmops pull origin)") != std::string::npos);
        const auto pull = run(b.dir, {"pull"});
        CHECK(pull.exit_code == 1);
        CHECK(pull.out.find("diverged: origin's version 3 added as 4") != std::string::npos);
        CHECK(pull.out.find("to take origin's: llmops prompt label set greet@4 production") !=
              std::string::npos);
        // The remote's label stayed where A put it.
        const std::string db = url.substr(url.rfind('/') + 1);
        CHECK(server.sql(db, "SELECT content->>'template' FROM llmops.current_prompts "
                             "WHERE name = 'greet' AND label = 'production'") == "From A\n");
        // Settled as the message says; later moves on either side fast-forward again.
        ok(b.dir, {"prompt", "label", "set", "greet@4", "production"});
        CHECK(ok(b.dir, {"pull"}) == "pulled from 'origin': 0 prompts changed, 2 unchanged\n");
        CHECK(ok(b.dir, {"push"}) == "pushed to 'origin': 0 prompts changed, 2 unchanged\n");
        CHECK(ok(a.dir, {"prompt", "label", "set", "greet@1", "production", "--remote",
                         "origin"}) == "greet:production on 'origin': @3 -> @1\n");
        CHECK(ok(b.dir, {"pull"}) == "greet: production @4 -> @1\n"
                                     "pulled from 'origin': 1 prompt changed, 1 unchanged\n");
        ok(b.dir, {"prompt", "label", "set", "greet@2", "production"});
        CHECK(ok(b.dir, {"push"}) == "greet: production @1 -> @2\n"
                                     "pushed to 'origin': 1 prompt changed, 1 unchanged\n");
        CHECK(ok(a.dir, {"pull"}) == "greet: production @1 -> @2\n"
                                     "pulled from 'origin': 1 prompt changed, 1 unchanged\n");
        ok(a.dir, {"fsck"});
        ok(b.dir, {"fsck"});
    }
    SUBCASE("runs travel whole, once; a remote run is a diff side") {
        a.dir.write("suite.yaml",
                    "prompts: ['Say {{name}}']\nproviders: [echo]\ntests:\n"
                    "  - vars: {name: Ada}\n    assert: [{type: contains, value: Ada}]\n"
                    "  - vars: {name: Bo}\n    assert: [{type: contains, value: Zed}]\n");
        CHECK(run(a.dir, {"eval", "suite.yaml"}).exit_code == 1); // one case fails
        CHECK(ok(a.dir, {"push", "--runs", "none"}) ==
              "pushed to 'origin': 0 prompts changed, 2 unchanged\n");
        CHECK(ok(a.dir, {"push"}) == "pushed to 'origin': 0 prompts changed, 2 unchanged\n"
                                     "runs: sent 1 (2 results), 0 already there\n");
        CHECK(ok(a.dir, {"push"}).ends_with("runs: sent 0 (0 results), 1 already there\n"));
        CHECK(ok(b.dir, {"pull"}).ends_with("runs: brought 1 (2 results), 0 already there\n"));
        CHECK(ok(b.dir, {"pull", "--json"}).find("\"already\": 1") != std::string::npos);
        const auto exported = [](const TempDir& dir) {
            json doc =
                json::parse(ok(dir, {"runs", "export", "latest", "-o", "-", "--format", "json"}));
            return std::pair(doc["results"], doc["summary"]);
        };
        CHECK(exported(b.dir) == exported(a.dir));
        // CI's question: did this change anything against main's stored baseline?
        const auto same = run(a.dir, {"diff", "origin/latest", "latest"});
        CHECK(same.exit_code == 0);
        CHECK(same.out.starts_with("baseline : origin/latest (2 cases)"));
        CHECK(same.out.find("0 regressions, 0 fixes") != std::string::npos);
        const auto unknown = run(a.dir, {"diff", "origin/7", "latest"});
        CHECK(unknown.exit_code == 2);
        CHECK(unknown.err.find("has no run '7'") != std::string::npos);
    }
    SUBCASE("two processes pushing and moving labels at once: both land, none lost") {
        // Each clone commits its own prompt, then both push and move a label on the remote at
        // the same time: the advisory lock queues them.
        a.commit("only/a", "From A");
        b.commit("only/b", "From B");
        ok(a.dir, {"prompt", "label", "set", "only/a@1", "staging"});
        ok(b.dir, {"prompt", "label", "set", "only/b@1", "staging"});
        const pid_t pa = spawn_llmops(a.dir.path(), {"push"}, k_env);
        const pid_t pb = spawn_llmops(b.dir.path(), {"push"}, k_env);
        CHECK(wait_for(pa) == 0);
        CHECK(wait_for(pb) == 0);
        const pid_t la =
            spawn_llmops(a.dir.path(),
                         {"prompt", "label", "set", "only/a@1", "qa", "--remote", "origin"}, k_env);
        const pid_t lb =
            spawn_llmops(b.dir.path(),
                         {"prompt", "label", "set", "only/b@1", "qa", "--remote", "origin"}, k_env);
        CHECK(wait_for(la) == 0);
        CHECK(wait_for(lb) == 0);
        ok(a.dir, {"pull"});
        ok(b.dir, {"pull"});
        CHECK(shared_state(a.dir) == shared_state(b.dir));
        const std::string db = url.substr(url.rfind('/') + 1);
        CHECK(server.sql(db, "SELECT name || ':' || label FROM llmops.current_prompts WHERE name "
                             "LIKE 'only/%' ORDER BY 1") ==
              "only/a:qa\nonly/a:staging\nonly/b:qa\nonly/b:staging\n");
    }
    SUBCASE("an older remote schema is migrated by remote init, and refused until then") {
        const std::string db = url.substr(url.rfind('/') + 1);
        // Schema 1 as an llmops of that version left it: no runs yet.
        server.sql(db, "DROP TABLE llmops.results, llmops.run_variants, llmops.runs; "
                       "UPDATE llmops.meta SET value = '1' WHERE key = 'schema_version'");
        const auto old = run(a.dir, {"push"});
        CHECK(old.exit_code == 2);
        CHECK(old.err.find("holds llmops schema 1, older than this llmops (2): migrate it with "
                           "`llmops remote init`") != std::string::npos);
        CHECK(ok(a.dir, {"remote", "init", "origin"}).ends_with("llmops schema 2 (from 1)\n"));
        ok(a.dir, {"push"});
        CHECK(shared_state(b.dir) == shared_state(a.dir));
    }
    SUBCASE("a remote schema newer than this llmops is refused") {
        const std::string db = url.substr(url.rfind('/') + 1);
        server.sql(db, "UPDATE llmops.meta SET value = '99' WHERE key = 'schema_version'");
        for (const char* command : {"push", "pull"}) {
            const auto r = run(a.dir, {command});
            CHECK(r.exit_code == 2);
            CHECK(r.err.find("holds llmops schema 99, newer than this llmops knows (2): upgrade "
                             "llmops") != std::string::npos);
        }
        CHECK(run(a.dir, {"remote", "init", "origin"}).exit_code == 2);
    }
    SUBCASE("an object altered on the remote is refused on pull") {
        const std::string db = url.substr(url.rfind('/') + 1);
        server.sql(db, "ALTER TABLE llmops.objects DISABLE TRIGGER objects_immutable; "
                       "UPDATE llmops.objects SET content = '{\"template\":\"evil\"}'");
        Clone c(url);
        const auto r = run(c.dir, {"pull"});
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("does not match its id (the remote was altered)") != std::string::npos);
        CHECK(json::parse(ok(c.dir, {"prompt", "list", "--json"}))["prompts"].empty());
    }
}

TEST_CASE("cli::remote failures: a wrong password, a server gone") {
    PgServer& server = PgServer::shared();
    const std::string url = server.create_database();
    Clone a(url);
    a.commit("greet", "Hello {{name}}");
    ok(a.dir, {"remote", "init", "origin"});

    const auto wrong = llmops(a.dir.path(), {"push"}, {{"PGPASSWORD", "not-the-password-xyz"}});
    CHECK(wrong.exit_code == 3);
    CHECK(wrong.err.find("cannot connect to remote 'origin'") != std::string::npos);
    CHECK(wrong.err.find("not-the-password-xyz") == std::string::npos);
    // A password from the variable the URL names.
    ok(a.dir, {"remote", "add", "named", url + "?password_env=TEAM_PG_PASSWORD"});
    const auto named =
        llmops(a.dir.path(), {"push", "named"}, {{"TEAM_PG_PASSWORD", PgServer::k_password}});
    CHECK(named.exit_code == 0);
    CHECK(named.out.ends_with("pushed to 'named': 1 prompt changed, 0 unchanged\n"));

    server.stop();
    Clone b(url);
    const auto down = run(b.dir, {"pull"});
    server.start();
    CHECK(down.exit_code == 3);
    CHECK(down.err.find("cannot connect to remote 'origin'") != std::string::npos);
    CHECK(json::parse(ok(b.dir, {"prompt", "list", "--json"}))["prompts"].empty());
    ok(b.dir, {"pull"});
    CHECK(shared_state(b.dir) == shared_state(a.dir));
}

} // namespace llmops::test
