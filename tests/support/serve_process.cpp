#include "support/serve_process.hpp"

#include <csignal>

#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/wait.hpp"

namespace llmops::test {

ServeProcess::ServeProcess(const TempDir& dir, const std::vector<std::string>& args,
                           const std::vector<std::string>& extra)
    : m_dir(dir) {
    std::vector<std::string> argv = args;
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    m_pid = spawn_llmops_logged(dir.path(), argv, dir / "serve.out", dir / "serve.err");
    const std::string prefix = "listening on http://127.0.0.1:";
    REQUIRE(wait_until([&] { return dir.read("serve.out").find('\n') != std::string::npos; }));
    const std::string line = dir.read("serve.out");
    REQUIRE(line.starts_with(prefix));
    m_port = std::stoi(line.substr(prefix.size()));
}

ServeProcess::~ServeProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        wait_for(m_pid);
    }
}

httplib::Client ServeProcess::client() const {
    httplib::Client c("127.0.0.1", m_port);
    c.set_read_timeout(60, 0);
    return c;
}

int ServeProcess::stop(int signal) {
    ::kill(m_pid, signal);
    const int code = wait_for(m_pid);
    m_pid = -1;
    return code;
}

} // namespace llmops::test
