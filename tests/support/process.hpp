#pragma once
// Runs a program as a user would, for the CLI tests: argv (never a shell), a working directory,
// extra environment variables, and captured stdout, stderr and exit code.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace llmops::test {

struct RunResult {
    int exit_code = -1; // 128+N when killed by signal N
    std::string out;
    std::string err;
    long max_rss_kb = 0; // the program's peak resident memory (getrusage's ru_maxrss)
};

struct RunOptions {
    std::filesystem::path cwd;
    std::map<std::string, std::string> env; // added to (or replacing in) the environment
    std::optional<uid_t> as_user;           // run under this uid (needs root)
    std::optional<std::string> stdin_text;
};

// Runs `argv` and waits for it.
RunResult run_program(const std::vector<std::string>& argv, const RunOptions& options);

// Runs the llmops binary under test with `args` in `cwd`. The environment is made hermetic:
// NO_COLOR set, LLMOPS_AUTHOR fixed, LLMOPS_DIR removed unless given in `env`.
RunResult llmops(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                 std::map<std::string, std::string> env = {});

// Runs the llmops binary as llmops() does (same hermetic environment), under user `uid`. Needs
// root.
RunResult llmops_as(uid_t uid, const std::filesystem::path& cwd,
                    const std::vector<std::string>& args);

// Starts the llmops binary without waiting, with `env` added to the hermetic environment;
// returns its pid. Output goes to /dev/null.
pid_t spawn_llmops(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                   std::map<std::string, std::string> env = {});

// As spawn_llmops, with stdout and stderr written to the files `out` and `err` (created or
// truncated): a server's output read while it runs.
pid_t spawn_llmops_logged(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                          const std::filesystem::path& out, const std::filesystem::path& err,
                          std::map<std::string, std::string> env = {});

// Waits for the child `pid` and returns its exit code (128+N when killed by signal N).
int wait_for(pid_t pid);

// The uid of an unprivileged user to run as when the tests run as root (nobody).
uid_t unprivileged_uid();

} // namespace llmops::test
