#pragma once
// An llmops server (`traces serve`, `metrics serve`) started by a CLI test on `--listen
// 127.0.0.1:0`, in the background, its output in `dir`/serve.out and serve.err; the port read
// from its first line ("listening on http://127.0.0.1:PORT"). Killed at destruction when the
// test ended without stopping it.

#include <string>
#include <vector>

#include <sys/types.h>

#include <httplib.h>

#include "support/temp_dir.hpp"

namespace llmops::test {

class ServeProcess {
public:
    // Starts `llmops ARGS... --listen 127.0.0.1:0 EXTRA...` in `dir` and waits for its port.
    ServeProcess(const TempDir& dir, const std::vector<std::string>& args,
                 const std::vector<std::string>& extra = {});
    ~ServeProcess();
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    int port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    // A client of the server, with a read timeout only a hang reaches.
    httplib::Client client() const;
    // Sends `signal` and returns the exit code.
    int stop(int signal);
    std::string err() const { return m_dir.read("serve.err"); }

private:
    const TempDir& m_dir;
    pid_t m_pid = -1;
    int m_port = 0;
};

} // namespace llmops::test
