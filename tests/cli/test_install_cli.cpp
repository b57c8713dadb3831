// Installing llmops (SPEC §2): `cmake --install` puts the binary, the man page and the
// completions where man and the shells look; the Debian package CPack builds holds the same,
// with computed Depends, and runs from a scratch root.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/util/files.hpp>
#include <llmops/util/yaml.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

namespace fs = std::filesystem;

// The build directory of the binary under test (build/ or build-asan/).
fs::path build_dir() {
    return fs::path(LLMOPS_BINARY).parent_path().parent_path();
}

RunResult run(const std::vector<std::string>& argv, const fs::path& cwd) {
    RunOptions options;
    options.cwd = cwd;
    return run_program(argv, options);
}

// Checks that the installed `llmops` finds its HTTP plugin: `traces serve` on an address that is
// not local gets as far as binding, which needs the plugin.
void check_finds_plugin(const fs::path& llmops, const fs::path& dir) {
    const fs::path project = dir / "project";
    fs::create_directories(project);
    REQUIRE(run({llmops.string(), "init"}, project).exit_code == 0);
    const auto serve =
        run({llmops.string(), "traces", "serve", "--listen", "192.0.2.1:1"}, project);
    CHECK(serve.exit_code == 3);
    CHECK(serve.err ==
          "llmops: error: cannot listen on '192.0.2.1:1': address in use or not local\n");
}

// One job of a workflow that uses the action, as GitHub runs its steps: each `run` script in
// bash (-eo pipefail) with the `${{ }}` expressions the action uses replaced, `uses:` steps (the
// cache) skipped, and `if:` decided by whether the cache was hit. `action_path` stands for the
// action's checkout; GITHUB_OUTPUT, GITHUB_PATH and RUNNER_TOOL_CACHE live in `dir`. Returns the
// folder the action installed into (its `where` step's output).
fs::path run_action_job(const fs::path& dir, const fs::path& action_path, bool cache_hit) {
    const auto action = util::parse_yaml(
        *util::read_file(fs::path(LLMOPS_SOURCE_DIR) / "action.yml"), "action.yml");
    REQUIRE(action);
    const fs::path outputs = dir / "github_output", path_file = dir / "github_path";
    std::map<std::string, std::string> values = {{"github.action_path", action_path.string()},
                                                 {"inputs.version", "test-version"},
                                                 {"runner.os", "Linux"},
                                                 {"runner.arch", "X64"}};
    const std::regex expression(R"(\$\{\{\s*([^}]*?)\s*\}\})");
    const auto substitute = [&](const std::string& text) {
        std::string out;
        auto last = text.cbegin();
        for (std::sregex_iterator it(text.begin(), text.end(), expression), end; it != end; ++it) {
            out.append(last, text.cbegin() + it->position(0));
            const auto value = values.find((*it)[1].str());
            CHECK_MESSAGE(value != values.end(),
                          (std::string("an expression the test does not know: ") + (*it)[1].str()));
            out += value != values.end() ? value->second : "";
            last = text.cbegin() + it->position(0) + it->length(0);
        }
        return out.append(last, text.cend());
    };
    for (const auto& step : (*action)["runs"]["steps"]) {
        if (!step.contains("run")) {
            continue; // actions/cache: restored (cache_hit) or missed, by the test
        }
        const std::string condition = step.value("if", "");
        if ((condition.find("!= 'true'") != std::string::npos && cache_hit) ||
            (condition.find("== 'true'") != std::string::npos && !cache_hit)) {
            continue;
        }
        RunOptions options;
        options.cwd = step.contains("working-directory")
                          ? fs::path(substitute(step["working-directory"].get<std::string>()))
                          : dir;
        const char* path = std::getenv("PATH");
        options.env = {{"GITHUB_OUTPUT", outputs.string()},
                       {"GITHUB_PATH", path_file.string()},
                       {"RUNNER_TOOL_CACHE", (dir / "toolcache").string()},
                       {"PATH", (dir / "bin").string() + ":" + (path ? path : "/usr/bin:/bin")}};
        const std::string script = substitute(step["run"].get<std::string>());
        const auto r = run_program(
            {"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script}, options);
        REQUIRE_MESSAGE(r.exit_code == 0, (step.value("name", "") + ": " + r.out + r.err));
        // What the step wrote to GITHUB_OUTPUT (id.outputs.key=value) is what later steps read.
        std::ifstream in(outputs);
        for (std::string line; std::getline(in, line);) {
            if (const auto eq = line.find('='); eq != std::string::npos && step.contains("id")) {
                values["steps." + step["id"].get<std::string>() + ".outputs." +
                       line.substr(0, eq)] = line.substr(eq + 1);
            }
        }
    }
    REQUIRE(values.contains("steps.where.outputs.prefix"));
    return values["steps.where.outputs.prefix"];
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::install the GitHub Action's steps run in a shell: build, cache hit, PATH") {
        TempDir dir;
        // The action's checkout: its scripts, and the build under test as its build/ (so the
        // build step's ninja finds nothing to do and installs this binary).
        const fs::path action_path = dir.path() / "action";
        fs::create_directories(action_path / "scripts");
        for (const char* script : {"scripts/setup.sh", "scripts/build.sh"}) {
            fs::copy_file(fs::path(LLMOPS_SOURCE_DIR) / script, action_path / script);
        }
        fs::create_directory_symlink(build_dir(), action_path / "build");
        // ninja only says what it was asked to build: the build under test is up to date, and
        // a ninja run here would relink the binary other tests are running.
        dir.write("bin/ninja", "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/ninja.log\"\n");
        fs::permissions(dir.path() / "bin/ninja", fs::perms::owner_all);
        const fs::path prefix = run_action_job(dir.path(), action_path, false);
        CHECK(dir.read("bin/ninja.log") == "-C build llmops llmops_man\n");
        CHECK(prefix == dir.path() / "toolcache/llmops/test-version");
        CHECK(util::read_file(dir.path() / "github_path").value() ==
              (prefix / "bin").string() + "\n");
        CHECK(fs::is_regular_file(prefix / "share/man/man1/llmops.1"));
        const auto version = run({(prefix / "bin/llmops").string(), "--version"}, dir.path());
        CHECK(version.exit_code == 0);
        CHECK(version.out.starts_with("llmops "));
        // A later job restores the folder from the cache: no build, the libraries checked.
        fs::remove(dir.path() / "github_path");
        CHECK(run_action_job(dir.path(), action_path, true) == prefix);
        CHECK(util::read_file(dir.path() / "github_path").value() ==
              (prefix / "bin").string() + "\n");
    }

    TEST_CASE("cli::install the GitHub Action: a composite action whose steps name what exists") {
        const fs::path source(LLMOPS_SOURCE_DIR);
        const auto text = util::read_file(source / "action.yml");
        REQUIRE(text);
        const auto action = util::parse_yaml(*text, "action.yml");
        REQUIRE(action);
        CHECK((*action)["runs"]["using"] == "composite");
        std::string scripts;
        for (const auto& step : (*action)["runs"]["steps"]) {
            CHECK((step.contains("run") || step.contains("uses")));
            if (step.contains("run")) {
                CHECK(step.value("shell", "") == "bash"); // composite run steps need a shell
                scripts += step["run"].get<std::string>();
            }
        }
        // The scripts and build targets it runs exist; what it installs is cli::install's.
        const std::regex script(R"(scripts/[a-z-]+\.sh)");
        int named = 0;
        for (auto it = std::sregex_iterator(scripts.begin(), scripts.end(), script);
             it != std::sregex_iterator(); ++it, ++named) {
            CAPTURE(it->str());
            CHECK(fs::is_regular_file(source / it->str()));
        }
        CHECK(named >= 2);
        CHECK(scripts.find("cmake --install build --prefix") != std::string::npos);
        CHECK(
            util::read_file(source / "cmd/CMakeLists.txt")->find("add_custom_target(llmops_man") !=
            std::string::npos);
        // The example workflow uses it.
        const auto workflow =
            util::read_file(source / "examples/github-actions/.github/workflows/llmops.yml");
        REQUIRE(workflow);
        CHECK(std::regex_search(*workflow, std::regex(R"(uses: [\w-]+/llmops@v)")));
    }

    TEST_CASE("cli::install cmake --install: binary, man page and completions in their folders") {
        TempDir dir;
        const fs::path prefix = dir.path() / "prefix";
        const auto installed = run(
            {"cmake", "--install", build_dir().string(), "--prefix", prefix.string()}, dir.path());
        REQUIRE_MESSAGE(installed.exit_code == 0, installed.err);
        for (const char* file :
             {"bin/llmops", "lib/llmops/libllmops_http.so", "share/man/man1/llmops.1",
              "share/bash-completion/completions/llmops", "share/zsh/vendor-completions/_llmops",
              "share/fish/vendor_completions.d/llmops.fish"}) {
            CAPTURE(file);
            CHECK(fs::is_regular_file(prefix / file));
        }
        const auto version = run({(prefix / "bin/llmops").string(), "--version"}, dir.path());
        CHECK(version.exit_code == 0);
        CHECK(version.out.starts_with("llmops "));
        CHECK(dir.read("prefix/share/man/man1/llmops.1").find(".TH LLMOPS 1") != std::string::npos);
        check_finds_plugin(prefix / "bin/llmops", dir.path());
    }

    TEST_CASE("cli::install the Debian package: computed Depends, runs from a scratch root") {
        TempDir dir;
        const auto built = run({"cpack", "--config", (build_dir() / "CPackConfig.cmake").string(),
                                "-B", (dir.path() / "pkg").string()},
                               dir.path());
        REQUIRE_MESSAGE(built.exit_code == 0, (built.out + built.err));
        fs::path deb;
        for (const auto& entry : fs::directory_iterator(dir.path() / "pkg")) {
            if (entry.path().extension() == ".deb") {
                deb = entry.path();
            }
        }
        REQUIRE(!deb.empty());
        CHECK(deb.filename().string().starts_with("llmops_"));
        CHECK(deb.filename().string().ends_with("_amd64.deb"));
        const auto info = run({"dpkg-deb", "-I", deb.string()}, dir.path());
        CHECK(info.exit_code == 0);
        CHECK(info.out.find("Package: llmops") != std::string::npos);
        // Computed by dpkg-shlibdeps from the binary and the HTTP plugin (versions included), plus
        // libcurl4 and libssl3, which are opened at run time.
        for (const char* dep : {"libc6 (>= ", "libsqlite3-0 (>= ", "libstdc++6 (>= ", "libcurl4",
                                "libssl3", "libcpp-httplib0.11"}) {
            CAPTURE(dep);
            CHECK(info.out.find(dep) != std::string::npos);
        }
        const auto contents = run({"dpkg-deb", "-c", deb.string()}, dir.path());
        CHECK(contents.out.find("./usr/bin/llmops") != std::string::npos);
        CHECK(contents.out.find("./usr/share/man/man1/llmops.1") != std::string::npos);
        CHECK(contents.out.find("./usr/lib/llmops/libllmops_http.so") != std::string::npos);
        const fs::path root = dir.path() / "root";
        REQUIRE(run({"dpkg-deb", "-x", deb.string(), root.string()}, dir.path()).exit_code == 0);
        const auto version = run({(root / "usr/bin/llmops").string(), "--version"}, dir.path());
        CHECK(version.exit_code == 0);
        CHECK(version.out.starts_with("llmops "));
        const auto man = run({(root / "usr/bin/llmops").string(), "man"}, dir.path());
        CHECK(man.exit_code == 0);
        CHECK(man.out.find(".TH LLMOPS 1") != std::string::npos);
        check_finds_plugin(root / "usr/bin/llmops", dir.path());
    }
}

} // namespace llmops::test
