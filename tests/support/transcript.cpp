#include "support/transcript.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

namespace llmops::test::transcript {

namespace {

// The last few of each kind are enough to read a failure; a test that makes 10,000 requests must
// not flood the log (the counts of what was left out are printed).
constexpr size_t k_max_runs = 8;
constexpr size_t k_max_requests = 40;
constexpr size_t k_stream_head = 3000;
constexpr size_t k_stream_tail = 3000;
constexpr size_t k_body_chars = 160;

struct Entry {
    long seq;
    std::string text;
};

struct State {
    std::mutex mutex;
    long seq = 0;
    std::deque<Entry> runs; // program runs and notes
    std::deque<Entry> requests;
    long dropped_runs = 0;
    long dropped_requests = 0;
};

State& state() {
    static State s;
    return s;
}

void push(std::deque<Entry>& into, long& dropped, size_t max, std::string text) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    into.push_back({++s.seq, std::move(text)});
    if (into.size() > max) {
        into.pop_front();
        ++dropped;
    }
}

std::string cut_stream(const std::string& text) {
    if (text.size() <= k_stream_head + k_stream_tail) {
        return text;
    }
    return text.substr(0, k_stream_head) +
           fmt::format("\n[... {} bytes left out ...]\n",
                       text.size() - k_stream_head - k_stream_tail) +
           text.substr(text.size() - k_stream_tail);
}

// One line, control characters shown as escapes, cut to `max` characters.
std::string one_line(const std::string& text, size_t max) {
    std::string out;
    for (const unsigned char c : text) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        if (c == '\n') {
            out += "\\n";
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string stream_block(const char* name, const std::string& text) {
    if (text.empty()) {
        return fmt::format("  {}: (empty)\n", name);
    }
    std::string block = fmt::format("  {}:\n", name);
    std::string body = cut_stream(text);
    if (body.back() != '\n') {
        body += "\n[no newline at the end]\n";
    }
    size_t start = 0;
    while (start < body.size()) {
        const size_t end = body.find('\n', start);
        block += "    | " + body.substr(start, end - start) + "\n";
        start = end + 1;
    }
    return block;
}

} // namespace

void add_run(const std::string& command, const std::string& cwd, int exit_code,
             const std::string& out, const std::string& err) {
    State& s = state();
    push(s.runs, s.dropped_runs, k_max_runs,
         fmt::format("$ {}\n  (in {}) exit code {}\n", command, cwd, exit_code) +
             stream_block("stdout", out) + stream_block("stderr", err));
}

void add_note(const std::string& line) {
    State& s = state();
    push(s.runs, s.dropped_runs, k_max_runs, line + "\n");
}

void add_request(int port, const std::string& method, const std::string& path, int status,
                 const std::string& request_body, const std::string& response_body) {
    State& s = state();
    push(s.requests, s.dropped_requests, k_max_requests,
         fmt::format("server :{} {} {} -> {}  request: {}  response: {}\n", port, method, path,
                     status, one_line(request_body, k_body_chars),
                     one_line(response_body, k_body_chars)));
}

void clear() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.runs.clear();
    s.requests.clear();
    s.dropped_runs = 0;
    s.dropped_requests = 0;
}

std::string text() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (s.runs.empty() && s.requests.empty()) {
        return {};
    }
    std::vector<const Entry*> all;
    for (const auto& e : s.runs)
        all.push_back(&e);
    for (const auto& e : s.requests)
        all.push_back(&e);
    std::sort(all.begin(), all.end(),
              [](const Entry* a, const Entry* b) { return a->seq < b->seq; });
    std::string out;
    if (s.dropped_runs > 0 || s.dropped_requests > 0) {
        out += fmt::format("({} earlier program run(s) and {} earlier request(s) left out)\n",
                           s.dropped_runs, s.dropped_requests);
    }
    for (const Entry* e : all) {
        out += fmt::format("#{} {}", e->seq, e->text);
    }
    return out;
}

namespace {

// Prints the transcript under the first failed check of each pass through a test case (doctest
// runs a test case once per subcase), and when a test case throws or crashes.
struct TranscriptListener : doctest::IReporter {
    std::ostream& out;
    bool printed = false;

    explicit TranscriptListener(const doctest::ContextOptions& options) : out(*options.cout) {}

    void print(const char* why) {
        if (printed) {
            return;
        }
        printed = true;
        const std::string t = text();
        if (t.empty()) {
            return;
        }
        out << "\n===== transcript of this test (" << why << "): programs run and requests served\n"
            << t << "===== end of transcript\n\n";
        out.flush();
    }

    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override {
        clear();
        printed = false;
    }
    void test_case_reenter(const doctest::TestCaseData&) override {
        clear();
        printed = false;
    }
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {
        print("exception or crash");
    }
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& data) override {
        if (data.m_failed) {
            print("first failed check");
        }
    }
    void log_message(const doctest::MessageData& data) override {
        if (!(data.m_severity & doctest::assertType::is_warn)) {
            print("FAIL message");
        }
    }
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("transcript", 1, TranscriptListener);

} // namespace

} // namespace llmops::test::transcript
