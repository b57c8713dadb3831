#include <llmops/util/subprocess.hpp>

#include <atomic>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llmops/util/strings.hpp>

extern char** environ; // NOLINT: POSIX declares it nowhere

namespace llmops::util {

namespace {

using Clock = std::chrono::steady_clock;

// strerror() may share a buffer between threads; the category's message does not.
std::string errno_text(int err) {
    return std::system_category().message(err);
}

// An owned file descriptor, closed when it goes out of scope.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            close();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(); }

    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }
    bool open() const { return m_fd >= 0; }
    void close() {
        if (m_fd >= 0) {
            ::close(m_fd); // never retried on EINTR: on Linux the descriptor is gone either way
            m_fd = -1;
        }
    }

private:
    int m_fd = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

// Moves `fd` above the standard descriptors: when our own 0, 1 or 2 is closed, a pipe end could
// land there and be clobbered by the child's dup2 of another pipe end.
int above_std_fds(int fd) {
    if (fd > STDERR_FILENO)
        return fd;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    ::close(fd);
    return moved;
}

// Every descriptor is close-on-exec from birth, so a program another thread starts at the same
// moment never inherits our pipe ends (and never keeps our reads from seeing end-of-file).
Expected<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return fail(ErrorCode::io, "exec: cannot create a pipe: {}", errno_text(errno));
    Pipe pipe{Fd(above_std_fds(fds[0])), Fd(above_std_fds(fds[1]))};
    if (!pipe.read.open() || !pipe.write.open())
        return fail(ErrorCode::io, "exec: cannot create a pipe: {}", errno_text(errno));
    return pipe;
}

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Our environment with `extra` added or replacing same-named variables. (Reading `environ`
// races with a setenv() in another thread; llmops never calls setenv after start-up.)
std::vector<std::string>
child_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view item(*entry);
        const std::string_view name = item.substr(0, item.find('='));
        const bool replaced = std::any_of(extra.begin(), extra.end(),
                                          [&](const auto& kv) { return kv.first == name; });
        if (!replaced)
            env.emplace_back(item);
    }
    for (const auto& [name, value] : extra)
        env.push_back(name + "=" + value);
    return env;
}

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name) {
    for (const auto& item : env) {
        if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=')
            return item.substr(name.size() + 1);
    }
    return std::nullopt;
}

// The outcome of looking a program up in PATH: its path, or the errno execvp would give.
struct Lookup {
    std::string path;
    int error = 0;
};

// Searches `path_var` for an executable regular file named `name`, as execvp does (an empty
// entry is the current directory; a match without execute permission gives EACCES unless a
// later entry has an executable one). The child's PATH is used, so `extra_env` can set it.
Lookup find_in_path(const std::string& name, const std::string& path_var) {
    Lookup found{{}, ENOENT};
    size_t start = 0;
    while (start <= path_var.size()) {
        size_t end = path_var.find(':', start);
        if (end == std::string::npos)
            end = path_var.size();
        std::string dir = path_var.substr(start, end - start);
        start = end + 1;
        const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (::access(candidate.c_str(), X_OK) == 0)
            return {candidate, 0};
        found.error = EACCES;
    }
    return found;
}

// The error for a program that could not be started (`err` from the lookup or posix_spawn).
Error spawn_error(const std::string& program, const ProcessOptions& options, int err) {
    if (err == ENOENT) {
        // ENOENT also comes from a script whose #! interpreter is missing: say so when the
        // file itself is there.
        std::filesystem::path file(program);
        if (program.find('/') != std::string::npos && file.is_relative() && options.cwd)
            file = *options.cwd / file;
        std::error_code ec;
        if (program.find('/') != std::string::npos && std::filesystem::is_regular_file(file, ec))
            return Error(ErrorCode::not_found,
                         fmt::format("exec: '{}': cannot run it: its #! interpreter does not exist",
                                     program));
        return Error(ErrorCode::not_found, fmt::format("exec: '{}': no such program", program));
    }
    if (err == EACCES)
        return Error(ErrorCode::not_found,
                     fmt::format("exec: '{}': permission denied (is it executable?)", program));
    if (err == ENOEXEC)
        return Error(ErrorCode::io,
                     fmt::format("exec: '{}': not a program (a script needs a #! line)", program));
    return Error(ErrorCode::io,
                 fmt::format("exec: '{}': cannot start: {}", program, errno_text(err)));
}

// The file `program` names: itself when it holds a '/', else the first match on the child's
// PATH. Fails as spawning would (spawn_error).
Expected<std::string> program_path(const std::string& program, const std::vector<std::string>& env,
                                   const ProcessOptions& options) {
    if (program.find('/') != std::string::npos) {
        return program;
    }
    const Lookup lookup =
        find_in_path(program, env_value(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
    if (lookup.error != 0) {
        return std::unexpected(spawn_error(program, options, lookup.error));
    }
    return lookup.path;
}

// posix_spawn's attributes and file actions, destroyed with the object.
class SpawnSetup {
public:
    SpawnSetup() {
        ::posix_spawnattr_init(&attr);
        ::posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
};

// Starts `path` with `argv` and `env`, its stdio on the child ends of the pipes. glibc's
// posix_spawn runs the child on a vfork-like clone and reports exec failures as its return
// value, so no status pipe is needed and nothing unsafe runs between fork and exec.
Expected<pid_t> spawn(const std::string& path, const std::vector<std::string>& argv,
                      const std::vector<std::string>& env, const ProcessOptions& options,
                      int stdin_fd, int stdout_fd, int stderr_fd) {
    SpawnSetup setup;
    // Its own process group, so a timeout kills what it started too (kill(-pgid)).
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    ::posix_spawnattr_setflags(&setup.attr, flags);
    ::posix_spawnattr_setpgroup(&setup.attr, 0);
    // A clean start: our blocked signals and ignored ones (main ignores SIGPIPE) are not the
    // user program's business.
    sigset_t none;
    sigemptyset(&none);
    ::posix_spawnattr_setsigmask(&setup.attr, &none);
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    ::posix_spawnattr_setsigdefault(&setup.attr, &all);

    ::posix_spawn_file_actions_adddup2(&setup.actions, stdin_fd, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&setup.actions, stdout_fd, STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&setup.actions, stderr_fd, STDERR_FILENO);
    if (options.cwd)
        ::posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd->c_str());

    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    pid_t pid = -1;
    const int err =
        ::posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attr, args.data(), envp.data());
    if (err != 0)
        return std::unexpected(spawn_error(argv[0], options, err));
    return pid;
}

// Blocks SIGPIPE for the calling thread while it lives, so a write to a child that closed its
// stdin fails with EPIPE instead of killing us; on destruction it consumes the SIGPIPE such a
// write left pending (unless one was pending before) and restores the thread's mask. Only this
// thread is touched: process-wide dispositions stay the caller's.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigemptyset(&m_pipe);
        sigaddset(&m_pipe, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &m_pipe, &m_old);
        sigset_t pending;
        sigemptyset(&pending);
        ::sigpending(&pending);
        m_was_pending = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeBlock() {
        if (m_raised && !m_was_pending) {
            const timespec zero{};
            while (::sigtimedwait(&m_pipe, nullptr, &zero) == -1 && errno == EINTR) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

    void raised() { m_raised = true; }

private:
    sigset_t m_pipe;
    sigset_t m_old;
    bool m_was_pending = false;
    bool m_raised = false;
};

// One output stream of the child: read until it closes, keeping at most `cap` bytes.
struct Reader {
    Fd fd;
    std::string* data;
    bool* truncated;
    int64_t cap;

    // Reads what is there (one buffer at most); closes the stream at end of file or on an
    // error. Returns true when it read something.
    bool read_some() {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
            if (n > 0) {
                const auto room = static_cast<size_t>(
                    std::max<int64_t>(0, cap - static_cast<int64_t>(data->size())));
                const auto keep = std::min(room, static_cast<size_t>(n));
                data->append(buffer, keep);
                if (keep < static_cast<size_t>(n))
                    *truncated = true; // the rest is dropped, but the child is not blocked
                return true;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return false;
            fd.close(); // end of file, or an error we cannot do better with
            return false;
        }
    }

    // Reads what the pipe already holds, without waiting for more (bounded, in case something
    // outside the killed group keeps writing).
    void drain() {
        for (int i = 0; i < 64 && fd.open() && read_some(); ++i) {
        }
    }
};

// The child's stdin: `data` written from `offset` as the pipe takes it, then closed.
struct Writer {
    Fd fd;
    const std::string* data;
    size_t offset = 0;

    void write_some(SigpipeBlock& sigpipe) {
        while (offset < data->size()) {
            const size_t chunk = std::min<size_t>(data->size() - offset, 65536);
            const ssize_t n = ::write(fd.get(), data->data() + offset, chunk);
            if (n >= 0) {
                offset += static_cast<size_t>(n);
                continue;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EPIPE)
                sigpipe.raised(); // the child closed its stdin: what it did not read is dropped
            break;
        }
        fd.close();
    }
};

// True when the child has ended (without reaping it, so its pid, which is also its group's id,
// stays reserved for a later kill(-pid)).
bool has_ended(pid_t pid) {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno != EINTR)
            return true; // ECHILD: nothing left to wait for
    }
    return info.si_pid != 0;
}

// The process groups of the children running now, for kill_running_children() (a signal
// handler): lock-free atomics only. A slot holds a group id from the spawn until just before the
// child is reaped, so the id cannot have been reused by then.
constexpr size_t k_tracked_slots = 256;
std::atomic<pid_t> g_running[k_tracked_slots];
static_assert(std::atomic<pid_t>::is_always_lock_free);

void track_child(pid_t pgid) {
    for (auto& slot : g_running) {
        pid_t empty = 0;
        if (slot.compare_exchange_strong(empty, pgid)) {
            return;
        }
    }
    // More than k_tracked_slots children at once: this one is not killed on a second Ctrl-C
    // (its timeout still bounds it).
}

void untrack_child(pid_t pgid) {
    for (auto& slot : g_running) {
        pid_t expected = pgid;
        if (slot.compare_exchange_strong(expected, 0)) {
            return;
        }
    }
}

// Reaps the child and records how it ended.
void reap(pid_t pid, ProcessResult& result) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return;
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
}

// Why the reading loop stopped.
enum class Stop { streams_closed, deadline, cancelled };

bool cancelled(const ProcessOptions& options) {
    return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
}

// How long poll() may sleep: until the deadline, and at most 50 ms when a cancel flag is
// watched; -1 when there is neither.
int poll_timeout(const ProcessOptions& options, std::optional<Clock::time_point> deadline) {
    int64_t wait = -1;
    if (deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
        wait = std::max<int64_t>(0, left.count());
    }
    if (options.cancel != nullptr)
        wait = wait < 0 ? 50 : std::min<int64_t>(wait, 50);
    return static_cast<int>(std::min<int64_t>(wait, 1 << 30));
}

// Feeds stdin and drains stdout and stderr at once (a child may write megabytes before it reads
// a byte), until both output streams close, the deadline passes or the caller cancels.
Stop pump(Writer& writer, Reader& out, Reader& err, const ProcessOptions& options,
          std::optional<Clock::time_point> deadline) {
    SigpipeBlock sigpipe;
    if (writer.fd.open())
        writer.write_some(sigpipe);
    while (out.fd.open() || err.fd.open()) {
        if (cancelled(options))
            return Stop::cancelled;
        if (deadline && Clock::now() >= *deadline)
            return Stop::deadline;
        pollfd fds[3];
        nfds_t count = 0;
        Reader* readers[3] = {};
        int writer_index = -1;
        if (writer.fd.open()) {
            writer_index = static_cast<int>(count);
            fds[count++] = {writer.fd.get(), POLLOUT, 0};
        }
        for (Reader* reader : {&out, &err}) {
            if (reader->fd.open()) {
                readers[count] = reader;
                fds[count++] = {reader->fd.get(), POLLIN, 0};
            }
        }
        const int ready = ::poll(fds, count, poll_timeout(options, deadline));
        if (ready < 0 && errno != EINTR)
            return Stop::streams_closed; // cannot happen with valid descriptors; do not spin
        if (ready <= 0)
            continue;
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0)
                continue;
            if (static_cast<int>(i) == writer_index)
                writer.write_some(sigpipe);
            else
                readers[i]->read_some();
        }
    }
    return Stop::streams_closed;
}

// Waits for the child to end after its output streams closed (it may have closed them and gone
// on running), sleeping in growing steps: there is no portable way to poll() for a child.
Stop wait_for_end(pid_t pid, const ProcessOptions& options,
                  std::optional<Clock::time_point> deadline) {
    auto step = std::chrono::milliseconds(1);
    while (!has_ended(pid)) {
        if (cancelled(options))
            return Stop::cancelled;
        auto sleep = step;
        if (deadline) {
            const auto now = Clock::now();
            if (now >= *deadline)
                return Stop::deadline;
            sleep = std::min(sleep, std::chrono::ceil<std::chrono::milliseconds>(*deadline - now));
        }
        ::poll(nullptr, 0, static_cast<int>(sleep.count()));
        step = std::min(step * 2, std::chrono::milliseconds(50));
    }
    return Stop::streams_closed;
}

} // namespace

Expected<ProcessResult> run_process(const std::vector<std::string>& argv,
                                    const ProcessOptions& options) {
    if (argv.empty() || argv[0].empty())
        return fail(ErrorCode::invalid_input, "exec: empty command");
    if (options.cwd) {
        std::error_code ec;
        if (!std::filesystem::is_directory(*options.cwd, ec))
            return fail(ErrorCode::not_found, "exec: working directory '{}' does not exist",
                        options.cwd->string());
    }
    const auto env = child_environment(options.extra_env);
    const std::string path = LLMOPS_TRY(program_path(argv[0], env, options));

    auto in = LLMOPS_TRY(make_pipe());
    auto out = LLMOPS_TRY(make_pipe());
    auto err = LLMOPS_TRY(make_pipe());

    const auto start = Clock::now();
    auto pid = LLMOPS_TRY(
        spawn(path, argv, env, options, in.read.get(), out.write.get(), err.write.get()));
    // NEEDSWORK: a second Ctrl-C landing between posix_spawn's return and this line misses
    // the child (its timeout still bounds it); closing that needs a child that waits to be told.
    track_child(pid);
    // Our copies of the child's ends must go, or we would never see end-of-file.
    in.read.close();
    out.write.close();
    err.write.close();

    ProcessResult result;
    Writer writer{std::move(in.write), &options.stdin_data};
    Reader out_reader{std::move(out.read), &result.out, &result.out_truncated,
                      options.max_output_bytes};
    Reader err_reader{std::move(err.read), &result.err, &result.err_truncated,
                      options.max_output_bytes};
    for (int fd : {writer.fd.get(), out_reader.fd.get(), err_reader.fd.get()})
        set_nonblocking(fd);
    std::optional<Clock::time_point> deadline;
    if (options.timeout_ms > 0)
        deadline = start + std::chrono::milliseconds(options.timeout_ms);

    Stop stop = pump(writer, out_reader, err_reader, options, deadline);
    writer.fd.close();
    if (stop == Stop::streams_closed)
        stop = wait_for_end(pid, options, deadline);
    if (stop != Stop::streams_closed) {
        // A child that ended on its own keeps its status; what it left running (holding our
        // pipes) is killed all the same. The unreaped child keeps the group id reserved.
        const bool ended = has_ended(pid);
        ::kill(-pid, SIGKILL);
        if (!ended) {
            result.timed_out = stop == Stop::deadline;
            result.cancelled = stop == Stop::cancelled;
        }
        // Keep what is already in the pipes, without waiting for an end-of-file that a
        // process outside the group (one that called setsid) could hold back forever.
        out_reader.drain();
        err_reader.drain();
    }
    untrack_child(pid);
    reap(pid, result);
    result.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return result;
}

void kill_running_children() noexcept {
    for (auto& slot : g_running) {
        const pid_t pgid = slot.load();
        if (pgid > 0) {
            ::kill(-pgid, SIGKILL);
        }
    }
}

Expected<std::vector<std::string>> split_command_line(std::string_view line) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false; // a word has started (even an empty one, from "")
    size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word)
                words.push_back(std::exchange(word, {}));
            in_word = false;
            ++i;
        } else if (c == '\'') {
            const size_t end = line.find('\'', i + 1);
            if (end == std::string_view::npos)
                return fail(ErrorCode::invalid_input, "unterminated single quote");
            word.append(line.substr(i + 1, end - i - 1));
            in_word = true;
            i = end + 1;
        } else if (c == '"') {
            ++i;
            for (;;) {
                if (i >= line.size())
                    return fail(ErrorCode::invalid_input, "unterminated double quote");
                const char d = line[i];
                if (d == '"') {
                    ++i;
                    break;
                }
                // Inside double quotes a backslash escapes only these, as in sh; a
                // backslash-newline disappears.
                if (d == '\\' && i + 1 < line.size() &&
                    std::string_view("$`\"\\\n").find(line[i + 1]) != std::string_view::npos) {
                    if (line[i + 1] != '\n')
                        word += line[i + 1];
                    i += 2;
                } else {
                    word += d;
                    ++i;
                }
            }
            in_word = true;
        } else if (c == '\\') {
            if (i + 1 >= line.size()) {
                word += '\\'; // a trailing backslash stays, as `sh -c 'echo a\'` prints it
                in_word = true;
                ++i;
            } else if (line[i + 1] == '\n') {
                i += 2; // a line continuation
            } else {
                word += line[i + 1];
                in_word = true;
                i += 2;
            }
        } else {
            word += c;
            in_word = true;
            ++i;
        }
    }
    if (in_word)
        words.push_back(std::move(word));
    if (words.empty())
        return fail(ErrorCode::invalid_input, "empty command");
    return words;
}

std::string describe_exit(const ProcessResult& result, int64_t timeout_ms) {
    if (result.timed_out)
        return fmt::format("timed out after {} ms", timeout_ms);
    if (result.cancelled)
        return "cancelled";
    if (result.signal != 0) {
        if (const char* name = ::sigabbrev_np(result.signal))
            return fmt::format("killed by signal {} (SIG{})", result.signal, name);
        return fmt::format("killed by signal {}", result.signal);
    }
    return fmt::format("exited with status {}", result.exit_code);
}

// ---- a long-lived child ------------------------------------------------------------------

std::optional<std::string> find_program(const std::string& name) {
    const char* path_var = std::getenv("PATH");
    const Lookup lookup = find_in_path(name, path_var ? path_var : "/usr/local/bin:/usr/bin:/bin");
    if (lookup.error != 0)
        return std::nullopt;
    return lookup.path;
}

Expected<std::unique_ptr<LineProcess>> LineProcess::start(const std::vector<std::string>& argv,
                                                          const ProcessOptions& options) {
    if (argv.empty() || argv[0].empty())
        return fail(ErrorCode::invalid_input, "exec: empty command");
    const auto env = child_environment(options.extra_env);
    const std::string path = LLMOPS_TRY(program_path(argv[0], env, options));
    auto in = LLMOPS_TRY(make_pipe());
    auto out = LLMOPS_TRY(make_pipe());
    auto err = LLMOPS_TRY(make_pipe());
    auto pid = LLMOPS_TRY(
        spawn(path, argv, env, options, in.read.get(), out.write.get(), err.write.get()));
    track_child(pid);
    std::unique_ptr<LineProcess> child(new LineProcess());
    child->m_pid = pid;
    child->m_in = in.write.release();
    child->m_out = out.read.release();
    child->m_err = err.read.release();
    for (int fd : {child->m_in, child->m_out, child->m_err})
        set_nonblocking(fd);
    return child;
}

LineProcess::~LineProcess() {
    kill_and_reap();
}

void LineProcess::kill_and_reap() {
    for (int* fd : {&m_in, &m_out, &m_err}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    if (m_pid > 0) {
        ::kill(-m_pid, SIGKILL);
        untrack_child(m_pid);
        while (::waitpid(m_pid, &m_status, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
    }
    m_ended = true;
}

Error LineProcess::ended_error() {
    kill_and_reap();
    std::string last;
    for (const auto& line : split(m_stderr, '\n'))
        if (!trim(line).empty())
            last = std::string(trim(line));
    ProcessResult result;
    if (WIFEXITED(m_status))
        result.exit_code = WEXITSTATUS(m_status);
    else if (WIFSIGNALED(m_status))
        result.signal = WTERMSIG(m_status);
    return Error(ErrorCode::io,
                 describe_exit(result, 0) + (last.empty() ? std::string() : ": " + last));
}

namespace {

// Reads what `fd` holds now into `into`; false at end of file or on an error.
bool read_available(int fd, std::string& into) {
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            into.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

} // namespace

Expected<std::string> LineProcess::exchange(std::string_view line, int64_t timeout_ms,
                                            const std::atomic<bool>* cancel) {
    if (m_ended)
        return std::unexpected(ended_error());
    std::string request(line);
    request += '\n';
    size_t written = 0;
    ProcessOptions watch;
    watch.cancel = cancel;
    std::optional<Clock::time_point> deadline;
    if (timeout_ms > 0)
        deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    SigpipeBlock sigpipe;
    for (;;) {
        if (const size_t end = m_pending.find('\n'); end != std::string::npos) {
            std::string reply = m_pending.substr(0, end);
            m_pending.erase(0, end + 1);
            return reply;
        }
        if (cancelled(watch)) {
            kill_and_reap();
            return fail(ErrorCode::interrupted, "cancelled");
        }
        if (deadline && Clock::now() >= *deadline) {
            kill_and_reap();
            return fail(ErrorCode::timeout, "timed out after {} ms", timeout_ms);
        }
        pollfd fds[3] = {{m_out, POLLIN, 0},
                         {m_err, POLLIN, 0},
                         {written < request.size() ? m_in : -1, POLLOUT, 0}};
        if (::poll(fds, 3, poll_timeout(watch, deadline)) < 0 && errno != EINTR)
            return std::unexpected(ended_error());
        if (written < request.size() && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            const ssize_t n = ::write(m_in, request.data() + written, request.size() - written);
            if (n < 0 && errno == EPIPE)
                sigpipe.raised();
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                return std::unexpected(ended_error());
            written += n > 0 ? static_cast<size_t>(n) : 0;
        }
        if (fds[1].revents != 0 && !read_available(m_err, m_stderr)) {
            ::close(m_err);
            m_err = -1;
        }
        if (m_stderr.size() > 4096)
            m_stderr.erase(0, m_stderr.size() - 4096);
        if (fds[0].revents != 0 && !read_available(m_out, m_pending) &&
            m_pending.find('\n') == std::string::npos)
            return std::unexpected(ended_error());
    }
}

} // namespace llmops::util
