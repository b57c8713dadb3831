#include "support/process.hpp"
#include "support/transcript.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace llmops::test {

namespace {

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::filesystem::path scratch(const char* what) {
    char tmpl[] = "/tmp/llmops-run-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) {
        throw std::runtime_error(std::string("mkstemp failed for ") + what);
    }
    ::close(fd);
    ::chmod(tmpl, 0666);
    return tmpl;
}

// The environment the child gets: this process's with `options.env` applied. Built before
// fork(): after it, in a process with threads (loopback servers), only async-signal-safe calls
// are allowed (a malloc lock held by another thread at the fork would deadlock the child).
std::vector<std::string> child_environment(const RunOptions& options) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const size_t eq = entry.find('=');
        if (eq != std::string::npos) {
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    for (const auto& [key, value] : options.env) {
        if (value == "\x01unset") {
            env.erase(key);
        } else {
            env[key] = value;
        }
    }
    std::vector<std::string> out;
    for (const auto& [key, value] : env) {
        out.push_back(key + "=" + value);
    }
    return out;
}

// Everything exec_child needs, prepared before fork().
struct ChildPlan {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::vector<char*> argv_ptrs;
    std::vector<char*> env_ptrs;

    ChildPlan(const std::vector<std::string>& args, const RunOptions& options)
        : argv(args), env(child_environment(options)) {
        for (auto& a : argv)
            argv_ptrs.push_back(a.data());
        argv_ptrs.push_back(nullptr);
        for (auto& e : env)
            env_ptrs.push_back(e.data());
        env_ptrs.push_back(nullptr);
    }
};

// In the child after fork(): async-signal-safe calls only.
[[noreturn]] void exec_child(const ChildPlan& plan, const RunOptions& options, int in_fd,
                             int out_fd, int err_fd) {
    if (in_fd >= 0) {
        ::dup2(in_fd, STDIN_FILENO);
    }
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
        ::_exit(127);
    }
    if (options.as_user) {
        // Drop root's supplementary groups too, or the child could still write where group
        // root may.
        if (::setgroups(0, nullptr) != 0 || ::setgid(*options.as_user) != 0 ||
            ::setuid(*options.as_user) != 0) {
            ::_exit(127);
        }
    }
    ::execvpe(plan.argv_ptrs[0], plan.argv_ptrs.data(), plan.env_ptrs.data());
    ::_exit(127);
}

// `argv` as a shell would take it back, with the binary under test shown as `llmops`.
std::string shell_quoted(const std::vector<std::string>& argv) {
    std::string line;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string word = i == 0 && argv[i] == LLMOPS_BINARY ? "llmops" : argv[i];
        const bool plain =
            !word.empty() &&
            word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-./=:,@%+") == std::string::npos;
        if (!plain) {
            std::string quoted = "'";
            for (const char c : word) {
                quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
            }
            word = quoted + "'";
        }
        line += (i == 0 ? "" : " ") + word;
    }
    return line;
}

int wait_status(pid_t pid, long* max_rss_kb = nullptr) {
    int status = 0;
    struct rusage usage {};
    while (::wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            throw std::runtime_error("waitpid failed");
        }
    }
    if (max_rss_kb != nullptr) {
        *max_rss_kb = usage.ru_maxrss;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::map<std::string, std::string> hermetic_env(std::map<std::string, std::string> env) {
    env.try_emplace("NO_COLOR", "1");
    env.try_emplace("LLMOPS_AUTHOR", "Test Author <test@example.com>");
    env.try_emplace("LLMOPS_DIR", "\x01unset");
    // An OpenTelemetry endpoint in the tester's environment must not make every eval export.
    for (const char* name : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                             "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
        env.try_emplace(name, "\x01unset");
    }
    return env;
}

} // namespace

RunResult run_program(const std::vector<std::string>& argv, const RunOptions& options) {
    const auto out_path = scratch("stdout");
    const auto err_path = scratch("stderr");
    std::optional<std::filesystem::path> in_path;
    if (options.stdin_text) {
        in_path = scratch("stdin");
        std::ofstream(*in_path, std::ios::binary) << *options.stdin_text;
    }
    const ChildPlan plan(argv, options);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        const int in_fd =
            in_path ? ::open(in_path->c_str(), O_RDONLY) : ::open("/dev/null", O_RDONLY);
        const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_TRUNC);
        const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_TRUNC);
        exec_child(plan, options, in_fd, out_fd, err_fd);
    }
    RunResult result;
    result.exit_code = wait_status(pid, &result.max_rss_kb);
    result.out = slurp(out_path);
    result.err = slurp(err_path);
    transcript::add_run(shell_quoted(argv), options.cwd.string(), result.exit_code, result.out,
                        result.err);
    std::filesystem::remove(out_path);
    std::filesystem::remove(err_path);
    if (in_path) {
        std::filesystem::remove(*in_path);
    }
    return result;
}

RunResult llmops(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                 std::map<std::string, std::string> env) {
    std::vector<std::string> argv{LLMOPS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.cwd = cwd;
    options.env = hermetic_env(std::move(env));
    return run_program(argv, options);
}

RunResult llmops_as(uid_t uid, const std::filesystem::path& cwd,
                    const std::vector<std::string>& args) {
    std::vector<std::string> argv{LLMOPS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.cwd = cwd;
    options.env = hermetic_env({});
    options.as_user = uid;
    return run_program(argv, options);
}

int wait_for(pid_t pid) {
    const int code = wait_status(pid);
    transcript::add_note("process " + std::to_string(pid) + " ended with exit code " +
                         std::to_string(code));
    return code;
}

pid_t spawn_llmops(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                   std::map<std::string, std::string> env) {
    std::vector<std::string> argv{LLMOPS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.cwd = cwd;
    options.env = hermetic_env(std::move(env));
    const ChildPlan plan(argv, options);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        const int null_fd = ::open("/dev/null", O_RDWR);
        exec_child(plan, options, null_fd, null_fd, null_fd);
    }
    transcript::add_note("$ " + shell_quoted(argv) + " &   (in " + cwd.string() + ", process " +
                         std::to_string(pid) + ", output discarded)");
    return pid;
}

pid_t spawn_llmops_logged(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                          const std::filesystem::path& out, const std::filesystem::path& err,
                          std::map<std::string, std::string> env) {
    std::vector<std::string> argv{LLMOPS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.cwd = cwd;
    options.env = hermetic_env(std::move(env));
    const ChildPlan plan(argv, options);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0 || err_fd < 0) {
        throw std::runtime_error("cannot create " + out.string() + " or " + err.string());
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        exec_child(plan, options, ::open("/dev/null", O_RDONLY), out_fd, err_fd);
    }
    ::close(out_fd);
    ::close(err_fd);
    transcript::add_note("$ " + shell_quoted(argv) + " > " + out.string() + " 2> " + err.string() +
                         " &   (in " + cwd.string() + ", process " + std::to_string(pid) + ")");
    return pid;
}

uid_t unprivileged_uid() {
    return 65534;
}

} // namespace llmops::test
