// `llmops completion bash|zsh|fish`, the hidden `llmops __complete`, and `llmops man`: the
// files in completions/ are what the binary generates now, each loads in its shell and
// completes, store values come from a real project, and the man page renders without warnings.

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/util/strings.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace llmops::test {

namespace {

const fs::path k_source = LLMOPS_SOURCE_DIR;
const fs::path k_binary = LLMOPS_BINARY;

struct ShellFile {
    const char* shell;
    const char* file; // under completions/
};
constexpr ShellFile k_files[] = {
    {"bash", "llmops.bash"}, {"zsh", "_llmops"}, {"fish", "llmops.fish"}};

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    auto lines = util::split(text, '\n');
    if (!lines.empty() && lines.back().empty()) {
        lines.pop_back();
    }
    return lines;
}

// The environment of the shells: the built binary first on PATH (so `llmops` is the one under
// test) and the shells' own files kept inside `home`.
RunOptions shell_options(const TempDir& home, const fs::path& cwd) {
    RunOptions options;
    options.cwd = cwd;
    options.env = {{"PATH", k_binary.parent_path().string() + ":" + std::getenv("PATH")},
                   {"HOME", home.path().string()},
                   {"XDG_CONFIG_HOME", (home / "config").string()},
                   {"XDG_DATA_HOME", (home / "data").string()},
                   {"XDG_CACHE_HOME", (home / "cache").string()},
                   {"NO_COLOR", "1"},
                   {"LLMOPS_DIR", "\x01unset"}};
    return options;
}

// Runs `script` in shell `name` (bash, zsh, fish) in `cwd`.
RunResult shell(const std::string& name, const std::string& script, const TempDir& home,
                const fs::path& cwd) {
    return run_program({name, "-c", script}, shell_options(home, cwd));
}

// COMP_WORDS as bash splits `line`: at white space, and around @ : = (COMP_WORDBREAKS).
std::vector<std::string> bash_words(const std::string& line) {
    std::vector<std::string> words{""};
    for (char c : line) {
        if (c == ' ') {
            if (!words.back().empty()) {
                words.emplace_back();
            }
        } else if (c == '@' || c == ':' || c == '=') {
            if (!words.back().empty()) {
                words.emplace_back();
            }
            words.back() += c;
            words.emplace_back();
        } else {
            words.back() += c;
        }
    }
    return words;
}

// What _llmops offers for `line` (the cursor at its end), called as bash calls it.
RunResult bash_offers(const TempDir& home, const fs::path& cwd, const std::string& line) {
    const std::string script =
        "source " + (k_source / "completions/llmops.bash").string() +
        " || exit 9\n"
        "COMP_LINE=$1; COMP_POINT=${#COMP_LINE}\n"
        "COMP_WORDS=(\"${@:2}\"); COMP_CWORD=$(($# - 2))\n"
        "_llmops\nfor c in \"${COMPREPLY[@]}\"; do printf '%s\\n' \"$c\"; done\n";
    std::vector<std::string> argv{"bash", "-c", script, "bash", line};
    for (const auto& word : bash_words(line)) {
        argv.push_back(word);
    }
    return run_program(argv, shell_options(home, cwd));
}

// Types `line` and Tab into an interactive zsh (through zsh/zpty) that loads completions/ from
// fpath; returns the screen output (escape sequences removed) once it holds `expect`, or after
// 10 s.
RunResult zsh_offers(const TempDir& home, const fs::path& cwd, const std::string& line,
                     const std::string& expect) {
    const std::string script = R"(zmodload zsh/zpty || exit 9
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; PS1='> '"
zpty -w -n z "$2"$'\t'
local all= out
integer i
for ((i = 0; i < 100; i++)); do
    while zpty -r -t z out; do all+=$out; done
    [[ $all == *"$3"* ]] && break
    sleep 0.1
done
zpty -d z
print -r -- "${all//$'\e'\[[0-9;?]#[A-Za-z]/}"
)";
    return run_program(
        {"zsh", "-f", "-c", script, "zsh", (k_source / "completions").string(), line, expect},
        shell_options(home, cwd));
}

RunResult fish_offers(const TempDir& home, const fs::path& cwd, const std::string& line) {
    return shell("fish",
                 "source " + (k_source / "completions/llmops.fish").string() +
                     "; or exit 9\ncomplete -C '" + line + "'",
                 home, cwd);
}

// The first word of each line (fish prints "candidate<TAB>description").
std::vector<std::string> candidates(const std::string& out) {
    std::vector<std::string> words;
    for (const auto& line : lines_of(out)) {
        words.push_back(line.substr(0, line.find('\t')));
    }
    return words;
}

// A project with prompt 'greet' (labelled production) and, with `run`, one eval run of the
// echo provider.
void make_project(const TempDir& dir) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
    dir.write("prompts/greet.yaml",
              "messages:\n  - role: user\n    content: Say hi to {{name}}.\n");
    REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "first"}).exit_code == 0);
    REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "greet@1", "production"}).exit_code == 0);
}

void add_run(const TempDir& dir) {
    dir.write("suite.yaml", "prompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n"
                            "  - vars: {word: yes}\n    assert:\n      - type: contains\n"
                            "        value: yes\n");
    REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 0);
    REQUIRE(llmops(dir.path(), {"runs", "tag", "latest", "baseline"}).exit_code == 0);
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::completion files are up to date") {
        TempDir dir;
        for (const auto& [name, file] : k_files) {
            CAPTURE(name);
            const auto r = llmops(dir.path(), {"completion", name});
            REQUIRE(r.exit_code == 0);
            CHECK(r.err == "");
            const fs::path path = k_source / "completions" / file;
            CHECK_MESSAGE(r.out == slurp(path),
                          "completions/" << file << " differs from `llmops completion " << name
                                         << "`: the commands or options changed; regenerate it "
                                            "with scripts/gen-completions.sh (after a build)");
        }
    }

    TEST_CASE("cli::completion usage errors") {
        TempDir dir;
        const auto unknown = llmops(dir.path(), {"completion", "powershell"});
        CHECK(unknown.exit_code == 2);
        CHECK(unknown.out == "");
        CHECK(unknown.err ==
              "llmops: error: unknown shell 'powershell' (expected bash, zsh, fish)\n");
        const auto typo = llmops(dir.path(), {"completion", "zhs"});
        CHECK(typo.exit_code == 2);
        CHECK(typo.err == "llmops: error: unknown shell 'zhs' (expected bash, zsh, fish) (did you "
                          "mean 'zsh'?)\n");
        const auto missing = llmops(dir.path(), {"completion"});
        CHECK(missing.exit_code == 2);
        CHECK(missing.err == "llmops: error: shell is required; usage: llmops completion [OPTIONS] "
                             "shell (see 'llmops completion --help')\n");
        SUBCASE("__complete is hidden from help and from the command list") {
            const auto help = llmops(dir.path(), {"--help"});
            CHECK(help.out.find("completion") != std::string::npos);
            CHECK(help.out.find("__complete") == std::string::npos);
            const auto none = llmops(dir.path(), {});
            CHECK(none.err.find("completion, man (see") != std::string::npos);
            CHECK(none.err.find("__complete") == std::string::npos);
            const auto kind = llmops(dir.path(), {"__complete", "promts"});
            CHECK(kind.exit_code == 2);
            CHECK(kind.err == "llmops: error: unknown kind 'promts' (expected prompts, refs, runs, "
                              "labels) (did you mean 'prompts'?)\n");
        }
    }

    TEST_CASE("cli::completion bash") {
        TempDir home;
        TempDir dir;
        SUBCASE("the script loads and registers _llmops") {
            const auto r = shell("bash",
                                 "source " + (k_source / "completions/llmops.bash").string() +
                                     " && complete -p llmops && COMP_WORDS=(llmops pro) && "
                                     "COMP_CWORD=1 && _llmops && echo \"${COMPREPLY[*]}\"",
                                 home, dir.path());
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == "complete -F _llmops llmops\nprompt\n");
        }
        SUBCASE("commands, nested commands, options and choices") {
            const auto check = [&](const std::string& line, const std::vector<std::string>& want) {
                CAPTURE(line);
                const auto r = bash_offers(home, dir.path(), line);
                CHECK(r.exit_code == 0);
                CHECK(r.err == "");
                CHECK(lines_of(r.out) == want);
            };
            check("llmops pro", {"prompt"});
            check("llmops prompt label ", {"set", "rm", "list", "history"});
            check("llmops --dir . prompt l", {"log", "label", "list"});
            check("llmops diff --fo", {"--format"});
            check("llmops diff --format ", {"text", "json", "md"});
            check("llmops diff --format=j", {"json"});
            check("llmops prompt render x --format o", {"openai"});
            check("llmops completion ", {"bash", "zsh", "fish"});
            check("llmops eval -j ", {}); // a number: nothing to offer
        }
        SUBCASE("file names where a command takes a file") {
            dir.write("suite.yaml", "");
            const auto r = bash_offers(home, dir.path(), "llmops eval sui");
            CHECK(lines_of(r.out) == std::vector<std::string>{"suite.yaml"});
        }
    }

    TEST_CASE("cli::completion zsh") {
        TempDir home;
        TempDir dir;
        const std::string compinit = "autoload -Uz compinit && compinit -u -D && ";
        SUBCASE("sourced after compinit, it defines _llmops for llmops") {
            const auto r =
                shell("zsh",
                      compinit + "source " + (k_source / "completions/_llmops").string() +
                          " && whence -w _llmops _llmops_prompt_label_set && "
                          "print -r -- $_comps[llmops]",
                      home, dir.path());
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == "_llmops: function\n_llmops_prompt_label_set: function\n_llmops\n");
        }
        SUBCASE("from a folder of fpath, compinit finds it") {
            const auto r = shell("zsh",
                                 "fpath=(" + (k_source / "completions").string() + " $fpath) && " +
                                     compinit + "print -r -- $_comps[llmops]",
                                 home, dir.path());
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out == "_llmops\n");
        }
        SUBCASE("an interactive zsh completes commands and choices") {
            const auto labels =
                zsh_offers(home, dir.path(), "llmops prompt label ", "-- Remove a label");
            CHECK(labels.out.find("-- Point LABEL at the version") != std::string::npos);
            CHECK(labels.out.find("-- Remove a label") != std::string::npos);
            const auto formats = zsh_offers(home, dir.path(), "llmops diff --format ", "json");
            CHECK(formats.out.find("json  md    text") != std::string::npos);
        }
    }

    TEST_CASE("cli::completion fish") {
        TempDir home;
        TempDir dir;
        const auto check = [&](const std::string& line, const std::vector<std::string>& want) {
            CAPTURE(line);
            const auto r = fish_offers(home, dir.path(), line);
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            const auto got = candidates(r.out);
            CHECK(std::set<std::string>(got.begin(), got.end()) ==
                  std::set<std::string>(want.begin(), want.end()));
        };
        check("llmops pro", {"prompt"});
        check("llmops prompt label ", {"set", "rm", "list", "history"});
        check("llmops diff --format ", {"text", "json", "md"});
        check("llmops runs merge 1 2 --", {"--help"});
        check("llmops completion ", {"bash", "zsh", "fish"});
    }

    TEST_CASE("cli::__complete reads the store") {
        TempDir home;
        TempDir dir;
        SUBCASE("outside a project: nothing, exit 0") {
            for (const char* kind : {"prompts", "refs", "runs", "labels"}) {
                const auto r = llmops(dir.path(), {"__complete", kind});
                CHECK(r.exit_code == 0);
                CHECK(r.out == "");
                CHECK(r.err == "");
            }
        }
        SUBCASE("prompt names, refs, labels and runs; the store is not written") {
            make_project(dir);
            add_run(dir);
            const fs::path db = dir / ".llmops/llmops.db";
            const std::string before = slurp(db);
            const auto values = [&](const char* kind) {
                const auto r = llmops(dir.path(), {"__complete", kind});
                CHECK(r.exit_code == 0);
                CHECK(r.err == "");
                return lines_of(r.out);
            };
            CHECK(values("prompts") == std::vector<std::string>{"greet"});
            CHECK(values("refs") == std::vector<std::string>{"greet", "greet@production"});
            CHECK(values("labels") == std::vector<std::string>{"production"});
            CHECK(values("runs") == std::vector<std::string>{"1", "baseline", "latest"});
            CHECK(slurp(db) == before);
            // --dir (and LLMOPS_DIR) are honoured as by every command.
            TempDir elsewhere;
            const auto r =
                llmops(elsewhere.path(), {"--dir", dir.path().string(), "__complete", "prompts"});
            CHECK(r.out == "greet\n");
        }
        SUBCASE("the shells offer them") {
            make_project(dir);
            add_run(dir);
            CHECK(lines_of(bash_offers(home, dir.path(), "llmops prompt show gr").out) ==
                  std::vector<std::string>{"greet", "greet@production"});
            // bash splits at @: the reply replaces only what follows it.
            CHECK(lines_of(bash_offers(home, dir.path(), "llmops prompt label set greet@pr").out) ==
                  std::vector<std::string>{"production"});
            CHECK(lines_of(bash_offers(home, dir.path(), "llmops runs show ").out) ==
                  std::vector<std::string>{"1", "baseline", "latest"});
            CHECK(lines_of(bash_offers(home, dir.path(), "llmops eval --resume l").out) ==
                  std::vector<std::string>{"latest"});
            TempDir elsewhere;
            CHECK(lines_of(bash_offers(home, elsewhere.path(),
                                       "llmops --dir " + dir.path().string() + " prompt log ")
                               .out) == std::vector<std::string>{"greet"});
            const auto fish_runs = candidates(fish_offers(home, dir.path(), "llmops diff ").out);
            CHECK(std::set<std::string>(fish_runs.begin(), fish_runs.end()) ==
                  std::set<std::string>{"1", "baseline", "latest"});
            const auto fish_prompts =
                candidates(fish_offers(home, dir.path(), "llmops prompt label rm ").out);
            CHECK(fish_prompts == std::vector<std::string>{"greet"});
            const auto zsh_runs = zsh_offers(home, dir.path(), "llmops runs show ", "latest");
            CHECK(zsh_runs.out.find("baseline") != std::string::npos);
            CHECK(zsh_runs.out.find("latest") != std::string::npos);
        }
    }

    TEST_CASE("cli::man") {
        TempDir dir;
        const auto r = llmops(dir.path(), {"man"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.err == "");
        const std::string& page = r.out;
        CHECK(page.find(".TH LLMOPS 1 ") != std::string::npos);
        for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS",
                                    ".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES"}) {
            CHECK_MESSAGE(page.find(section) != std::string::npos, section);
        }
        SUBCASE("every command, as `llmops` lists them, and no hidden one") {
            const auto none = llmops(dir.path(), {});
            const std::string prefix = "llmops: error: 'llmops' needs a command: ";
            REQUIRE(none.err.starts_with(prefix));
            const std::string list =
                none.err.substr(prefix.size(), none.err.find(" (see") - prefix.size());
            const auto commands = util::split(list, ',');
            CHECK(commands.size() >= 12);
            for (auto command : commands) {
                command = std::string(util::trim(command));
                CHECK_MESSAGE(page.find(".SS \"llmops " + command + "\"") != std::string::npos,
                              command);
            }
            CHECK(page.find(".SS \"llmops prompt label set\"") != std::string::npos);
            CHECK(page.find("__complete") == std::string::npos);
            CHECK(page.find("\\fB\\-\\-fail\\-on\\-regression\\fR") != std::string::npos);
        }
        SUBCASE("every provider variable in the provider code is in ENVIRONMENT") {
            const std::string code = slurp(k_source / "lib/llmops/provider/provider.cpp");
            const std::regex var("\"([A-Z][A-Z0-9_]*_(API_KEY|BASE_URL|ENDPOINT|API_VERSION))\"");
            int found = 0;
            for (auto it = std::sregex_iterator(code.begin(), code.end(), var);
                 it != std::sregex_iterator(); ++it, ++found) {
                CHECK_MESSAGE(page.find(".TP\n\\fB" + (*it)[1].str() + "\\fR\n") !=
                                  std::string::npos,
                              (*it)[1].str());
            }
            CHECK(found >= 8);
            CHECK(page.find("\\fBLLMOPS_DIR\\fR") != std::string::npos);
        }
        SUBCASE("man renders it without a warning") {
            dir.write("llmops.1", page);
            RunOptions options;
            options.cwd = dir.path();
            options.env = {{"MANWIDTH", "80"}, {"LC_ALL", "C.UTF-8"}};
            const auto rendered = run_program({"man", "--warnings", "-l", "llmops.1"}, options);
            CHECK(rendered.exit_code == 0);
            CHECK(rendered.err == "");
            CHECK(rendered.out.find("EXIT STATUS") != std::string::npos);
            CHECK(rendered.out.find("llmops prompt label set [OPTIONS] REF LABEL") !=
                  std::string::npos);
        }
    }

    TEST_CASE("cli::help every command's --help ends with two or three examples") {
        TempDir dir;
        // Every leaf command, found by walking the help of each command group.
        std::vector<std::vector<std::string>> pending{{}};
        int leaves = 0;
        while (!pending.empty()) {
            auto path = pending.back();
            pending.pop_back();
            auto args = path;
            args.push_back("--help");
            const std::string help = llmops(dir.path(), args).out;
            const size_t subs = help.find("\nSubcommands:\n");
            if (subs != std::string::npos) {
                std::istringstream lines(help.substr(subs + 14));
                for (std::string line; std::getline(lines, line) && line.starts_with("  ");) {
                    auto next = path;
                    next.push_back(line.substr(2, line.find(' ', 2) - 2));
                    pending.push_back(next);
                }
                continue;
            }
            ++leaves;
            std::string name;
            for (const auto& word : path) {
                name += (name.empty() ? "" : " ") + word;
            }
            CAPTURE(name);
            const size_t at = help.rfind("\nExamples:\n");
            REQUIRE(at != std::string::npos);
            std::istringstream examples(help.substr(at + 11));
            int count = 0;
            for (std::string line; std::getline(examples, line);) {
                CHECK((line.starts_with("  llmops ") || line.starts_with("  source <(llmops ") ||
                       line.starts_with("  echo ")));
                ++count;
            }
            CHECK(count >= 2);
            CHECK(count <= 3);
        }
        CHECK(leaves >= 30);
    }

} // TEST_SUITE

} // namespace llmops::test
