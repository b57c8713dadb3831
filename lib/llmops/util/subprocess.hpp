#pragma once
// Running a user's program (the `exec:` provider, `python`/`exec` assertions): argv only, never a
// shell; request text on stdin; stdout and stderr captured up to a cap; a timeout that kills the
// whole process group, so nothing a user plugs in can hang a run (SPEC §4). Safe to call from
// several threads at once.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::util {

struct ProcessOptions {
    std::string stdin_data;                      // written to the child's stdin, then closed
    int64_t timeout_ms = 60000;                  // wall time before the group is killed; <= 0: none
    int64_t max_output_bytes = 16 * 1024 * 1024; // per stream; the rest is read and dropped
    std::optional<std::filesystem::path> cwd;    // working directory of the child
    std::vector<std::pair<std::string, std::string>> extra_env; // added to (or replacing) ours
    // When set and it becomes true (e.g. on Ctrl-C), the child's group is killed within about
    // 50 ms and `cancelled` is set. The child runs in its own process group, so a terminal's
    // SIGINT does not reach it: callers that stop on Ctrl-C should set this.
    const std::atomic<bool>* cancel = nullptr;
};

struct ProcessResult {
    int exit_code = -1;         // valid when neither `signal` nor `timed_out` nor `cancelled`
    int signal = 0;             // the signal that ended the child, when one did
    bool timed_out = false;     // killed by us after `timeout_ms`
    bool cancelled = false;     // killed by us because `cancel` became true
    std::string out;            // stdout (at most max_output_bytes)
    std::string err;            // stderr (at most max_output_bytes)
    bool out_truncated = false; // stdout passed the cap
    bool err_truncated = false; // stderr passed the cap
    double elapsed_ms = 0;      // from the start to the child's end
};

// Runs `argv` (argv[0] looked up in the child's PATH when it has no slash; a relative path with
// a slash is taken from `cwd` when set) and waits for it, however it ends. Both streams are read
// until they close; when the deadline passes first, the child's process group gets SIGKILL (a
// child that had already exited keeps its own status; only its leftovers are killed). Fails
// only when it cannot start: `not_found` for a program that does not exist or is not executable
// ("exec: 'foo': no such program", "exec: './app.sh': permission denied (is it executable?)"),
// or a working directory that does not exist, `io` for other spawn failures. A child that does
// not read its stdin is fine (no SIGPIPE reaches us; process-wide signal dispositions are left
// alone). The child starts with default signal dispositions and an empty signal mask.
Expected<ProcessResult> run_process(const std::vector<std::string>& argv,
                                    const ProcessOptions& options);

// Sends SIGKILL to the process group of every child run_process is running now (in any
// thread). Async-signal-safe: for a signal handler that is about to _exit (a second Ctrl-C), so
// that the user's programs, which run in their own process groups and so never see the
// terminal's SIGINT, do not outlive us.
void kill_running_children() noexcept;

// Splits a command line into argv the way a POSIX shell would split words, with single quotes,
// double quotes and backslash escapes, but without expansion of any kind ($, *, ~, ...). Fails
// with `invalid_input` on an unterminated quote ("unterminated single quote", "unterminated
// double quote") or an empty command ("empty command").
Expected<std::vector<std::string>> split_command_line(std::string_view line);

// Describes how a process ended, for messages: "exited with status 2", "killed by signal 9
// (SIGKILL)", "timed out after 5000 ms", "cancelled".
std::string describe_exit(const ProcessResult& result, int64_t timeout_ms);

} // namespace llmops::util
