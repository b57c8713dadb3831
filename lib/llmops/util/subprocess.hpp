#pragma once
// Running a user's program (the `exec:` provider, `python`/`exec` assertions): argv only, never a
// shell; request text on stdin; stdout and stderr captured up to a cap; a timeout that kills the
// whole process group, so nothing a user plugs in can hang a run (SPEC §4). Safe to call from
// several threads at once.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
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

// The path of `name` found in our PATH as execvp would find it, or nothing. No side effects.
std::optional<std::string> find_program(const std::string& name);

// A long-lived child that answers one line on its stdout for each line written to its stdin
// (the node worker). Its stderr is read as it comes and the last 4 KiB kept for messages. The
// child runs in its own process group; destroying the object kills the group and reaps it. Not
// thread-safe: callers serialise exchanges.
class LineProcess {
public:
    // Starts `argv` (looked up as run_process does, with `options.cwd` and `extra_env`; the
    // other options are ignored). Fails as run_process fails to start.
    static Expected<std::unique_ptr<LineProcess>> start(const std::vector<std::string>& argv,
                                                        const ProcessOptions& options);
    ~LineProcess();
    LineProcess(const LineProcess&) = delete;
    LineProcess& operator=(const LineProcess&) = delete;

    int pid() const { return m_pid; }
    bool ended() const { return m_ended; } // an exchange failed: the child is gone

    // Writes `line` and a newline, then reads the reply line (without its newline). Fails with
    // `timeout` after `timeout_ms` (<= 0: none), `interrupted` when `cancel` becomes true, `io`
    // when the child ends first ("exited with status 1: <its last stderr line>"); after any
    // failure the child is killed and `ended()` is true.
    Expected<std::string> exchange(std::string_view line, int64_t timeout_ms,
                                   const std::atomic<bool>* cancel);

private:
    LineProcess() = default;
    void kill_and_reap();
    Error ended_error();

    int m_pid = -1;
    int m_in = -1;
    int m_out = -1;
    int m_err = -1;
    bool m_ended = false;
    std::string m_pending; // bytes read after the last reply line
    std::string m_stderr;  // the last bytes of the child's stderr
    int m_status = -1;     // how it ended, once reaped (a wait status)
};

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
