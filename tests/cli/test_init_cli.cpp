// The binary's entry points: --version, --help, usage errors, `llmops init` and how a command
// finds its project (walking up, --dir, LLMOPS_DIR).

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/util/build_info.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace llmops::test {

namespace {

// The real path of `dir`, as the binary sees its working directory.
std::string real(const fs::path& dir) {
    return fs::canonical(dir).string();
}

void init(const TempDir& dir) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
}

// Commits one prompt so that `prompt list` has something to show.
void commit_greeting(const TempDir& dir) {
    dir.write("prompts/greet.yaml", "template: hello\n");
    REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "first"}).exit_code == 0);
}

// The commands `init --template` printed under its "next" line, one a line.
std::string next_commands(const std::string& out) {
    std::string script;
    const size_t at = out.find("\nnext");
    REQUIRE(at != std::string::npos);
    size_t line = out.find('\n', at + 1) + 1;
    while (line < out.size() && out.compare(line, 2, "  ") == 0) {
        const size_t end = out.find('\n', line);
        script += out.substr(line + 2, end - line - 2) + "\n";
        line = end + 1;
    }
    return script;
}

// Runs `script` in bash (stopping at the first failure) in `cwd` as a user would: the llmops
// under test first on PATH, no API key and no LLMOPS_DIR.
RunResult run_script(const fs::path& cwd, const std::string& script) {
    const char* path = std::getenv("PATH");
    RunOptions options;
    options.cwd = cwd;
    options.env = {{"PATH", fs::path(LLMOPS_BINARY).parent_path().string() + ":" +
                                (path ? path : "/usr/bin:/bin")},
                   {"NO_COLOR", "1"},
                   {"LLMOPS_AUTHOR", "Init Test <init@example.com>"}};
    for (const char* name : {"LLMOPS_DIR", "LLMOPS_JUDGE", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                             "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"}) {
        options.env[name] = "\x01unset";
    }
    return run_program({"bash", "-e", "-c", script}, options);
}

const std::string k_list_header = "NAME    LATEST  ID            UPDATED           LABELS\n";

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::version") {
        TempDir dir;
        const std::string expected = "llmops " + std::string(llmops::util::version()) +
                                     " (commit " + std::string(llmops::util::git_commit()) + ")\n";
        SUBCASE("the fast path prints the version and commit") {
            const auto r = llmops(dir.path(), {"--version"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == expected);
            CHECK(r.err == "");
        }
        SUBCASE("after another option it prints the same") {
            const auto r = llmops(dir.path(), {"--dir", ".", "--version"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == expected);
        }
    }

    TEST_CASE("cli::help") {
        TempDir dir;
        const std::vector<std::vector<std::string>> commands = {
            {},
            {"init"},
            {"fsck"},
            {"prompt"},
            {"prompt", "commit"},
            {"prompt", "status"},
            {"prompt", "log"},
            {"prompt", "show"},
            {"prompt", "diff"},
            {"prompt", "label"},
            {"prompt", "label", "set"},
            {"prompt", "label", "rm"},
            {"prompt", "label", "history"},
            {"prompt", "checkout"},
            {"prompt", "render"},
            {"prompt", "list"},
            {"prompt", "export"},
        };
        for (const auto& command : commands) {
            std::string path = "llmops";
            for (const auto& word : command) {
                path += " " + word;
            }
            CAPTURE(path);
            auto args = command;
            args.push_back("--help");
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            // Not a golden test of the text: only that it is the help of this command.
            CHECK(r.out.find("Usage: " + path) != std::string::npos);
        }
    }

    TEST_CASE("cli::usage errors") {
        TempDir dir;
        init(dir);
        const auto check = [&](const std::vector<std::string>& args, const std::string& message) {
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: " + message + "\n");
        };
        SUBCASE("an unknown command") {
            check({"bogus"}, "unknown command 'bogus' for 'llmops' (see 'llmops --help')");
        }
        SUBCASE("a mistyped command gets a suggestion") {
            check({"promt", "log"},
                  "unknown command 'promt' for 'llmops' (did you mean 'prompt'?) (see 'llmops "
                  "--help')");
            check({"prompt", "lgo"}, "unknown command 'lgo' for 'llmops prompt' (did you mean "
                                     "'log'?) (see 'llmops prompt --help')");
        }
        SUBCASE("an unknown option") {
            check({"--bogus"}, "unknown option '--bogus' for 'llmops' (see 'llmops --help')");
            check({"prompt", "log", "--bogus"}, "unknown option '--bogus' for 'llmops prompt log' "
                                                "(see 'llmops prompt log --help')");
        }
        SUBCASE("an extra argument") {
            check({"prompt", "list", "extra"}, "unexpected argument 'extra' for 'llmops prompt "
                                               "list' (see 'llmops prompt list --help')");
        }
        SUBCASE("no command") {
            check({},
                  "'llmops' needs a command: init, prompt, fsck, prices, ask, cache, eval, "
                  "runs, diff, stats, judge, traces, advise, drift, ab, usage, metrics, remote, "
                  "push, pull, schema, completion, man (see 'llmops --help')");
            check({"prompt", "label"},
                  "'llmops prompt label' needs a command: set, rm, list, history "
                  "(see 'llmops prompt label --help')");
        }
        SUBCASE("a missing required option or argument") {
            // With the command's usage line, so the reader sees what it takes.
            check({"prompt", "commit"},
                  "--message is required; usage: llmops prompt commit [OPTIONS] [paths...] (see "
                  "'llmops prompt commit --help')");
            check({"prompt", "show"}, "ref is required; usage: llmops prompt show [OPTIONS] ref "
                                      "(see 'llmops prompt show --help')");
        }
        SUBCASE("a missing required option is named") {
            check({"judge", "calibrate", "suite.yaml"},
                  "--labels is required; usage: llmops judge calibrate [OPTIONS] suite (see "
                  "'llmops judge calibrate --help')");
            check({"--dir", ".", "prompt", "import"},
                  "file is required; usage: llmops prompt import [OPTIONS] file (see 'llmops "
                  "prompt import --help')");
        }
        SUBCASE("llmops help COMMAND is COMMAND --help; an unknown one is named") {
            const auto help = llmops(dir.path(), {"help", "runs", "show"});
            CHECK(help.exit_code == 0);
            CHECK(help.out == llmops(dir.path(), {"runs", "show", "--help"}).out);
            CHECK(help.out.find("Usage: llmops runs show") != std::string::npos);
            check({"help", "prompt", "lable"},
                  "unknown command 'lable' for 'llmops prompt' (did you mean 'label'?) (see "
                  "'llmops prompt --help')");
        }
        SUBCASE("a value outside the allowed set") {
            check({"prompt", "render", "x", "--format", "xml"},
                  "--format: xml not in {text,json,openai} (see 'llmops prompt render --help')");
        }
    }

    TEST_CASE("cli::init") {
        TempDir dir;
        SUBCASE("creates the store and prompts/") {
            const auto r = llmops(dir.path(), {"init"});
            CHECK(r.exit_code == 0);
            CHECK(r.out ==
                  "initialized empty llmops project in " + real(dir.path()) +
                      "/.llmops\ncommit prompts/ (your prompt files), suites and datasets; "
                      ".llmops/ is the local store and cache, ignored by git but for its "
                      "config.yaml (its own .gitignore)\n");
            CHECK(r.err == "");
            CHECK(fs::is_regular_file(dir / ".llmops/llmops.db"));
            CHECK(fs::is_directory(dir / "prompts"));
            // git ignores the store: `git status` in a repository lists prompts/ only.
            CHECK(dir.read(".llmops/.gitignore").ends_with("\n*\n!config.yaml\n"));
            dir.write("prompts/a.yaml", "template: hi\n");
            RunOptions git;
            git.cwd = dir.path();
            REQUIRE(run_program({"git", "init", "-q"}, git).exit_code == 0);
            const auto status = run_program({"git", "status", "--porcelain", "-uall"}, git);
            CHECK(status.out == "?? prompts/a.yaml\n");
            // A second init keeps a .gitignore the user edited.
            dir.write(".llmops/.gitignore", "mine\n");
            CHECK(llmops(dir.path(), {"init"}).out.starts_with("reinitialized existing"));
            CHECK(dir.read(".llmops/.gitignore") == "mine\n");
        }
        SUBCASE("the project config: prompts_dir, model; git commits it, not the store") {
            init(dir);
            dir.write(".llmops/config.yaml", "prompts_dir: app/prompts\nmodel: echo\n");
            dir.write("app/prompts/support/triage.yaml", "template: Triage {{t}}\n");
            CHECK(llmops(dir.path(), {"prompt", "status"})
                      .out.find("new:       app/prompts/support/triage.yaml (support/triage)") !=
                  std::string::npos);
            const auto committed = llmops(dir.path(), {"prompt", "commit", "-m", "first"});
            CHECK(committed.exit_code == 0);
            CHECK(committed.out.find("support/triage") != std::string::npos);
            // `ask` takes the config's model after LLMOPS_MODEL.
            const auto asked =
                llmops(dir.path(), {"ask", "hello"}, {{"LLMOPS_MODEL", "\x01unset"}});
            CHECK(asked.exit_code == 0);
            CHECK(asked.out == "hello\n");
            RunOptions git;
            git.cwd = dir.path();
            REQUIRE(run_program({"git", "init", "-q"}, git).exit_code == 0);
            const auto status = run_program({"git", "status", "--porcelain", "-uall"}, git);
            CHECK(status.out == "?? .llmops/config.yaml\n?? app/prompts/support/triage.yaml\n");
            // A bad config names its file and key.
            dir.write(".llmops/config.yaml", "prompts_dir: ../elsewhere\n");
            const auto bad = llmops(dir.path(), {"prompt", "status"});
            CHECK(bad.exit_code == 2);
            CHECK(bad.err == "llmops: error: .llmops/config.yaml: 'prompts_dir' must be a folder "
                             "inside the project, relative to its root (like 'prompts' or "
                             "'app/prompts')\n");
            dir.write(".llmops/config.yaml", "prompt_dir: x\n");
            CHECK(llmops(dir.path(), {"prompt", "status"}).err ==
                  "llmops: error: .llmops/config.yaml: unknown key 'prompt_dir' (known: "
                  "prompts_dir, model)\n");
        }
        SUBCASE("a prompt committed from outside prompts/ stays tracked where it is") {
            init(dir);
            dir.write("lib/app/greet.yaml", "name: greet\ntemplate: Hello   # hi\n");
            REQUIRE(llmops(dir.path(), {"prompt", "commit", "lib/app/greet.yaml", "-m", "a"})
                        .exit_code == 0);
            CHECK(llmops(dir.path(), {"prompt", "status"}).out.find("no file") ==
                  std::string::npos);
            dir.write("lib/app/greet.yaml", "name: greet\ntemplate: Hello there\n");
            const auto status = llmops(dir.path(), {"prompt", "status"});
            CHECK(status.out.find("lib/app/greet.yaml") != std::string::npos);
            // `commit` with no path commits it there; checkout writes it back there, verbatim.
            REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "b"}).exit_code == 0);
            REQUIRE(llmops(dir.path(), {"prompt", "checkout", "greet@1"}).exit_code == 0);
            CHECK(dir.read("lib/app/greet.yaml") == "name: greet\ntemplate: Hello   # hi\n");
            CHECK(!fs::exists(dir / "prompts/greet.yaml"));
        }
        SUBCASE("a new project's read commands say it is empty") {
            init(dir);
            CHECK(llmops(dir.path(), {"prompt", "status"}).out ==
                  "no prompt files under prompts/ (.yaml, .yml, .md, .txt or .prompt)\n");
            CHECK(llmops(dir.path(), {"prompt", "log"}).out ==
                  "no versions committed yet (llmops prompt commit -m MSG)\n");
            CHECK(llmops(dir.path(), {"prompt", "list"}).out ==
                  "no prompts committed yet (llmops prompt commit -m MSG)\n");
            CHECK(llmops(dir.path(), {"prompt", "label", "history"}).out ==
                  "no label has been set yet (llmops prompt label set REF LABEL)\n");
            CHECK(llmops(dir.path(), {"prompt", "commit", "-m", "x"}).out ==
                  "nothing to commit: every prompt file matches its latest version\n");
        }
        SUBCASE("running it again reinitializes and keeps what is there") {
            init(dir);
            commit_greeting(dir);
            const auto r = llmops(dir.path(), {"init"});
            CHECK(r.exit_code == 0);
            CHECK(r.out ==
                  "reinitialized existing llmops project in " + real(dir.path()) + "/.llmops\n");
            CHECK(dir.read("prompts/greet.yaml") == "template: hello\n");
            CHECK(llmops(dir.path(), {"prompt", "log", "--json"}).out.find("\"greet\"") !=
                  std::string::npos);
        }
        SUBCASE("a path argument creates the project there") {
            const auto r = llmops(dir.path(), {"init", "sub/project"});
            CHECK(r.exit_code == 0);
            CHECK(fs::is_regular_file(dir / "sub/project/.llmops/llmops.db"));
            CHECK(fs::is_directory(dir / "sub/project/prompts"));
            CHECK_FALSE(fs::exists(dir / ".llmops"));
        }
        SUBCASE("--dir and LLMOPS_DIR choose where") {
            fs::create_directories(dir / "a");
            fs::create_directories(dir / "b");
            CHECK(llmops(dir.path(), {"--dir", "a", "init"}).exit_code == 0);
            CHECK(llmops(dir.path(), {"init"}, {{"LLMOPS_DIR", real(dir / "b") + "/.llmops"}})
                      .exit_code == 0);
            CHECK(fs::is_regular_file(dir / "a/.llmops/llmops.db"));
            CHECK(fs::is_regular_file(dir / "b/.llmops/llmops.db"));
            CHECK_FALSE(fs::exists(dir / ".llmops"));
        }
        SUBCASE("a .llmops path, with or without a trailing slash, names its project") {
            CHECK(llmops(dir.path(), {"init", "a/.llmops/"}).exit_code == 0);
            CHECK(llmops(dir.path(), {"--dir", "b/.llmops", "init"}).exit_code == 0);
            CHECK(llmops(dir.path(), {"init"}, {{"LLMOPS_DIR", real(dir.path()) + "/c/.llmops/"}})
                      .exit_code == 0);
            const auto r = llmops(dir / "a", {"init", ".llmops"});
            CHECK(r.out ==
                  "reinitialized existing llmops project in " + real(dir / "a") + "/.llmops\n");
            for (const char* project : {"a", "b", "c"}) {
                CAPTURE(project);
                CHECK(fs::is_regular_file(dir / project / ".llmops/llmops.db"));
                CHECK(fs::is_directory(dir / project / "prompts"));
                CHECK_FALSE(fs::exists(dir / project / ".llmops/.llmops"));
            }
        }
    }

    TEST_CASE("cli::init --template") {
        TempDir dir;
        SUBCASE("eval writes a starter whose printed commands pass offline") {
            const auto r = llmops(dir.path(), {"init", "--template", "eval"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out.ends_with(
                "wrote prompts/starter/answer.yaml, evals/starter/suite.yaml, "
                "evals/starter/golden.csv (template 'eval')\nnext:\n"
                "  llmops prompt commit -m \"Starter prompt\"\n"
                "  llmops eval evals/starter/suite.yaml\n  llmops runs show latest\n"));
            const auto run = run_script(dir.path(), next_commands(r.out));
            CHECK(run.exit_code == 0);
            CAPTURE(run.err);
            CHECK(run.out.find("run 1 complete: 5 passed, 0 failed, 0 errors") !=
                  std::string::npos);
        }
        SUBCASE("rag judges an exec: app with an exec: judge, offline") {
            const auto r = llmops(dir.path(), {"init", "--template", "rag"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("\nnext (needs python3 on PATH):\n") != std::string::npos);
            CHECK(llmops(dir.path(), {"eval", "--validate", "evals/rag/suite.yaml"}).exit_code ==
                  0);
            const auto run = run_script(dir.path(), next_commands(r.out));
            CHECK(run.exit_code == 0);
            CAPTURE(run.err);
            CHECK(run.out.find("run 1 complete: 4 passed, 0 failed, 0 errors") !=
                  std::string::npos);
            CHECK(run.out.find("judge: 12 calls") != std::string::npos);
        }
        SUBCASE("into another folder, the commands start with cd") {
            const auto r = llmops(dir.path(), {"init", "--template", "eval", "sub/project"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("next:\n  cd sub/project\n  llmops prompt commit") !=
                  std::string::npos);
            CHECK(run_script(dir.path(), next_commands(r.out)).exit_code == 0);
            CHECK(fs::is_regular_file(dir / "sub/project/evals/starter/suite.yaml"));
        }
        SUBCASE("both templates go in one project") {
            CHECK(llmops(dir.path(), {"init", "--template", "eval"}).exit_code == 0);
            const auto r = llmops(dir.path(), {"init", "--template", "rag"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.starts_with("reinitialized existing llmops project"));
        }
        SUBCASE("an existing file is never overwritten: nothing is written, the file is named") {
            dir.write("evals/starter/golden.csv", "mine\n");
            const auto r = llmops(dir.path(), {"init", "--template", "eval"});
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: 'evals/starter/golden.csv' already exists; 'llmops "
                           "init --template eval' writes nothing over existing files (move it "
                           "away, or init another folder)\n");
            CHECK(dir.read("evals/starter/golden.csv") == "mine\n");
            CHECK_FALSE(fs::exists(dir / "evals/starter/suite.yaml"));
            CHECK_FALSE(fs::exists(dir / ".llmops"));
        }
        SUBCASE("running it twice refuses the second time and keeps the first") {
            CHECK(llmops(dir.path(), {"init", "--template", "eval"}).exit_code == 0);
            dir.write("evals/starter/suite.yaml", "edited\n");
            const auto r = llmops(dir.path(), {"init", "--template", "eval"});
            CHECK(r.exit_code == 2);
            CHECK(
                r.err.starts_with("llmops: error: 'prompts/starter/answer.yaml' already exists; "));
            CHECK(dir.read("evals/starter/suite.yaml") == "edited\n");
        }
        SUBCASE("an unknown name is one line listing the names") {
            const auto r = llmops(dir.path(), {"init", "--template", "evl"});
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: unknown template 'evl' (expected eval, rag) (did you "
                           "mean 'eval'?)\n");
            CHECK_FALSE(fs::exists(dir / ".llmops"));
        }
        SUBCASE("list describes the templates and writes nothing") {
            const auto r = llmops(dir.path(), {"init", "--template", "list"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.starts_with("eval  a golden-dataset suite (CSV) on the offline echo "
                                    "provider\nrag   the RAG triad"));
            CHECK(r.out.ends_with("(needs python3)\n"));
            CHECK_FALSE(fs::exists(dir / ".llmops"));
        }
        SUBCASE("--help names the templates") {
            const auto r = llmops(dir.path(), {"init", "--help"});
            CHECK(r.out.find("Also write a starter eval that runs offline: eval, rag ('list' "
                             "describes them)") != std::string::npos);
        }
    }

    TEST_CASE("cli::project discovery") {
        TempDir dir;
        init(dir);
        commit_greeting(dir);
        fs::create_directories(dir / "src/deep/er");
        fs::create_directories(dir / "elsewhere");
        const auto lists_greeting = [](const RunResult& r) {
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out.starts_with(k_list_header));
            CHECK(r.out.find("\ngreet ") != std::string::npos);
        };
        SUBCASE("walks up from a nested subfolder") {
            const fs::path nested = dir / "src/deep/er";
            lists_greeting(llmops(nested, {"prompt", "list"}));
            CHECK(llmops(nested, {"prompt", "status"}).out ==
                  "clean: 1 prompt file matches its latest version\n");
            dir.write("prompts/greet.yaml", "template: hello again\n");
            const auto r =
                llmops(nested, {"prompt", "commit", "../../../prompts/greet.yaml", "-m", "second"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.starts_with("committed greet@2 "));
            CHECK(r.out.ends_with(" (prompts/greet.yaml)\n"));
        }
        SUBCASE("--dir names the root or its .llmops folder") {
            lists_greeting(
                llmops(dir / "elsewhere", {"--dir", real(dir.path()), "prompt", "list"}));
            lists_greeting(llmops(dir / "elsewhere", {"--dir", "../.llmops", "prompt", "list"}));
            lists_greeting(llmops(dir / "elsewhere", {"--dir", "../.llmops/", "prompt", "list"}));
        }
        SUBCASE("LLMOPS_DIR names the root or its .llmops folder") {
            TempDir outside;
            lists_greeting(
                llmops(outside.path(), {"prompt", "list"}, {{"LLMOPS_DIR", real(dir.path())}}));
            lists_greeting(llmops(outside.path(), {"prompt", "list"},
                                  {{"LLMOPS_DIR", real(dir.path()) + "/.llmops"}}));
        }
        SUBCASE("--dir wins over LLMOPS_DIR") {
            TempDir other;
            init(other);
            const auto r = llmops(other.path(), {"--dir", real(dir.path()), "prompt", "list"},
                                  {{"LLMOPS_DIR", real(other.path())}});
            lists_greeting(r);
        }
        SUBCASE("a --dir without a project is an error naming it") {
            const auto r = llmops(dir.path(), {"--dir", "elsewhere", "prompt", "list"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: no llmops project at '" + real(dir / "elsewhere") +
                               "' (run 'llmops init' there)\n");
        }
    }

    TEST_CASE("cli::outside a project") {
        TempDir dir;
        fs::create_directories(dir / "nested");
        SUBCASE("every store command says where it looked") {
            for (const auto& args : std::vector<std::vector<std::string>>{
                     {"prompt", "list"}, {"prompt", "commit", "-m", "x"}, {"fsck"}}) {
                const auto r = llmops(dir / "nested", args);
                CHECK(r.exit_code == 2);
                CHECK(r.out == "");
                CHECK(r.err == "llmops: error: not in an llmops project (no .llmops/ in '" +
                                   real(dir / "nested") + "' or any parent; run 'llmops init')\n");
            }
        }
        SUBCASE("a .llmops folder without its store") {
            init(dir);
            fs::remove(dir / ".llmops/llmops.db");
            const auto r = llmops(dir.path(), {"prompt", "log"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: no store at '" + real(dir.path()) +
                               "/.llmops/llmops.db' (run 'llmops init')\n");
        }
    }

} // TEST_SUITE

} // namespace llmops::test
