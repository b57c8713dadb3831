// The chaos test (hardening issue): an eval against a provider that answers 429s, 500s and
// stalls is killed at a random moment with a random signal, then resumed, again and again. Every
// time the run must end complete with exactly the expected results, no call may have been
// answered twice beyond the calls in flight at a kill, and fsck must pass. The moments are
// events (the server's request count), the randomness comes from a printed seed: a failure
// replays with LLMOPS_CHAOS_SEED.

#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/store_probe.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace llmops::test {

namespace {

using nlohmann::json;

constexpr int k_cases = 24;
constexpr int k_jobs = 4;

// A provider having a bad day: the first attempt at a question is, by the question's hash,
// a 429 (Retry-After 0), a 500, a stall past the client's timeout, or an answer; later attempts
// are answered. It counts the answers it sent for each question.
class ChaoticProvider {
public:
    ChaoticProvider() {
        m_server.post(
            "/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
                const auto body = json::parse(req.body, nullptr, false);
                const std::string question =
                    body.is_object() ? body["messages"].back().value("content", "") : "";
                int attempt = 0;
                {
                    std::lock_guard lock(m_mutex);
                    attempt = m_attempts[question]++;
                }
                const size_t kind = std::hash<std::string>{}(question) % 5;
                if (attempt == 0 && kind == 0) {
                    res.status = 429;
                    res.set_header("Retry-After", "0");
                    res.set_content(R"({"error":{"message":"slow down"}})", "application/json");
                    return;
                }
                if (attempt == 0 && kind == 1) {
                    res.status = 500;
                    res.set_content(R"({"error":{"message":"oops"}})", "application/json");
                    return;
                }
                if (attempt == 0 && kind == 2) {
                    // Past the client's 2 s timeout; the answer goes nowhere. (Real answers
                    // take milliseconds: a busy machine does not bring them near the timeout,
                    // which would get them answered twice and break the count below.)
                    m_server.sleep_unless_stopping(std::chrono::milliseconds(5000));
                    return;
                }
                {
                    std::lock_guard lock(m_mutex);
                    ++m_answered[question];
                }
                res.set_content(
                    json{{"choices",
                          {{{"index", 0},
                            {"finish_reason", "stop"},
                            {"message",
                             {{"role", "assistant"}, {"content", "answer to " + question}}}}}},
                         {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 3}}}}
                        .dump(),
                    "application/json");
            });
        m_server.start();
    }

    std::string base_url() const { return m_server.url("/v1"); }
    int requests() const { return m_server.request_count(); }
    int answers() const {
        std::lock_guard lock(m_mutex);
        int n = 0;
        for (const auto& [q, count] : m_answered) {
            n += count;
        }
        return n;
    }

private:
    LoopbackServer m_server{64};
    mutable std::mutex m_mutex;
    std::map<std::string, int> m_attempts;
    std::map<std::string, int> m_answered;
};

uint64_t chaos_seed() {
    if (const char* s = std::getenv("LLMOPS_CHAOS_SEED")) {
        return std::strtoull(s, nullptr, 10);
    }
    return std::random_device{}();
}

} // namespace

TEST_SUITE("chaos") {

    TEST_CASE("chaos::kill at random moments, resume, and nothing is lost or paid twice") {
        const uint64_t seed = chaos_seed();
        MESSAGE("LLMOPS_CHAOS_SEED=", seed);
        std::mt19937_64 random(seed);
        const int signals[] = {SIGKILL, SIGINT, SIGTERM, SIGHUP};
        const char* const names[] = {"SIGKILL", "SIGINT", "SIGTERM", "SIGHUP"};
        ::setenv("LLMOPS_CHAOS_KEY", "sk-chaos", 1);

        for (int round = 0; round < 6; ++round) {
            ChaoticProvider provider;
            TempDir dir;
            std::string yaml =
                fmt::format("prompts: ['Q {{{{q}}}}']\n"
                            "providers:\n  - id: openai:gpt-4o-mini\n"
                            "    config: {{apiBaseUrl: '{}', apiKeyEnvar: LLMOPS_CHAOS_KEY, "
                            "timeout_ms: 2000}}\n"
                            "defaultTest:\n  assert: [{{type: contains, value: answer}}]\n"
                            "tests:\n",
                            provider.base_url());
            for (int i = 0; i < k_cases; ++i) {
                yaml += fmt::format("  - vars: {{q: q{}-{}}}\n", round, i);
            }
            dir.write("suite.yaml", yaml);
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);

            // Two kills: one of the first run, one of its resume; then a resume to the end.
            int kills = 0;
            for (int attempt = 0; attempt < 2; ++attempt) {
                const size_t which = random() % 4;
                // A moment: once this many more requests reached the server (fewer than the
                // questions left, so the run is still going when it comes).
                const int start = provider.requests();
                const int64_t stored = std::max<int64_t>(0, stored_results(dir.path()));
                const int left = k_cases - static_cast<int>(stored);
                if (left < 4) {
                    break;
                }
                const int after = 1 + static_cast<int>(random() % static_cast<uint64_t>(left - 2));
                CAPTURE(round);
                CAPTURE(attempt);
                CAPTURE(names[which]);
                CAPTURE(after);
                const std::vector<std::string> args =
                    attempt == 0
                        ? std::vector<std::string>{"eval", "suite.yaml", "-j", "4", "--no-cache"}
                        : std::vector<std::string>{"eval", "--resume", "latest",
                                                   "-j",   "4",        "--no-cache"};
                const pid_t pid = spawn_llmops(dir.path(), args);
                wait_until([&] { return provider.requests() >= start + after; });
                ::kill(pid, signals[which]);
                const int code = wait_for(pid);
                // Killed, interrupted (130), or it had already finished.
                CHECK((code == 128 + SIGKILL || code == 130 || code == 0));
                ++kills;
            }
            const auto resumed =
                llmops(dir.path(), {"eval", "--resume", "latest", "-j", "4", "--no-cache"});
            CHECK(resumed.exit_code == 0);
            CHECK(stored_results(dir.path()) == k_cases);
            const auto run =
                json::parse(llmops(dir.path(), {"runs", "show", "latest", "--json"}).out);
            CHECK(run["run"]["status"] == "complete");
            // Every answer sent was stored, but for those in flight at a kill (at most -j each).
            CHECK(provider.answers() >= k_cases);
            CHECK(provider.answers() <= k_cases + kills * k_jobs);
            const auto fsck = llmops(dir.path(), {"fsck"});
            CHECK(fsck.exit_code == 0);
        }
    }

} // TEST_SUITE

} // namespace llmops::test
