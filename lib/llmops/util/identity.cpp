#include <llmops/util/identity.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llmops/util/strings.hpp>

extern char** environ;

namespace llmops::util {

namespace {

// Runs `git config --get key` and returns its trimmed output, or "" when git is absent or the
// key is unset. stderr is discarded.
std::string git_config(const char* key) {
    int out[2];
    if (::pipe(out) != 0) {
        return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const char* argv[] = {"git", "config", "--get", key, nullptr};
    pid_t pid = 0;
    const int rc =
        posix_spawnp(&pid, "git", &actions, nullptr, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string text;
    if (rc == 0) {
        char buffer[512];
        ssize_t n = 0;
        while ((n = ::read(out[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
            if (n > 0) {
                text.append(buffer, static_cast<size_t>(n));
            }
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            text.clear();
        }
    }
    ::close(out[0]);
    return std::string(trim(text));
}

} // namespace

std::string resolve_author(const std::optional<std::string>& flag) {
    if (flag && !trim(*flag).empty()) {
        return std::string(trim(*flag));
    }
    if (const char* env = std::getenv("LLMOPS_AUTHOR"); env != nullptr && *env != '\0') {
        return env;
    }
    const std::string name = git_config("user.name");
    const std::string email = git_config("user.email");
    if (!name.empty()) {
        return email.empty() ? name : name + " <" + email + ">";
    }
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) {
        return pw->pw_name;
    }
    if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
        return user;
    }
    return "unknown";
}

} // namespace llmops::util
