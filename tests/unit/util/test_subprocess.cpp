#include <llmops/util/subprocess.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include <doctest/doctest.h>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace util = llmops::util;
using llmops::ErrorCode;
using llmops::test::TempDir;
using Strings = std::vector<std::string>;

namespace {

const std::string k_data = std::string(LLMOPS_SOURCE_DIR) + "/tests/data/exec/";

util::ProcessResult run(const Strings& argv, util::ProcessOptions options = {}) {
    auto result = util::run_process(argv, options);
    REQUIRE_OK(result);
    return *result;
}

util::ProcessResult sh(const std::string& script, util::ProcessOptions options = {}) {
    return run({"/bin/sh", "-c", script}, std::move(options));
}

// True once process `pid` is gone (or a zombie, which init may take a while to reap); false
// when it is still running at the hang limit.
bool gone(const std::string& pid) {
    return llmops::test::wait_until([&] {
        std::ifstream stat("/proc/" + pid + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        const auto state = text.find(") ");
        return !stat || state == std::string::npos || text[state + 2] == 'Z';
    });
}

bool sigpipe_pending() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    return sigismember(&pending, SIGPIPE) == 1;
}

} // namespace

TEST_SUITE("util") {

    TEST_CASE("util::run_process") {
        SUBCASE("stdin reaches the program and its stdout comes back") {
            util::ProcessOptions options;
            options.stdin_data = "hello\nworld";
            auto r = run({"cat"}, options);
            CHECK(r.exit_code == 0);
            CHECK(r.signal == 0);
            CHECK_FALSE(r.timed_out);
            CHECK(r.out == "hello\nworld");
            CHECK(r.err == "");
        }
        SUBCASE("an empty stdin is an immediate end of file") {
            auto r = run({"cat"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "");
        }
        SUBCASE("megabytes on both streams before reading stdin do not deadlock") {
            util::ProcessOptions options;
            options.stdin_data = std::string(2 * 1024 * 1024, 'x');
            options.timeout_ms = 30000;
            auto r = sh("head -c 4194304 /dev/zero | tr '\\0' a; "
                        "head -c 3145728 /dev/zero | tr '\\0' b >&2; wc -c",
                        options);
            CHECK_FALSE(r.timed_out);
            CHECK(r.exit_code == 0);
            CHECK(r.out.size() == 4194304 + 8);
            CHECK(r.out.substr(4194304) == "2097152\n");
            CHECK(r.err == std::string(3145728, 'b'));
        }
        SUBCASE("a non-zero exit status and stderr are reported") {
            auto r = sh("echo partial; echo oops >&2; exit 3");
            CHECK(r.exit_code == 3);
            CHECK(r.signal == 0);
            CHECK(r.out == "partial\n");
            CHECK(r.err == "oops\n");
        }
        SUBCASE("a program killed by a signal reports the signal") {
            auto r = sh("kill -TERM $$");
            CHECK(r.signal == SIGTERM);
            CHECK(r.exit_code == -1);
            CHECK_FALSE(r.timed_out);
        }
    }

    TEST_CASE("util::run_process timeouts") {
        TempDir dir;
        // The bounds below tell "returned at once" from "waited for the 30 s sleep": wide
        // enough apart that a busy machine cannot blur them.
        SUBCASE("a program that hangs is killed with the child it started, and fast") {
            util::ProcessOptions options;
            // Long enough for the script to start and write its child's pid on a busy machine.
            options.timeout_ms = 3000;
            auto r = run({k_data + "hang.sh", (dir / "pid").string()}, options);
            CHECK(r.timed_out);
            CHECK(r.elapsed_ms >= 3000);
            CHECK(r.elapsed_ms < 25000);
            const std::string pid = dir.read("pid").substr(0, dir.read("pid").find('\n'));
            REQUIRE_FALSE(pid.empty());
            CHECK(gone(pid));
        }
        SUBCASE("a program that closes its output and runs on is still timed out") {
            util::ProcessOptions options;
            options.timeout_ms = 300;
            auto r = sh("exec >&- 2>&-; sleep 30", options);
            CHECK(r.timed_out);
            CHECK(r.elapsed_ms < 25000);
        }
        SUBCASE("a program that ended keeps its status when what it left behind holds stdout") {
            util::ProcessOptions options;
            // The program ends at once; what it left holds stdout open, and the wait for the
            // end of its output stops at the timeout, long before the 30 s sleep ends. (Long
            // enough for the shell to start and end on a busy machine.)
            options.timeout_ms = 3000;
            auto r = sh("echo hi; sleep 30 & echo $! > '" + (dir / "pid").string() + "'", options);
            CHECK_FALSE(r.timed_out);
            CHECK(r.exit_code == 0);
            CHECK(r.out == "hi\n");
            CHECK(r.elapsed_ms < 25000);
            CHECK(gone(dir.read("pid").substr(0, dir.read("pid").find('\n'))));
        }
        SUBCASE("a cancel flag stops the program") {
            std::atomic<bool> cancel{false};
            util::ProcessOptions options;
            options.cancel = &cancel;
            std::thread stopper([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                cancel = true;
            });
            auto r = sh("sleep 30", options);
            stopper.join();
            CHECK(r.cancelled);
            CHECK_FALSE(r.timed_out);
            CHECK(r.elapsed_ms < 25000);
        }
    }

    TEST_CASE("util::run_process stdin and output limits") {
        SUBCASE("a program that never reads a large stdin does not raise SIGPIPE") {
            util::ProcessOptions options;
            options.stdin_data = std::string(8 * 1024 * 1024, 'x');
            CHECK(run({"true"}, options).exit_code == 0);
            // Closing stdin while stdout stays open makes our next write fail with EPIPE for
            // sure (an exiting child may close its stdout first, and then we stop writing).
            auto r = sh("exec 0<&-; sleep 0.2; echo done", options);
            CHECK(r.exit_code == 0);
            CHECK(r.out == "done\n");
            CHECK_FALSE(sigpipe_pending());
            sigset_t mask;
            pthread_sigmask(SIG_SETMASK, nullptr, &mask);
            CHECK(sigismember(&mask, SIGPIPE) == 0); // the thread's mask is restored
        }
        SUBCASE("output past the cap is dropped without blocking the program") {
            util::ProcessOptions options;
            options.max_output_bytes = 1000;
            auto r = sh("head -c 100000 /dev/zero | tr '\\0' o; "
                        "head -c 5000 /dev/zero | tr '\\0' e >&2; echo done >&2",
                        options);
            CHECK(r.exit_code == 0);
            CHECK(r.out == std::string(1000, 'o'));
            CHECK(r.out_truncated);
            CHECK(r.err == std::string(1000, 'e'));
            CHECK(r.err_truncated);
        }
        SUBCASE("output at the cap is not truncated") {
            util::ProcessOptions options;
            options.max_output_bytes = 3;
            auto r = sh("printf abc", options);
            CHECK(r.out == "abc");
            CHECK_FALSE(r.out_truncated);
        }
    }

    TEST_CASE("util::run_process environment") {
        TempDir dir;
        SUBCASE("cwd and extra_env reach the program; extra_env replaces our variables") {
            util::ProcessOptions options;
            options.cwd = dir.path();
            options.extra_env = {{"LLMOPS_TEST_VAR", "a value"}, {"HOME", "/elsewhere"}};
            auto r = sh("pwd; echo \"$LLMOPS_TEST_VAR\"; echo \"$HOME\"", options);
            CHECK(r.out ==
                  std::filesystem::canonical(dir.path()).string() + "\na value\n/elsewhere\n");
        }
        SUBCASE("the program is looked up in the child's PATH") {
            dir.write("bin/my-tool", "#!/bin/sh\necho from my-tool\n");
            std::filesystem::permissions(dir / "bin/my-tool", std::filesystem::perms::owner_all);
            util::ProcessOptions options;
            options.extra_env = {{"PATH", (dir / "bin").string() + ":/usr/bin:/bin"}};
            auto r = run({"my-tool"}, options);
            CHECK(r.out == "from my-tool\n");
        }
        SUBCASE("a relative program path is taken from cwd") {
            dir.write("app.sh", "#!/bin/sh\necho app\n");
            std::filesystem::permissions(dir / "app.sh", std::filesystem::perms::owner_all);
            util::ProcessOptions options;
            options.cwd = dir.path();
            CHECK(run({"./app.sh"}, options).out == "app\n");
        }
        SUBCASE("a working directory that does not exist fails before starting") {
            util::ProcessOptions options;
            options.cwd = dir / "missing";
            auto r = util::run_process({"true"}, options);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code() == ErrorCode::not_found);
            CHECK(r.error().message() ==
                  "exec: working directory '" + (dir / "missing").string() + "' does not exist");
        }
    }

    TEST_CASE("util::run_process programs that cannot start") {
        TempDir dir;
        auto failure = [&](const Strings& argv) {
            util::ProcessOptions options;
            options.cwd = dir.path();
            auto r = util::run_process(argv, options);
            REQUIRE_FALSE(r.has_value());
            return r.error();
        };
        SUBCASE("a program not in PATH") {
            auto e = failure({"llmops-no-such-program", "arg"});
            CHECK(e.code() == ErrorCode::not_found);
            CHECK(e.message() == "exec: 'llmops-no-such-program': no such program");
        }
        SUBCASE("a path that does not exist") {
            auto e = failure({"./missing.sh"});
            CHECK(e.code() == ErrorCode::not_found);
            CHECK(e.message() == "exec: './missing.sh': no such program");
        }
        SUBCASE("a file without the execute bit") {
            dir.write("plain.sh", "#!/bin/sh\necho hi\n");
            ::chmod((dir / "plain.sh").c_str(), 0644);
            auto e = failure({"./plain.sh"});
            CHECK(e.code() == ErrorCode::not_found);
            CHECK(e.message() == "exec: './plain.sh': permission denied (is it executable?)");
        }
        SUBCASE("a script whose interpreter does not exist") {
            dir.write("bad.sh", "#!/nonexistent/interpreter\n");
            ::chmod((dir / "bad.sh").c_str(), 0755);
            auto e = failure({"./bad.sh"});
            CHECK(e.code() == ErrorCode::not_found);
            CHECK(e.message() ==
                  "exec: './bad.sh': cannot run it: its #! interpreter does not exist");
        }
        SUBCASE("a file that is not a program") {
            dir.write("data.txt", "just text\n");
            ::chmod((dir / "data.txt").c_str(), 0755);
            auto e = failure({"./data.txt"});
            CHECK(e.code() == ErrorCode::io);
            CHECK(e.message() == "exec: './data.txt': not a program (a script needs a #! line)");
        }
        SUBCASE("an empty argv") {
            auto e = failure({});
            CHECK(e.code() == ErrorCode::invalid_input);
            CHECK(e.message() == "exec: empty command");
        }
    }

    TEST_CASE("util::run_process from several threads") {
        // A pipe end leaking into another thread's child would hold back an end of file and
        // turn into a timeout here.
        std::vector<llmops::Expected<util::ProcessResult>> results(
            8, llmops::Expected<util::ProcessResult>(util::ProcessResult{}));
        std::vector<std::thread> threads;
        for (size_t i = 0; i < results.size(); ++i) {
            threads.emplace_back([&, i] {
                util::ProcessOptions options;
                options.stdin_data = std::string(200000, static_cast<char>('a' + i));
                options.timeout_ms = 20000;
                results[i] = util::run_process({"cat"}, options);
            });
        }
        for (auto& t : threads)
            t.join();
        for (size_t i = 0; i < results.size(); ++i) {
            REQUIRE(results[i].has_value());
            CHECK_FALSE(results[i]->timed_out);
            CHECK(results[i]->out == std::string(200000, static_cast<char>('a' + i)));
        }
    }

    TEST_CASE("util::kill_running_children") {
        // What a second Ctrl-C does before exiting: every running child's group is killed, a
        // grandchild included, and run_process returns with the signal.
        TempDir dir;
        const auto marker = dir / "grandchild.pid";
        std::optional<llmops::Expected<util::ProcessResult>> result;
        std::atomic<bool> returned{false};
        std::thread runner([&] {
            util::ProcessOptions options;
            options.timeout_ms = 30000;
            result = util::run_process(
                {"sh", "-c", "sleep 30 & echo $! > '" + marker.string() + "'; wait"}, options);
            returned = true;
        });
        pid_t grandchild = 0;
        llmops::test::wait_until([&] {
            std::ifstream in(marker);
            in >> grandchild;
            return grandchild > 0;
        });
        const auto start = std::chrono::steady_clock::now();
        // The child can write the marker before run_process has recorded it as running (on a
        // busy machine the soak saw that): kill until run_process returns, not just once.
        llmops::test::wait_until([&] {
            util::kill_running_children();
            return returned.load();
        });
        runner.join();
        REQUIRE(grandchild > 0);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(25));
        REQUIRE(result.has_value());
        REQUIRE(result->has_value());
        CHECK((*result)->signal == SIGKILL);
        // The grandchild went with its group (it may linger as a zombie until init reaps it).
        CHECK(gone(std::to_string(grandchild)));
        util::kill_running_children(); // nothing running: nothing happens
    }

    TEST_CASE("util::split_command_line") {
        auto split = [](std::string_view line) { return util::split_command_line(line).value(); };
        SUBCASE("words are split at runs of blanks") {
            CHECK(split("  python3\tapp.py   --mode fast \n") ==
                  Strings{"python3", "app.py", "--mode", "fast"});
        }
        SUBCASE("single quotes keep everything literally") {
            CHECK(split(R"(echo 'a b' 'x\"y\n')") == Strings{"echo", "a b", R"(x\"y\n)"});
        }
        SUBCASE("double quotes escape only $ ` \" and backslash") {
            CHECK(split(R"(echo "a b" "x\"y" "\$HOME" "\q" "\\")") ==
                  Strings{"echo", "a b", "x\"y", "$HOME", R"(\q)", "\\"});
        }
        SUBCASE("a backslash outside quotes escapes the next character") {
            CHECK(split(R"(my\ prog \'x\")") == Strings{"my prog", "'x\""});
        }
        SUBCASE("quoted and unquoted pieces join into one word; empty quotes make a word") {
            CHECK(split(R"(ab'cd'"ef" '' "")") == Strings{"abcdef", "", ""});
        }
        SUBCASE("nothing is expanded") {
            CHECK(split("echo $HOME ~ *.txt `id` $(id)") ==
                  Strings{"echo", "$HOME", "~", "*.txt", "`id`", "$(id)"});
        }
        SUBCASE("a backslash-newline joins lines; a trailing backslash stays") {
            CHECK(split("ab\\\ncd e\\") == Strings{"abcd", "e\\"});
        }
        SUBCASE("unterminated quotes and empty commands fail") {
            auto error = [](std::string_view line) {
                auto r = util::split_command_line(line);
                REQUIRE_FALSE(r.has_value());
                CHECK(r.error().code() == ErrorCode::invalid_input);
                return r.error().message();
            };
            CHECK(error("app 'abc") == "unterminated single quote");
            CHECK(error("app \"abc\\\"") == "unterminated double quote");
            CHECK(error("") == "empty command");
            CHECK(error(" \t\n") == "empty command");
        }
    }

    TEST_CASE("util::describe_exit") {
        util::ProcessResult r;
        r.exit_code = 2;
        CHECK(util::describe_exit(r, 5000) == "exited with status 2");
        r.exit_code = -1;
        r.signal = SIGKILL;
        CHECK(util::describe_exit(r, 5000) == "killed by signal 9 (SIGKILL)");
        r.timed_out = true;
        CHECK(util::describe_exit(r, 5000) == "timed out after 5000 ms");
        r.timed_out = false;
        r.cancelled = true;
        CHECK(util::describe_exit(r, 5000) == "cancelled");
    }

    TEST_CASE("util::LineProcess") {
        SUBCASE("one reply line per request line, from one process") {
            auto cat = util::LineProcess::start({"cat"}, {});
            REQUIRE(cat);
            const int pid = (*cat)->pid();
            CHECK((*cat)->exchange("hello", 5000, nullptr) == "hello");
            CHECK((*cat)->exchange("{\"a\": 1}", 5000, nullptr) == "{\"a\": 1}");
            CHECK((*cat)->pid() == pid);
        }
        SUBCASE("a child that ends says how, with its last stderr line") {
            auto sh = util::LineProcess::start({"sh", "-c", "read x; echo oops >&2; exit 3"}, {});
            REQUIRE(sh);
            auto reply = (*sh)->exchange("hi", 5000, nullptr);
            REQUIRE_FALSE(reply);
            CHECK(reply.error().code() == ErrorCode::io);
            CHECK(reply.error().message() == "exited with status 3: oops");
            CHECK((*sh)->ended());
        }
        SUBCASE("a child that does not answer in time is killed") {
            auto sleeper = util::LineProcess::start({"sleep", "30"}, {});
            REQUIRE(sleeper);
            auto reply = (*sleeper)->exchange("hi", 100, nullptr);
            REQUIRE_FALSE(reply);
            CHECK(reply.error().code() == ErrorCode::timeout);
            CHECK((*sleeper)->ended());
        }
        SUBCASE("a program that does not exist fails to start") {
            CHECK(util::LineProcess::start({"no-such-program-llmops"}, {}).error().message() ==
                  "exec: 'no-such-program-llmops': no such program");
        }
    }
}
