// The commands shown in README.md, docs/*.md and examples/*/README.md, run as a reader would run
// them: what the documentation shows is what runs.
//
// The convention, stated at the top of README.md, docs/README.md and each example's README:
// - Fenced blocks tagged ```sh or ```bash are run; a block tagged ```sh no-test (or
//   ```bash no-test) is not: set-up that installs packages, commands that need an API key or
//   write outside the project, long benchmarks. Any other word after the language is an error,
//   so a misspelt marker never silently runs or skips a block. Other blocks (```console with
//   sample output, ```yaml, ...) are never run.
// - In a block, blank lines and comment lines are skipped; every other line starts a command,
//   which goes on over lines ending in `\`, `|`, `&&` or `||`, and over the body of a
//   here-document (`<<'EOF'` ... `EOF`).
// - A command must exit 0, unless it carries the comment `# exit N`: then it must exit N.
// - The commands of one page run in order in one bash (so `cd` and variables carry over), with
//   the llmops under test first on PATH, HOME and TMPDIR in the test's temporary folder,
//   NO_COLOR set and the providers' API keys unset: nothing may need the network or a key.
// - Where a page starts: README.md in an EMPTY folder (its tour is for someone who installed
//   only the binary, so it must write every file it needs); each docs/*.md page in a fresh copy
//   of the repository (a reference page may use the shipped evals); each example in a fresh
//   copy of its own folder.
//
// "cli::docs links" checks that every relative link of these pages reaches a file, and a heading
// when it names one (`docs/runs.md#reports`), and "cli::docs commands" that docs/commands.md
// names every command `llmops --help` lists.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/pg_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

namespace fs = std::filesystem;

struct DocCommand {
    int line = 0;          // 1-based line of the command's first line in the README
    std::string text;      // the command, here-document bodies included
    int expected_exit = 0; // 0, or N from a `# exit N` comment
};

struct Extracted {
    std::vector<DocCommand> commands;
    std::vector<std::string> problems; // "LINE: message"
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

bool continues(const std::string& line) {
    const std::string t = trim(line);
    // A comment at the end of a line ends the command, whatever precedes it.
    static const std::regex trailing_comment(R"((^|\s)#[^'"]*$)");
    if (std::regex_search(t, trailing_comment)) {
        return false;
    }
    return t.ends_with("\\") || t.ends_with("|") || t.ends_with("&&");
}

// Extracts the commands of the ```sh and ```bash blocks of `markdown` (see the convention at
// the top of this file).
Extracted extract_commands(const std::string& markdown) {
    static const std::regex fence(R"(^(\s*)(```+|~~~+)\s*([^`]*)$)");
    static const std::regex heredoc(R"(<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2)");
    static const std::regex exit_marker(R"((^|\s)#\s*exit\s+(\d+)\b)");
    Extracted out;
    const auto lines = split_lines(markdown);
    size_t i = 0;
    while (i < lines.size()) {
        std::smatch m;
        if (!std::regex_match(lines[i], m, fence)) {
            ++i;
            continue;
        }
        const std::string indent = m[1], marker = m[2];
        std::istringstream info(m[3].str());
        std::string lang, word;
        info >> lang;
        bool run = lang == "sh" || lang == "bash";
        while (info >> word) {
            if (!run) {
                break;
            }
            if (word == "no-test") {
                run = false;
            } else {
                out.problems.push_back(
                    fmt::format("{}: unknown word '{}' after ```{} (the only marker is 'no-test')",
                                i + 1, word, lang));
                run = false;
            }
        }
        // The block's lines, up to its closing fence.
        const size_t start = ++i;
        while (i < lines.size() && trim(lines[i]) != marker) {
            ++i;
        }
        const size_t end = i++;
        if (!run) {
            continue;
        }
        auto body = [&](size_t k) {
            const std::string& l = lines[k];
            return l.starts_with(indent) ? l.substr(indent.size()) : l;
        };
        for (size_t k = start; k < end;) {
            const std::string first = body(k);
            if (trim(first).empty() || trim(first).starts_with("#")) {
                ++k;
                continue;
            }
            DocCommand cmd;
            cmd.line = static_cast<int>(k) + 1;
            std::string logical; // the command's own lines, without here-document bodies
            for (;;) {
                const std::string line = body(k++);
                cmd.text += line + "\n";
                logical += line + "\n";
                for (std::sregex_iterator h(line.begin(), line.end(), heredoc), e; h != e; ++h) {
                    const bool strip_tabs = (*h)[1] == "-";
                    const std::string word_end = (*h)[3];
                    while (k < end) {
                        const std::string doc_line = body(k++);
                        cmd.text += doc_line + "\n";
                        std::string cmp = doc_line;
                        if (strip_tabs) {
                            cmp.erase(0, cmp.find_first_not_of('\t'));
                        }
                        if (cmp == word_end) {
                            break;
                        }
                    }
                }
                if (k >= end || !continues(line)) {
                    break;
                }
            }
            if (std::smatch e; std::regex_search(logical, e, exit_marker)) {
                cmd.expected_exit = std::stoi(e[2]);
            }
            out.commands.push_back(std::move(cmd));
        }
    }
    return out;
}

// Copies `from` into `to`, leaving out a project's store, git's data and build folders, so a
// README runs on the files a fresh clone has.
void copy_tree(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const auto& entry : fs::directory_iterator(from)) {
        const std::string name = entry.path().filename().string();
        if (name == ".llmops" || name == ".git" || name.starts_with("build")) {
            continue;
        }
        fs::copy(entry.path(), to / name,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    }
}

std::string tail(const std::string& text, size_t n = 1500) {
    return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

std::string one_line(std::string text) {
    if (auto nl = text.find('\n'); nl != std::string::npos && nl + 1 < text.size()) {
        text = text.substr(0, nl) + " ...";
    } else if (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    return text;
}

// Where a page's commands start (see the convention at the top of this file).
enum class Start {
    empty_folder, // README.md: only the binary
    repository,   // docs/*.md: a fresh copy of the repository
    page_folder,  // examples/*/README.md: a fresh copy of the example's folder
};

// Runs the commands of the page `readme` (a path under the source tree, e.g.
// "examples/rag-exec/README.md") in the folder `start` says; a failed check names the first
// command that exits with another code than expected (the run stops there). Returns the number
// of commands that ran as expected.
size_t run_readme(const TempDir& dir, const std::string& readme, Start start,
                  const fs::path& bin_dir = fs::path(LLMOPS_BINARY).parent_path(),
                  const std::map<std::string, std::string>& extra_env = {}) {
    const fs::path source = fs::path(LLMOPS_SOURCE_DIR) / readme;
    const auto extracted = extract_commands(read_file(source));
    for (const auto& p : extracted.problems) {
        FAIL_CHECK(fmt::format("{}:{}", readme, p));
    }
    const fs::path work = dir / "work";
    const fs::path logs = dir / "logs";
    const fs::path home = dir / "home";
    fs::create_directories(logs);
    fs::create_directories(home);
    fs::create_directories(dir / "tmp");
    switch (start) {
    case Start::empty_folder: fs::create_directories(work); break;
    case Start::repository: copy_tree(LLMOPS_SOURCE_DIR, work); break;
    case Start::page_folder: copy_tree(source.parent_path(), work); break;
    }
    for (fs::path p = work; p != p.root_path(); p = p.parent_path()) {
        // A store above the copy would be picked up by `llmops` instead of a new one.
        REQUIRE_MESSAGE(
            !fs::exists(p.parent_path() / ".llmops"),
            fmt::format("a project store above the test's folder: {}", p.parent_path().string()));
    }

    std::string script = "cd \"$DOCS_WORK\" || exit 97\n";
    for (size_t i = 0; i < extracted.commands.size(); ++i) {
        const auto& cmd = extracted.commands[i];
        script +=
            fmt::format("# {}:{}\n{{ {}}} >\"$DOCS_LOGS/{}.out\" 2>\"$DOCS_LOGS/{}.err\" "
                        "</dev/null\n__rc=$?\nprintf '%s\\n' \"$__rc\" >>\"$DOCS_LOGS/status\"\n"
                        "[ \"$__rc\" -eq {} ] || exit 0\n",
                        readme, cmd.line, cmd.text, i, i, cmd.expected_exit);
    }
    std::ofstream(dir / "commands.sh") << script;

    const char* path = std::getenv("PATH");
    RunOptions options;
    options.cwd = work;
    options.env = {
        {"PATH", bin_dir.string() + ":" + (path ? path : "/usr/bin:/bin")},
        {"DOCS_WORK", work.string()},
        {"DOCS_LOGS", logs.string()},
        {"HOME", home.string()},
        {"TMPDIR", (dir / "tmp").string()},
        {"NO_COLOR", "1"},
        {"LLMOPS_AUTHOR", "Docs Test <docs@example.com>"},
    };
    for (const char* name :
         {"LLMOPS_DIR", "LLMOPS_JUDGE", "LLMOPS", "OPENAI_API_KEY", "OPENAI_BASE_URL",
          "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY",
          "GEMINI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OLLAMA_BASE_URL",
          "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
        options.env[name] = "\x01unset";
    }
    for (const auto& [name, value] : extra_env) {
        options.env[name] = value;
    }
    const auto r = run_program(
        {"timeout", "-k", "10", "600", "bash", (dir / "commands.sh").string()}, options);

    const auto statuses = split_lines(read_file(logs / "status"));
    size_t ok = 0;
    for (size_t i = 0; i < extracted.commands.size(); ++i) {
        const auto& cmd = extracted.commands[i];
        const std::string where = fmt::format("{}:{}: `{}`", readme, cmd.line, one_line(cmd.text));
        if (i >= statuses.size()) {
            FAIL_CHECK(fmt::format("{} did not run (the shell {}, exit {})\n{}", where,
                                   r.exit_code == 124 ? "timed out" : "stopped", r.exit_code,
                                   tail(r.err)));
            break;
        }
        const int code = std::stoi(statuses[i]);
        if (code != cmd.expected_exit) {
            FAIL_CHECK(fmt::format("{} exited {}, expected {}\n--- stdout ---\n{}\n--- stderr "
                                   "---\n{}",
                                   where, code, cmd.expected_exit,
                                   tail(read_file(logs / fmt::format("{}.out", i))),
                                   tail(read_file(logs / fmt::format("{}.err", i)))));
            break;
        }
        ++ok;
    }
    return ok;
}

// examples/*/README.md, sorted.
std::vector<std::string> example_readmes() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(fs::path(LLMOPS_SOURCE_DIR) / "examples")) {
        if (entry.is_directory() && fs::exists(entry.path() / "README.md")) {
            out.push_back("examples/" + entry.path().filename().string() + "/README.md");
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// One test case per example, so CTest runs them in parallel (together they took 10 s of one
// core, the longest test); "cli::docs examples" checks that the list below names them all.
const std::vector<std::string> k_examples = {
    "examples/app-prompt-export/README.md", "examples/github-actions/README.md",
    "examples/gitlab-ci/README.md",         "examples/model-comparison/README.md",
    "examples/production-loop/README.md",   "examples/prompt-rollback/README.md",
    "examples/rag-exec/README.md",
};

// Runs one example's commands, as the README says they are tested.
void check_example(const std::string& readme) {
    CAPTURE(readme);
    const auto text = read_file(fs::path(LLMOPS_SOURCE_DIR) / readme);
    // Each example runs offline, so each shows commands, and says how they are tested.
    CHECK_MESSAGE(!extract_commands(text).commands.empty(),
                  fmt::format("{} has no command to run", readme));
    CHECK_MESSAGE(text.find("tests/cli/test_docs_cli.cpp") != std::string::npos,
                  fmt::format("{} does not state the commands convention", readme));
    TempDir dir;
    CHECK(run_readme(dir, readme, Start::page_folder) == extract_commands(text).commands.size());
}

// docs/*.md pages that show commands to run, sorted.
std::vector<std::string> doc_pages_with_commands() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(fs::path(LLMOPS_SOURCE_DIR) / "docs")) {
        if (entry.path().extension() == ".md" &&
            !extract_commands(read_file(entry.path())).commands.empty()) {
            out.push_back("docs/" + entry.path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// One test case per page, as for the examples; "cli::docs docs" checks that the list names
// every page with commands.
const std::vector<std::string> k_doc_pages = {
    "docs/ab.md",           "docs/advise.md",   "docs/assertions.md", "docs/ci.md",
    "docs/diff.md",         "docs/drift.md",    "docs/judge.md",      "docs/monitoring.md",
    "docs/online-evals.md", "docs/otlp.md",     "docs/prompts.md",    "docs/providers.md",
    "docs/runs.md",         "docs/starters.md", "docs/suites.md",     "docs/teams.md",
    "docs/traces.md",
};

// Runs one docs page's commands in a fresh copy of the repository.
// Runs one docs page's commands in a fresh copy of the repository, with `env` added to the
// shell's environment (a server's address, for a page that needs one).
void check_doc_page(const std::string& page, const std::map<std::string, std::string>& env = {}) {
    CAPTURE(page);
    const auto text = read_file(fs::path(LLMOPS_SOURCE_DIR) / page);
    const auto extracted = extract_commands(text);
    CHECK_MESSAGE(!extracted.commands.empty(), fmt::format("{} has no command to run", page));
    TempDir dir;
    CHECK(run_readme(dir, page, Start::repository, fs::path(LLMOPS_BINARY).parent_path(), env) ==
          extracted.commands.size());
}

// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
std::string heading_anchor(std::string_view heading) {
    std::string out;
    for (const char c : heading) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || u >= 0x80) {
            out += static_cast<char>(std::tolower(u));
        } else if (c == ' ') {
            out += '-';
        }
    }
    return out;
}

// The anchors of the headings of `markdown` (outside code blocks), with GitHub's `-1`, `-2`
// suffixes for repeated headings.
std::set<std::string> anchors(const std::string& markdown) {
    static const std::regex heading(R"(^#{1,6} (.*)$)");
    std::set<std::string> out;
    std::map<std::string, int> seen;
    bool in_code = false;
    for (const auto& line : split_lines(markdown)) {
        if (trim(line).starts_with("```")) {
            in_code = !in_code;
            continue;
        }
        std::smatch m;
        if (in_code || !std::regex_match(line, m, heading)) {
            continue;
        }
        const std::string a = heading_anchor(trim(m[1].str()));
        const int n = seen[a]++;
        out.insert(n == 0 ? a : fmt::format("{}-{}", a, n));
    }
    return out;
}

// The relative links of the page `page` whose file or heading does not exist, one message each.
std::vector<std::string> broken_links(const std::string& page) {
    static const std::regex link(R"(\]\(([^)\s]+)\))");
    const fs::path source = fs::path(LLMOPS_SOURCE_DIR) / page;
    const std::string text = read_file(source);
    std::vector<std::string> out;
    for (std::sregex_iterator i(text.begin(), text.end(), link), e; i != e; ++i) {
        const std::string target = (*i)[1];
        if (target.find("://") != std::string::npos || target.starts_with("mailto:")) {
            continue;
        }
        const auto hash = target.find('#');
        const std::string path = target.substr(0, hash);
        const fs::path file = path.empty() ? source : source.parent_path() / path;
        if (!fs::exists(file)) {
            out.push_back(fmt::format("{}: '{}' does not exist", page, target));
        } else if (hash != std::string::npos && file.extension() == ".md" &&
                   !anchors(read_file(file)).contains(target.substr(hash + 1))) {
            out.push_back(fmt::format("{}: '{}' names no heading", page, target));
        }
    }
    return out;
}

// The subcommands `llmops PATH... --help` lists, by name.
std::vector<std::string> subcommands(const std::vector<std::string>& path) {
    std::vector<std::string> argv = {LLMOPS_BINARY};
    argv.insert(argv.end(), path.begin(), path.end());
    argv.push_back("--help");
    const auto r = run_program(argv, RunOptions{});
    std::vector<std::string> out;
    bool in_list = false;
    for (const auto& line : split_lines(r.out)) {
        if (line.starts_with("Subcommands:")) {
            in_list = true;
        } else if (in_list && !line.starts_with("  ")) {
            in_list = false;
        } else if (in_list) {
            std::istringstream(line) >> out.emplace_back();
        }
    }
    return out;
}

// The commands under `path` (itself included) that no line of `reference` mentions: a line
// naming `llmops PATH...` and the command's own name (`llmops cache stats|clear|prune` covers
// all three).
void undocumented(const std::vector<std::string>& path, const std::vector<std::string>& lines,
                  std::vector<std::string>& out) {
    std::string parent = "llmops";
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        parent += " " + path[i];
    }
    const std::regex word(path.empty() ? "" : "(^|[^a-z_-])" + path.back() + "([^a-z_-]|$)");
    const bool found =
        path.empty() || std::ranges::any_of(lines, [&](const std::string& l) {
            return l.find("`" + parent + " ") != std::string::npos && std::regex_search(l, word);
        });
    if (!found) {
        out.push_back(parent + " " + path.back());
    }
    for (const auto& name : subcommands(path)) {
        auto child = path;
        child.push_back(name);
        undocumented(child, lines, out);
    }
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::docs extract_commands") {
        SUBCASE("sh and bash blocks run; no-test, console and other blocks do not") {
            const auto e =
                extract_commands("# T\n```sh\nllmops init\n```\n```bash no-test\napt-get x\n"
                                 "```\n```console\n$ llmops runs list\n```\n```yaml\na: 1\n"
                                 "```\n```bash\nllmops fsck\n```\n");
            REQUIRE(e.commands.size() == 2);
            CHECK(e.commands[0].line == 3);
            CHECK(e.commands[0].text == "llmops init\n");
            CHECK(e.commands[1].line == 15);
            CHECK(e.problems.empty());
        }
        SUBCASE("comments and blank lines are skipped; `# exit N` declares the exit code") {
            const auto e =
                extract_commands("```sh\n# set up\n\nllmops eval s.yaml   # exit 1: a case "
                                 "fails\nllmops diff a b   # exit code: see below\n```\n");
            REQUIRE(e.commands.size() == 2);
            CHECK(e.commands[0].line == 4);
            CHECK(e.commands[0].expected_exit == 1);
            CHECK(e.commands[1].expected_exit == 0);
        }
        SUBCASE("continuation lines and here-documents belong to their command") {
            const auto e = extract_commands("```sh\nllmops eval s.yaml \\\n  -o r.md   # exit 1\n"
                                            "cat > f.yaml <<'YAML'\na: 1\n\n# not a comment\nYAML\n"
                                            "echo a |\n  wc -l\n```\n");
            REQUIRE(e.commands.size() == 3);
            CHECK(e.commands[0].text == "llmops eval s.yaml \\\n  -o r.md   # exit 1\n");
            CHECK(e.commands[0].expected_exit == 1);
            CHECK(e.commands[1].line == 4);
            CHECK(e.commands[1].text == "cat > f.yaml <<'YAML'\na: 1\n\n# not a comment\nYAML\n");
            CHECK(e.commands[2].text == "echo a |\n  wc -l\n");
        }
        SUBCASE("an indented block (in a list) loses its indentation") {
            const auto e = extract_commands("- step:\n\n  ```sh\n  llmops init\n  ```\n");
            REQUIRE(e.commands.size() == 1);
            CHECK(e.commands[0].text == "llmops init\n");
        }
        SUBCASE("a misspelt marker is an error, and the block is not run") {
            const auto e = extract_commands("```sh notest\nrm -rf x\n```\n");
            CHECK(e.commands.empty());
            REQUIRE(e.problems.size() == 1);
            CHECK(e.problems[0] ==
                  "1: unknown word 'notest' after ```sh (the only marker is 'no-test')");
        }
    }

    TEST_CASE("cli::docs README.md") {
        TempDir dir;
        // The tour, from an empty folder: it writes every file it needs, so someone who
        // installed only the binary can follow it. A tour whose blocks became no-test fails.
        const auto commands =
            extract_commands(read_file(fs::path(LLMOPS_SOURCE_DIR) / "README.md"));
        CHECK(commands.commands.size() >= 15);
        CHECK(run_readme(dir, "README.md", Start::empty_folder) == commands.commands.size());
    }

    TEST_CASE("cli::docs README.md's tour runs from the Debian package alone") {
        // What a new user has after `apt install ./llmops_*.deb`: the package's files, no
        // repository. CPack builds it from the build under test; the tour runs from an empty
        // folder with the package's usr/bin first on PATH.
        TempDir dir;
        const fs::path build = fs::path(LLMOPS_BINARY).parent_path().parent_path();
        RunOptions options;
        options.cwd = dir.path();
        const auto built = run_program({"cpack", "--config", (build / "CPackConfig.cmake").string(),
                                        "-B", (dir / "pkg").string()},
                                       options);
        REQUIRE_MESSAGE(built.exit_code == 0, (built.out + built.err));
        fs::path deb;
        for (const auto& entry : fs::directory_iterator(dir / "pkg")) {
            deb = entry.path().extension() == ".deb" ? entry.path() : deb;
        }
        REQUIRE(!deb.empty());
        REQUIRE(run_program({"dpkg-deb", "-x", deb.string(), (dir / "root").string()}, options)
                    .exit_code == 0);
        const auto commands =
            extract_commands(read_file(fs::path(LLMOPS_SOURCE_DIR) / "README.md"));
        TempDir tour;
        CHECK(run_readme(tour, "README.md", Start::empty_folder, dir / "root/usr/bin") ==
              commands.commands.size());
    }

    TEST_CASE("cli::docs README.md is a front page") {
        const auto readme = read_file(fs::path(LLMOPS_SOURCE_DIR) / "README.md");
        // The reference lives in docs/; the README stays short enough to read in minutes.
        CHECK_MESSAGE(
            readme.size() <= 15 * 1024,
            fmt::format("README.md is {} bytes: move reference text to docs/", readme.size()));
        // CI runs exactly the README's test command.
        CHECK(readme.find("bash scripts/test.sh") != std::string::npos);
        CHECK(read_file(fs::path(LLMOPS_SOURCE_DIR) / ".ci/run").find("bash scripts/test.sh") !=
              std::string::npos);
        for (const char* link : {"docs/README.md", "docs/install.md", "docs/testing.md",
                                 "examples/README.md", "scripts/demo.sh"}) {
            CHECK_MESSAGE(readme.find(link) != std::string::npos,
                          fmt::format("README.md does not mention {}", link));
        }
    }

    TEST_CASE("cli::docs docs") {
        const auto pages = doc_pages_with_commands();
        CHECK(pages.size() >= 3);
        // A page that gains commands gets its own test case below.
        CHECK(pages == k_doc_pages);
    }

    TEST_CASE("cli::docs docs/ab.md") {
        check_doc_page("docs/ab.md");
    }

    TEST_CASE("cli::docs docs/assertions.md") {
        check_doc_page("docs/assertions.md");
    }

    TEST_CASE("cli::docs docs/ci.md") {
        check_doc_page("docs/ci.md");
    }

    TEST_CASE("cli::docs docs/diff.md") {
        check_doc_page("docs/diff.md");
    }

    TEST_CASE("cli::docs docs/drift.md") {
        check_doc_page("docs/drift.md");
    }

    TEST_CASE("cli::docs docs/judge.md") {
        check_doc_page("docs/judge.md");
    }

    TEST_CASE("cli::docs docs/otlp.md") {
        check_doc_page("docs/otlp.md");
    }

    TEST_CASE("cli::docs docs/prompts.md") {
        check_doc_page("docs/prompts.md");
    }

    TEST_CASE("cli::docs docs/providers.md") {
        check_doc_page("docs/providers.md");
    }

    TEST_CASE("cli::docs docs/runs.md") {
        check_doc_page("docs/runs.md");
    }

    TEST_CASE("cli::docs docs/starters.md") {
        check_doc_page("docs/starters.md");
    }

    TEST_CASE("cli::docs docs/suites.md") {
        check_doc_page("docs/suites.md");
    }

    TEST_CASE("cli::docs docs/traces.md") {
        check_doc_page("docs/traces.md");
    }

    TEST_CASE("cli::docs docs/teams.md") {
        // Against a real PostgreSQL on loopback (tests/support/pg_server.hpp); the Node app
        // finds node-postgres where scripts/setup.sh --tests installs it.
        PgServer& server = PgServer::shared();
        const char* js = std::getenv("LLMOPS_OTEL_JS_DIR");
        const fs::path js_dir =
            js != nullptr && *js != '\0' ? fs::path(js) : fs::path(LLMOPS_OTEL_JS_DIR);
        // Debian's python3 first: psycopg2 is its package (a pyenv python3 on PATH lacks it).
        const char* path = std::getenv("PATH");
        const std::string shell_path = fs::path(LLMOPS_BINARY).parent_path().string() +
                                       ":/usr/bin:" + (path != nullptr ? path : "/bin");
        check_doc_page("docs/teams.md", {{"TEAM_DB", server.create_database()},
                                         {"PGPASSWORD", PgServer::k_password},
                                         {"NODE_PATH", (js_dir / "node_modules").string()},
                                         {"PATH", shell_path}});
    }

    TEST_CASE("cli::docs docs/advise.md") {
        check_doc_page("docs/advise.md");
    }

    TEST_CASE("cli::docs docs/online-evals.md") {
        check_doc_page("docs/online-evals.md");
    }

    TEST_CASE("cli::docs docs/monitoring.md") {
        check_doc_page("docs/monitoring.md");
    }

    TEST_CASE("cli::docs links") {
        // Every relative link of the documentation reaches a file, and a heading when it
        // names one, so moving a section between pages cannot leave a link behind.
        std::vector<std::string> pages = {"README.md", "examples/README.md"};
        for (const auto& entry : fs::directory_iterator(fs::path(LLMOPS_SOURCE_DIR) / "docs")) {
            if (entry.path().extension() == ".md") {
                pages.push_back("docs/" + entry.path().filename().string());
            }
        }
        for (const auto& readme : example_readmes()) {
            pages.push_back(readme);
        }
        CHECK(pages.size() >= 20);
        for (const auto& page : pages) {
            for (const auto& problem : broken_links(page)) {
                FAIL_CHECK(problem);
            }
        }
    }

    TEST_CASE("cli::docs commands") {
        // docs/commands.md's table names every command `llmops --help` lists, so a new command
        // is documented where users look for it.
        const auto lines = split_lines(read_file(fs::path(LLMOPS_SOURCE_DIR) / "docs/commands.md"));
        std::vector<std::string> missing;
        undocumented({}, lines, missing);
        CHECK_MESSAGE(missing.empty(),
                      fmt::format("not in docs/commands.md: {}", fmt::join(missing, ", ")));
        CHECK(subcommands({}).size() >= 10);
    }

    TEST_CASE("cli::docs examples") {
        const auto readmes = example_readmes();
        CHECK(readmes.size() >= 6);
        // A new example gets its own test case below.
        CHECK(readmes == k_examples);
    }

    TEST_CASE("cli::docs examples/app-prompt-export") {
        check_example("examples/app-prompt-export/README.md");
    }

    TEST_CASE("cli::docs examples/github-actions") {
        check_example("examples/github-actions/README.md");
    }

    TEST_CASE("cli::docs examples/gitlab-ci") {
        check_example("examples/gitlab-ci/README.md");
    }

    TEST_CASE("cli::docs examples/model-comparison") {
        check_example("examples/model-comparison/README.md");
    }

    TEST_CASE("cli::docs examples/production-loop") {
        check_example("examples/production-loop/README.md");
    }

    TEST_CASE("cli::docs examples/prompt-rollback") {
        check_example("examples/prompt-rollback/README.md");
    }

    TEST_CASE("cli::docs examples/rag-exec") {
        check_example("examples/rag-exec/README.md");
    }

} // TEST_SUITE

} // namespace llmops::test
