#include <llmops/util/process_info.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>

#include <sys/resource.h>
#include <unistd.h>

namespace llmops::util {

namespace {

std::string first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// The state and start time of process `pid` from /proc/PID/stat: fields 3 and 22, counted after
// the command name, which is in parentheses and may itself hold spaces and parentheses.
bool read_stat(int64_t pid, char& state, int64_t& start_ticks) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = text.rfind(')');
    if (close == std::string::npos) {
        return false;
    }
    std::istringstream fields(text.substr(close + 1));
    std::string field;
    fields >> state; // field 3
    for (int i = 4; i < 22 && fields >> field; ++i) {
    }
    return static_cast<bool>(fields >> start_ticks); // field 22
}

} // namespace

std::optional<ProcessIdentity> process_identity(int64_t pid) {
    ProcessIdentity who;
    who.pid = pid;
    char state = 0;
    if (!read_stat(pid, state, who.start_ticks)) {
        return std::nullopt;
    }
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0) {
        who.host = host;
    }
    who.boot_id = first_line("/proc/sys/kernel/random/boot_id");
    return who;
}

ProcessIdentity self_process() {
    const int64_t pid = static_cast<int64_t>(::getpid());
    ProcessIdentity me;
    me.pid = pid;
    return process_identity(pid).value_or(me);
}

bool is_local(const ProcessIdentity& who) {
    const ProcessIdentity me = self_process();
    return who.host == me.host && who.boot_id == me.boot_id;
}

bool is_running(const ProcessIdentity& who) {
    char state = 0;
    int64_t start = 0;
    if (who.pid <= 0 || !read_stat(who.pid, state, start)) {
        return false;
    }
    return state != 'Z' && state != 'X' && start == who.start_ticks;
}

FileLimit ensure_open_files(int64_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return {wanted, wanted}; // unknown: assume it fits rather than refuse
    }
    const auto as_int = [](rlim_t v) {
        return v == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(v);
    };
    if (as_int(limit.rlim_cur) < wanted) {
        rlimit raised = limit;
        raised.rlim_cur =
            as_int(limit.rlim_max) < wanted ? limit.rlim_max : static_cast<rlim_t>(wanted);
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            limit = raised;
        }
    }
    return {as_int(limit.rlim_cur), as_int(limit.rlim_max)};
}

} // namespace llmops::util
