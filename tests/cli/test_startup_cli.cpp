// What every start of llmops costs (SPEC §13: `--version` in a few milliseconds): the binary
// links none of the libraries that only some commands need (docs/development.md,
// "Dependencies"). libcurl, libpq and libcrypto are opened at first use; cpp-httplib (with the
// OpenSSL, zlib and brotli it brings) lives in the HTTP plugin, whose absence is a one-line error
// for the commands that need it.

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

// The DT_NEEDED entries of the ELF file `path`, as `readelf -d` lists them.
std::vector<std::string> needed_libraries(const std::string& path) {
    RunOptions options;
    const auto r = run_program({"readelf", "-d", "-W", path}, options);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::vector<std::string> out;
    for (size_t at = r.out.find("(NEEDED)"); at != std::string::npos;
         at = r.out.find("(NEEDED)", at + 1)) {
        const size_t open = r.out.find('[', at), close = r.out.find(']', open);
        REQUIRE(close != std::string::npos);
        out.push_back(r.out.substr(open + 1, close - open - 1));
    }
    return out;
}

constexpr const char* k_suite = "prompts: ['Say {{word}}']\n"
                                "providers: [echo]\n"
                                "tests:\n"
                                "  - vars: {word: hi}\n";

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::startup the binary links no library that only some commands need") {
        const auto needed = needed_libraries(LLMOPS_BINARY);
        CHECK(!needed.empty());
        for (const auto& library : needed) {
            CAPTURE(library);
            for (const char* lazy : {"libcrypto", "libssl", "libcpp-httplib", "libz.", "libbrotli",
                                     "libcurl", "libpq"}) {
                CHECK(library.find(lazy) == std::string::npos);
            }
        }
    }

    TEST_CASE("cli::startup a missing HTTP plugin is a one-line error for what needs it") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        const std::string missing = (dir.path() / "nowhere/libllmops_http.so").string();
        const std::map<std::string, std::string> env = {{"LLMOPS_HTTP_PLUGIN", missing}};
        const std::string error = "llmops: error: cannot find the HTTP plugin that servers and "
                                  "the OTLP export need (looked for '" +
                                  missing +
                                  "'): reinstall llmops, or set LLMOPS_HTTP_PLUGIN to its file\n";
        SUBCASE("traces serve") {
            const auto r = llmops(dir.path(), {"traces", "serve", "--listen", "127.0.0.1:0"}, env);
            CHECK(r.exit_code == 3);
            CHECK(r.err == error);
        }
        SUBCASE("metrics serve") {
            const auto r = llmops(dir.path(), {"metrics", "serve", "--listen", "127.0.0.1:0"}, env);
            CHECK(r.exit_code == 3);
            CHECK(r.err == error);
        }
        SUBCASE("eval --otlp-endpoint: the run goes on, the export is a warning") {
            dir.write("suite.yaml", k_suite);
            const auto r = llmops(
                dir.path(),
                {"eval", "suite.yaml", "--otlp-endpoint", "http://127.0.0.1:9/v1/traces"}, env);
            CHECK(r.exit_code == 0);
            CHECK(r.err.find("llmops: warning: otlp: 1 spans not exported to "
                             "http://127.0.0.1:9/v1/traces: cannot find the HTTP plugin") !=
                  std::string::npos);
        }
        SUBCASE("a file that is not the plugin") {
            dir.write("bogus.so", "not an ELF file\n");
            const auto r = llmops(dir.path(), {"traces", "serve", "--listen", "127.0.0.1:0"},
                                  {{"LLMOPS_HTTP_PLUGIN", (dir.path() / "bogus.so").string()}});
            CHECK(r.exit_code == 3);
            CHECK(r.err.starts_with("llmops: error: cannot load the HTTP plugin: "));
            CHECK(r.err.find("bogus.so") != std::string::npos);
        }
    }
}

// main.cpp registers only the command group that the command line names (building all 23
// groups' options was most of a quick command's start-up); the whole tree where it is read.
TEST_CASE("cli::startup one command group is built, the whole tree where it is read") {
    TempDir dir;
    dir.write("p/.keep", "");
    dir.write("o/.keep", "");
    REQUIRE(llmops(dir.path() / "p", {"init"}).exit_code == 0);
    const std::string project = (dir.path() / "p").string();
    const auto other = dir.path() / "o";
    const std::string none = "no prompts committed yet (llmops prompt commit -m MSG)\n";
    CHECK(llmops(other, {"--dir", project, "prompt", "list"}).out == none);
    CHECK(llmops(other, {"--dir=" + project, "prompt", "list"}).out == none);
    const auto bogus = llmops(other, {"--dir", project, "prompt", "bogus"});
    CHECK(bogus.exit_code == 2);
    CHECK(bogus.err == "llmops: error: unknown command 'bogus' for 'llmops prompt' (see "
                       "'llmops prompt --help')\n");
    const auto typo = llmops(other, {"promt", "list"});
    CHECK(typo.exit_code == 2);
    CHECK(typo.err.find("(did you mean 'prompt'?)") != std::string::npos);
    // Completion and the man page name every command, whichever group registers them.
    const auto bash = llmops(other, {"completion", "bash"});
    REQUIRE(bash.exit_code == 0);
    for (const char* command : {"prompt", "metrics", "remote", "eval", "drift"}) {
        CAPTURE(command);
        CHECK(bash.out.find(command) != std::string::npos);
    }
    const auto man = llmops(other, {"man"});
    REQUIRE(man.exit_code == 0);
    CHECK(man.out.find("metrics serve") != std::string::npos);
    CHECK(man.out.find("prompt label") != std::string::npos);
    CHECK(llmops(other, {"help", "metrics", "serve"}).exit_code == 0);
}

} // namespace llmops::test
