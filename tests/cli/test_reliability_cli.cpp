// What must hold when things go wrong around the binary: concurrent writers, a process killed
// half-way through a commit, a closed pipe, a project the user may read but not write.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

void init(const TempDir& dir) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
}

// Writes prompts/p0000.yaml ... so that a commit has `count` versions to make.
void write_prompts(const TempDir& dir, int count, const std::string& tag) {
    for (int i = 0; i < count; ++i) {
        dir.write(fmt::format("prompts/p{:04}.yaml", i),
                  fmt::format("description: prompt {} ({})\ntemplate: |\n  Answer the question "
                              "{{{{question}}}} about item {} in the style of {}.\n",
                              i, tag, i, tag));
    }
}

json run_json(const TempDir& dir, const std::vector<std::string>& args) {
    const auto r = llmops(dir.path(), args);
    INFO("stderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

size_t prompt_count(const TempDir& dir) {
    return run_json(dir, {"prompt", "list", "--json"})["prompts"].size();
}

size_t version_count(const TempDir& dir) {
    return run_json(dir, {"prompt", "log", "--json"})["versions"].size();
}

void check_fsck_ok(const TempDir& dir) {
    const auto r = llmops(dir.path(), {"fsck"});
    INFO("fsck: ", r.out, r.err);
    CHECK(r.exit_code == 0);
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
        .count();
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::concurrent commits") {
        TempDir dir;
        init(dir);
        SUBCASE("two processes committing at once both succeed") {
            dir.write("prompts/a.yaml", "template: a\n");
            dir.write("prompts/b.yaml", "template: b\n");
            const pid_t a =
                spawn_llmops(dir.path(), {"prompt", "commit", "prompts/a.yaml", "-m", "a"});
            const pid_t b =
                spawn_llmops(dir.path(), {"prompt", "commit", "prompts/b.yaml", "-m", "b"});
            CHECK(wait_for(a) == 0);
            CHECK(wait_for(b) == 0);
            CHECK(prompt_count(dir) == 2);
            check_fsck_ok(dir);
        }
        SUBCASE("many processes, each committing its own file twice") {
            constexpr int k_writers = 8;
            for (int round = 1; round <= 2; ++round) {
                std::vector<pid_t> pids;
                for (int i = 0; i < k_writers; ++i) {
                    const std::string file = fmt::format("prompts/w{}.yaml", i);
                    dir.write(file, fmt::format("template: writer {} round {}\n", i, round));
                    pids.push_back(spawn_llmops(dir.path(), {"prompt", "commit", file, "-m",
                                                             fmt::format("round {}", round)}));
                }
                for (const pid_t pid : pids) {
                    CHECK(wait_for(pid) == 0);
                }
            }
            const json log = run_json(dir, {"prompt", "log", "--json"});
            CHECK(log["versions"].size() == 2 * k_writers);
            for (int i = 0; i < k_writers; ++i) {
                const json one = run_json(dir, {"prompt", "log", fmt::format("w{}", i), "--json"});
                REQUIRE(one["versions"].size() == 2);
                CHECK(one["versions"][0]["message"] == "round 2");
                CHECK(one["versions"][1]["message"] == "round 1");
            }
            check_fsck_ok(dir);
        }
    }

    TEST_CASE("cli::a commit killed half-way") {
        constexpr int k_files = 3000;
        TempDir dir;
        write_prompts(dir, k_files, "kill");
        // Each attempt starts from a new, empty store over the same files (writing 3000 files is
        // the slow part of this test).
        const auto fresh_store = [&] {
            fs::remove_all(dir / ".llmops");
            init(dir);
        };
        // How long an uninterrupted commit takes here, so the kills land across its whole run
        // (parsing first, the transaction at the end) whatever the machine's speed.
        fresh_store();
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(wait_for(spawn_llmops(dir.path(), {"prompt", "commit", "-m", "all"})) == 0);
        const double full_ms = elapsed_ms(start);
        REQUIRE(prompt_count(dir) == k_files);

        for (const double fraction : {0.1, 0.5, 0.7, 0.8, 0.9, 1.0}) {
            CAPTURE(fraction);
            CAPTURE(full_ms);
            fresh_store();
            const pid_t pid = spawn_llmops(dir.path(), {"prompt", "commit", "-m", "killed"});
            std::this_thread::sleep_for(
                std::chrono::duration<double, std::milli>(full_ms * fraction));
            ::kill(pid, SIGKILL);
            wait_for(pid);
            // All of the commit or none of it, and a store that checks out.
            const size_t committed = prompt_count(dir);
            CHECK((committed == 0 || committed == k_files));
            CHECK(version_count(dir) == committed);
            check_fsck_ok(dir);
            // The store still takes the commit.
            REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "again"}).exit_code == 0);
            CHECK(prompt_count(dir) == k_files);
        }
    }

    TEST_CASE("cli::a closed pipe is not an error") {
        TempDir dir;
        init(dir);
        // Enough versions that the log outgrows a pipe buffer (64 KiB).
        write_prompts(dir, 1000, "pipe");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "many"}).exit_code == 0);
        RunOptions options;
        options.cwd = dir.path();
        options.env = {{"NO_COLOR", "1"}, {"LLMOPS_DIR", "\x01unset"}};
        for (const std::string command : {"prompt log", "prompt log --json", "prompt list"}) {
            CAPTURE(command);
            const auto r = run_program(
                {"/bin/sh", "-c", std::string(LLMOPS_BINARY) + " " + command + " | head -1"},
                options);
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            CHECK(r.out.size() > 1);
            CHECK(r.out.find('\n') == r.out.size() - 1);
        }
        // The first line of the log is the newest version of the first prompt.
        const auto r = run_program(
            {"/bin/sh", "-c", std::string(LLMOPS_BINARY) + " prompt log | head -1"}, options);
        CHECK(r.out.starts_with("p0000@1 "));
    }

    TEST_CASE("cli::a read-only project") {
        TempDir dir;
        init(dir);
        dir.write("prompts/greet.yaml", "template: hello\n");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "first"}).exit_code == 0);
        dir.write("prompts/greet.yaml", "template: hello again\n");

        // Root may write anywhere, so the test runs the binary as an unprivileged user; anyone else
        // takes away their own write permission.
        const bool root = ::geteuid() == 0;
        const auto run = [&](const std::vector<std::string>& args) -> RunResult {
            return root ? llmops_as(unprivileged_uid(), dir.path(), args)
                        : llmops(dir.path(), args);
        };
        struct ReadOnly {
            fs::path dir;
            bool active;
            ReadOnly(fs::path d, bool a) : dir(std::move(d)), active(a) {
                if (active) {
                    ::chmod(dir.c_str(), 0555);
                }
            }
            ~ReadOnly() {
                if (active) {
                    ::chmod(dir.c_str(), 0755);
                }
            }
        } read_only(dir / ".llmops", !root);

        SUBCASE("read commands still work") {
            for (const auto& args : std::vector<std::vector<std::string>>{
                     {"prompt", "log"}, {"prompt", "show", "greet"}, {"prompt", "list"}}) {
                CAPTURE(args[1]);
                const auto r = run(args);
                CHECK(r.exit_code == 0);
                CHECK(r.err == "");
                CHECK(r.out.find("greet") != std::string::npos);
            }
            const auto status = run({"prompt", "status"});
            CHECK(status.exit_code == 0);
            CHECK(status.err == "");
            CHECK(status.out == "changes not committed (llmops prompt commit -m MSG):\n"
                                "  modified:  prompts/greet.yaml (greet, latest @1)\n");
        }
        SUBCASE("commands that write fail clearly") {
            const std::string message = "llmops: error: cannot change the store: '" +
                                        fs::canonical(dir.path()).string() +
                                        "/.llmops' is not writable (Permission denied); read "
                                        "commands still work\n";
            for (const auto& args : std::vector<std::vector<std::string>>{
                     {"prompt", "commit", "-m", "second"},
                     {"prompt", "label", "set", "greet@1", "production"},
                     {"prompt", "label", "rm", "greet", "production"}}) {
                CAPTURE(args[1]);
                const auto r = run(args);
                CHECK(r.exit_code == 3);
                CHECK(r.out == "");
                CHECK(r.err == message);
            }
            CHECK(version_count(dir) == 1);
        }
    }

    // Hardening issue, item 11: a 50 MB CSV field once took 1.2 GB to eval and 1.3 GB to export
    // (the store sorted whole rows, each export built its result as one string, copies of copies).
    // Memory stays a small multiple of the largest value. Sanitizer builds shadow every allocation,
    // so the bound is checked in the release build only.
    TEST_CASE("cli::a huge dataset field keeps memory within a small multiple of it") {
#if defined(__SANITIZE_ADDRESS__)
        MESSAGE("memory bounds are not checked under AddressSanitizer");
#else
        TempDir dir;
        init(dir);
        constexpr size_t k_field = 20u << 20;
        dir.write("tests.csv", "question,expected\n" + std::string(k_field, 'x') + ",x\n");
        dir.write("suite.yaml", "prompts:\n  - \"Q: {{question}}\"\nproviders:\n  - echo\n"
                                "tests: file://tests.csv\ndefaultTest:\n  assert:\n"
                                "    - type: contains\n      value: xxx\n");
        const long field_kb = k_field / 1024;
        const long base_kb = 40 * 1024; // the program itself, SQLite's page cache, libcurl
        const auto eval = llmops(dir.path(), {"eval", "suite.yaml"});
        REQUIRE(eval.exit_code == 0);
        CAPTURE(eval.max_rss_kb);
        // 10x or 13x measured: the batch is written either while the case is still held or after
        // (timing), and malloc keeps different pages in each.
        CHECK(eval.max_rss_kb < base_kb + 14 * field_kb);
        for (const std::string format : {"json", "jsonl", "csv", "xml", "md", "html"}) {
            CAPTURE(format);
            const auto r = llmops(dir.path(), {"runs", "export", "latest", "-o", "out." + format});
            REQUIRE(r.exit_code == 0);
            CAPTURE(r.max_rss_kb);
            CHECK(r.max_rss_kb < base_kb + 10 * field_kb);                  // 8-9.5x measured
            if (format == "json" || format == "jsonl" || format == "csv") { // the others truncate
                CHECK(fs::file_size(dir.path() / ("out." + format)) > k_field);
            }
        }
#endif
    }

} // TEST_SUITE

} // namespace llmops::test
