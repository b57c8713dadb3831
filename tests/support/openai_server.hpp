#pragma once
// A loopback OpenAI-compatible chat server for CLI tests of runs in progress: it answers
// "answer to <the last message>", remembers every question by the API key that asked it, and can
// hold requests (a stalled provider) until the test lets them go, so a test can act on a run at
// a moment it chose, whatever the machine's speed.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "support/loopback.hpp"

namespace llmops::test {

class OpenAiServer {
public:
    OpenAiServer(); // started, on a free port
    OpenAiServer(const OpenAiServer&) = delete;
    OpenAiServer& operator=(const OpenAiServer&) = delete;

    // The base URL a suite's provider points at (".../v1").
    std::string base_url() const { return m_server.url("/v1"); }

    // From now on, answers `n` more requests, then holds every further one until release().
    void hold_after(int n);
    // Lets every held request (and every later one) be answered.
    void release();
    // How many requests are held now.
    int held() const { return m_held.load(); }

    // The questions asked with API key `key`, in order of arrival.
    std::vector<std::string> asked(const std::string& key) const;
    // Every request that arrived.
    int requests() const { return m_server.request_count(); }

private:
    LoopbackServer m_server{64};
    mutable std::mutex m_mutex;
    std::map<std::string, std::vector<std::string>> m_asked;
    std::atomic<int> m_answer_budget{-1}; // < 0: no limit
    std::atomic<bool> m_released{true};
    std::atomic<int> m_held{0};
};

} // namespace llmops::test
