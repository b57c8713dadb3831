// Installing llmops (SPEC §2): `cmake --install` puts the binary, the man page and the
// completions where man and the shells look; the Debian package CPack builds holds the same,
// with computed Depends, and runs from a scratch root.

#include <filesystem>
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

} // namespace

TEST_SUITE("cli") {

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
             {"bin/llmops", "share/man/man1/llmops.1", "share/bash-completion/completions/llmops",
              "share/zsh/vendor-completions/_llmops",
              "share/fish/vendor_completions.d/llmops.fish"}) {
            CAPTURE(file);
            CHECK(fs::is_regular_file(prefix / file));
        }
        const auto version = run({(prefix / "bin/llmops").string(), "--version"}, dir.path());
        CHECK(version.exit_code == 0);
        CHECK(version.out.starts_with("llmops "));
        CHECK(dir.read("prefix/share/man/man1/llmops.1").find(".TH LLMOPS 1") != std::string::npos);
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
        // Computed by dpkg-shlibdeps from the binary (versions included), plus libcurl4, which
        // is opened at run time.
        for (const char* dep : {"libc6 (>= ", "libsqlite3-0 (>= ", "libstdc++6 (>= ", "libcurl4"}) {
            CAPTURE(dep);
            CHECK(info.out.find(dep) != std::string::npos);
        }
        const auto contents = run({"dpkg-deb", "-c", deb.string()}, dir.path());
        CHECK(contents.out.find("./usr/bin/llmops") != std::string::npos);
        CHECK(contents.out.find("./usr/share/man/man1/llmops.1") != std::string::npos);
        const fs::path root = dir.path() / "root";
        REQUIRE(run({"dpkg-deb", "-x", deb.string(), root.string()}, dir.path()).exit_code == 0);
        const auto version = run({(root / "usr/bin/llmops").string(), "--version"}, dir.path());
        CHECK(version.exit_code == 0);
        CHECK(version.out.starts_with("llmops "));
        const auto man = run({(root / "usr/bin/llmops").string(), "man"}, dir.path());
        CHECK(man.exit_code == 0);
        CHECK(man.out.find(".TH LLMOPS 1") != std::string::npos);
    }
}

} // namespace llmops::test
